"""Real gunicorn servers for the tests that need several processes: started with the
project's own gunicorn.conf.py on the suite's test database, stopped at the end."""

import contextlib
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "server-test-password-1"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def database_url() -> str:
    """The suite's test database (not the configured one), for servers to share."""
    db = connection.settings_dict
    if db["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{db['NAME']}"
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@contextlib.contextmanager
def gunicorn_servers(count: int, **env: str) -> Iterator[list[str]]:
    """`count` servers, each with the environment given on top of the demo's; yields their URLs."""
    base = {
        **os.environ,
        "DASHBOARD_DEMO": "1",  # the same demo SECRET_KEY on all, as one deployment shares one
        "DATABASE_URL": database_url(),
        "CONDUCTOR_MAX_RETRIES": "0",
        "GUNICORN_THREADS": "32",
        "LOG_LEVEL": "WARNING",
        **env,
    }
    if not env.get("CACHE_URL"):
        # the shipped default: one cache on this machine (and no Redis for the test
        # settings to give the server either)
        base.pop("CACHE_URL", None)
        base.pop("SUITE_CACHE_URL", None)
    processes, urls = [], []
    for _ in range(count):
        port = free_port()
        processes.append(
            subprocess.Popen(
                [str(Path(sys.executable).parent / "gunicorn"), "-c", "gunicorn.conf.py"],
                cwd=ROOT,
                env={**base, "GUNICORN_BIND": f"127.0.0.1:{port}"},
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
        urls.append(f"http://127.0.0.1:{port}")
    try:
        for url in urls:
            deadline = time.monotonic() + 30
            while True:
                try:
                    if httpx.get(url + "/readyz", timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline:
                    pytest.fail(f"{url} did not become ready")
                time.sleep(0.2)
        yield urls
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=20)


def sign_in(base_url: str, username: str) -> httpx.Cookies:
    with httpx.Client(base_url=base_url) as client:
        page = client.get("/accounts/login/")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
        response = client.post(
            "/accounts/login/",
            data={"csrfmiddlewaretoken": token, "username": username, "password": PASSWORD},
            headers={"Referer": base_url + "/accounts/login/"},
        )
        assert response.status_code == 302, response.text[:500]
        return client.cookies
