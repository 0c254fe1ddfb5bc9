import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from dashboard import crypto

ROOT = Path(__file__).resolve().parents[1]


def django_check(env):
    return subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", **env},
    )


@pytest.mark.parametrize("missing", ["SECRET_KEY", "ENCRYPTION_KEYS"])
def test_production_refuses_to_start_without_its_secrets(missing):
    env = {"SECRET_KEY": "x" * 50, "ENCRYPTION_KEYS": Fernet.generate_key().decode(), "ALLOWED_HOSTS": "example.com"}
    del env[missing]
    result = django_check(env)
    assert result.returncode != 0 and f"{missing} is not set" in result.stderr


def test_the_demo_starts_with_zero_configuration():
    assert django_check({"DASHBOARD_DEMO": "1"}).returncode == 0


def test_production_defaults_are_safe(settings):
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='dashboard.settings'; "
            "from django.conf import settings as s; print(s.DEBUG, s.CONDUCTOR_BASE_URL, s.ALLOWED_HOSTS)",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "SECRET_KEY": "x" * 50, "ENCRYPTION_KEYS": Fernet.generate_key().decode()},
    )
    assert result.stdout.split() == ["False", "https://api.conductor.is/v1", "[]"]


def test_secrets_round_trip_and_rotate(settings):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.ENCRYPTION_KEYS = [old]
    token = crypto.encrypt("sk_conductor_secret")
    settings.ENCRYPTION_KEYS = [new, old]
    assert crypto.decrypt(token) == "sk_conductor_secret"
    rotated = crypto.reencrypt(token)
    settings.ENCRYPTION_KEYS = [new]
    assert crypto.decrypt(rotated) == "sk_conductor_secret"
    with pytest.raises(crypto.UnreadableSecret) as raised:
        crypto.decrypt(token)
    assert "sk_conductor_secret" not in str(raised.value)


def test_every_environment_variable_is_documented():
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    settings_py = (root / "dashboard" / "settings.py").read_text()
    read = set(re.findall(r'(?:env\.\w+|_required)\(\s*"([A-Z_]+)"', settings_py))
    read |= set(re.findall(r'os\.environ\.get\("([A-Z_]+)"', (root / "gunicorn.conf.py").read_text()))
    assert {"SECRET_KEY", "CACHE_DIR", "CONDUCTOR_WAIT_BUDGET", "WEB_CONCURRENCY"} <= read
    example, readme = (root / ".env.example").read_text(), (root / "docs" / "deployment.md").read_text()
    assert not sorted(name for name in read if name not in example), "missing from .env.example"
    assert not sorted(name for name in read if f"`{name}`" not in readme), "missing from docs/deployment.md"


def cache_url_under_test_settings(env: dict[str, str]) -> str:
    """The CACHE_URL the test settings leave, in a fresh process with this environment."""
    code = "import os, tests.settings; print(os.environ.get('CACHE_URL', ''))"
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, env={"PATH": "/usr/bin:/bin", **env}
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_each_test_worker_has_a_redis_database_of_its_own_and_the_servers_it_starts_share_it():
    worker = cache_url_under_test_settings({"PYTEST_XDIST_WORKER": "gw2", "CACHE_URL": "redis://127.0.0.1:6379/1"})
    assert worker == "redis://127.0.0.1:6379/4"
    # a server the worker starts inherits the worker's environment and loads the same settings
    server = {"PYTEST_XDIST_WORKER": "gw2", "CACHE_URL": worker, "SUITE_CACHE_URL": "redis://127.0.0.1:6379/1"}
    assert cache_url_under_test_settings(server) == worker


def test_dates_are_written_one_way_in_the_pages_and_the_admin(settings):
    """The walk-through met "2026-11-20 08:44", "Nov 20" and "Nov. 20, 2026, 8:44 a.m."
    in one afternoon: Django's own displays (the admin) now write what dashboard/dates.py does."""
    from datetime import UTC, date, datetime

    from django.utils import formats

    from dashboard.dates import date_text, moment_text

    settings.TIME_ZONE = "UTC"
    moment = datetime(2026, 11, 20, 8, 44, tzinfo=UTC)
    assert moment_text(moment) == "Nov 20, 2026 08:44 UTC"
    assert date_text(date(2026, 11, 20)) == "Nov 20, 2026"
    assert formats.date_format(moment, "DATETIME_FORMAT") == "Nov 20, 2026 08:44 UTC"
    assert formats.date_format(date(2026, 11, 20)) == "Nov 20, 2026"


def test_email_is_printed_in_the_demo_and_off_elsewhere_until_a_mail_server_is_named():
    def mailers(**env):
        code = "import django; django.setup(); from django.conf import settings; print(settings.MAILERS)"
        base = {k: v for k, v in os.environ.items() if k not in ("DASHBOARD_DEMO", "EMAIL_URL")}
        production = {"SECRET_KEY": "x" * 50, "ENCRYPTION_KEYS": Fernet.generate_key().decode(), "ALLOWED_HOSTS": "a"}
        result = subprocess.run(
            [sys.executable, "-c", code],
            env={**base, "DJANGO_SETTINGS_MODULE": "dashboard.settings", **production, **env},
            capture_output=True,
            text=True,
            check=True,
        )
        return result.stdout.strip()

    assert "console.EmailBackend" in mailers(DASHBOARD_DEMO="1")
    assert mailers() == "{}"
    smtp = mailers(EMAIL_URL="smtp+tls://user:secret@smtp.example.com:587")
    assert "smtp.EmailBackend" in smtp and "'host': 'smtp.example.com'" in smtp and "'use_tls': True" in smtp
