"""Rayport settings.

Everything that differs between machines comes from the environment through the strict
readers in ``portal.env``; a bad value stops start-up with a message naming the variable.
``RAYPORT_ENV=production`` switches on the production checks (no DEBUG, a strong secret
key, HTTPS-only cookies, HSTS) so that ``manage.py check --deploy`` passes without warning.
See docs/deployment.md for every variable.
"""

from __future__ import annotations

import secrets
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from portal.env import (
    check_secret_key,
    env_bool,
    env_choice,
    env_institutions,
    env_int,
    env_list,
    env_match,
    env_str,
    env_url,
)

BASE_DIR = Path(__file__).resolve().parent.parent

RAYPORT_ENV = env_choice("RAYPORT_ENV", "development", ("development", "production"))
PRODUCTION = RAYPORT_ENV == "production"
DATA_DIR = Path(env_str("RAYPORT_DATA_DIR", str(BASE_DIR / "data"))).resolve()

# Off unless asked for, also on `make run`: Django's debug pages list the URL patterns and
# settings to anyone who mistypes an address.
DEBUG = env_bool("RAYPORT_DEBUG", False)
if PRODUCTION and DEBUG:
    raise ImproperlyConfigured("RAYPORT_DEBUG must be false when RAYPORT_ENV is production.")


def _development_secret_key() -> str:
    """A random key kept in the data folder, so sessions survive restarts of `make run`."""
    path = DATA_DIR / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(64))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = env_str("RAYPORT_SECRET_KEY")
if PRODUCTION:
    check_secret_key("RAYPORT_SECRET_KEY", SECRET_KEY)
elif not SECRET_KEY:
    SECRET_KEY = _development_secret_key()

ALLOWED_HOSTS = env_list("RAYPORT_ALLOWED_HOSTS", [] if PRODUCTION else ["127.0.0.1", "localhost", "[::1]"])
if PRODUCTION and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("RAYPORT_ALLOWED_HOSTS must name the portal's host name in production.")
CSRF_TRUSTED_ORIGINS = env_list("RAYPORT_CSRF_TRUSTED_ORIGINS", [])
CSRF_FAILURE_VIEW = "portal.views.home.csrf_failure"

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "template_partials",
    "csp",
    "axes",
    "postdicom.local",
    "portal",
    "portal.staging",
    "orders",
    "folders",
    "sharing",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "sharing.public.middleware.PublicShareHeaders",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "portal.middleware.SessionLifetimeMiddleware",
    "portal.middleware.RequestContextMiddleware",
    "portal.errors.ServiceErrorMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "csp.middleware.CSPMiddleware",
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
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "portal.context_processors.portal",
            ],
        },
    }
]

# --- Database -------------------------------------------------------------------------------
DATABASE_URL = env_url(
    "DATABASE_URL",
    f"sqlite:///{DATA_DIR / 'rayport.sqlite3'}",
    ("sqlite", "postgres", "postgresql", "pgsql"),
)
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=True)}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    # Many threads and processes (web, worker) share the file. Each write takes the lock when
    # its transaction begins (IMMEDIATE: a transaction that read first can no longer fail to
    # upgrade to a write) and waits up to 30 s for it; a lock still held after that is a 503
    # (postdicom.busy). WAL lets reads go on while someone writes. docs/decisions.md, "SQLite
    # under concurrent requests".
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 30,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: cache and Celery broker ----------------------------------------------------------
REDIS_URL = env_url("REDIS_URL", "", ("redis", "rediss"))
# Two portals on one Redis database each need their own prefix, or one reads the other's
# cached entries (rate-limit counters, kept DICOM headers…) and its workers take the other's
# tasks (an upload ingested against the wrong database is lost to it): the prefix goes before
# every cache key and every broker key (queues, unacknowledged tasks).
RAYPORT_CACHE_KEY_PREFIX = env_match(
    "RAYPORT_CACHE_KEY_PREFIX", "", r"[A-Za-z0-9._-]{1,64}", "1 to 64 letters, digits, '.', '_' or '-'"
)
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "portal.cache.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(DATA_DIR / "cache"),
        }
    }
CACHES["default"]["KEY_PREFIX"] = RAYPORT_CACHE_KEY_PREFIX

CELERY_BROKER_URL = REDIS_URL or "filesystem://"
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# The broker may go away (Redis restarted, the network): workers keep trying to reconnect,
# for ever, from start-up on; tasks running when the connection drops are stopped, since
# their acknowledgement can no longer reach the broker (every task is safe to run again, and
# the upload sweep below finds what was lost with a broker that restarted empty).
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True
CELERY_TASK_ALWAYS_EAGER = env_bool("RAYPORT_CELERY_EAGER", False)
CELERY_BEAT_SCHEDULE_FILENAME = str(DATA_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULE = {
    # Orders deleted more than RAYPORT_RECYCLE_BIN_DAYS ago leave the recycle bin for good.
    "purge-expired-orders": {
        "task": "postdicom.local.tasks.purge_expired_orders",
        "schedule": crontab(hour=3, minute=17),
    },
    # Upload work a killed worker left behind, or that could not be queued while the broker
    # was away (workers also look whenever they connect to the broker). A sweep not started
    # within the minute is dropped: the next one does the same.
    "resume-uploads": {
        "task": "postdicom.local.tasks.resume_uploads",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
    # Stored images whose digest a request left to the worker, and whose worker step never
    # ran (the broker was away): postdicom.local.uploads.digests.fill_left.
    "fill-missing-digests": {
        "task": "postdicom.local.tasks.fill_missing_digests",
        "schedule": crontab(minute=29),
        "options": {"expires": 3000},
    },
    # The cloud backend's uploads not yet sent to the image server (postdicom.cloud.tasks).
    "resume-cloud-uploads": {
        "task": "postdicom.cloud.tasks.resume_cloud_uploads",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
    # The cloud backend's uploads done for RAYPORT_CLOUD_UPLOAD_REPORT_DAYS leave the disk,
    # with their reports (postdicom.cloud.manifest.remove_expired).
    "expire-cloud-uploads": {
        "task": "postdicom.cloud.tasks.expire_cloud_uploads",
        "schedule": crontab(hour=3, minute=41),
    },
    # Browser uploads left open and idle for RAYPORT_STAGING_IDLE_DAYS: their staged files go
    # and the batch is closed at the backend (portal.staging.cleanup).
    "clear-abandoned-uploads": {
        "task": "portal.staging.tasks.clear_abandoned_uploads",
        "schedule": crontab(minute=41),
        "options": {"expires": 3000},
    },
    # Share e-mails the broker did not take when they were made, or whose retries ran out.
    "send-pending-share-mails": {
        "task": "postdicom.local.tasks.send_pending_share_mails",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
}
CELERY_VISIBILITY_TIMEOUT = env_int("RAYPORT_CELERY_VISIBILITY_TIMEOUT", 4 * 3600, minimum=60)
CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object]
if REDIS_URL:
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": CELERY_VISIBILITY_TIMEOUT,
        # A Redis that does not answer fails a web request in seconds (a JSON 503 the
        # browser retries), instead of holding it until the proxy gives up.
        "socket_connect_timeout": 5,
        "socket_timeout": 30,
        "health_check_interval": 25,
    }
    if RAYPORT_CACHE_KEY_PREFIX:  # before every broker key too (see the cache above)
        CELERY_BROKER_TRANSPORT_OPTIONS["global_keyprefix"] = f"{RAYPORT_CACHE_KEY_PREFIX}:"
else:
    _broker_dir = DATA_DIR / "broker"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir),
        "data_folder_out": str(_broker_dir),
        "processed_folder": str(_broker_dir / "processed"),
        "store_processed": False,
        "control_folder": str(_broker_dir / "control"),  # kombu's default is ./control
    }

# --- The service layer -------------------------------------------------------------------------
_BACKEND = env_str("RAYPORT_BACKEND", "postdicom.local.LocalBackend")


def _cloud_options() -> dict[str, object]:
    """The cloud backend's server and credentials (docs/deployment.md)."""
    options: dict[str, object] = {
        "base_url": env_url("RAYPORT_CLOUD_URL", "", ("http", "https")),
        "username": env_str("RAYPORT_CLOUD_USER"),
        "password": env_str("RAYPORT_CLOUD_PASSWORD"),
        "api_key": env_str("RAYPORT_CLOUD_API_KEY"),
        "connect_timeout": env_int("RAYPORT_CLOUD_CONNECT_TIMEOUT", 5, minimum=1, maximum=120),
        "read_timeout": env_int("RAYPORT_CLOUD_READ_TIMEOUT", 60, minimum=1, maximum=3600),
        "institutions": env_institutions("RAYPORT_CLOUD_INSTITUTIONS"),
    }
    if not options["base_url"]:
        raise ImproperlyConfigured("RAYPORT_CLOUD_URL must name the server's DICOMweb base URL.")
    if not options["api_key"] and not (options["username"] and options["password"]):
        raise ImproperlyConfigured("Set RAYPORT_CLOUD_API_KEY, or RAYPORT_CLOUD_USER and RAYPORT_CLOUD_PASSWORD.")
    return options


POSTDICOM = {
    "BACKEND": _BACKEND,
    "OPTIONS": _cloud_options() if _BACKEND == "postdicom.cloud.CloudBackend" else {},
}
RAYPORT_RECYCLE_BIN_DAYS = env_int("RAYPORT_RECYCLE_BIN_DAYS", 30, minimum=1)
# Days a cloud upload's report (its manifest on disk) is kept once it has nothing left to do.
RAYPORT_CLOUD_UPLOAD_REPORT_DAYS = env_int("RAYPORT_CLOUD_UPLOAD_REPORT_DAYS", 30, minimum=1)

# --- Authentication and sessions ---------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    # ModelBackend, loading the profile with the user (one statement per request fewer).
    "portal.auth_backends.ModelBackendWithProfile",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
SESSION_IDLE_MINUTES = env_int("RAYPORT_SESSION_IDLE_MINUTES", 30, minimum=1, maximum=24 * 60)
SESSION_MAX_HOURS = env_int("RAYPORT_SESSION_MAX_HOURS", 12, minimum=1, maximum=24 * 7)
SESSION_COOKIE_AGE = SESSION_IDLE_MINUTES * 60
SESSION_SAVE_EVERY_REQUEST = False  # portal.middleware.SessionLifetimeMiddleware saves it once a minute
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
PASSWORD_RESET_TIMEOUT = 2 * 3600
# Reset e-mails an hour, per address asked for and per client (portal.views.account).
RAYPORT_PASSWORD_RESETS_PER_ADDRESS = env_int("RAYPORT_PASSWORD_RESETS_PER_ADDRESS", 3, minimum=1)
RAYPORT_PASSWORD_RESETS_PER_CLIENT = env_int("RAYPORT_PASSWORD_RESETS_PER_CLIENT", 20, minimum=1)

# HTTP API credentials (Basic or API key, postdicom.server.auth) that fail are counted per client
# address; past this many in the window, the client is refused (429) before anything is checked.
RAYPORT_API_AUTH_FAILURES = env_int("RAYPORT_API_AUTH_FAILURES", 10, minimum=1)
RAYPORT_API_AUTH_WINDOW_SECONDS = env_int("RAYPORT_API_AUTH_WINDOW_SECONDS", 900, minimum=1)

# STOW-RS (postdicom.server.stow): the largest request body, and how long a request waits for
# its instances to be stored before answering 503 (they are kept and stored all the same).
RAYPORT_STOW_MAX_BYTES = env_int("RAYPORT_STOW_MAX_MB", 2048, minimum=1, maximum=1_000_000) * 1024 * 1024
RAYPORT_STOW_WAIT_SECONDS = env_int("RAYPORT_STOW_WAIT_SECONDS", 120, minimum=1)
# Store STOW-RS instances in the request (true, the default: about 4x the instances a second of
# the worker hand-off, bench/stow) or hand them to the workers and wait (false);
# docs/decisions.md, "HTTP API sign-in and STOW-RS" and "STOW-RS ingest speed".
RAYPORT_STOW_IN_REQUEST = env_bool("RAYPORT_STOW_IN_REQUEST", True)
# Wrong share passwords (or unknown share links) one client address may send before it is
# paused, and for how long (sharing.public.throttle); each share also locks itself (the service).
RAYPORT_SHARE_FAILURES_PER_CLIENT = env_int("RAYPORT_SHARE_FAILURES_PER_CLIENT", 20, minimum=1)
# Every refused share password is answered this long after it arrived (a wrong password and an
# unknown link alike), longer than the password hash and the bookkeeping take.
RAYPORT_SHARE_REFUSAL_SECONDS = env_int("RAYPORT_SHARE_REFUSAL_MS", 1000, minimum=0, maximum=10_000) / 1000
RAYPORT_SHARE_CLIENT_LOCK_SECONDS = env_int("RAYPORT_SHARE_CLIENT_LOCK_MINUTES", 15, minimum=1, maximum=24 * 60) * 60

# Failed sign-ins on the sign-in page from one client address (an IPv6 client's /64) in the
# cool-off window, whatever the user names, before the page pauses that address
# (portal.views.account.SignInView). Wide: a clinic often signs in through one address.
RAYPORT_LOGIN_FAILURES_PER_CLIENT = env_int("RAYPORT_LOGIN_FAILURES_PER_CLIENT", 50, minimum=1)
AXES_FAILURE_LIMIT = env_int("RAYPORT_LOGIN_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = env_int("RAYPORT_LOGIN_COOLOFF_MINUTES", 15, minimum=1) / 60  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False
AXES_IPWARE_PROXY_COUNT = env_int("RAYPORT_PROXY_COUNT", 0, minimum=0)
# The lockout's address is the one the rest of the portal uses (RAYPORT_PROXY_COUNT aware).
# django-ipware is not installed, so axes' own AXES_IPWARE_* reading would fall back to
# REMOTE_ADDR: behind a proxy, one client's failures would lock a user out for everyone.
AXES_CLIENT_IP_CALLABLE = "portal.middleware.client_address"

# --- Internationalisation -------------------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("es", _("Spanish"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = env_str("RAYPORT_TIME_ZONE", "UTC")
USE_TZ = True

# --- Files ----------------------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = DATA_DIR / "media"


def _dicom_storage() -> dict[str, object]:
    """Where DICOM instances and documents are stored: local disk, or an S3-compatible bucket
    (django-storages with boto3) with ``RAYPORT_STORAGE=s3``. Without an access key, boto3
    finds credentials its own way (an instance role, ``AWS_*`` variables)."""
    if env_choice("RAYPORT_STORAGE", "local", ("local", "s3")) == "local":
        return {
            "BACKEND": "postdicom.local.uploads.storage.AtomicFileSystemStorage",
            "OPTIONS": {"location": MEDIA_ROOT},
        }
    bucket = env_str("RAYPORT_S3_BUCKET")
    if not bucket:
        raise ImproperlyConfigured("RAYPORT_S3_BUCKET must name the bucket when RAYPORT_STORAGE is s3.")
    access_key, secret_key = env_str("RAYPORT_S3_ACCESS_KEY"), env_str("RAYPORT_S3_SECRET_KEY")
    if bool(access_key) != bool(secret_key):
        raise ImproperlyConfigured("RAYPORT_S3_ACCESS_KEY and RAYPORT_S3_SECRET_KEY must be set together.")
    addressing = env_choice("RAYPORT_S3_ADDRESSING_STYLE", "auto", ("auto", "path", "virtual"))
    options = {
        "bucket_name": bucket,
        "endpoint_url": env_url("RAYPORT_S3_ENDPOINT_URL", "", ("http", "https")) or None,
        "region_name": env_str("RAYPORT_S3_REGION") or None,
        "access_key": access_key or None,
        "secret_key": secret_key or None,
        "location": env_str("RAYPORT_S3_PREFIX").strip("/"),
        "addressing_style": None if addressing == "auto" else addressing,
        "file_overwrite": True,  # names come from UIDs: the same name is the same file
        "default_acl": None,
        "querystring_auth": True,
        # Reads go through postdicom.local.uploads.storage.open_stored, which streams; should
        # anything open an S3File, it spools to disk beyond this instead of holding it all.
        "max_memory_size": 8 << 20,
    }
    return {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": options}


STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "dicom": _dicom_storage(),
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
# Uploads: chunks and browser uploads are assembled here before the workers store them (web
# and worker nodes must share this folder); a chunk request may carry at most this much.
RAYPORT_UPLOAD_DIR = Path(env_str("RAYPORT_UPLOAD_DIR", str(DATA_DIR / "uploads"))).resolve()
RAYPORT_UPLOAD_CHUNK_MAX = env_int("RAYPORT_UPLOAD_CHUNK_MB", 16, minimum=1, maximum=1024) * 1024 * 1024
FILE_UPLOAD_TEMP_DIR = str(RAYPORT_UPLOAD_DIR / "tmp")
# The browser's resumable uploads are assembled here (portal.staging) and handed to the backend
# once whole: inside the upload folder by default, so the hand-over is a rename, not a copy.
RAYPORT_STAGING_DIR = Path(env_str("RAYPORT_STAGING_DIR", str(RAYPORT_UPLOAD_DIR / "staging"))).resolve()
# A browser upload left open this long without a byte or a file arriving is cleared
# (``portal.staging.cleanup``, hourly).
RAYPORT_STAGING_IDLE_DAYS = env_int("RAYPORT_STAGING_IDLE_DAYS", 7, minimum=1, maximum=3650)
# The largest clinical document (PDF, image, video) an order accepts.
RAYPORT_DOCUMENT_MAX_BYTES = env_int("RAYPORT_DOCUMENT_MAX_MB", 500, minimum=1, maximum=100_000) * 1024 * 1024
Path(FILE_UPLOAD_TEMP_DIR).mkdir(parents=True, exist_ok=True)
WHITENOISE_USE_FINDERS = not PRODUCTION
if not PRODUCTION:
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise warns about a missing folder

# --- E-mail ---------------------------------------------------------------------------------------
_EMAIL_BACKENDS = {
    "smtp": "django.core.mail.backends.smtp.EmailBackend",
    "console": "django.core.mail.backends.console.EmailBackend",
    "file": "django.core.mail.backends.filebased.EmailBackend",
}
EMAIL_BACKEND = _EMAIL_BACKENDS[
    env_choice("RAYPORT_EMAIL", "smtp" if PRODUCTION else "console", tuple(_EMAIL_BACKENDS))
]
EMAIL_FILE_PATH = str(DATA_DIR / "mail")
EMAIL_HOST = env_str("RAYPORT_SMTP_HOST", "localhost")
EMAIL_PORT = env_int("RAYPORT_SMTP_PORT", 25, minimum=1, maximum=65535)
EMAIL_HOST_USER = env_str("RAYPORT_SMTP_USER")
EMAIL_HOST_PASSWORD = env_str("RAYPORT_SMTP_PASSWORD")
EMAIL_USE_TLS = env_bool("RAYPORT_SMTP_STARTTLS", False)
EMAIL_USE_SSL = env_bool("RAYPORT_SMTP_SSL", False)
if EMAIL_USE_TLS and EMAIL_USE_SSL:
    raise ImproperlyConfigured("Set only one of RAYPORT_SMTP_STARTTLS and RAYPORT_SMTP_SSL.")
EMAIL_TIMEOUT = 20
DEFAULT_FROM_EMAIL = env_str("RAYPORT_FROM_EMAIL", "Rayport <rayport@localhost>")
# The portal's public address for links in e-mails (shares); when empty, the address the
# sharing user's browser used.
RAYPORT_SITE_URL = env_url("RAYPORT_SITE_URL", "", ("http", "https"))
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Security -------------------------------------------------------------------------------------
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
if env_bool("RAYPORT_BEHIND_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
if PRODUCTION:
    SECURE_SSL_REDIRECT = env_bool("RAYPORT_SSL_REDIRECT", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("RAYPORT_HSTS_SECONDS", 31_536_000, minimum=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:", "blob:"],
        "media-src": ["'self'", "blob:"],
        "connect-src": ["'self'"],
        "font-src": ["'self'"],
        "object-src": ["'none'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
    }
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"},
        "django.server": {
            "()": "django.utils.log.ServerFormatter",
            "format": "[{server_time}] {message}",
            "style": "{",
        },
    },
    # A refused request (403, 404, 400) is one line; a 500 keeps its traceback. The filter sits
    # on django.request, where those are logged, and on the handler for django.security.*.
    # Every handler redacts link tokens (/s/<token>/…, /v/<token>/…): the console, django.server, where
    # runserver writes its request lines (it does not propagate). The "django" logger gets no
    # handler of its own (Django's default one would print its records unredacted): its records
    # reach the console through the root.
    "filters": {
        "refusals": {"()": "portal.logging_filters.RefusalsWithoutTraceback"},
        "share_tokens": {"()": "portal.logging_filters.RedactShareTokens"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["refusals", "share_tokens"],
        },
        "django.server": {
            "class": "logging.StreamHandler",
            "formatter": "django.server",
            "filters": ["share_tokens"],
        },
    },
    "loggers": {
        "axes": {"level": "WARNING"},
        "django": {"handlers": [], "level": "INFO", "propagate": True},
        "django.request": {"filters": ["refusals"]},
        "django.server": {"handlers": ["django.server"], "level": "INFO", "propagate": False},
        # one line per call to the cloud backend's server is noise; failures surface as errors
        "httpx": {"level": "WARNING"},
        "httpcore": {"level": "WARNING"},
    },
    "root": {
        "handlers": ["console"],
        "level": env_choice("RAYPORT_LOG_LEVEL", "info", ("debug", "info", "warning", "error")).upper(),
    },
}
