"""Test settings: the demo defaults, plus what makes tests fast and isolated."""

import os
import re

os.environ.setdefault("DASHBOARD_DEMO", "1")

# Under pytest-xdist ("make test" runs the suite in parallel) each worker ("gw0", "gw1"…)
# gets stores of its own: pytest-django suffixes the test database, the on-disk cache
# goes in a folder per worker, and Redis gets a database per worker (set in the
# environment, so servers a test starts share the worker's). A worker's cache.clear()
# then never empties another's. The worker's database is worked out from the suite's
# CACHE_URL, kept aside: servers a test starts load these settings too, and working it
# out again from the worker's own would give them another worker's database.
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
SUITE_CACHE_URL = os.environ.setdefault("SUITE_CACHE_URL", os.environ.get("CACHE_URL", ""))
if WORKER and (redis := re.fullmatch(r"(redis://.*/)(\d+)", SUITE_CACHE_URL)):
    database = int(redis.group(2)) + 1 + int(WORKER.removeprefix("gw"))
    if database > 15:
        raise RuntimeError(f"Redis has databases 0-15: too many workers for CACHE_URL's database {redis.group(2)}")
    os.environ["CACHE_URL"] = f"{redis.group(1)}{database}"

from dashboard.settings import *

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
CONDUCTOR_READ_TIMEOUT = 5.0
CONDUCTOR_CONNECT_TIMEOUT = 2.0
# Retries sleep; the retry policy has its own tests (tests/test_retries.py).
CONDUCTOR_MAX_RETRIES = 0

if CACHES["default"]["BACKEND"] == "dashboard.caching.disk.DiskCache":
    # The shipped default, in a folder of the tests' own.
    CACHES["default"]["LOCATION"] = str(BASE_DIR / "var" / f"test-cache{WORKER and '-' + WORKER}")

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file, not Django's shared in-memory database: tests that run requests in
    # several threads at once (coalescing, the bulkhead, browsers) then get SQLite's
    # real locking (WAL, a busy timeout) instead of "database table is locked".
    (BASE_DIR / "var").mkdir(exist_ok=True)
    DATABASES["default"]["TEST"] = {"NAME": str(BASE_DIR / "var" / "test-db.sqlite3")}
