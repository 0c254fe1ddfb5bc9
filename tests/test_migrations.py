"""Upgrading a database from before the model was named Company keeps every row, link
and permission."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("dashboard", "0005_onboarding_and_monitoring")]
AFTER = [("dashboard", "0006_company")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.fixture
def back_to_the_latest():
    """Leaves the test database as every other test expects it: fully migrated."""
    yield
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    migrate(executor.loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True)
def test_an_end_user_becomes_a_company_with_its_checks_audit_and_permissions(back_to_the_latest):
    old = migrate(BEFORE)
    User = old.get_model("auth", "User")
    Permission = old.get_model("auth", "Permission")
    ContentType = old.get_model("contenttypes", "ContentType")
    ApiKey = old.get_model("dashboard", "ApiKey")
    EndUser = old.get_model("dashboard", "EndUser")
    content_type, _ = ContentType.objects.get_or_create(app_label="dashboard", model="enduser")
    change, _ = Permission.objects.get_or_create(
        content_type=content_type, codename="change_enduser", defaults={"name": "Can change end user"}
    )
    editor = User.objects.create(username="editor")
    editor.user_permissions.add(change)
    key = ApiKey.objects.create(name="k", encrypted_secret="x", secret_hint="sk_…")
    end_user = EndUser.objects.create(conductor_id="end_usr_abc", company_name="Acme", api_key=key)
    old.get_model("dashboard", "ConnectionCheck").objects.create(end_user=end_user, status="connected")
    old.get_model("dashboard", "AuditEntry").objects.create(
        username="editor", end_user=end_user, company="Acme", action="view", outcome="ok"
    )

    new = migrate(AFTER)
    company = new.get_model("dashboard", "Company").objects.get(conductor_id="end_usr_abc")
    assert company.name == "Acme" and company.api_key_id == key.pk
    assert new.get_model("dashboard", "ConnectionCheck").objects.get().company_id == company.pk
    entry = new.get_model("dashboard", "AuditEntry").objects.get()
    assert entry.company_id == company.pk and entry.company_name == "Acme"
    permission = new.get_model("auth", "Permission").objects.get(pk=change.pk)
    assert permission.codename == "change_company"
    assert new.get_model("auth", "User").objects.get(pk=editor.pk).user_permissions.filter(pk=change.pk).exists()


@pytest.mark.django_db(transaction=True)
def test_the_index_moving_to_its_own_app_keeps_its_rows(back_to_the_latest):
    from django.utils import timezone

    old = migrate([("dashboard", "0011_sync_worker")])
    key = old.get_model("dashboard", "ApiKey").objects.create(name="k", encrypted_secret="x", secret_hint="sk_…")
    company = old.get_model("dashboard", "Company").objects.create(conductor_id="end_usr_abc", name="Acme", api_key=key)
    old.get_model("dashboard", "IndexedCustomer").objects.create(
        company=company,
        customer_id="80000001-1",
        name="Garcia",
        full_name="Garcia",
        search_text="garcia",
        seen_at=timezone.now(),
    )
    old.get_model("dashboard", "CompanySync").objects.create(company=company, last_full_sync_at=timezone.now())

    new = migrate([("dashboard", "0012_customer_index_app")])
    row = new.get_model("customer_index", "IndexedCustomer").objects.get()
    assert (row.full_name, row.company_id) == ("Garcia", company.pk)
    assert new.get_model("customer_index", "CompanySync").objects.get().company_id == company.pk
