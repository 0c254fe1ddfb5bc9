"""The customer index becomes an app of its own: its models move here from the dashboard
app, their tables (and SQLite's FTS5 table, its triggers and PostgreSQL's trigram
indexes, made by dashboard 0009) stay as they are. Only Django's record of the models
moves; the database is not touched."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("dashboard", "0011_sync_worker"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="CompanySync",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("full_read_started_at", models.DateTimeField(blank=True, null=True)),
                        ("full_read_after", models.CharField(blank=True, max_length=1000)),
                        ("last_full_sync_at", models.DateTimeField(blank=True, null=True)),
                        ("updated_high_water", models.DateTimeField(blank=True, null=True)),
                        ("deletions_checked_at", models.DateTimeField(blank=True, null=True)),
                        ("in_step_at", models.DateTimeField(blank=True, null=True)),
                        ("customers", models.PositiveIntegerField(default=0)),
                        ("last_pages", models.PositiveIntegerField(default=0)),
                        ("last_changed", models.PositiveIntegerField(default=0)),
                        ("last_deleted", models.PositiveIntegerField(default=0)),
                        ("last_error", models.CharField(blank=True, max_length=500)),
                        ("last_error_at", models.DateTimeField(blank=True, null=True)),
                        ("lease_owner", models.CharField(blank=True, max_length=100)),
                        ("lease_until", models.DateTimeField(blank=True, null=True)),
                        (
                            "company",
                            models.OneToOneField(
                                on_delete=django.db.models.deletion.CASCADE, related_name="sync", to="dashboard.company"
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "customer index sync",
                        "db_table": "dashboard_companysync",
                    },
                ),
                migrations.CreateModel(
                    name="IndexedCustomer",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("customer_id", models.CharField(max_length=40)),
                        ("name", models.CharField(max_length=255)),
                        ("full_name", models.CharField(max_length=1000)),
                        ("sublevel", models.PositiveSmallIntegerField(default=0)),
                        ("is_active", models.BooleanField(null=True)),
                        ("job_status", models.CharField(blank=True, max_length=40)),
                        ("company_name", models.CharField(blank=True, max_length=255)),
                        ("phone", models.CharField(blank=True, max_length=100)),
                        ("email", models.CharField(blank=True, max_length=1000)),
                        ("balance", models.DecimalField(decimal_places=8, max_digits=24, null=True)),
                        ("total_balance", models.DecimalField(decimal_places=8, max_digits=24, null=True)),
                        ("search_text", models.TextField()),
                        ("phone_digits", models.TextField(blank=True)),
                        ("updated_at", models.DateTimeField(null=True)),
                        ("seen_at", models.DateTimeField()),
                        (
                            "company",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="indexed_customers",
                                to="dashboard.company",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "indexed customer",
                        "db_table": "dashboard_indexedcustomer",
                        "indexes": [models.Index(fields=["company", "full_name"], name="index_by_full_name")],
                        "constraints": [
                            models.UniqueConstraint(
                                fields=("company", "customer_id"), name="one_index_row_per_customer"
                            )
                        ],
                    },
                ),
                migrations.CreateModel(
                    name="SyncWorker",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("worker_id", models.CharField(max_length=64, unique=True)),
                        ("host", models.CharField(max_length=255)),
                        ("pid", models.PositiveIntegerField()),
                        ("started_at", models.DateTimeField()),
                        ("last_seen_at", models.DateTimeField()),
                        ("stopped_at", models.DateTimeField(blank=True, null=True)),
                        ("last_error", models.CharField(blank=True, max_length=500)),
                    ],
                    options={
                        "ordering": ["-last_seen_at"],
                        "db_table": "dashboard_syncworker",
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
