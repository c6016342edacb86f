"""CivicDesk settings: every deploy-time knob is an environment variable (12-factor).

Policy (services, routing, SLA targets, calendars) is data in the database, not here.
"""

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("CIVICDESK_VAR_DIR", BASE_DIR / "var"))


def env_bool(name, default=False):
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name, default=""):
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)
DEV_SECRET_KEY = "civicdesk-development-only-not-secret"  # noqa: S105
SECRET_KEY = os.environ.get("SECRET_KEY", DEV_SECRET_KEY)
if not DEBUG and SECRET_KEY == DEV_SECRET_KEY and not env_bool("CIVICDESK_TESTING"):
    raise ImproperlyConfigured("Set SECRET_KEY: the development key is refused when DEBUG is off.")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1],testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
CITY_NAME = os.environ.get("CITY_NAME", "Riverton")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.forms",
    "allauth",
    "allauth.account",
    "django_tasks_db",
    "ninja",  # its Swagger UI from our static files, not from a CDN
    "civicdesk.accounts",
    "civicdesk.cases",
    "civicdesk.notify",
    "civicdesk.areas",
    "civicdesk.routing",
    "civicdesk.sla",
    "civicdesk.portal",
    "civicdesk.staff",
    "civicdesk.webhooks",
    "civicdesk.open311",
    "civicdesk.api",
    "civicdesk.transfer",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
]

ROOT_URLCONF = "civicdesk.urls"
WSGI_APPLICATION = "civicdesk.wsgi.application"

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
                "civicdesk.context_processors.site",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'civicdesk.sqlite3'}",
        conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    # WAL lets the web server and the worker read while one of them writes.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

FORM_RENDERER = "civicdesk.lib.forms.Renderer"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_REDIRECT_URL = "/"
LOGIN_URL = "account_login"

ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = os.environ.get("ACCOUNT_EMAIL_VERIFICATION", "mandatory")
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_SUBJECT_PREFIX = f"[{CITY_NAME} 311] "

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("es", _("Spanish"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = os.environ.get("TIME_ZONE", "America/New_York")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
WHITENOISE_USE_FINDERS = WHITENOISE_AUTOREFRESH = DEBUG
NODE_MODULES = BASE_DIR / "node_modules"
STATICFILES_DIRS = [
    BASE_DIR / "static",
    # Front-end libraries arrive through npm (package-lock.json); nothing of theirs is committed.
    ("vendor/htmx", NODE_MODULES / "htmx.org" / "dist"),
    ("vendor/leaflet", NODE_MODULES / "leaflet" / "dist"),
]
MEDIA_URL = "media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
STORAGES = {
    "default": {"BACKEND": os.environ.get("FILE_STORAGE", "django.core.files.storage.FileSystemStorage")},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
ATTACHMENT_MAX_BYTES = int(os.environ.get("ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024))
DATA_UPLOAD_MAX_MEMORY_SIZE = ATTACHMENT_MAX_BYTES + 1024 * 1024

# E-mail (Django 6.1 mailers). EMAIL_URL-style pieces keep one variable per fact.
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", f"{CITY_NAME} 311 <noreply@civicdesk.invalid>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
MAILERS = {
    "default": {
        "BACKEND": os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend"),
        "OPTIONS": {
            "host": os.environ.get("EMAIL_HOST", "127.0.0.1"),
            "port": int(os.environ.get("EMAIL_PORT", "1025")),
            "username": os.environ.get("EMAIL_HOST_USER", ""),
            "password": os.environ.get("EMAIL_HOST_PASSWORD", ""),
            "use_tls": env_bool("EMAIL_USE_TLS"),
            "timeout": int(os.environ.get("EMAIL_TIMEOUT", "10")),
        },
    }
}
if MAILERS["default"]["BACKEND"] != "django.core.mail.backends.smtp.EmailBackend":
    MAILERS["default"]["OPTIONS"] = {}

TASKS = {
    "default": {
        "BACKEND": os.environ.get("TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default"],
    }
}
# Outbox delivery. A sender holds a message for OUTBOX_LEASE_SECONDS and renews that lease every
# OUTBOX_HEARTBEAT_SECONDS while it sends, so a killed worker's message is taken over within a minute
# (`deliver_outbox` sweeps every 15 s). After OUTBOX_MAX_ATTEMPTS fast tries a message is "failed":
# administrators (ADMINS and every active administrator account) get one alert, and it is tried again
# every OUTBOX_SLOW_RETRY_SECONDS until it goes or someone cancels it in the admin.
OUTBOX_MAX_ATTEMPTS = int(os.environ.get("OUTBOX_MAX_ATTEMPTS", "8"))
OUTBOX_LEASE_SECONDS = float(os.environ.get("OUTBOX_LEASE_SECONDS", "30"))
OUTBOX_HEARTBEAT_SECONDS = float(os.environ.get("OUTBOX_HEARTBEAT_SECONDS", "10"))
OUTBOX_SLOW_RETRY_SECONDS = float(os.environ.get("OUTBOX_SLOW_RETRY_SECONDS", str(4 * 3600)))
ADMINS = env_list("ADMINS")
# Account e-mails (sign-up, verification, password reset, address change) go through the outbox.
ACCOUNT_ADAPTER = "civicdesk.accounts.adapter.AccountAdapter"

# Shared cache (rate limits, sessions of many processes): Redis in production, memory by default.
CACHE_URL = os.environ.get("CACHE_URL", "")
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL}
    if CACHE_URL.startswith("redis")
    else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
}
# Anonymous reports per client address; a clear message when reached.
PORTAL_SUBMIT_RATE = os.environ.get("PORTAL_SUBMIT_RATE", "10/h")
# Case look-ups by number and e-mail per client address (guessing is slow).
PORTAL_TRACK_RATE = os.environ.get("PORTAL_TRACK_RATE", "30/h")
# "Me too" and follow requests per client address.
PORTAL_FOLLOW_RATE = os.environ.get("PORTAL_FOLLOW_RATE", "20/h")
TRUSTED_PROXY = env_bool("TRUSTED_PROXY")

# Integrations (issue 5). Rates are "count/unit" with unit s, m, h or d.
# Open311 GeoReport v2: the jurisdiction_id clients may send (default: SITE_URL's host), the
# discovery document's contact and where keys are requested, requests per API key (each key may
# override it) and anonymous reads per client address.
OPEN311_JURISDICTION = os.environ.get("OPEN311_JURISDICTION", "")
OPEN311_CONTACT = os.environ.get("OPEN311_CONTACT", "")
OPEN311_KEY_SERVICE = os.environ.get("OPEN311_KEY_SERVICE", "")
OPEN311_KEY_RATE = os.environ.get("OPEN311_KEY_RATE", "60/m")
OPEN311_GET_RATE = os.environ.get("OPEN311_GET_RATE", "300/m")
# REST API: requests per token, signed-in user or anonymous address; the largest JSON body.
API_RATE = os.environ.get("API_RATE", "600/m")
API_MAX_BODY = int(os.environ.get("API_MAX_BODY", 256 * 1024))
# Webhooks: seconds to wait for a receiver's answer.
WEBHOOK_TIMEOUT = int(os.environ.get("WEBHOOK_TIMEOUT", "10"))
# Receivers on loopback, private or link-local addresses are refused (server-side request forgery)
# unless this is on, e.g. for a work-order system inside the city's own network.
WEBHOOK_ALLOW_PRIVATE = env_bool("WEBHOOK_ALLOW_PRIVATE")
# Open data downloads per client address.
OPEN_DATA_RATE = os.environ.get("OPEN_DATA_RATE", "30/h")
MAP_TILE_URL = os.environ.get("MAP_TILE_URL", "https://tile.openstreetmap.org/{z}/{x}/{y}.png")
MAP_CENTER = [float(v) for v in env_list("MAP_CENTER", "42.30,-71.10")]

SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = env_bool("SECURE_COOKIES", not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
}
