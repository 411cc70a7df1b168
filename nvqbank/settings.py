"""All settings, read from environment variables (documented in .env.example).

Defaults are safe for production: DEBUG is off unless asked for, and then a
SECRET_KEY must be given. `make run` turns DEBUG on for local use.
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from units.languages import DEFAULT_INTERFACE_LANGUAGE, INTERFACE_LANGUAGES

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG")

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not DEBUG and (
    len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5 or SECRET_KEY.startswith("django-insecure-")
):
    # Sessions, password-reset links and CSRF tokens are signed with it.
    raise ImproperlyConfigured(
        "SECRET_KEY must be set when DEBUG is off: at least 50 random characters, not "
        "starting with 'django-insecure-' (see .env.example)."
    )
SECRET_KEY = SECRET_KEY or "django-insecure-local-development-only"  # DEBUG only

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "crispy_forms",
    "crispy_bootstrap5",
    "csp",
    "axes",
    # The notification outbox (before units, whose admin extends post_office's).
    "post_office",
    # Background work (portfolio exports): Django's tasks framework, backported, and
    # its queue in the database, run by `manage.py db_worker`.
    "django_tasks",
    "django_tasks_db",
    "units",
]
# The performance benchmark's floor (make bench) and its data generator.
BENCHMARK = env_bool("BENCHMARK")
if BENCHMARK:
    INSTALLED_APPS.append("benchmark")

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # After authentication: a signed-in person's stored choice comes first.
    "units.middleware.InterfaceLanguageMiddleware",
    "units.middleware.SessionIdleTimeoutMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last, as django-axes asks: it turns a locked-out sign-in into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "nvqbank.urls"
WSGI_APPLICATION = "nvqbank.wsgi.application"

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
                "units.context_processors.roles",
                "units.context_processors.languages",
            ],
        },
    },
]

# SQLite in var/ unless DATABASE_URL names another database (postgres://...).
_default_sqlite = BASE_DIR / "var" / "nvqbank.sqlite3"
DATABASE_URL = os.environ.get("DATABASE_URL") or f"sqlite:///{_default_sqlite}"
if DATABASE_URL.startswith("sqlite:///") and DATABASE_URL.endswith(str(_default_sqlite)):
    _default_sqlite.parent.mkdir(exist_ok=True)
DATABASES = {
    "default": dj_database_url.parse(
        DATABASE_URL,
        conn_max_age=env_int("CONN_MAX_AGE", 0),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Give up on a lock after this long: a save fails with a clear message (and
    # the text stays in the browser) instead of hanging until the proxy times out.
    DATABASES["default"]["OPTIONS"] = {
        "options": f"-c lock_timeout={env_int('DB_LOCK_TIMEOUT_MS', 5000)}"
    }
elif DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers carry on while a writer saves; IMMEDIATE takes the write
    # lock at BEGIN so two writers queue instead of failing half-way.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# The interface languages (units/languages.py maps Django's codes to BCP 47 tags).
# A person's stored choice, else the language cookie, else Accept-Language.
LANGUAGE_CODE = DEFAULT_INTERFACE_LANGUAGE
LANGUAGES = [(language.code, language.name) for language in INTERFACE_LANGUAGES.values()]
LOCALE_PATHS = [BASE_DIR / "locale"]
FORMAT_MODULE_PATH = ["nvqbank.formats"]
# This browser's choice (set by the switcher with the session cookie's flags).
LANGUAGE_COOKIE_NAME = "interface_language"
TIME_ZONE = os.environ.get("TIME_ZONE", "Europe/London")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        # Hashed, compressed files in production (after collectstatic);
        # plain files while developing, so no collectstatic is needed.
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage",
    },
}

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# How mail is delivered: by the worker (`manage.py deliver_notifications`) for
# notifications, in the request for password resets. Console by default.
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "NVQ Answer Bank <noreply@localhost>")
# The SMTP backend's server (EMAIL_BACKEND=django.core.mail.backends.smtp.EmailBackend).
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS")
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL")
if EMAIL_USE_TLS and EMAIL_USE_SSL:
    raise ImproperlyConfigured("Set EMAIL_USE_TLS (STARTTLS, port 587) or EMAIL_USE_SSL, not both.")
# Seconds before a silent mail server is given up on (the attempt is retried later).
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10)
# The notification outbox (django-post-office): a failed delivery is retried
# EMAIL_MAX_RETRIES times, first after EMAIL_RETRY_SECONDS, the wait doubling each
# time up to an hour (units/management/commands/deliver_notifications.py).
POST_OFFICE = {
    "MAX_RETRIES": env_int("EMAIL_MAX_RETRIES", 8),
    "RETRY_INTERVAL": timedelta(seconds=env_int("EMAIL_RETRY_SECONDS", 60)),
    "LOG_LEVEL": 2,  # a Log row for every attempt, sent or failed
    "DEFAULT_PRIORITY": "medium",  # queued, never sent in the request
}
# The address people reach the app at, for links in emails.
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000")

# --- Background work, exports and data protection (docs/quality.md, docs/security.md)
# Exports are made by `manage.py db_worker` from a queue in the database (the same
# database as everything else: SQLite or PostgreSQL). TASKS_BACKEND=immediate runs
# them inside the request instead (no worker; for a quick try only: a large export
# then holds the request for as long as it takes).
TASKS = {
    "default": {
        "BACKEND": "django_tasks.backends.immediate.ImmediateBackend"
        if os.environ.get("TASKS_BACKEND") == "immediate"
        else "django_tasks_db.DatabaseBackend",
        "QUEUES": ["default"],
    }
}
# How long a made export is kept for its requester to download, in days.
EXPORT_KEEP_DAYS = env_int("EXPORT_KEEP_DAYS", 7)
# How long a deactivated person's records are kept before they are anonymised
# (`manage.py apply_retention`): the awarding body's retention period, in days.
DATA_RETENTION_DAYS = env_int("DATA_RETENTION_DAYS", 3 * 365)
# Delivered (or given-up) notifications are deleted after this many days by
# `manage.py apply_retention`: an email is a copy, and it names people.
NOTIFICATION_KEEP_DAYS = env_int("NOTIFICATION_KEEP_DAYS", 90)
# The internal verifier's sample is proposed from at most this many decisions (a
# period longer than that is asked to be narrowed, so the page stays fast).
SAMPLING_MAX_DECISIONS = env_int("SAMPLING_MAX_DECISIONS", 5_000)

# Messages are drawn as Bootstrap alerts: an error as its "danger" (it has no "error").
MESSAGE_TAGS = {40: "danger"}  # django.contrib.messages.ERROR

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "units:home"
LOGOUT_REDIRECT_URL = "units:home"
# Autosave answers a refused CSRF check with JSON it can act on.
CSRF_FAILURE_VIEW = "nvqbank.views.csrf_failure"

# --- Security --------------------------------------------------------------------
# HTTPS is on unless DEBUG, or unless turned off (HTTPS=0) for plain-HTTP use such
# as the browser tests. Behind a TLS-terminating proxy, keep HTTPS on and set
# SECURE_PROXY_SSL_HEADER=HTTP_X_FORWARDED_PROTO so Django knows the request was
# secure; or set SECURE_SSL_REDIRECT=0 if the proxy itself redirects.
HTTPS = env_bool("HTTPS", not DEBUG)
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", HTTPS)
if os.environ.get("SECURE_PROXY_SSL_HEADER"):
    SECURE_PROXY_SSL_HEADER = (os.environ["SECURE_PROXY_SSL_HEADER"], "https")
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = HTTPS
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31_536_000 if HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", HTTPS)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", HTTPS)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
# Signed out after this many minutes without a request (the expiry slides).
SESSION_IDLE_MINUTES = env_int("SESSION_IDLE_MINUTES", 120)
SESSION_COOKIE_AGE = SESSION_IDLE_MINUTES * 60

# No inline script or style anywhere: every script and stylesheet is a static file.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        # Bootstrap draws its checkboxes, toggler and selects with data: SVGs.
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}

# Sign-in throttling (django-axes): locked out after AXES_FAILURE_LIMIT failures
# for the same username from the same address, for AXES_COOLOFF_MINUTES.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    # ModelBackend that loads the person's profile with them (their languages).
    "units.backends.PersonBackend",
]
# Failures and lockouts are rows in the database, which every app server shares (the
# cache handler would keep them per process without REDIS_URL).
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
# How many proxies in front add X-Forwarded-For; 0 (no proxy): the header is ignored.
# units.security.client_ip reads it; django-axes asks that function for the address.
PROXY_COUNT = env_int("PROXY_COUNT", 0)
AXES_CLIENT_IP_CALLABLE = "units.security.client_ip"
AXES_VERBOSE = False

# How fast one person may write, per action: "count/period" rates (s, m, h, d),
# comma-separated when several apply; counted in the default cache, per person
# (or per address when signed out). Signing in is throttled by django-axes.
RATE_LIMITS = {
    "save": os.environ.get("RATE_LIMIT_SAVE", "60/m"),
    "submit": os.environ.get("RATE_LIMIT_SUBMIT", "10/m"),
    "comment": os.environ.get("RATE_LIMIT_COMMENT", "10/m,100/h"),
    "decide": os.environ.get("RATE_LIMIT_DECIDE", "30/m"),
    "preview": os.environ.get("RATE_LIMIT_PREVIEW", "30/m"),
    "export": os.environ.get("RATE_LIMIT_EXPORT", "20/h"),
}
# --- Cache and sessions (docs/deployment.md) --------------------------------------
# REDIS_URL (redis://host:6379/0) puts the default cache in Redis, shared by every
# worker of every app server: rate counts and sessions then hold across them all.
# Sessions are "cached_db": read from Redis, written to the database as well, so a
# Redis restart (or a flush) costs one database read, never a signed-in session.
# Unset: each worker process's own memory (fine for one process; with N workers a
# person may reach N times a rate) and sessions in the database, as with SQLite.
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "nvqbank",
        }
    }
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    SESSION_ENGINE = "django.contrib.sessions.backends.db"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "axes": {"level": "WARNING"},
        # The worker reports its own summary; post_office's per-batch lines are noise.
        "post_office": {"handlers": ["console"], "level": "WARNING", "propagate": False},
    },
}
