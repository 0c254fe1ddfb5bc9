"""One word for one thing: the model EndUser becomes Company (a QuickBooks company file,
a Conductor "end user"), its company_name becomes name, and every relation to it is
called company. The audit trail's copy of the company's name becomes company_name.
Permissions keep working: their codenames follow the model's new name."""

import django.core.validators
import django.db.models.deletion
from django.db import migrations, models

ACTIONS = ("add", "change", "delete", "view")


def _rename_permissions(apps, old_model: str, new_model: str, new_noun: str) -> None:
    Permission = apps.get_model("auth", "Permission")
    for action in ACTIONS:
        Permission.objects.filter(content_type__app_label="dashboard", codename=f"{action}_{old_model}").update(
            codename=f"{action}_{new_model}", name=f"Can {action} {new_noun}"
        )


def forwards(apps, schema_editor):
    _rename_permissions(apps, "enduser", "company", "company")


def backwards(apps, schema_editor):
    _rename_permissions(apps, "company", "enduser", "end user")


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("dashboard", "0005_onboarding_and_monitoring"),
    ]

    operations = [
        migrations.RemoveConstraint(model_name="recentview", name="recent_view_once_per_customer"),
        migrations.RemoveIndex(model_name="connectioncheck", name="check_by_company"),
        migrations.RemoveIndex(model_name="auditentry", name="audit_by_company"),
        migrations.RenameField(model_name="auditentry", old_name="company", new_name="company_name"),
        migrations.RenameModel(old_name="EndUser", new_name="Company"),
        migrations.RenameField(model_name="company", old_name="company_name", new_name="name"),
        migrations.RenameField(model_name="connectioncheck", old_name="end_user", new_name="company"),
        migrations.RenameField(model_name="recentview", old_name="end_user", new_name="company"),
        migrations.RenameField(model_name="auditentry", old_name="end_user", new_name="company"),
        migrations.AddConstraint(
            model_name="recentview",
            constraint=models.UniqueConstraint(
                fields=("user", "company", "customer_id"), name="recent_view_once_per_customer"
            ),
        ),
        migrations.AddIndex(
            model_name="connectioncheck",
            index=models.Index(fields=["company", "checked_at"], name="check_by_company"),
        ),
        migrations.AddIndex(
            model_name="auditentry", index=models.Index(fields=["company", "at"], name="audit_by_company")
        ),
        migrations.AlterModelOptions(
            name="company",
            options={
                "ordering": ["name"],
                "permissions": [("view_customers", "Can look up QuickBooks customers in the dashboard")],
                "verbose_name": "company",
                "verbose_name_plural": "companies",
            },
        ),
        migrations.AlterField(
            model_name="company",
            name="name",
            field=models.CharField(max_length=255, verbose_name="company name"),
        ),
        migrations.AlterField(
            model_name="company",
            name="conductor_id",
            field=models.CharField(
                max_length=80,
                unique=True,
                validators=[
                    django.core.validators.RegexValidator(
                        "\\Aend_usr_[A-Za-z0-9]{1,64}\\Z",
                        "Enter a Conductor end-user id: end_usr_ followed by letters and digits.",
                    )
                ],
                verbose_name="Conductor end-user id",
            ),
        ),
        migrations.AlterField(
            model_name="company",
            name="api_key",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT, related_name="companies", to="dashboard.apikey"
            ),
        ),
        migrations.RunPython(forwards, backwards),
    ]
