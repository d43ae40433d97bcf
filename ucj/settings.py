"""UCJ settings, read from the environment.

Without any variables the app runs in its embedded mode: SQLite in the project folder and Celery in
eager mode, so a newcomer needs no server. Production sets DATABASE_URL (PostgreSQL), REDIS_URL
(Celery broker), SECRET_KEY, ALLOWED_HOSTS and leaves DEBUG off.
"""

import os
import warnings
from datetime import timedelta
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)
# HTTPS=1 says "this is a deployment served over TLS behind a reverse proxy": it turns on the
# redirect, secure cookies, HSTS and the hashed static manifest, and it requires a real SECRET_KEY.
HTTPS = env_bool("HTTPS", False)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if HTTPS:
        raise ImproperlyConfigured("SECRET_KEY must be set in a deployment (HTTPS=1).")
    # Embedded mode only: nothing is exposed beyond this machine.
    SECRET_KEY = "embedded-insecure-key-for-local-use-only-never-in-production-0123456789"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
# How many reverse proxies of the deployment stand in front of UCJ, each appending to
# X-Forwarded-For: the client is the NUM_PROXIES-th address from its right (ucj.proxies.client_ip).
# 0, the default, ignores the header, which any client can write.
NUM_PROXIES = int(os.environ.get("NUM_PROXIES") or 0)
if NUM_PROXIES < 0:
    raise ImproperlyConfigured("NUM_PROXIES is the number of reverse proxies in front of UCJ: 0 or more.")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "ucj",
    # Floors: outreach may use enrollment's services (leads into a batch), never the reverse; the
    # demo of each app runs in this order.
    "enrollment",
    "outreach",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Deny by default: every page needs a login unless marked @login_not_required.
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    # A write request commits whole or, answered with a 5xx, not at all; reads stay outside.
    "ucj.middleware.AtomicWrites",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "ucj.middleware.ContentSecurityPolicy",
    # Last: turns a lockout after repeated failed logins into its page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "ucj.urls"
WSGI_APPLICATION = "ucj.wsgi.application"

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
                "django.template.context_processors.i18n",
                "ucj.context_processors.ucj",
                "ucj.todo.context_processors.navigation",
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------------------------
DATABASES = {
    "default": dj_database_url.config(
        env="DATABASE_URL",
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # SQLite serialises writers. A transaction takes the write lock when it begins (IMMEDIATE)
    # and waits up to `timeout` seconds for it: begun as a reader, it could not wait when it came
    # to write (SQLite answers "database is locked" at once rather than risk a deadlock), and two
    # approvals at once failed. WAL: pages keep reading while a write (an import) is under way.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache: shared through Redis in a deployment (login throttling must count across processes) --
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": os.environ["CACHE_URL"]}
        if os.environ.get("CACHE_URL")
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}

# --- Auth ---------------------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    # Counts failed logins (pages, admin and the API token) and locks out after AXES_FAILURE_LIMIT.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = int(os.environ.get("LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("LOGIN_COOLOFF_MINUTES", "15")))
# Lock a username from one address: a guesser is stopped without letting anyone else lock the
# real user out from another place.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
# The client's address behind the reverse proxies (see NUM_PROXIES); without it axes counted the
# proxy's address, so anyone could lock a user out for everyone.
AXES_CLIENT_IP_CALLABLE = "ucj.proxies.client_ip"
AXES_VERBOSE = False
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# --- Internationalisation: Indonesian by default, English available -----------------------------
LANGUAGE_CODE = "id"
LANGUAGES = [("id", _("Indonesian")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = os.environ.get("TIME_ZONE", "Asia/Jakarta")
USE_I18N = True
USE_TZ = True
# Django's Indonesian formats give 1.873.899 and 58,68 once thousand separators are on.
USE_THOUSAND_SEPARATOR = True
LANGUAGE_COOKIE_NAME = "ucj_language"

# --- Static files -------------------------------------------------------------------------------
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        # A deployment runs collectstatic and serves hashed, compressed files for long caching.
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if HTTPS
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
# Without collectstatic (embedded mode), WhiteNoise serves straight from the finders, and the
# empty STATIC_ROOT it would otherwise read is expected, not worth a warning.
WHITENOISE_USE_FINDERS = not HTTPS
if not HTTPS:
    warnings.filterwarnings("ignore", message="No directory at")

# --- REST API -----------------------------------------------------------------------------------
REST_FRAMEWORK = {
    # Token first, so an anonymous call is answered 401 with a WWW-Authenticate header.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "ucj.api_base.Pagination",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "ucj.api_base.exception_handler",
    "DEFAULT_THROTTLE_RATES": {
        "token": os.environ.get("TOKEN_THROTTLE_RATE", "20/min"),
        # Look-ups by a whole NIK per user who sees NIKs masked (ucj.api_base.NikLookupThrottle;
        # the pages count on the same counter): guessing a masked NIK's hidden digits runs into it.
        "nik_lookup": os.environ.get("NIK_LOOKUP_RATE", "30/hour"),
    },
    # Throttles count ucj.proxies.client_ip (ClientAddressThrottle); DRF's own reading is set the
    # same way for any throttle that is not (None would trust all of X-Forwarded-For).
    "NUM_PROXIES": NUM_PROXIES,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "UCJ API",
    "DESCRIPTION": "Universal Coverage Jamsostek case management: regions, coverage, outreach, enrollment.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    # The schema and docs are for signed-in users only, like everything but the login and token.
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    # Swagger UI from the installed sidecar package, not a CDN (closed networks, poor links).
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # A batch's programmes and an employer's registered ones are one set of codes (jkk, jkm, jht,
    # jp): one enum in the schema, not two names for the same choices.
    "ENUM_NAME_OVERRIDES": {
        "ProgrammeEnum": "enrollment.models.collective.Programme",
        # Two fields named "outcome": a compliance case's and a lead follow-up's.
        "CaseOutcomeEnum": "enrollment.models.employers.CaseOutcome",
        "FollowUpOutcomeEnum": "outreach.models.FollowUpOutcome",
    },
}

# --- Celery -------------------------------------------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "")
CELERY_BROKER_URL = REDIS_URL or "memory://localhost/"  # a host, or kombu warns on every send
CELERY_RESULT_BACKEND = None
# Embedded mode: no broker, tasks run in-process at the point they are sent (after commit).
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Tasks sent with a countdown (the coverage recalculation) start within 0.1 s of it, not 1 s.
CELERY_WORKER_TIMER_PRECISION = 0.1
CELERY_TASK_TIME_LIMIT = 15 * 60
CELERY_TASK_SOFT_TIME_LIMIT = 14 * 60
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_ROUTES = {
    "ucj.tasks.worker_heartbeat": {"queue": "default"},
    "ucj.tasks.coverage_*": {"queue": "coverage"},
    "enrollment.tasks.*": {"queue": "imports"},
}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE = {
    "worker-heartbeat": {"task": "ucj.tasks.worker_heartbeat", "schedule": crontab(minute="*")},
    # Catches any change whose recalculation could not be queued (broker down, worker killed).
    "coverage-sweep": {"task": "ucj.tasks.coverage_recalculate", "schedule": crontab(minute="*/5")},
    # Hourly, so that a night the beat or the workers missed is caught up; once a day it works.
    "coverage-daily": {"task": "ucj.tasks.coverage_daily", "schedule": crontab(minute=15)},
    # Next year's holidays before the year turns: every day of December (a missed day is caught
    # up; the load keeps what is there), or deadlines reaching into January are refused.
    "holidays-next-year": {
        "task": "ucj.tasks.holidays_load_next_year",
        "schedule": crontab(minute=40, hour=2, month_of_year=12),
    },
}

# --- Coverage --------------------------------------------------------------------------------------
# Lower bounds (UCJ %) of the bands rendah, sedang and tinggi; below the first is sangat rendah.
UCJ_COVERAGE_BANDS = tuple(float(x) for x in env_list("UCJ_COVERAGE_BANDS", "20,40,60"))
if len(UCJ_COVERAGE_BANDS) != 3 or sorted(UCJ_COVERAGE_BANDS) != list(UCJ_COVERAGE_BANDS):
    raise ImproperlyConfigured("UCJ_COVERAGE_BANDS takes three rising percentages, such as 20,40,60.")
# Coverage recalculation after a change: it starts UCJ_COVERAGE_DELAY seconds after the first
# change of a burst, and no sooner than UCJ_COVERAGE_INTERVAL seconds after the previous run
# (coalescing bursts, across every process through one database row: ucj.models.CoverageSchedule).
UCJ_COVERAGE_DELAY = float(os.environ.get("UCJ_COVERAGE_DELAY", "0.5"))
UCJ_COVERAGE_INTERVAL = float(os.environ.get("UCJ_COVERAGE_INTERVAL", "30"))

# --- Enrollment ------------------------------------------------------------------------------------
# Four eyes on money (DESIGN §3): whoever submitted a batch does not verify it, and whoever
# verified it does not approve it. An office with a single clerk may switch it off (0); the batch
# page then says that one person did both steps.
UCJ_SEPARATE_DUTIES = env_bool("UCJ_SEPARATE_DUTIES", True)

# --- Outreach --------------------------------------------------------------------------------------
# For this many hours after an outreach event is logged, the officer who logged it (and the
# co-officers on it) may still change it; after that only a supervisor or an administrator may.
OUTREACH_EDIT_HOURS = int(os.environ.get("OUTREACH_EDIT_HOURS", "72"))
# Employer compliance: how far (percent) the average wage registered with BPJS may lie below the
# reported one before it is a finding (PDS wages).
UCJ_PDS_WAGE_TOLERANCE = float(os.environ.get("UCJ_PDS_WAGE_TOLERANCE", "5"))
# Working days an employer has to answer a reminder or a written warning (PP 86/2013 art. 6).
UCJ_CASE_STEP_WORKING_DAYS = int(os.environ.get("UCJ_CASE_STEP_WORKING_DAYS", "10"))

# --- Production hardening (checked by `manage.py check --deploy`) -------------------------------
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")  # the reverse proxy sets it
SECURE_SSL_REDIRECT = HTTPS
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = int(os.environ.get("SESSION_COOKIE_AGE", str(12 * 3600)))
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000" if HTTPS else "0"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_SECONDS > 0
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", HTTPS)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
CSP_EXEMPT_PATHS = ["/api/docs/"]  # Swagger UI's page runs an inline script (ucj.middleware)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
