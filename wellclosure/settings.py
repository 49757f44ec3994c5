"""Settings for the well closure ledger.

Every value that differs between a laptop and a bureau's server comes from
the environment (see ``.env.example``). With nothing set, the site runs on
SQLite in DEBUG mode, which is what ``make run`` wants.
"""

import datetime
from pathlib import Path
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from wellclosure.env import database_from_url, env_bool, env_int, env_list, env_networks, env_replaced, env_str

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DEBUG", True)
SECRET_KEY = env_str("SECRET_KEY", "dev-only-insecure-key" if DEBUG else None)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    # The trigram indexes of the well search (wells migration 0003) need its
    # index expressions; on SQLite it registers lookups nothing uses.
    "django.contrib.postgres",
    "rest_framework",
    # API tokens (django-rest-knox): hashed at rest, expiring, one per
    # sign-in. Before accounts, whose admin replaces knox's.
    "knox",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    # Sign-in lockout, field history (PostgreSQL triggers), the
    # Content-Security-Policy header: docs/security.md.
    "axes",
    "pgtrigger",
    "pghistory",
    "csp",
    "accounts",
    "wells",
    "tasks",
    "supervision",
    "meters",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    # A body over MAX_REQUEST_BODY_BYTES is refused (413) before it is read.
    "wellclosure.middleware.RequestBodyLimitMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Cache-Control: no-store on everything but the static files, which
    # WhiteNoise (above) answers with their long cache.
    "wellclosure.middleware.NoStoreMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Who made each change, for the field history (PostgreSQL only).
    "wellclosure.history.HistoryMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # A writer's next reads from the primary, not the replica (wellclosure/replica.py).
    "wellclosure.replica.PinToPrimaryMiddleware",
    # Last: turns a locked-out sign-in into the lockout answer.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "wellclosure.urls"

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
                "tasks.context_processors.unread_notifications",
                "wellclosure.offline.strings",
            ],
        },
    },
]

WSGI_APPLICATION = "wellclosure.wsgi.application"

_database_url = env_str("DATABASE_URL", "")
if _database_url:
    DATABASES = {"default": database_from_url(_database_url)}
else:
    # SQLite, the embedded default: concurrent writers wait their turn
    # instead of failing with "database is locked". IMMEDIATE takes the write
    # lock when a transaction begins (a deferred one that has read cannot wait
    # to upgrade: SQLite refuses it at once); the busy timeout is how long a
    # writer waits, in seconds; WAL lets readers go on while one writes.
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": env_str("SQLITE_PATH", str(BASE_DIR / "db.sqlite3")),
            "OPTIONS": {
                "transaction_mode": "IMMEDIATE",
                "timeout": env_int("SQLITE_TIMEOUT", 20),
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL",
            },
        }
    }

# A PostgreSQL streaming replica for the dashboards, summaries and exports
# (wellclosure/replica.py, docs/deploy.md); without it everything reads the
# primary. In tests the alias mirrors the primary's connection (the tests of
# a real replica open their own: tests/test_replica.py).
_replica_url = env_str("DATABASE_REPLICA_URL", "")
if _replica_url:
    if not _database_url:
        raise ImproperlyConfigured("DATABASE_REPLICA_URL needs DATABASE_URL: a replica of which primary?")
    DATABASES["replica"] = {**database_from_url(_replica_url), "TEST": {"MIRROR": "default"}}
REPLICA_DATABASE = "replica" if _replica_url else None
DATABASE_ROUTERS = ["wellclosure.replica.ReplicaRouter"]
# How long a writer's own reads stay on the primary after a write.
REPLICA_PIN_SECONDS = env_int("REPLICA_PIN_SECONDS", 15)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LOGIN_URL = "accounts:login"
# The site's root sends each role to its own home page.
LOGIN_REDIRECT_URL = "home"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
FIXTURE_DIRS = [BASE_DIR / "fixtures"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "staticfiles")))

# Attachments are evidence: they are stored outside any public URL and only
# served by a view that checks the caller's scope.
ATTACHMENT_ROOT = Path(env_str("ATTACHMENT_ROOT", str(BASE_DIR / "var" / "attachments")))
ATTACHMENT_MAX_BYTES = env_int("ATTACHMENT_MAX_BYTES", 20 * 1024 * 1024)
# The most pixels (width × height) an uploaded image may have: Pillow's
# decompression-bomb limit (wells.uploads.bound_image_pixels). A phone's
# photo has 12 million by default; a few KB of PNG can claim billions.
IMAGE_MAX_PIXELS = env_int("IMAGE_MAX_PIXELS", 40_000_000)
# The largest inventory workbook (.xlsx) an import takes.
IMPORT_MAX_BYTES = env_int("IMPORT_MAX_BYTES", 10 * 1024 * 1024)
# An uploaded workbook is read in a child process that may take this many
# seconds (wall clock and CPU) before it is refused (wells/excel/workbook.py).
IMPORT_READ_SECONDS = env_int("IMPORT_READ_SECONDS", 5)
# The largest request body, in MiB, refused with 413 before it is read
# (wellclosure.middleware): by default 5 MiB above the largest upload, for
# the form around it. The reverse proxy's own limit (nginx's
# client_max_body_size) should be the same.
MAX_REQUEST_BODY_BYTES = (
    env_int("MAX_REQUEST_BODY_MB", -(-max(ATTACHMENT_MAX_BYTES, IMPORT_MAX_BYTES) // 2**20) + 5, minimum=1) * 2**20
)

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "attachments": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": ATTACHMENT_ROOT, "base_url": None},
    },
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# The public's reports (supervision/public.py): how many one address may
# send an hour (more are answered 429), and the photos each may carry.
PUBLIC_REPORTS_PER_HOUR = env_int("PUBLIC_REPORTS_PER_HOUR", 5, minimum=1)
PUBLIC_REPORT_MAX_PHOTOS = env_int("PUBLIC_REPORT_MAX_PHOTOS", 3, minimum=0)
PUBLIC_REPORT_MAX_PHOTO_BYTES = env_int("PUBLIC_REPORT_MAX_PHOTO_BYTES", 5 * 1024 * 1024, minimum=1)

# Meter watch (井电双控, docs/meters.md). The units whose members deliver the
# grid company's meter readings through the API, by name; a day's
# consumption above METER_ALERT_KWH on a closed well opens a 疑似复启 ticket
# for its responsible unit, due METER_TICKET_DAYS later.
METER_READING_UNITS = env_list("METER_READING_UNITS", ["国网昌吉供电公司客户服务中心"])
METER_ALERT_KWH = env_int("METER_ALERT_KWH", 5, minimum=1)
METER_TICKET_DAYS = env_int("METER_TICKET_DAYS", 7, minimum=1)
METER_BATCH_MAX = env_int("METER_BATCH_MAX", 50_000, minimum=1)

# The dashboard map's tile server, e.g. https://tiles.example.gov.cn/{z}/{x}/{y}.png
# (bureau networks are often closed: empty shows the wells and the legend
# on a plain background).
MAP_TILE_URL = env_str("MAP_TILE_URL", "")


def tile_source(url):
    """The Content-Security-Policy source that lets the browser load the
    tiles of the Leaflet template ``url``: its scheme and host, with a
    host label holding a placeholder ({s}: the tile servers a, b, c) as
    CSP's wildcard. 天地图's placeholders sit in the query string, which a
    source cannot hold."""
    parts = urlsplit(url)
    host = parts.netloc
    if "{" in host:
        host = "*." + host.split(".", 1)[1]
    return f"{parts.scheme}://{host}"


MAP_TILE_ATTRIBUTION = env_str("MAP_TILE_ATTRIBUTION", "")
# The dashboard's map shows each well up to this many; beyond, one circle
# per township (a browser draws a few thousand circles, not a million).
MAP_POINT_LIMIT = env_int("MAP_POINT_LIMIT", 2000)

# How long an API write's Idempotency-Key is kept with its answer (the
# phone's offline queue resends within it; wells.idempotency).
IDEMPOTENCY_KEY_DAYS = env_int("IDEMPOTENCY_KEY_DAYS", 7, minimum=1)

DATA_UPLOAD_MAX_MEMORY_SIZE = ATTACHMENT_MAX_BYTES + 1024 * 1024

EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "wellclosure@localhost")

SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
# The reverse proxies in front of gunicorn (docs/security.md, "Behind a
# reverse proxy"): how many there are (0: clients reach gunicorn directly,
# and no forwarded header is believed) and the addresses the nearest one
# connects from. Their X-Forwarded-For gives the sign-in lockout its client
# address (accounts.backends.client_address); their X-Forwarded-Proto says
# whether the client used HTTPS.
env_replaced("BEHIND_PROXY", "set TRUSTED_PROXY_COUNT=1 behind one reverse proxy (0 without one) instead.")
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0, minimum=0)
TRUSTED_PROXY_ADDRESSES = env_networks("TRUSTED_PROXY_ADDRESSES", ["127.0.0.1", "::1"])
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if TRUSTED_PROXY_COUNT else None

# The daily jobs, in order, as ``manage.py run_daily_jobs`` runs them from
# cron (each is a management command that may also run alone).
DAILY_JOBS = [
    ["open_tasks"],
    ["reschedule_tasks"],
    ["send_reminders"],
    ["well_tally", "compact"],
    ["clear_import_previews"],
    ["clear_idempotency_keys"],
    # Meter watch: partitions ahead, yesterday's readings scanned (meters app).
    ["meter_watch"],
]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
}

# The ledger API (DESIGN §5): tokens for scripts, sessions for the browser.
# Token first, so that a request without credentials is answered 401 with a
# WWW-Authenticate header rather than 403.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "rest_framework.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_SCHEMA_CLASS": "wells.api.schema.LedgerAutoSchema",
    "EXCEPTION_HANDLER": "wells.api.exceptions.exception_handler",
    # Coordinates and depths are numbers in JSON, not strings.
    "COERCE_DECIMAL_TO_STRING": False,
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}

# API tokens (django-rest-knox; docs/security.md): one per sign-in, stored
# only as a SHA-512 digest, valid for API_TOKEN_DAYS days from the sign-in
# (not renewed by use), at most API_TOKEN_LIMIT live ones per user. A
# password change, deactivation or role change ends them all
# (accounts.tokens).
REST_KNOX = {
    "TOKEN_TTL": datetime.timedelta(days=env_int("API_TOKEN_DAYS", 30, minimum=1)),
    "TOKEN_LIMIT_PER_USER": env_int("API_TOKEN_LIMIT", 10, minimum=1),
    "AUTH_HEADER_PREFIX": "Token",
    "AUTO_REFRESH": False,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Well closure ledger API",
    "DESCRIPTION": "The ledger of groundwater wells to close: wells, their lifecycle, evidence and inspections.",
    "VERSION": "1",
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "SERVE_INCLUDE_SCHEMA": False,
    # The documentation page loads its scripts from this site: bureau
    # networks are often closed to CDNs. (No ReDoc page: its template
    # fetches web fonts from Google.)
    "SWAGGER_UI_DIST": "SIDECAR",
    # No validator badge: Swagger UI would fetch it from swagger.io.
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "persistAuthorization": True, "validatorUrl": None},
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "StatusEnum": "wells.choices.Status",
        "UnitKindEnum": "accounts.choices.UnitKind",
        "AttachmentKindEnum": "wells.choices.AttachmentKind",
        "ActionEnum": "wells.choices.Action",
        # What an import does to each row (wells/api/files.py).
        "ImportRowActionEnum": ["create", "update", "unchanged"],
        # Supervision after closure (supervision/choices.py).
        "TicketStateEnum": "supervision.choices.TicketState",
        "TicketSourceEnum": "supervision.choices.TicketSource",
        "TicketHandSourceEnum": ["staff", "inspection", "patrol"],
        "TicketActionEnum": "supervision.choices.TicketAction",
        "TicketTransitionActionEnum": ["assign", "rectify", "review_pass", "review_fail", "register_well", "reply"],
        "PatrolStateEnum": "supervision.choices.PatrolState",
    },
}

# Security and data safety (docs/security.md) -----------------------------------

# Sign-in lockout (django-axes): five failed attempts for one username from
# one address lock that pair out for 30 minutes, on the login page, the
# admin's and the API token endpoint alike.
AUTHENTICATION_BACKENDS = [
    "accounts.backends.LockoutBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = datetime.timedelta(minutes=env_int("LOGIN_LOCKOUT_MINUTES", 30))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# Attempts during a lockout do not extend it: it ends 30 minutes after it began.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_LOCKOUT_CALLABLE = "accounts.views.locked_out"
AXES_USERNAME_CALLABLE = "accounts.views.attempted_username"
# The client's address: the connection's own, or behind TRUSTED_PROXY_COUNT
# proxies the one the outermost proxy saw (never an entry the client wrote).
AXES_CLIENT_IP_CALLABLE = "accounts.backends.client_address"
AXES_VERBOSE = False

# A session ends after a working day, and when the browser closes.
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 8 * 60 * 60)
SESSION_EXPIRE_AT_BROWSER_CLOSE = env_bool("SESSION_EXPIRE_AT_BROWSER_CLOSE", True)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Field history (django-pghistory): database triggers record every insert,
# update and delete of wells, tasks, users and units, bulk writes included.
# PostgreSQL only: on SQLite (the development default) no field history is
# kept. The events are append-only (a trigger refuses to change them).
PGHISTORY_APPEND_ONLY = True
PGHISTORY_MIDDLEWARE_METHODS = ("POST", "PUT", "PATCH", "DELETE")

# Content-Security-Policy (django-csp 4): scripts, styles, images and fonts
# from this site only; no inline script runs. Inline style attributes stay
# allowed (the charts and the map library write them); inline <style>
# elements need 'unsafe-inline' for the API's documentation page.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:", "blob:", *([tile_source(MAP_TILE_URL)] if MAP_TILE_URL else [])],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        # The field pages' service worker (/sw.js) and manifest, from this
        # site only; photos are previewed and shrunk through blob: URLs
        # (img-src above).
        "worker-src": ["'self'"],
        "manifest-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}
