"""Oversight settings, read from the environment (see README's configuration table)."""

from __future__ import annotations

import base64
import datetime
import ipaddress
import os
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from csp.constants import NONE, SELF, UNSAFE_INLINE
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    """Read a yes/no environment variable; anything else is a configuration error."""
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {raw!r}")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be an integer, not {raw!r}") from exc


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY is required when DEBUG is off.")
    # Development only: a fixed key so sessions survive restarts of `make run`.
    SECRET_KEY = "django-insecure-oversight-development-only-key-never-use-in-production"  # noqa: S105

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

# Password of every demo account created by `manage.py seed_demo`.
DEMO_PASSWORD = os.environ.get("DEMO_PASSWORD") or "oversight-demo"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",
    "django_htmx",
    "guardian",
    "simple_history",
    "axes",
    "csp",
    "oversight",
    "villages",
    "cases",
    "audit",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "oversight.middleware.DefaultLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, as django-axes asks: it turns a locked-out sign-in into our 429 page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "oversight.urls"
WSGI_APPLICATION = "oversight.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "oversight.context_processors.roles",
                "oversight.context_processors.inbox",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
# DATABASE_URL, e.g. postgres://user@host:5432/oversight; default: an SQLite file in the project.
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers proceed during a write; IMMEDIATE takes the write lock at BEGIN so two
    # writers queue instead of failing with "database is locked" halfway through a transaction.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: Celery broker and cache ------------------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "").strip()
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": os.environ.get("CACHE_KEY_PREFIX", "oversight"),
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# The broker may live on its own Redis (no eviction; CONVENTIONS, peers B.3 C8); default: REDIS_URL.
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "").strip() or REDIS_URL or "memory://"
# No broker configured: run every task in the calling process so one command runs everything.
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
# Outcomes are recorded in our own tables (notifications, heartbeats, sweeps): no result backend.
CELERY_TASK_IGNORE_RESULT = True
CELERY_RESULT_BACKEND = None
# A task is acknowledged when it ends, and a worker killed mid-task hands it back: at-least-once
# delivery, made exactly-once in effect by the outbox's handled mark and the dedupe keys.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = "Asia/Shanghai"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# An unacknowledged message comes back after this long (its worker is presumed lost). Longer than
# the longest task (the nightly verification); nothing is ever scheduled with an ETA near it.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 2 * 60 * 60),
    "socket_connect_timeout": 2,
    "socket_timeout": 5,
}
# A broker that is down must not hold up the web request that triggered work: try briefly, then
# leave the work in the outbox for the catch-up.
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.2,
}
# Three queues, so a long export never delays a notification and periodic work never waits
# behind either. Outbox events are sent to their topic's queue explicitly.
CELERY_TASK_DEFAULT_QUEUE = "periodic"
CELERY_TASK_ROUTES = {
    "oversight.tasks.handle_outbox_event": {"queue": "notifications"},
    "audit.tasks.build_export": {"queue": "exports"},
}
CELERY_WORKER_QUEUES = "periodic,notifications,exports"
# Exactly one beat runs this schedule (`make serve`; one beat per deployment). Every entry is a
# task that takes no arguments, acts as the system user, is idempotent and records a heartbeat
# under the entry's name; `expires` drops a run that waited longer than its period, since the
# next one does the same work.
OVERSIGHT_SWEEP_SECONDS = env_int("OVERSIGHT_SWEEP_SECONDS", 10 * 60)
CELERY_BEAT_SCHEDULE = {
    # Deadlines: mark due soon and overdue, tell handlers once, escalate overdue ones to leaders.
    "sweep-deadlines": {
        "task": "cases.tasks.sweep_deadlines",
        "schedule": OVERSIGHT_SWEEP_SECONDS,
        "options": {"expires": OVERSIGHT_SWEEP_SECONDS},
    },
    # Hand the broker outbox work that the on-commit dispatch could not (Redis down, worker lost).
    "outbox-catch-up": {
        "task": "oversight.tasks.catch_up_outbox",
        "schedule": 60,
        "options": {"expires": 60},
    },
    # Seal every ledger chain's head hourly: later tampering shows against a fixed point.
    "seal-ledger": {
        "task": "audit.tasks.seal_ledger",
        "schedule": crontab(minute=5),
        "options": {"expires": 60 * 60},
    },
    # Re-hash the whole ledger nightly and record what was found.
    "verify-ledger": {
        "task": "audit.tasks.verify_ledger",
        "schedule": crontab(hour=2, minute=30),
        "options": {"expires": 6 * 60 * 60},
    },
    # Committees with no review for 60 days: a flag for their township.
    "check-inactive-committees": {
        "task": "villages.tasks.check_inactive_committees",
        "schedule": crontab(hour=6, minute=0),
        "options": {"expires": 6 * 60 * 60},
    },
    # Inquiries the village has not answered: flag the overdue ones, remind those who answer.
    "check-overdue-inquiries": {
        "task": "villages.tasks.check_overdue_inquiries",
        "schedule": crontab(hour=6, minute=10),
        "options": {"expires": 6 * 60 * 60},
    },
}
# Where links in e-mails point.
OVERSIGHT_SITE_URL = os.environ.get("OVERSIGHT_SITE_URL", "http://127.0.0.1:8000").strip()

# --- Authentication and jurisdiction ------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    # First: refuses every sign-in (page, admin, API token) from a locked-out client.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
# Guardian's anonymous user is not needed: anonymous visitors hold no jurisdiction.
ANONYMOUS_USER_NAME = None
GUARDIAN_RAISE_403 = False
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Content-Security-Policy on every response (django-csp): scripts, styles, fonts, images and
# connections from this site only; no inline script and no <style> element anywhere (htmx's
# indicator styles are off, see base.html). Inline style *attributes* are allowed: ECharts writes
# its tooltips with them and a few templates size an element; an attribute cannot run script.
# No framing, no plugins, forms post only here.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "style-src-attr": [UNSAFE_INLINE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# Sign-in lock-out (django-axes): after AXES_FAILURE_LIMIT failed sign-ins for one account from
# one address, that account is locked from that address for AXES_COOLOFF_MINUTES (a 429 page or
# JSON answer with Retry-After). By account *and* address, so nobody can lock a colleague out
# from elsewhere by typing their name; a success resets the count. The address is the client's
# as for the public throttles (oversight.ratelimit.client_ip): REMOTE_ADDR, or behind one of
# TRUSTED_PROXIES the address that proxy received the request from.
# The reverse proxies (addresses or networks) whose X-Forwarded-For is believed; nobody else's.
TRUSTED_PROXIES = env_list("TRUSTED_PROXIES", [])
for _proxy in TRUSTED_PROXIES:
    try:
        ipaddress.ip_network(_proxy, strict=False)
    except ValueError as _exc:
        raise ImproperlyConfigured(
            f"TRUSTED_PROXIES: {_proxy!r} is not an IP address or network"
        ) from _exc
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = datetime.timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "oversight.ratelimit.client_ip"
AXES_LOCKOUT_CALLABLE = "oversight.lockout.locked_out"
AXES_USERNAME_FORM_FIELD = "username"
AXES_USERNAME_CALLABLE = "oversight.lockout.recorded_username"  # cut to fit its column

# Name of the account that background jobs and commands act as, so every history row has an actor.
SYSTEM_USERNAME = "system"

# Demo data of the apps that build on villages, run by `seed_demo` after the villages:
# each is called as step(actor=, size=, seed=, progress=) and returns {label: count}.
OVERSIGHT_DEMO_STEPS = ["cases.demo.seed_cases", "audit.demo.seal_and_verify"]

# The reporter vault's key(s): urlsafe base64 of 32 random bytes (Fernet), newest first,
# comma-separated so an old key can still decrypt during a rotation. Unset in development:
# a key is derived from SECRET_KEY and a warning is logged (cases.vault); required in production.
OVERSIGHT_VAULT_KEYS = [
    key.strip() for key in os.environ.get("OVERSIGHT_VAULT_KEY", "").split(",") if key.strip()
]
if not OVERSIGHT_VAULT_KEYS and not DEBUG:
    raise ImproperlyConfigured("OVERSIGHT_VAULT_KEY is required when DEBUG is off.")
for _vault_key in OVERSIGHT_VAULT_KEYS:
    try:
        _vault_key_ok = len(base64.urlsafe_b64decode(_vault_key.encode())) == 32
    except ValueError:
        _vault_key_ok = False
    if not _vault_key_ok:
        raise ImproperlyConfigured(
            "OVERSIGHT_VAULT_KEY must be urlsafe base64 of 32 bytes (see README: Configuration)."
        )

# Public reports accepted from one client per hour, and receipt lookups per minute.
OVERSIGHT_PUBLIC_REPORTS_PER_HOUR = env_int("OVERSIGHT_PUBLIC_REPORTS_PER_HOUR", 5)
OVERSIGHT_RECEIPT_LOOKUPS_PER_MINUTE = env_int("OVERSIGHT_RECEIPT_LOOKUPS_PER_MINUTE", 10)

# --- History -----------------------------------------------------------------------------------
SIMPLE_HISTORY_REVERT_DISABLED = True
SIMPLE_HISTORY_HISTORY_CHANGE_REASON_USE_TEXT_FIELD = True

# --- Internationalisation ------------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- Static files ------------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT") or BASE_DIR / "media")

# --- API ---------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "oversight.schema.AutoSchema",
    "EXCEPTION_HANDLER": "oversight.api.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Oversight API",
    "DESCRIPTION": "Village affairs oversight and accountability, Dafeng District.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # Swagger UI's files are served from our own static files: no CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "TownshipKindEnum": "villages.choices.TownshipKind",
        "VillageKindEnum": "villages.choices.VillageKind",
        "ReviewKindEnum": "villages.choices.ReviewKind",
        "ReviewStatusEnum": "villages.choices.ReviewStatus",
        "OutcomeEnum": "villages.choices.Outcome",
    },
}

# --- Security ------------------------------------------------------------------------------------
# Production defaults are strict; behind a TLS-terminating proxy set USE_X_FORWARDED_PROTO=true,
# or turn an individual protection off with its variable (README, "Configuration").
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", not DEBUG)
if env_bool("USE_X_FORWARDED_PROTO", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SESSION_COOKIE_HTTPONLY = True
# No script reads the CSRF cookie: every form, htmx's included, carries the token in the form.
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
# A sign-in lasts a working day at most, and ends with the browser.
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 8 * 60 * 60)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_TIMEOUT = 10
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "oversight@localhost")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    # Tasks run in-process (no broker): one "Task … succeeded" line per notification is noise.
    "loggers": {"celery.app.trace": {"level": "WARNING" if CELERY_TASK_ALWAYS_EAGER else "INFO"}},
}
