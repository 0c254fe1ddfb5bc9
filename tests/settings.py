"""Test settings: the demo defaults, plus what makes tests fast and isolated."""

import os

os.environ.setdefault("DASHBOARD_DEMO", "1")

from dashboard.settings import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}  # noqa: F405
CONDUCTOR_READ_TIMEOUT = 5.0
CONDUCTOR_CONNECT_TIMEOUT = 2.0
# Retries sleep; the retry policy has its own tests (tests/test_retries.py).
CONDUCTOR_MAX_RETRIES = 0
