"""Test settings: the demo defaults, plus what makes tests fast and isolated."""

import os

os.environ.setdefault("DASHBOARD_DEMO", "1")

from dashboard.settings import *

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
CONDUCTOR_READ_TIMEOUT = 5.0
CONDUCTOR_CONNECT_TIMEOUT = 2.0
# Retries sleep; the retry policy has its own tests (tests/test_retries.py).
CONDUCTOR_MAX_RETRIES = 0

if CACHES["default"]["BACKEND"] == "dashboard.caching.disk.DiskCache":
    # The shipped default, in a folder of the tests' own.
    CACHES["default"]["LOCATION"] = str(BASE_DIR / "var" / "test-cache")

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file, not Django's shared in-memory database: tests that run requests in
    # several threads at once (coalescing, the bulkhead, browsers) then get SQLite's
    # real locking (WAL, a busy timeout) instead of "database table is locked".
    (BASE_DIR / "var").mkdir(exist_ok=True)
    DATABASES["default"]["TEST"] = {"NAME": str(BASE_DIR / "var" / "test-db.sqlite3")}
