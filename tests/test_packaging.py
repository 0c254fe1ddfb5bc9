"""What ships and what does not: the runtime never imports the fake Conductor, the
production image leaves it (and the test tools) out, and the demo's keys are the fake's."""

import subprocess
import sys
from pathlib import Path

from django.conf import settings

from fake_conductor.data import DEMO_PUBLISHABLE_KEY, DEMO_SECRET_KEY

ROOT = Path(__file__).resolve().parents[1]


def test_it_runs_the_whole_product_without_importing_the_fake():
    # Every module of the product, imported in a fresh interpreter, with the fake's
    # package made unimportable: the production image does not have it.
    script = """
import importlib, pkgutil, sys
sys.modules["fake_conductor"] = None  # importing it now raises ImportError
import django
django.setup()
import dashboard
for module in pkgutil.walk_packages(dashboard.__path__, "dashboard."):
    importlib.import_module(module.name)
print("ok")
"""
    env = {"DJANGO_SETTINGS_MODULE": "dashboard.settings", "DASHBOARD_DEMO": "1", "PATH": "/usr/bin:/bin"}
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip().endswith("ok")


def test_the_image_leaves_out_the_fake_the_tests_and_the_test_tools():
    ignored = {line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines()}
    assert {"fake_conductor", "tests", "requirements-dev.txt"} <= ignored
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "pip install -r requirements.txt" in dockerfile
    assert "requirements-dev" not in dockerfile
    runtime = (ROOT / "requirements.txt").read_text().lower()
    for tool in ("pytest", "playwright", "hypothesis", "jsonschema", "conductor-py", "ruff", "mypy"):
        assert tool not in runtime, f"{tool} is a development tool, not a runtime dependency"


def test_every_requirement_is_pinned():
    for name in ("requirements.txt", "requirements-dev.txt"):
        for line in (ROOT / name).read_text().splitlines():
            line = line.strip()
            if line and not line.startswith(("#", "-r ")):
                assert "==" in line, f"{name}: {line} is not pinned"


def test_the_demo_settings_hold_the_keys_the_fake_is_seeded_with():
    assert settings.DEMO_CONDUCTOR_SECRET_KEY == DEMO_SECRET_KEY
    assert settings.DEMO_CONDUCTOR_PUBLISHABLE_KEY == DEMO_PUBLISHABLE_KEY


def test_the_old_command_name_still_runs_the_fake_with_all_its_options():
    result = subprocess.run(
        [sys.executable, "manage.py", "fake_conductor", "--help"],
        cwd=ROOT,
        env={"DASHBOARD_DEMO": "1", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "--serial" in result.stdout and "--large-companies" in result.stdout


def test_gunicorn_keeps_no_control_socket_shared_with_other_projects():
    from gunicorn.config import Config

    config = Config()
    config.set("control_socket_disable", False)
    namespace: dict = {}
    exec((Path(__file__).resolve().parents[1] / "gunicorn.conf.py").read_text(), namespace)
    assert namespace["control_socket_disable"] is True
    config.set("control_socket_disable", namespace["control_socket_disable"])
    assert config.control_socket_disable


def test_there_is_a_favicon(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 301 and response["Location"].endswith(".svg")


def test_an_unknown_address_has_the_dashboards_header_and_a_way_home(client, settings):
    settings.DEBUG = False
    response = client.get("/no/such/page/")
    body = response.content.decode()
    assert response.status_code == 404
    assert 'class="topbar"' in body and 'class="brand" href="/"' in body and "All companies" in body
