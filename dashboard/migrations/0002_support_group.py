"""Create the Support group, holding the permission every dashboard page requires."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUP = "Support"
PERMISSION = "view_customers"


def create_support_group(apps, schema_editor):
    # Permissions are normally created after all migrations; make sure ours exists now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    permission = Permission.objects.get(content_type__app_label="dashboard", codename=PERMISSION)
    group, _ = Group.objects.get_or_create(name=GROUP)
    group.permissions.add(permission)


def remove_support_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=GROUP).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("dashboard", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_support_group, remove_support_group)]
