"""The one gunicorn configuration, used by the Dockerfile and by `make demo`."""

import os

wsgi_app = "dashboard.wsgi:application"
bind = os.environ.get("GUNICORN_BIND", f"0.0.0.0:{os.environ.get('PORT', '8000')}")
# Pages spend nearly all their time waiting on Conductor (QuickBooks answers in
# seconds), not on CPU: threads let one worker wait on many calls at once.
worker_class = "gthread"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = int(os.environ.get("GUNICORN_THREADS", "64"))
# Above CONDUCTOR_READ_TIMEOUT (30 s) plus connect time, so a slow QuickBooks gets
# its own explained 504 page instead of a killed worker.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = 30
keepalive = 5
accesslog = "-"
errorlog = "-"
# Load the app before forking: smaller workers, and a broken config fails at start.
preload_app = True
# gunicorn's control socket defaults to a path every project on the machine shares
# ($HOME/.gunicorn/gunicorn.ctl); the dashboard does not use it (no gunicornc).
control_socket_disable = True
