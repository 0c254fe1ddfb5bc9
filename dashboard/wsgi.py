"""WSGI entry point for gunicorn (see gunicorn.conf.py).

The dashboard's own checks (settings that must agree, checks.py) run before it serves:
a server whose Conductor budget outlives gunicorn's worker timeout refuses to start.
"""

import os

from django.core import checks
from django.core.exceptions import ImproperlyConfigured
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dashboard.settings")

application = get_wsgi_application()

_serious = [str(issue) for issue in checks.run_checks(tags=["dashboard"]) if issue.is_serious()]
if _serious:
    raise ImproperlyConfigured("\n".join(_serious))
