"""The customer index's models now belong to its own app (customer_index 0001): the
dashboard app forgets them. Their tables stay; nothing in the database changes."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("dashboard", "0011_sync_worker"),
        ("customer_index", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="IndexedCustomer"),
                migrations.DeleteModel(name="CompanySync"),
                migrations.DeleteModel(name="SyncWorker"),
            ],
            database_operations=[],
        ),
    ]
