import io
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from dashboard.models import ApiKey, Company, CustomerNote
from fake_conductor.data import DEMO_SECRET_KEY
from fake_conductor.server import Fault

ROOT = Path(__file__).resolve().parents[1]


def run(name, *args, stdin=""):
    out = io.StringIO()
    old_stdin = sys.stdin
    sys.stdin = io.StringIO(stdin)
    try:
        call_command(name, *args, stdout=out, stderr=io.StringIO())
    finally:
        sys.stdin = old_stdin
    return out.getvalue()


def test_add_api_key_reads_the_secret_from_stdin(db):
    output = run("add_api_key", "prod", stdin=DEMO_SECRET_KEY + "\n")
    key = ApiKey.objects.get(name="prod")
    assert key.get_secret() == DEMO_SECRET_KEY
    assert "Created" in output and DEMO_SECRET_KEY not in output


def test_add_api_key_replaces_an_existing_key(db):
    run("add_api_key", "prod", stdin=DEMO_SECRET_KEY)
    output = run("add_api_key", "prod", stdin="sk_conductor_replacement_000000000001")
    assert "Replaced" in output and ApiKey.objects.count() == 1
    assert ApiKey.objects.get().get_secret() == "sk_conductor_replacement_000000000001"


@pytest.mark.parametrize("stdin,message", [("", "No secret key"), ("pk_conductor_abcdefghijklmnopqrst", "publishable")])
def test_add_api_key_fails_clearly(db, stdin, message):
    with pytest.raises(CommandError, match=message):
        run("add_api_key", "prod", stdin=stdin)
    assert not ApiKey.objects.exists()


def test_add_api_key_takes_no_secret_argument(db):
    with pytest.raises(CommandError):
        call_command("add_api_key", "prod", DEMO_SECRET_KEY)


def test_import_end_users_reports_counts(api_key, fake):
    assert "4 created, 0 updated" in run("import_end_users", "demo")
    assert "0 created, 4 updated" in run("import_end_users", "demo")
    assert Company.objects.count() == 4


def test_import_end_users_fails_clearly(api_key, fake):
    with pytest.raises(CommandError, match="No API key named 'nope'"):
        run("import_end_users", "nope")
    fake.faults.add(Fault(path="/end-users", error="authentication"))
    with pytest.raises(CommandError, match="Import failed"):
        run("import_end_users", "demo")


def test_the_commands_exit_non_zero_from_a_shell(tmp_path):
    env = {"DASHBOARD_DEMO": "1", "DATABASE_URL": f"sqlite:///{tmp_path}/db.sqlite3", "PATH": "/usr/bin:/bin"}
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    result = subprocess.run(
        [sys.executable, "manage.py", "add_api_key", "prod"],
        cwd=ROOT,
        env=env,
        input="",
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0 and "No secret key" in result.stderr
    result = subprocess.run(
        [sys.executable, "manage.py", "import_end_users", "prod"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode != 0 and "No API key named" in result.stderr


# --- the demo's data and logins ------------------------------------------------------------


@pytest.fixture
def logins_file(tmp_path, monkeypatch):
    from dashboard.management.commands import seed_demo

    path = tmp_path / "demo-logins.json"
    monkeypatch.setattr(seed_demo, "LOGINS_FILE", path)
    return path


def printed_logins(output):
    import re

    return dict(re.findall(r"(admin|support) login:\s+\w+ / (\S+)", output))


def test_seed_demo_verifies_the_key_and_prints_the_logins_last_the_same_after_a_restart(db, fake, logins_file):
    from django.contrib.auth.models import User

    from tests.conftest import support_group

    support_group()
    assert "key verified" in run("seed_demo")
    [note] = CustomerNote.objects.all()  # what support writes on a call, shown in the demo
    assert note.promise_amount and note.author_name == "support"
    key = ApiKey.objects.get(name="demo")
    assert key.last_verification_ok is True and key.last_verified_at is not None  # not "Verified ?"
    assert Company.objects.filter(api_key=key).count() == 4
    first = printed_logins(run("seed_demo", "--logins", "--url", "http://127.0.0.1:8000/"))
    assert set(first) == {"admin", "support"}
    for username, password in first.items():
        assert User.objects.get(username=username).check_password(password)
    # a restart of the same demo database: the same logins
    run("seed_demo")
    assert printed_logins(run("seed_demo", "--logins")) == first
    assert CustomerNote.objects.count() == 1  # and the demo's note once
    assert oct(logins_file.stat().st_mode & 0o777) == "0o600"


def test_a_new_demo_database_gets_new_logins(db, fake, logins_file):
    from django.contrib.auth.models import User

    from tests.conftest import support_group

    support_group()
    run("seed_demo")
    first = printed_logins(run("seed_demo", "--logins"))
    User.objects.all().delete()  # as if the database were new
    run("seed_demo")
    assert printed_logins(run("seed_demo", "--logins")) != first


def test_the_demo_logins_need_a_seeded_demo(db, logins_file):
    with pytest.raises(CommandError, match=r"run `manage\.py seed_demo` first"):
        run("seed_demo", "--logins")
