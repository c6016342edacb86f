"""CivicDesk settings: every deploy-time knob is an environment variable (12-factor).

Policy (services, routing, SLA targets, calendars) is data in the database, not here.
"""

import os
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP
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

# Old keys, still accepted for signatures and sessions while they expire (and for opening channel
# secrets sealed under them, decision 51): put the previous SECRET_KEY here when rotating it.
SECRET_KEY_FALLBACKS = env_list("SECRET_KEY_FALLBACKS")
# Channel secrets entered in the admin (decision 51) are encrypted under a key derived from
# CHANNEL_SECRETS_KEY when set, else from SECRET_KEY; either rotates through its *_FALLBACKS.
CHANNEL_SECRETS_KEY = os.environ.get("CHANNEL_SECRETS_KEY", "")
CHANNEL_SECRETS_KEY_FALLBACKS = env_list("CHANNEL_SECRETS_KEY_FALLBACKS")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1],testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
CITY_NAME = os.environ.get("CITY_NAME", "Riverton")
# Where a phone number typed without a country code is read (ISO 3166 code): "617-555-0100" is
# stored as "+16175550100" with "US".
PHONE_REGION = os.environ.get("PHONE_REGION", "US")
# Where phone numbers written without a country code are read as local (ISO 3166 code), for masking
# them in what the public sees.
PHONE_REGION = os.environ.get("PHONE_REGION", "US")

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
    "allauth.mfa",
    "django_zxcvbn_password_validator",  # its translations of zxcvbn's advice
    "django_tasks_db",
    "ninja",  # its Swagger UI from our static files, not from a CDN
    "civicdesk.accounts",
    "civicdesk.cases",
    "civicdesk.notify",
    "civicdesk.areas",
    "civicdesk.routing",
    "civicdesk.sla",
    "civicdesk.residents",
    "civicdesk.places",
    "civicdesk.portal",
    "civicdesk.staff",
    "civicdesk.webhooks",
    "civicdesk.open311",
    "civicdesk.api",
    "civicdesk.transfer",
    "civicdesk.inbound",
    "civicdesk.demo",
]

MIDDLEWARE = [
    # First: every log line of the request, Django's own included, carries its id (lib.logs).
    "civicdesk.lib.logs.RequestIdMiddleware",
    "civicdesk.lib.metrics.RequestMetricsMiddleware",  # times everything below, static files included
    "django.middleware.security.SecurityMiddleware",
    # Early, so every response gets the policy, static files and redirects included.
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "civicdesk.lib.badinput.RefuseBadInput",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    # After authentication: an idle staff session ends first, then staff without MFA are sent to set it up.
    "civicdesk.accounts.middleware.StaffIdleTimeoutMiddleware",
    "civicdesk.accounts.middleware.StaffMFARequiredMiddleware",
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
                "django.template.context_processors.csp",
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
# PgBouncer in transaction pooling (DATABASE_POOLER=pgbouncer) gives each transaction whichever
# server connection is free, so nothing may outlive a transaction on the server: no server-side
# cursors (exports read in keyset batches instead), no prepared statements (psycopg prepares a query
# it has run 5 times on its connection; PgBouncer 1.18 cannot follow them). Django keeps no other
# session state (the time zone is sent at connect, and PgBouncer restores it for each client).
DATABASE_POOLER = os.environ.get("DATABASE_POOLER", "").strip().lower()
if DATABASE_POOLER not in ("", "pgbouncer"):
    raise ImproperlyConfigured("DATABASE_POOLER is either empty or 'pgbouncer' (transaction pooling).")
if DATABASE_POOLER and DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = True
    DATABASES["default"].setdefault("OPTIONS", {})["prepare_threshold"] = None
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

FORM_RENDERER = "civicdesk.lib.forms.Renderer"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
# OWASP ASVS level 2 (V2.1): 12 characters at least, at most 128 (hashing very long inputs is a
# denial of service), none from Django's shipped list of 20,000 breached and common passwords,
# none of digits only, and none that zxcvbn (its lists of leaked passwords, words and names, plus
# patterns) finds guessable online. Users set by code (the demo's "demo") are not validated.
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "civicdesk.accounts.passwords.MaximumLengthValidator", "OPTIONS": {"max_length": 128}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "civicdesk.accounts.passwords.GuessabilityValidator"},
]
# Words a password here should not lean on (zxcvbn treats them as its dictionary's).
PASSWORD_EXTRA_DICTIONARY = [CITY_NAME, "civicdesk", "311"]
LOGIN_REDIRECT_URL = "/"
LOGIN_URL = "account_login"

ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = os.environ.get("ACCOUNT_EMAIL_VERIFICATION", "mandatory")
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_SUBJECT_PREFIX = f"[{CITY_NAME} 311] "
# Failed sign-ins are throttled per client address (10 a minute: an office behind one address is
# never shut out for long) and per account (the e-mail typed) in short sliding windows that back
# off: 5 failures wait out 5 minutes, 10 wait out 30. Never a permanent lock: someone guessing can
# hold an account back only while they keep guessing, and a password reset clears the account's
# count at once. A browser whose signed device cookie names the account (set at every completed
# sign-in, see accounts.adapter) counts against its own per-account windows instead, so a guesser
# elsewhere cannot keep the owner out. The admin signs in here too (/admin/login/ redirects).
# Counters live in the cache: set CACHE_URL to Redis when several web processes run.
ACCOUNT_RATE_LIMITS = {
    "login_failed": os.environ.get("LOGIN_FAILED_RATE", "10/m/ip,5/5m/key,10/30m/key"),
}
# Behind a proxy the client is the last X-Forwarded-For hop, as for our own rate limits.
ALLAUTH_TRUSTED_PROXY_COUNT = 1 if env_bool("TRUSTED_PROXY") else 0

# Multi-factor sign-in for everyone who wants it: an authenticator app (TOTP), recovery codes,
# and security keys or passkeys (WebAuthn; a passkey may also sign in on its own).
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes", "webauthn"]
MFA_PASSKEY_LOGIN_ENABLED = True
MFA_TOTP_ISSUER = f"{CITY_NAME} 311"
# A code typed as the 30-second step turns over (or on a phone a few seconds off) still counts: one
# step either side, as RFC 6238 recommends. The cost: a code stays valid up to 90 s, and allauth
# refuses a reused one for 30 s only, so a code seen with the password could be replayed in that time.
MFA_TOTP_TOLERANCE = 1
# WebAuthn needs HTTPS except on localhost; DEBUG lets the demo try keys over plain HTTP elsewhere.
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = DEBUG
# Staff roles (agent, staff, supervisor, admin) must activate a second factor before they work.
# On in production; off under DEBUG so the demo city keeps its password-"demo" sign-in.
MFA_REQUIRED_FOR_STAFF = env_bool("MFA_REQUIRED_FOR_STAFF", not DEBUG)
# A staff session with no request for this long is signed out (0 turns it off).
STAFF_IDLE_TIMEOUT_MINUTES = int(os.environ.get("STAFF_IDLE_TIMEOUT_MINUTES", "30"))

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
FILE_STORAGE = os.environ.get("FILE_STORAGE", "django.core.files.storage.FileSystemStorage")
# Photos on S3-compatible storage (AWS S3, MinIO, Ceph, Garage...): FILE_STORAGE=
# storages.backends.s3.S3Storage and a private bucket. Photos are always served through the app's
# photo view, which checks who may see each one, so the bucket needs no public access and no
# storage URL is ever made (hence no custom domain or query-string signing options: they would
# change nothing).
S3_OPTIONS = {
    "bucket_name": os.environ.get("S3_BUCKET", ""),
    "endpoint_url": os.environ.get("S3_ENDPOINT_URL") or None,  # None: AWS itself
    "region_name": os.environ.get("S3_REGION") or None,
    # Empty keys: boto3 finds credentials itself (instance role, AWS_* variables, ~/.aws).
    "access_key": os.environ.get("S3_ACCESS_KEY_ID") or None,
    "secret_key": os.environ.get("S3_SECRET_ACCESS_KEY") or None,
    "addressing_style": os.environ.get("S3_ADDRESSING_STYLE") or None,  # "path" for most self-hosted servers
    "location": os.environ.get("S3_PREFIX", ""),  # a folder inside the bucket
    "default_acl": None,  # the bucket's own policy; never public-read
    "file_overwrite": False,  # two photos named photo.jpg get distinct keys
}
STORAGES = {
    "default": {"BACKEND": FILE_STORAGE},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
if FILE_STORAGE == "storages.backends.s3.S3Storage":
    if not S3_OPTIONS["bucket_name"]:
        raise ImproperlyConfigured("FILE_STORAGE is S3: set S3_BUCKET (and S3_ENDPOINT_URL off AWS).")
    STORAGES["default"]["OPTIONS"] = S3_OPTIONS
ATTACHMENT_MAX_BYTES = int(os.environ.get("ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024))
DATA_UPLOAD_MAX_MEMORY_SIZE = ATTACHMENT_MAX_BYTES + 1024 * 1024
# The most pixels a photo may have, read from its header before it is decoded: a web worker holds
# about 4 bytes per pixel while re-encoding, so this bounds its memory (24 Mpx: ~100 MB decoded).
# A 12 MP phone photo is well inside; 48/50 MP modes (about 8000x6000) are refused.
ATTACHMENT_MAX_PIXELS = int(os.environ.get("ATTACHMENT_MAX_PIXELS", 24_000_000))

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

# Background tasks (django.tasks). The default keeps them in a table of the database, run by
# `civicdesk db_worker`. TASKS_BACKEND=redis (django-tasks-redis) queues them on Redis Streams
# instead, run by `civicdesk run_redis_tasks --continuous`: TASKS_REDIS_URL (default CACHE_URL's
# server), TASKS_REDIS_PREFIX to share one Redis between installations, TASKS_REDIS_CLAIM_TIMEOUT
# (seconds before a dead worker's task is run again by another; longer than any task). Either
# way every task is idempotent: the outbox row, not the queue, says whether a message went.
TASKS_BACKENDS = {
    "database": "django_tasks_db.DatabaseBackend",
    "redis": "django_tasks_redis.RedisTaskBackend",
}
TASKS_BACKEND = os.environ.get("TASKS_BACKEND", "database")
TASKS_BACKEND = TASKS_BACKENDS.get(TASKS_BACKEND, TASKS_BACKEND)
TASKS = {"default": {"BACKEND": TASKS_BACKEND, "QUEUES": ["default"]}}
if TASKS_BACKEND.startswith("django_tasks_redis."):
    INSTALLED_APPS.append("django_tasks_redis")  # its worker command and admin pages
    TASKS["default"]["OPTIONS"] = {
        "REDIS_URL": os.environ.get("TASKS_REDIS_URL")
        or os.environ.get("CACHE_URL")
        or "redis://127.0.0.1:6379/0",
        "REDIS_KEY_PREFIX": os.environ.get("TASKS_REDIS_PREFIX", "civicdesk-tasks"),
        "REDIS_CLAIM_TIMEOUT": int(os.environ.get("TASKS_REDIS_CLAIM_TIMEOUT", "300")),
        "REDIS_BLOCK_TIMEOUT": 2000,
        # A week of results for the admin's task list is plenty: the outbox keeps the history.
        "REDIS_RESULT_TTL": int(os.environ.get("TASKS_REDIS_RESULT_TTL", str(7 * 24 * 3600))),
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
# Policy (services, routing rules, calendars and service levels, areas, webhook subscriptions) is
# cached in each process; whether it changed elsewhere is asked of the database at most this often,
# so another process's edit is used within this many seconds (cases.policy, lib.policycache).
POLICY_REFRESH_SECONDS = float(os.environ.get("POLICY_REFRESH_SECONDS", "2"))
# Anonymous reports per client address; a clear message when reached.
PORTAL_SUBMIT_RATE = os.environ.get("PORTAL_SUBMIT_RATE", "10/h")
# Case look-ups by number and e-mail per client address (guessing is slow).
PORTAL_TRACK_RATE = os.environ.get("PORTAL_TRACK_RATE", "30/h")
# "Me too" and follow requests per client address.
PORTAL_FOLLOW_RATE = os.environ.get("PORTAL_FOLLOW_RATE", "20/h")
# Comments (and photos) on a tracking page: counted per client address and per tracking link.
PORTAL_COMMENT_RATE = os.environ.get("PORTAL_COMMENT_RATE", "20/h")
# Reports by signed-in residents, per account (anonymous reports: PORTAL_SUBMIT_RATE per address).
PORTAL_RESIDENT_SUBMIT_RATE = os.environ.get("PORTAL_RESIDENT_SUBMIT_RATE", "30/h")
# Addresses whose views check NUL characters and character sets themselves and answer in their own
# error shape (Open311, the REST API); every other page gets lib.badinput's 400 page.
BAD_INPUT_OWN_SHAPE = ("/open311/", "/api/")
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
# HTTPS only when DEBUG is off: HSTS for a year, plain HTTP redirected (except the health check a
# load balancer calls), and the TLS-terminating proxy's X-Forwarded-Proto trusted. The proxy must
# set or strip that header; SECURE_PROXY_SSL_HEADER="" turns the trust off.
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "0" if DEBUG else "31536000"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS")
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
_proxy_ssl_header = os.environ.get("SECURE_PROXY_SSL_HEADER", "" if DEBUG else "X-Forwarded-Proto").strip()
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_" + _proxy_ssl_header.upper().replace("-", "_"), "https") if _proxy_ssl_header else None
)


def _origin(url):
    """The scheme and host of a tile URL template ("{s}." becomes a wildcard) for the CSP."""
    parts = urlsplit(url.replace("{s}.", "*."))
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else None


# Content-Security-Policy on every response (Django's own middleware): scripts and styles only
# from our static files (the admin's few inline ones carry the per-response nonce), images also
# from the map tile server, photos previewed before upload (blob:) and Swagger UI's icons (data:).
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF, CSP.NONCE],
    "img-src": [CSP.SELF, "data:", "blob:", *filter(None, [_origin(MAP_TILE_URL)])],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
}
# Report violations without blocking: for trying a customised template, or for Django's own
# debug error page (inline script and style) while developing. Never in production.
if env_bool("CSP_REPORT_ONLY"):
    SECURE_CSP, SECURE_CSP_REPORT_ONLY = {}, SECURE_CSP

# Logs go to stderr, one line a record, each with the id of the request it belongs to (the
# X-Request-ID header the response carries; see civicdesk.lib.logs) and a task worker's task id.
# LOG_FORMAT=json writes one JSON object a line for a log collector; plain text is the default.
LOG_FORMAT = os.environ.get("LOG_FORMAT", "text").strip().lower()
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"context": {"()": "civicdesk.lib.logs.ContextFilter"}},
    "formatters": {
        "text": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        "json": {"()": "civicdesk.lib.logs.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["context"],
            "formatter": "json" if LOG_FORMAT == "json" else "text",
        }
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
}
# Prometheus scrapes /metrics with "Authorization: Bearer <METRICS_TOKEN>" (signed-in administrators
# may look too); without a token only administrators can. Several gunicorn workers: see
# docs/operations.md, "Monitoring" (PROMETHEUS_MULTIPROC_DIR is read by prometheus_client itself).
METRICS_TOKEN = os.environ.get("METRICS_TOKEN", "")
# Errors to Sentry (or GlitchTip) when SENTRY_DSN is set, with SENTRY_ENVIRONMENT (default
# "production"), SENTRY_RELEASE and SENTRY_TRACES_SAMPLE_RATE (default 0: errors only). No personal
# data, request bodies or cookies are sent (civicdesk.lib.errors).
from civicdesk.lib.errors import init_sentry  # noqa: E402

SENTRY_ENABLED = init_sentry()

# Inbound channels (issue 10, decision 46). E-mail to these domains is taken in by `civicdesk smtpd`
# or POSTed as raw MIME to /inbound/email/raw/ with an HMAC signature made with the shared secret.
INBOUND_EMAIL_DOMAINS = [
    d.strip().lower() for d in os.environ.get("INBOUND_EMAIL_DOMAINS", "").split(",") if d.strip()
]
INBOUND_MAX_BYTES = int(os.environ.get("INBOUND_MAX_BYTES", str(25 * 1024 * 1024)))
# All of one message's media downloads together (MMS, WhatsApp): they run with its locks held.
INBOUND_MEDIA_DEADLINE_SECONDS = float(os.environ.get("INBOUND_MEDIA_DEADLINE_SECONDS", "30"))
INBOUND_SMTP_HOST = os.environ.get("INBOUND_SMTP_HOST", "127.0.0.1")
INBOUND_SMTP_PORT = int(os.environ.get("INBOUND_SMTP_PORT", "2525"))
INBOUND_WEBHOOK_SECRET = os.environ.get("INBOUND_WEBHOOK_SECRET", "")
INBOUND_WEBHOOK_MAX_AGE = int(os.environ.get("INBOUND_WEBHOOK_MAX_AGE", "300"))  # seconds
INBOUND_REFUSED_RATE = os.environ.get("INBOUND_REFUSED_RATE", "30/m")  # badly signed posts per client
INBOUND_ACK_LIMIT = int(os.environ.get("INBOUND_ACK_LIMIT", "3"))
INBOUND_ACK_WINDOW_SECONDS = int(os.environ.get("INBOUND_ACK_WINDOW_SECONDS", "3600"))
INBOUND_TRIAGE_SERVICE = os.environ.get("INBOUND_TRIAGE_SERVICE", "unsorted")
# The authserv-id our own mail server writes in Authentication-Results (RFC 8601; it must remove
# incoming ones with that id): a sender it authenticated (DMARC, or aligned DKIM/SPF) may continue a
# case by its number or message headers. Empty: none is (decision 52).
INBOUND_AUTHSERV_ID = os.environ.get("INBOUND_AUTHSERV_ID", "").strip().lower()
# Raw MIME kept for the record, then cleared (`civicdesk purge_inbound`); quarantined mail is kept.
INBOUND_DISCARDED_RETENTION_DAYS = int(os.environ.get("INBOUND_DISCARDED_RETENTION_DAYS", "30"))
INBOUND_RAW_RETENTION_DAYS = int(os.environ.get("INBOUND_RAW_RETENTION_DAYS", "90"))
# A message still unprocessed this long after it was stored (or was due again) lost its task or
# worker: the outbox's safety net (`civicdesk deliver_outbox`) processes it (decision 55).
INBOUND_STALLED_SECONDS = int(os.environ.get("INBOUND_STALLED_SECONDS", "300"))

# Address lookup (decision 54): "local" matches the address points loaded with `import_addresses`;
# "nominatim" or "pelias" asks that server at GEOCODER_URL first, and the local points answer when it
# fails, is slower than GEOCODER_TIMEOUT seconds, or finds nothing.
GEOCODER = os.environ.get("GEOCODER", "local").strip().lower()
GEOCODER_URL = os.environ.get("GEOCODER_URL", "").rstrip("/")
GEOCODER_TIMEOUT = float(os.environ.get("GEOCODER_TIMEOUT", "1.5"))
# "min_lon,min_lat,max_lon,max_lat": the external geocoder answers only inside this box (the city).
GEOCODER_BOUNDS = tuple(float(x) for x in env_list("GEOCODER_BOUNDS"))
if GEOCODER_BOUNDS and (
    len(GEOCODER_BOUNDS) != 4
    or GEOCODER_BOUNDS[0] >= GEOCODER_BOUNDS[2]
    or GEOCODER_BOUNDS[1] >= GEOCODER_BOUNDS[3]
):
    raise ImproperlyConfigured(
        "GEOCODER_BOUNDS is min_lon,min_lat,max_lon,max_lat (west, south, east, north)."
    )
if GEOCODER not in ("local", "nominatim", "pelias"):
    raise ImproperlyConfigured("GEOCODER is local, nominatim or pelias.")
if GEOCODER != "local" and not GEOCODER_URL.startswith(("http://", "https://")):
    raise ImproperlyConfigured(f"GEOCODER={GEOCODER} needs GEOCODER_URL (http:// or https://).")

# SMS and voice through Twilio or a Twilio-compatible provider (issue 10, decision 48). Webhook
# signatures (X-Twilio-Signature) are computed over the URL Twilio called, so it is rebuilt from
# TWILIO_WEBHOOK_BASE (default SITE_URL), never from the Host header a proxy may rewrite.
TWILIO_ACCOUNT_SID = os.environ.get("TWILIO_ACCOUNT_SID", "")
TWILIO_AUTH_TOKEN = os.environ.get("TWILIO_AUTH_TOKEN", "")
TWILIO_FROM = os.environ.get("TWILIO_FROM", "")  # the city's number, E.164
TWILIO_API_BASE = os.environ.get("TWILIO_API_BASE", "https://api.twilio.com").rstrip("/")
TWILIO_WEBHOOK_BASE = os.environ.get("TWILIO_WEBHOOK_BASE", SITE_URL).rstrip("/")
TWILIO_TIMEOUT = float(os.environ.get("TWILIO_TIMEOUT", "10"))  # seconds, REST calls and recordings
# A paused SMS conversation resumes for this long, then a new message starts a new one.
SMS_CONVERSATION_TTL_SECONDS = int(os.environ.get("SMS_CONVERSATION_TTL_SECONDS", str(24 * 3600)))
# The IVR's "0": the agents' line, dialled with <Dial>.
VOICE_AGENT_NUMBER = os.environ.get("VOICE_AGENT_NUMBER", "")
# An existing mailbox polled over IMAP by `civicdesk fetchmail` (decision 50). Each message is stored
# through the same pipeline, then flagged \Seen and moved to INBOUND_IMAP_PROCESSED_FOLDER (empty:
# only flagged, and only unseen mail is fetched). Mail over INBOUND_MAX_BYTES is moved, untouched, to
# INBOUND_IMAP_REFUSED_FOLDER. INBOUND_IMAP_SSL: "ssl" (port 993), "starttls" or "none" (port 143).
INBOUND_IMAP_HOST = os.environ.get("INBOUND_IMAP_HOST", "")
INBOUND_IMAP_SSL = os.environ.get("INBOUND_IMAP_SSL", "ssl").strip().lower()
INBOUND_IMAP_PORT = int(os.environ.get("INBOUND_IMAP_PORT", "993" if INBOUND_IMAP_SSL == "ssl" else "143"))
INBOUND_IMAP_USER = os.environ.get("INBOUND_IMAP_USER", "")
INBOUND_IMAP_PASSWORD = os.environ.get("INBOUND_IMAP_PASSWORD", "")
INBOUND_IMAP_FOLDER = os.environ.get("INBOUND_IMAP_FOLDER", "INBOX")
INBOUND_IMAP_PROCESSED_FOLDER = os.environ.get("INBOUND_IMAP_PROCESSED_FOLDER", "Processed")
INBOUND_IMAP_REFUSED_FOLDER = os.environ.get("INBOUND_IMAP_REFUSED_FOLDER", "Refused")
INBOUND_IMAP_INTERVAL = int(os.environ.get("INBOUND_IMAP_INTERVAL", "60"))  # seconds, without IDLE

# Providers' inbound webhooks through django-anymail (decision 50): /inbound/email/<provider>/.
# Mailgun signs with its webhook signing key; SendGrid and Postmark are authenticated with HTTP basic
# auth in the URL given to them: INBOUND_ANYMAIL_BASIC_AUTH ("user:password"). A provider whose
# secret is not set answers 503.
INBOUND_ANYMAIL_BASIC_AUTH = os.environ.get("INBOUND_ANYMAIL_BASIC_AUTH", "")
INBOUND_MAILGUN_SIGNING_KEY = os.environ.get("INBOUND_MAILGUN_SIGNING_KEY", "")

# Messaging and social channels (issue 10, decision 49; docs/operations.md says how to connect them).
# WhatsApp Cloud API: /inbound/whatsapp/ answers Meta's verify-token handshake and takes webhooks
# signed (X-Hub-Signature-256) with the app secret; replies go to the Graph API.
WHATSAPP_VERIFY_TOKEN = os.environ.get("WHATSAPP_VERIFY_TOKEN", "")
WHATSAPP_APP_SECRET = os.environ.get("WHATSAPP_APP_SECRET", "")
WHATSAPP_ACCESS_TOKEN = os.environ.get("WHATSAPP_ACCESS_TOKEN", "")
WHATSAPP_PHONE_NUMBER_ID = os.environ.get("WHATSAPP_PHONE_NUMBER_ID", "")
WHATSAPP_API_BASE = os.environ.get("WHATSAPP_API_BASE", "https://graph.facebook.com")
WHATSAPP_API_VERSION = os.environ.get("WHATSAPP_API_VERSION", "21.0")
WHATSAPP_WINDOW_HOURS = int(os.environ.get("WHATSAPP_WINDOW_HOURS", "24"))
# The approved template sent outside the 24-hour window; its body takes one parameter, the case number.
WHATSAPP_TEMPLATE_NAME = os.environ.get("WHATSAPP_TEMPLATE_NAME", "")
# Case language -> the template's language code at Meta ("en" -> "en_US", say): "en:en_US,es:es".
WHATSAPP_TEMPLATE_LANGUAGES = dict(
    pair.split(":", 1) for pair in os.environ.get("WHATSAPP_TEMPLATE_LANGUAGES", "").split(",") if ":" in pair
)
# Telegram bot: /inbound/telegram/ checks X-Telegram-Bot-Api-Secret-Token; replies go to sendMessage.
TELEGRAM_BOT_TOKEN = os.environ.get("TELEGRAM_BOT_TOKEN", "")
TELEGRAM_WEBHOOK_SECRET = os.environ.get("TELEGRAM_WEBHOOK_SECRET", "")
TELEGRAM_API_BASE = os.environ.get("TELEGRAM_API_BASE", "https://api.telegram.org")
# The channel accounts' API bases and IMAP hosts (the admin's, decision 51) must be https and public
# internet addresses; this lets them be plain http on loopback and internal addresses (tests, a demo).
CHANNEL_ALLOW_LOCAL_APIS = env_bool("CHANNEL_ALLOW_LOCAL_APIS", DEBUG)
# Generic social webhook /inbound/social/: signed like the raw-MIME one, with its own secret.
SOCIAL_WEBHOOK_SECRET = os.environ.get("SOCIAL_WEBHOOK_SECRET", "")
