"""Settings for the Gett partner portal.

One settings module, configured from the environment (and a local `.env` file).
Secrets have no defaults outside DEBUG, so a production start without them fails loudly.
Every variable is listed in `.env.example` and in the README.
"""

from datetime import timedelta
from pathlib import Path

import environ
from csp.constants import NONE, SELF, UNSAFE_INLINE
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)

# In DEBUG a missing secret gets a local development value; in production it must be set.
_DEV = DEBUG


def _secret(name: str, dev_default: str) -> str:
    if _DEV:
        return env.str(name, default=dev_default)
    return env.str(name)


SECRET_KEY = _secret("SECRET_KEY", "dev-only-insecure-secret-key-change-me-0123456789")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# Where Gett (and the sandbox) reach this portal: webhooks, catalog, logo and image URLs are built
# on it. Required outside DEBUG; `check --deploy` refuses one that is not https on a public host.
PUBLIC_BASE_URL = (
    env.str("PUBLIC_BASE_URL", default="http://127.0.0.1:8000")
    if DEBUG
    else env.str("PUBLIC_BASE_URL")
).rstrip("/")

INSTALLED_APPS = [
    "portal.admin_site.PortalAdminConfig",  # Django's admin, on our site
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI served by us: the docs page works offline
    "django_htmx",
    "template_partials",
    "axes",  # login lockout
    "csp",  # Content-Security-Policy
    "portal",
    "gett",
    "stores",
    "catalogs",
    "orders",
    "onboarding",
]

# The local Gett. On by default when DEBUG, off otherwise unless asked for explicitly.
GETT_SANDBOX_ENABLED = env.bool("GETT_SANDBOX_ENABLED", default=DEBUG)
if GETT_SANDBOX_ENABLED:
    INSTALLED_APPS.append("gett.sandbox")

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "portal.middleware.HtmxLoginRedirectMiddleware",
    "stores.middleware.CurrentMerchantMiddleware",
    "portal.middleware.PortalErrorMiddleware",
    # Last, as django-axes asks: turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"

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
                "stores.context_processors.current_merchant",
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
# Persistent connections: a new PostgreSQL connection per request cost ~5 ms, more than the
# webhooks' own work (bench/webhooks.py). Checked before reuse, so a restarted server costs one
# reconnect, not an error.
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web server, the worker and beat share one file without "database is locked".
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

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "stores:dashboard"
LOGOUT_REDIRECT_URL = "login"

# Login lockout (django-axes), on /accounts/login/ and /admin/login/: this many wrong passwords
# for one username from one address lock that pair out for the cool-off (each further try
# restarts it). Attempts live in Redis when there is one (shared by every web process), else in
# the database. The API's tokens are not passwords: they are throttled per address instead.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_USERNAME_CALLABLE = "portal.login_lockout.lockout_username"  # cut to fit axes' tables
AXES_HANDLER = (
    "axes.handlers.cache.AxesCacheHandler"
    if env.str("REDIS_URL", default="")
    else "axes.handlers.database.AxesDatabaseHandler"
)
# Password-reset emails (portal/password_reset.py): at most this many an hour to one email
# address, and for requests from one client address; past that the same page, but no email.
PASSWORD_RESET_EMAILS_PER_ADDRESS = env.int("PASSWORD_RESET_EMAILS_PER_ADDRESS", default=3)
PASSWORD_RESET_EMAILS_PER_CLIENT_IP = env.int("PASSWORD_RESET_EMAILS_PER_CLIENT_IP", default=10)
# The client's address, for the lockout, the API throttles and the reset-email limit: behind
# NUM_PROXIES proxies it is the NUM_PROXIES-th address from the right of X-Forwarded-For (each
# proxy appends what it saw); with none (the default) only REMOTE_ADDR counts, so a client
# cannot choose its own address.
NUM_PROXIES = env.int("NUM_PROXIES", default=0)
if NUM_PROXIES:
    AXES_IPWARE_PROXY_COUNT = NUM_PROXIES - 1  # python-ipware counts the proxies inside the header
    AXES_IPWARE_META_PRECEDENCE_ORDER = ("HTTP_X_FORWARDED_FOR", "REMOTE_ADDR")

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")

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

EMAIL_BACKEND = env.str(
    "EMAIL_BACKEND",
    default=(
        "django.core.mail.backends.console.EmailBackend"
        if DEBUG
        else "django.core.mail.backends.smtp.EmailBackend"
    ),
)
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="portal@localhost")

# Redis: broker for Celery and the shared cache (rate-limit pacing). `make run` starts an
# embedded redis-server and sets REDIS_URL; without it tests and one-off commands use memory.
REDIS_URL = env.str("REDIS_URL", default="")

if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL or "memory://")
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=120)
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=90)
CELERY_TASK_ALWAYS_EAGER = False
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Visibility timeout above the longest countdown we schedule (outbox backoff is capped below it).
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_BEAT_SCHEDULE = {
    "outbox-sweep": {
        "task": "gett.tasks.outbox_sweep",
        "schedule": env.float("OUTBOX_SWEEP_SECONDS", default=30.0),
    },
    "stores-auto-resume": {
        "task": "stores.tasks.stores_auto_resume",
        "schedule": env.float("AUTO_RESUME_SECONDS", default=15.0),
    },
}

# Drift repair: how often store statuses are compared with Gett's, how many status reads a minute
# that may take (Gett allows 1,000 reads/min in production, REFERENCE §14: we take a tenth), and
# how many times ours is sent again before the drift is shown as not repaired.
STORE_RECONCILE_SECONDS = env.float("STORE_RECONCILE_SECONDS", default=300.0)
STORE_RECONCILE_READS_PER_MINUTE = env.int("STORE_RECONCILE_READS_PER_MINUTE", default=100)
STORE_DRIFT_MAX_REPAIRS = env.int("STORE_DRIFT_MAX_REPAIRS", default=3)
CELERY_BEAT_SCHEDULE["stores-reconcile"] = {
    "task": "stores.tasks.stores_reconcile",
    "schedule": STORE_RECONCILE_SECONDS,
}

# Onboarding (REFERENCE §8): Gett is polled 5 s, 10 s, 30 s after each change, then every
# ONBOARDING_POLL_MAX_SECONDS; a poll claimed longer ago than the stale limit was lost (a killed
# worker) and is taken over. Beat looks for due onboardings every ONBOARDING_POLL_TICK_SECONDS.
ONBOARDING_POLL_MAX_SECONDS = env.float("ONBOARDING_POLL_MAX_SECONDS", default=60.0)
ONBOARDING_POLL_TICK_SECONDS = env.float("ONBOARDING_POLL_TICK_SECONDS", default=5.0)
ONBOARDING_CLAIM_STALE_SECONDS = env.float("ONBOARDING_CLAIM_STALE_SECONDS", default=120.0)
CELERY_BEAT_SCHEDULE["onboardings-poll-due"] = {
    "task": "onboarding.tasks.onboardings_poll_due",
    "schedule": ONBOARDING_POLL_TICK_SECONDS,
}

# --- Gett -------------------------------------------------------------------------------
# In DEBUG the portal talks to its own sandbox unless told otherwise.
GETT_PRODUCTION_URL = "https://api.gett-tech.com"
GETT_API_BASE_URL = env.str(
    "GETT_API_BASE_URL",
    default=f"{PUBLIC_BASE_URL}/sandbox/gett" if GETT_SANDBOX_ENABLED else GETT_PRODUCTION_URL,
).rstrip("/")
if GETT_SANDBOX_ENABLED and GETT_API_BASE_URL == GETT_PRODUCTION_URL:
    # The sandbox sends whatever orders it is asked to: never beside production Gett.
    raise ImproperlyConfigured("GETT_SANDBOX_ENABLED must be off when talking to production Gett.")
GETT_API_KEY = _secret("GETT_API_KEY", "sandbox-key")
# True when the Gett we talk to is our own sandbox: merchants may then send themselves test orders.
GETT_USES_SANDBOX = GETT_SANDBOX_ENABLED and GETT_API_BASE_URL.endswith("/sandbox/gett")
# Several webhook secrets may be valid at once (rotation): comma-separated.
GETT_WEBHOOK_SECRETS = env.list("GETT_WEBHOOK_SECRETS", default=["whsec_sandbox"] if _DEV else [])
GETT_WEBHOOK_TOLERANCE_SECONDS = env.int("GETT_WEBHOOK_TOLERANCE_SECONDS", default=300)
GETT_CONNECT_TIMEOUT = env.float("GETT_CONNECT_TIMEOUT", default=3.05)
GETT_READ_TIMEOUT = env.float("GETT_READ_TIMEOUT", default=10.0)
# The outbox's delivery task makes one call to Gett, so its own time limit is far below the
# slowest task's: a claim older than twice this was left by a killed worker, and the sweep hands
# the message to another (a kitchen's status waits about a minute, not 2 x CELERY_TASK_TIME_LIMIT).
OUTBOX_DELIVERY_TIME_LIMIT = env.int("OUTBOX_DELIVERY_TIME_LIMIT", default=25)
if OUTBOX_DELIVERY_TIME_LIMIT <= GETT_CONNECT_TIMEOUT + GETT_READ_TIMEOUT:
    raise ImproperlyConfigured(
        f"OUTBOX_DELIVERY_TIME_LIMIT ({OUTBOX_DELIVERY_TIME_LIMIT} s) must be longer than one call "
        f"to Gett (GETT_CONNECT_TIMEOUT + GETT_READ_TIMEOUT = "
        f"{GETT_CONNECT_TIMEOUT + GETT_READ_TIMEOUT:g} s), or every slow call is killed."
    )
# Gett's documented production limit is 100 writes/min for the whole partner organisation;
# we stay under it with headroom for calls made outside the outbox (onboarding).
GETT_WRITES_PER_MINUTE = env.int("GETT_WRITES_PER_MINUTE", default=90)

OUTBOX_RETRY_BUDGET_SECONDS = env.float("OUTBOX_RETRY_BUDGET_SECONDS", default=86400.0)
OUTBOX_BACKOFF_BASE_SECONDS = env.float("OUTBOX_BACKOFF_BASE_SECONDS", default=1.0)
OUTBOX_BACKOFF_MAX_SECONDS = env.float("OUTBOX_BACKOFF_MAX_SECONDS", default=30.0)
OUTBOX_BREAKER_THRESHOLD = env.int("OUTBOX_BREAKER_THRESHOLD", default=5)
OUTBOX_BREAKER_PROBE_SECONDS = env.float("OUTBOX_BREAKER_PROBE_SECONDS", default=15.0)
# A row still pending this long after it was due is assumed lost (Redis restart, dead worker).
OUTBOX_LOST_AFTER_SECONDS = env.float("OUTBOX_LOST_AFTER_SECONDS", default=60.0)

# --- Menus: publishing CatalogSets (catalogs app) ----------------------------------------------
# Menu edits within this many seconds of the first one publish once per store.
CATALOG_PUBLISH_DEBOUNCE_SECONDS = env.float("CATALOG_PUBLISH_DEBOUNCE_SECONDS", default=2.0)
# How often ended item snoozes are cleared (each clears, then republishes, its store's menu).
CATALOG_SNOOZE_EXPIRY_SECONDS = env.float("CATALOG_SNOOZE_EXPIRY_SECONDS", default=60.0)
CELERY_BEAT_SCHEDULE["catalogs-snoozes-expire"] = {
    "task": "catalogs.tasks.snoozes_expire",
    "schedule": CATALOG_SNOOZE_EXPIRY_SECONDS,
}
# Where published CatalogSets go. No bucket: files under MEDIA_ROOT/catalogs, served by the
# portal at PUBLIC_BASE_URL/catalogsets/<partnerStoreId>/<catalogSetId>.json. With a bucket:
# any S3-compatible store (AWS S3, MinIO, R2) through django-storages.
CATALOG_STORAGE_BUCKET = env.str("CATALOG_STORAGE_BUCKET", default="")
# Empty for AWS; e.g. http://127.0.0.1:9000 for MinIO, https://<account>.r2.cloudflarestorage.com.
CATALOG_STORAGE_ENDPOINT_URL = env.str("CATALOG_STORAGE_ENDPOINT_URL", default="")
CATALOG_STORAGE_REGION = env.str("CATALOG_STORAGE_REGION", default="")
# "path" or "virtual"; empty lets boto3 choose (most MinIO set-ups need "path").
CATALOG_STORAGE_ADDRESSING_STYLE = env.str("CATALOG_STORAGE_ADDRESSING_STYLE", default="")
# Without a key id, boto3's default credentials apply (AWS_* variables, instance role).
CATALOG_STORAGE_ACCESS_KEY_ID = env.str("CATALOG_STORAGE_ACCESS_KEY_ID", default="")
# Secret: from the environment only, and required once a key id is set.
CATALOG_STORAGE_SECRET_ACCESS_KEY = (
    env.str("CATALOG_STORAGE_SECRET_ACCESS_KEY") if CATALOG_STORAGE_ACCESS_KEY_ID else ""
)
# Public URL of the bucket (or a CDN in front of it): Gett gets <base>/<key>. The bucket must let
# anyone read catalogsets/*. Empty: Gett gets presigned URLs valid for the lifetime below.
CATALOG_STORAGE_PUBLIC_BASE_URL = env.str("CATALOG_STORAGE_PUBLIC_BASE_URL", default="").rstrip("/")
# S3 signs URLs for at most 7 days.
CATALOG_STORAGE_URL_EXPIRY_SECONDS = env.int(
    "CATALOG_STORAGE_URL_EXPIRY_SECONDS", default=7 * 24 * 3600
)


def s3_media_storage(
    *,
    bucket: str,
    endpoint_url: str,
    region: str,
    access_key: str,
    secret_key: str,
    addressing_style: str,
    public_base_url: str,
    expiry: int,
) -> dict:
    """STORAGES["default"] on an S3-compatible bucket: uploads under media/, with URLs Gett can
    fetch (<public base URL>/media/<name>, or presigned when there is no public URL)."""
    scheme, _, domain = public_base_url.partition("://")
    return {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": bucket,
            "endpoint_url": endpoint_url or None,
            "region_name": region or None,
            "access_key": access_key or None,
            "secret_key": secret_key or None,
            "addressing_style": addressing_style or None,
            "signature_version": "s3v4",
            "location": "media",
            "file_overwrite": False,
            "default_acl": None,
            "querystring_auth": not public_base_url,
            "querystring_expire": expiry,
            "custom_domain": domain or None,
            "url_protocol": f"{scheme}:" if public_base_url else "https:",
        },
    }


# Uploaded images (store logos, item images) go to the same bucket, under media/: without DEBUG
# the portal does not serve /media/, and Gett must be able to fetch the URLs we send it. The
# bucket must then let anyone read media/* too when CATALOG_STORAGE_PUBLIC_BASE_URL is set.
if CATALOG_STORAGE_BUCKET:
    STORAGES["default"] = s3_media_storage(
        bucket=CATALOG_STORAGE_BUCKET,
        endpoint_url=CATALOG_STORAGE_ENDPOINT_URL,
        region=CATALOG_STORAGE_REGION,
        access_key=CATALOG_STORAGE_ACCESS_KEY_ID,
        secret_key=CATALOG_STORAGE_SECRET_ACCESS_KEY,
        addressing_style=CATALOG_STORAGE_ADDRESSING_STYLE,
        public_base_url=CATALOG_STORAGE_PUBLIC_BASE_URL,
        expiry=CATALOG_STORAGE_URL_EXPIRY_SECONDS,
    )

# Sandbox: the API keys it accepts (defaults to the portal's own key).
GETT_SANDBOX_API_KEYS = env.list("GETT_SANDBOX_API_KEYS", default=[GETT_API_KEY])
# Gett's sandbox allows 5x production (REFERENCE §14): 5,000 reads and 500 writes a minute.
GETT_SANDBOX_READS_PER_MINUTE = env.int("GETT_SANDBOX_READS_PER_MINUTE", default=5000)
GETT_SANDBOX_WRITES_PER_MINUTE = env.int("GETT_SANDBOX_WRITES_PER_MINUTE", default=500)
# Onboarding steps take a few seconds, as with the real Gett, so pollers are exercised.
GETT_SANDBOX_ONBOARDING_DELAY_SECONDS = env.float(
    "GETT_SANDBOX_ONBOARDING_DELAY_SECONDS", default=3
)
# A catalog pull this overdue is run by the next poll itself (its task was lost).
GETT_SANDBOX_STALE_SECONDS = env.float("GETT_SANDBOX_STALE_SECONDS", default=60)
# Fault switch "hang": how long the sandbox sits on a request (longer than our read timeout).
GETT_SANDBOX_HANG_SECONDS = env.float("GETT_SANDBOX_HANG_SECONDS", default=15)
GETT_SANDBOX_FAULT_RETRY_AFTER_SECONDS = env.int(
    "GETT_SANDBOX_FAULT_RETRY_AFTER_SECONDS", default=1
)
# How the sandbox downloads partners' CatalogSets.
GETT_SANDBOX_FETCH_CONNECT_TIMEOUT = env.float("GETT_SANDBOX_FETCH_CONNECT_TIMEOUT", default=3.05)
GETT_SANDBOX_FETCH_READ_TIMEOUT = env.float("GETT_SANDBOX_FETCH_READ_TIMEOUT", default=10)
GETT_SANDBOX_FETCH_DEADLINE_SECONDS = env.float("GETT_SANDBOX_FETCH_DEADLINE_SECONDS", default=30)
GETT_SANDBOX_FETCH_MAX_BYTES = env.int("GETT_SANDBOX_FETCH_MAX_BYTES", default=20 * 1024 * 1024)
# How the sandbox sends test orders to partners' webhooks: the secret it signs with (one of
# ours, so our webhooks accept it), its timeout, and Gett's retry schedule (30 s, 2 min,
# 10 min, 1 h) multiplied by a scale (0.1 in make run, so a demo does not wait an hour).
GETT_SANDBOX_WEBHOOK_SECRET = env.str(
    "GETT_SANDBOX_WEBHOOK_SECRET", default=(GETT_WEBHOOK_SECRETS or ["whsec_sandbox"])[0]
)
GETT_SANDBOX_WEBHOOK_TIMEOUT = env.float("GETT_SANDBOX_WEBHOOK_TIMEOUT", default=10)
GETT_SANDBOX_RETRY_SCALE = env.float("GETT_SANDBOX_RETRY_SCALE", default=1.0)

# --- REST API -----------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "portal.api_auth.TokenAuthentication",  # DRF's, with a cap on bad tokens per address
        "rest_framework.authentication.SessionAuthentication",
    ],
    # Per client address for bad tokens and anonymous calls, per user (generously) once signed
    # in; kept in the cache (Redis in production, shared by every web process). Gett's webhooks,
    # the health checks and the sandbox are plain Django views: none of this applies to them.
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "bad_token": env.str("API_THROTTLE_BAD_TOKEN", default="20/min"),
        "anon": env.str("API_THROTTLE_ANON", default="60/min"),
        "user": env.str("API_THROTTLE_USER", default="1200/min"),
    },
    "NUM_PROXIES": NUM_PROXIES,
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "portal.api_errors.api_exception_handler",
    "DEFAULT_PAGINATION_CLASS": "portal.pagination.PortalPagination",
    "PAGE_SIZE": 50,
    # The browsable API (HTML forms, inline script) only in development.
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        *(["rest_framework.renderers.BrowsableAPIRenderer"] if DEBUG else []),
    ],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Gett partner portal — merchant API",
    "DESCRIPTION": (
        "Stores (pause, resume) and menus (read, price changes, item snoozes) for the merchants "
        "you belong to."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # The schema is for people with an account in production (the docs page asks for a login).
    "SERVE_PERMISSIONS": [
        f"rest_framework.permissions.{'AllowAny' if DEBUG else 'IsAuthenticated'}"
    ],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {"PauseReasonEnum": "stores.models.PauseReason"},
    # Every API error as problem+json in the schema; Gett's order webhooks described next to it.
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "portal.api_schema.problems_postprocess",
        "orders.webhooks.schema.webhooks_postprocess",
    ],
}

# --- Security (production) ----------------------------------------------------------------
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    # Load balancers probe over plain http inside the network (portal/health.py).
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 30)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_CONTENT_TYPE_NOSNIFF = True

# Content-Security-Policy (django-csp): our own scripts and styles only, no inline script, no
# framing. Pictures may also come from the media bucket (any https origin: presigned URLs name
# the bucket's host) and data: URLs (Swagger UI's icons).
_MEDIA_ORIGINS = [
    url for url in (CATALOG_STORAGE_PUBLIC_BASE_URL, CATALOG_STORAGE_ENDPOINT_URL) if url
]
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        # style="" attributes (a computed indent or colour) cannot run or read anything.
        "style-src-attr": [SELF, UNSAFE_INLINE],
        "img-src": [SELF, "data:", "https:", *_MEDIA_ORIGINS],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=2_621_440)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
