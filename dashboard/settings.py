"""Every setting of the dashboard, and the only module that reads the environment.

Two ways to run:
- production (the default): DEBUG off, and it refuses to start without SECRET_KEY
  and ENCRYPTION_KEYS;
- demo (DASHBOARD_DEMO=1, what `make demo` and the tests use): zero configuration,
  with throwaway keys and the fake Conductor on loopback.
"""

from datetime import timedelta
from pathlib import Path
from typing import Any

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEMO = env.bool("DASHBOARD_DEMO", default=False)
DEBUG = env.bool("DEBUG", default=False)
# Production is everything that is neither the demo nor a debug run: HTTPS only.
PRODUCTION = not DEMO and not DEBUG

# Demo-only values: public, throwaway, never valid outside DASHBOARD_DEMO.
_DEMO_SECRET_KEY = "demo-only-insecure-secret-key-do-not-use-in-production"
_DEMO_ENCRYPTION_KEY = "ZGVtby1vbmx5LWVuY3J5cHRpb24ta2V5LW5vdC1zZWM="
# The fake Conductor's public demo keys (it is seeded with the same ones): `seed_demo`
# stores them so the demo needs no configuration. Empty outside the demo.
DEMO_CONDUCTOR_SECRET_KEY = "sk_conductor_demo_4f7c2a9e1b3d5f6a8c0e" if DEMO else ""
DEMO_CONDUCTOR_PUBLISHABLE_KEY = "pk_conductor_demo_9a8b7c6d5e4f3a2b1c0d" if DEMO else ""


def _required(name: str, demo_default: str) -> str:
    value = str(env.str(name, default=""))
    if value:
        return value
    if DEMO:
        return demo_default
    raise ImproperlyConfigured(
        f"{name} is not set. Set it in the environment (see .env.example), or run the demo with DASHBOARD_DEMO=1."
    )


SECRET_KEY = _required("SECRET_KEY", _DEMO_SECRET_KEY)

# Fernet keys that encrypt Conductor secrets at rest, comma-separated. The first
# encrypts; all of them decrypt, so a new key can be put in front and the old
# ones kept until every stored secret has been re-encrypted.
ENCRYPTION_KEYS = [key.strip() for key in _required("ENCRYPTION_KEYS", _DEMO_ENCRYPTION_KEY).split(",") if key.strip()]

ALLOWED_HOSTS = env.list(
    "ALLOWED_HOSTS",
    default=["localhost", "127.0.0.1", "[::1]"] if (DEMO or DEBUG) else [],
)
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.humanize",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "axes",
    "django_tasks_db",
    "dashboard",
    "dashboard.customer_index",
]

# Background work (the customer index's sync) runs on Django's tasks, stored in the
# project's database and run by `manage.py sync_worker`, never on a request thread.
TASKS = {
    "default": {
        "BACKEND": "django_tasks_db.DatabaseBackend",
        "QUEUES": ["default", "sync", "mail"],
    }
}

MIDDLEWARE = [
    "dashboard.request_log.RequestLogMiddleware",  # outermost: it times everything
    "dashboard.audit.AuditOutcomeMiddleware",  # sees the status the person got, 500s included
    "dashboard.request_budget.RequestBudgetMiddleware",  # one time budget for all a request does
    "dashboard.database_busy.DatabaseBusyMiddleware",  # a locked database: a 503 page, not a 500
    "dashboard.health.HealthProbeMiddleware",  # probes skip host checks and HTTPS redirects
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "dashboard.private_responses.PrivateResponsesMiddleware",  # all but static files: private, no-store
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: it turns a lockout into the lockout page.
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # refuses sign-ins while locked out
    "dashboard.sign_in.AddressThrottleBackend",  # one address trying many usernames
    "django.contrib.auth.backends.ModelBackend",
]

ROOT_URLCONF = "dashboard.urls"
WSGI_APPLICATION = "dashboard.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {"default": env.db_url("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'var' / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Many threads write (sessions, audit entries): WAL lets readers run beside a
    # writer, IMMEDIATE takes the write lock up front instead of failing on upgrade,
    # and the timeout queues writers briefly before "database is locked" (a 503 page).
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            # cache_size: 1 MiB of pages per connection (SQLite's default is 2 MiB), since
            # each web thread keeps its own connection.
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA cache_size=-1024;",
            "transaction_mode": "IMMEDIATE",
            # Seconds a writer waits for the lock: long enough for a burst of audit
            # entries, short enough that a locked file gets its own 503 page in moments.
            "timeout": 3,
        }
    )
    # A file, not a server: keeping each thread's connection open costs nothing, while
    # opening one (with the PRAGMAs above) on every request was a third of a cached page.
    DATABASES["default"]["CONN_MAX_AGE"] = None
elif DATABASES["default"]["ENGINE"].startswith("django.db.backends.postgresql"):
    # /readyz and every page fail fast rather than hang when the database is away.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("connect_timeout", 3)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# One cache per machine by default: every gunicorn worker shares it (a customer fetched
# by one is served by all, simultaneous opens make one upstream call, the per-company
# limit sees every call) and it outlives a restart (an offline QuickBooks still shows
# yesterday's copy after a deploy). diskcache keeps it in SQLite files under CACHE_DIR,
# safe across processes, with atomic add for the coalescing lock. CACHE_URL=redis://…
# shares it across machines instead.
CACHE_DIR = env.path("CACHE_DIR", default=BASE_DIR / "var" / "cache")
if env.str("CACHE_URL", default=""):
    CACHES = {"default": env.cache_url("CACHE_URL")}
    if CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache":
        # Redis away must not take sign-in and every page with it: its calls fail soft.
        CACHES["default"]["BACKEND"] = "dashboard.caching.fail_soft.RedisCache"
else:
    CACHES = {
        "default": {
            "BACKEND": "dashboard.caching.disk.DiskCache",
            "LOCATION": str(CACHE_DIR),
            "TIMEOUT": 300,
            # Writers on different shards never wait for each other.
            "SHARDS": 8,
            # A busy shard fails a cache call fast (it then behaves as a miss) rather
            # than holding a page.
            "DATABASE_TIMEOUT": 0.25,
            "OPTIONS": {
                # Bounded on disk; the least recently stored entries go first.
                "size_limit": env.int("CACHE_SIZE_LIMIT_MB", default=512) * 2**20,
                # Bounded in memory: every web thread keeps one connection per shard, and
                # diskcache's own defaults (a 32 MiB page cache each) would let a worker's
                # 64 threads × 8 shards grow to gigabytes. 256 KiB of private page cache
                # per connection caps that at 128 MiB a worker (far less in use); reads
                # beyond it come through a 4 MiB memory map of the file, which is the
                # operating system's shared page cache, not the worker's own memory.
                "sqlite_cache_size": 64,  # pages of 4 KiB
                "sqlite_mmap_size": 4 * 2**20,
            },
        }
    }
if CACHES["default"]["BACKEND"].endswith("LocMemCache"):
    # Django's default of 300 entries would evict customers as fast as staff open them.
    CACHES["default"].setdefault("OPTIONS", {}).setdefault("MAX_ENTRIES", 10000)
elif CACHES["default"]["BACKEND"].endswith("RedisCache"):
    # A cache that is away must fail fast (pages then fetch from Conductor), not hang.
    CACHES["default"].setdefault("OPTIONS", {}).update({"socket_connect_timeout": 2, "socket_timeout": 2})

# How long a fetched customer or search page is shown without asking Conductor again
# (the page says how old it is and offers Refresh), and how long an older copy may
# still be shown, with a warning, while QuickBooks or Conductor is unreachable.
CUSTOMER_CACHE_TTL = env.int("CUSTOMER_CACHE_TTL", default=120)
SEARCH_CACHE_TTL = env.int("SEARCH_CACHE_TTL", default=120)
# How often the sync worker brings each company's local copy in step: every
# SYNC_INTERVAL_SECONDS while nobody looks at the company, every
# SYNC_ATTENTION_INTERVAL_SECONDS while somebody has opened one of its pages within
# the longer interval.
SYNC_INTERVAL_SECONDS = env.int("SYNC_INTERVAL_SECONDS", default=900)
SYNC_ATTENTION_INTERVAL_SECONDS = env.int("SYNC_ATTENTION_INTERVAL_SECONDS", default=60)
# The local copy holds every open transaction, and every one dated within this many days.
MIRROR_HISTORY_DAYS = env.int("MIRROR_HISTORY_DAYS", default=400)
STALE_MAX_AGE = env.int("STALE_MAX_AGE", default=24 * 3600)

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
# Dates and moments are written one way everywhere, the admin too (dashboard/dates.py).
FORMAT_MODULE_PATH = ["dashboard.formats"]
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# Sessions read from the cache (Redis in production), written through to the database.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=12 * 3600)  # a working day
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Nothing inline, nothing from elsewhere: one stylesheet and one script of our own.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}
# HTTPS only in production (the health probes are answered before this, see health.py).
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=PRODUCTION)
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=PRODUCTION)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=PRODUCTION)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000 if PRODUCTION else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=PRODUCTION)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=PRODUCTION)
# Behind a TLS-terminating proxy that sets X-Forwarded-Proto (and strips it from clients).
if env.bool("TRUST_X_FORWARDED_PROTO", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Query strings are small here; a flood of parameters is refused before any view runs.
DATA_UPLOAD_MAX_NUMBER_FIELDS = 100

# Login throttling (django-axes and dashboard/sign_in.py): a username from one address is
# locked out after LOGIN_FAILURE_LIMIT failures, and an address, whatever the usernames,
# after LOGIN_ADDRESS_FAILURE_LIMIT, for LOGIN_LOCKOUT_MINUTES. Lockouts show in admin.
LOGIN_LOCKOUT_MINUTES = env.int("LOGIN_LOCKOUT_MINUTES", default=15)
LOGIN_ADDRESS_FAILURE_LIMIT = env.int("LOGIN_ADDRESS_FAILURE_LIMIT", default=20)
# How many proxies of ours (the load balancer: 1) append the client's address to
# X-Forwarded-For. 0 (the default): the header is ignored and the connecting address is
# the client's. Set it only when every request passes through those proxies.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
AXES_CLIENT_IP_CALLABLE = "dashboard.sign_in.client_address"
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=LOGIN_LOCKOUT_MINUTES)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False

# The audit trail is kept this long; `manage.py prune_audit` deletes older entries.
AUDIT_RETENTION_DAYS = env.int("AUDIT_RETENTION_DAYS", default=365)

# Conductor. The variable name is the one the official SDKs read.
CONDUCTOR_BASE_URL = env.str(
    "CONDUCTOR_BASE_URL",
    default="http://127.0.0.1:8787/v1" if DEMO else "https://api.conductor.is/v1",
)
# A person is waiting on every call: fail fast on connect, and give up reading
# before gunicorn's worker timeout (gunicorn.conf.py) would kill the request.
CONDUCTOR_CONNECT_TIMEOUT = env.float("CONDUCTOR_CONNECT_TIMEOUT", default=5.0)
CONDUCTOR_READ_TIMEOUT = env.float("CONDUCTOR_READ_TIMEOUT", default=30.0)
CONDUCTOR_POOL_TIMEOUT = env.float("CONDUCTOR_POOL_TIMEOUT", default=5.0)
CONDUCTOR_MAX_CONNECTIONS = env.int("CONDUCTOR_MAX_CONNECTIONS", default=100)
# No request spends longer than this on Conductor, all its calls, retries and waits for
# another request's call together: below gunicorn's worker timeout, so a page always gets
# to explain itself (a system check keeps them apart).
CONDUCTOR_TOTAL_BUDGET = env.float("CONDUCTOR_TOTAL_BUDGET", default=45.0)
# gunicorn's worker timeout (gunicorn.conf.py reads the same variable), for that check.
GUNICORN_TIMEOUT = env.int("GUNICORN_TIMEOUT", default=60)
CONDUCTOR_MAX_RETRIES = env.int("CONDUCTOR_MAX_RETRIES", default=2)
# The per-company limit (dashboard/caching/company_limit.py) adapts between 1 and
# CONDUCTOR_LIMIT_MAX calls at once, starting from CONDUCTOR_LIMIT_START (QuickBooks
# serves one request at a time; a parallel upstream earns more). A page waits for its
# turn only while its answer can still come within CONDUCTOR_WAIT_BUDGET seconds; past
# that it gets the "busy" page, or a saved copy, at once.
CONDUCTOR_LIMIT_START = env.int("CONDUCTOR_LIMIT_START", default=4)
CONDUCTOR_LIMIT_MAX = env.int("CONDUCTOR_LIMIT_MAX", default=256)
CONDUCTOR_WAIT_BUDGET = env.float("CONDUCTOR_WAIT_BUDGET", default=15.0)
# Threads per process for lookups made side by side (see dashboard/caching/side_by_side.py).
CONDUCTOR_FANOUT_THREADS = env.int("CONDUCTOR_FANOUT_THREADS", default=64)
# Search across companies: how long each company may take before it is reported as
# too slow (the page waits about this long in all, not once per company).
CROSS_COMPANY_SEARCH_BUDGET = env.float("CROSS_COMPANY_SEARCH_BUDGET", default=8.0)
# A caller's number without its country code (what most phone systems send) is read as
# a number of this region (ISO 3166 code: US, GB, DE…); see dashboard/incoming.py.
PHONE_REGION = env.str("PHONE_REGION", default="US")

# Documents emailed to customers (dashboard/mail.py), sent by the worker. EMAIL_URL is any
# django-environ email URL (smtp+tls://user:password@host:587, …). The demo prints each
# email on the worker's console; elsewhere, without EMAIL_URL, emailing is off and the
# pages say so (a console that nobody reads would lose the customer's statement).
MAILERS: dict[str, dict[str, Any]] = {}
_email_url = env.str("EMAIL_URL", default="consolemail://" if DEMO else "")
if not _email_url:
    SILENCED_SYSTEM_CHECKS = ["mail.W001"]  # no mailer on purpose: the email pages say so
else:
    _email = env.email_url_config(_email_url)
    MAILERS["default"] = {"BACKEND": _email["EMAIL_BACKEND"]}
    if _email["EMAIL_BACKEND"].endswith("smtp.EmailBackend"):
        MAILERS["default"]["OPTIONS"] = {
            "host": _email["EMAIL_HOST"] or "localhost",
            "port": _email["EMAIL_PORT"] or 25,
            "username": _email["EMAIL_HOST_USER"] or "",
            "password": _email["EMAIL_HOST_PASSWORD"] or "",
            "use_tls": _email.get("EMAIL_USE_TLS", False),
            "use_ssl": _email.get("EMAIL_USE_SSL", False),
            "timeout": 30,
        }
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="billing@localhost")
# How many documents one person may email in an hour (a mistake, or a stolen session,
# cannot mail a whole customer list).
EMAILS_PER_HOUR = env.int("EMAILS_PER_HOUR", default=20)
# Calls one API key may make (dashboard/api.py), as "count/period" (s, m, h, d).
API_RATE = env.str("API_RATE", default="120/m")

LOG_FORMAT = env.str("LOG_FORMAT", default="plain")  # plain | json
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"()": "dashboard.logs.PlainFormatter", "format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {"()": "dashboard.logs.JsonFormatter"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "json" if LOG_FORMAT == "json" else "plain"},
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        # Request errors are rendered as pages and logged by our own code with
        # Conductor's request id; Django's own line adds nothing but noise.
        "django.request": {"level": "ERROR"},
        # Our client logs each call once, with Conductor's request id; httpx's own
        # line would repeat it without that.
        "httpx": {"level": "WARNING"},
        "httpcore": {"level": "WARNING"},
        "axes": {"level": "WARNING"},
    },
}
