#!/bin/sh
# Container entry point: optionally apply migrations, then run the command
# (gunicorn by default; any manage.py command works too, e.g. `python manage.py createsuperuser`).
set -e
if [ "${RUN_MIGRATIONS:-0}" = "1" ]; then
  python manage.py migrate --noinput
fi
exec "$@"
