"""Request ids stored before the client checked their shape may hold whatever an upstream
put in Conductor's request-id header (an echoed secret key, say): every stored one that
does not look like a Conductor request id is forgotten."""

from django.db import migrations

REQUEST_ID = r"^req_[A-Za-z0-9]{1,64}$"
FIELDS = [
    ("Company", "last_error_request_id"),
    ("ConnectionCheck", "conductor_request_id"),
    ("AuditEntry", "conductor_request_id"),
]


def forget_malformed_request_ids(apps, schema_editor):
    for model_name, field in FIELDS:
        rows = apps.get_model("dashboard", model_name).objects.exclude(**{field: ""})
        rows.exclude(**{f"{field}__regex": REQUEST_ID}).update(**{field: ""})


class Migration(migrations.Migration):
    dependencies = [("dashboard", "0009_customer_index")]

    operations = [migrations.RunPython(forget_malformed_request_ids, migrations.RunPython.noop)]
