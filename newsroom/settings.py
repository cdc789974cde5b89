"""Newsroom settings, read from the environment (and an optional `.env` file).

Every setting has a default that is safe for production (DEBUG off) and that needs no
services: SQLite under `var/`, the local-memory cache, uploads under `var/uploads/` and the
console email backend. `.env.example` documents each one.
"""

from pathlib import Path
from urllib.parse import urlsplit

import environ
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
if (BASE_DIR / ".env").is_file():
    env.read_env(BASE_DIR / ".env")

DEBUG = env.bool("DEBUG", default=False)

SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set it in the environment or in .env "
            "(or set DEBUG=true for local development)."
        )
    SECRET_KEY = "development-only-insecure-key"  # noqa: S105 - DEBUG only

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
    "django.contrib.humanize",
    "django.contrib.postgres",  # full-text search on PostgreSQL; harmless elsewhere
    "content_editor",
    "django_prose_editor",
    "axes",
    "csp",
    # The task engine: Django's Tasks API (django-tasks, the backport of Django 6's django.tasks)
    # with its database backend (django-tasks-db) on the site's own database.
    "django_tasks",
    "django_tasks_db",
    # Email through a provider's API (Postmark, Amazon SES, Mailgun, SendGrid, Resend...) and
    # its tracking webhooks, when EMAIL_BACKEND names one of its backends.
    "anymail",
    "foundation",
    "accounts",
    "media",
    "articles",
    "subscriptions",
    "newsletters",
    "insight",
]
NEWSROOM_DEMO = env.bool("NEWSROOM_DEMO", default=DEBUG)
INSTALLED_APPS += ["demo"] if NEWSROOM_DEMO else []

MIDDLEWARE = [
    # Outermost: one log line per request, with the id that the error page shows.
    "newsroom.request_log.RequestLogMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Outside whitenoise, so that every response carries the policy (and X-Frame-Options).
    "foundation.content_policy.ContentPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Outside every middleware that may set a cookie, so that it sees them all: the meter
    # cookie, the shared-cache policy, and 503 for a database that does not answer.
    "newsroom.middleware.ResponsePolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Last, so that it sees the outcome of every authentication attempt.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "newsroom.urls"
WSGI_APPLICATION = "newsroom.wsgi.application"

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
                "articles.site.context_processors.publication",
                # The newsletter offered on articles (lazy: asked only where a page shows it).
                "newsletters.context_processors.newsletter_offer",
            ],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}")}
# Persistent connections: opening one per request halves the rate on PostgreSQL.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Writers take the write lock when their transaction begins, and wait for it (up to
    # `timeout` seconds) instead of failing with "database is locked" half-way through, as a
    # deferred transaction that reads before it writes does under concurrent metered reads.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"transaction_mode": "IMMEDIATE", "timeout": 20}
    )
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # A database that is down or hung answers 503 within seconds instead of holding workers:
    # newsroom.postgresql also gives up on an open connection that stops answering (a second
    # after the statement timeout, by which a live server has answered).
    DATABASE_STATEMENT_TIMEOUT_MS = env.int("DATABASE_STATEMENT_TIMEOUT_MS", default=5000)
    DATABASES["default"]["ENGINE"] = "newsroom.postgresql"
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "connect_timeout": env.int("DATABASE_CONNECT_TIMEOUT", default=2),
            "options": f"-c statement_timeout={DATABASE_STATEMENT_TIMEOUT_MS}",
            "answer_timeout": DATABASE_STATEMENT_TIMEOUT_MS / 1000 + 1
            if DATABASE_STATEMENT_TIMEOUT_MS
            else None,
        }
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://")}
if CACHES["default"]["BACKEND"].endswith("LocMemCache"):
    # Django's default of 300 entries holds the parts of a few dozen articles: a site with more
    # hot articles would cull and rebuild without end. A few thousand is tens of megabytes.
    CACHES["default"].setdefault("OPTIONS", {}).setdefault("MAX_ENTRIES", 5000)
SILENCED_SYSTEM_CHECKS = []
if CACHES["default"]["BACKEND"] == "django_redis.cache.RedisCache":
    # Redis down or hung costs speed, never a page, and never a write the site forgets:
    # foundation.cache says how each of these three caches on the same Redis fails.
    CACHES["default"]["BACKEND"] = "foundation.cache.BreakerRedisCache"
    CACHES["default"].setdefault("OPTIONS", {}).update(
        {
            "SOCKET_CONNECT_TIMEOUT": env.float("CACHE_CONNECT_TIMEOUT", default=0.25),
            "SOCKET_TIMEOUT": env.float("CACHE_SOCKET_TIMEOUT", default=0.5),
            "BREAKER_SECONDS": env.float("CACHE_RETRY_AFTER", default=2),
            "ON_FAILURE": "miss",
        }
    )

    def _failing(how):
        return {**CACHES["default"], "OPTIONS": {**CACHES["default"]["OPTIONS"], "ON_FAILURE": how}}

    # The kept values every decision reads (foundation.kept): a write Redis did not take is
    # recorded and repaired, so this cache must say when it fails.
    CACHES["kept"] = _failing("raise")
    # Log-in, sign-up and search throttles: counted in each process's memory while Redis is
    # away (accounts.throttling says why), never in a page's cache.
    CACHES["throttles"] = _failing("local")
else:
    # The same store as the default (local-memory caches of one name share their entries).
    CACHES["kept"] = CACHES["default"]
    CACHES["throttles"] = CACHES["default"]
if DEBUG and CACHES["default"]["BACKEND"].endswith("LocMemCache"):
    # One runserver process shares one local-memory cache, which is all axes needs there.
    SILENCED_SYSTEM_CHECKS += ["axes.W001"]

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    # axes first: it refuses a locked-out address or account before any password check.
    "axes.backends.AxesStandaloneBackend",
    # Codes from sign-in emails, so that a wrong one is a failed log-in (accounts.email_sign_in).
    "accounts.backends.EmailCodeBackend",
    # The site's backend, last: sessions are made with it (accounts.backends.password_backend).
    "subscriptions.backends.ReaderBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "account"
LOGOUT_REDIRECT_URL = "home"

LANGUAGE_CODE = "en-gb"
TIME_ZONE = env.str("TIME_ZONE", default="Europe/London")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = env.str("MEDIA_URL", default="/uploads/")
MEDIA_ROOT = env.path("MEDIA_ROOT", default=VAR_DIR / "uploads")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": env.str(
            "STATICFILES_STORAGE",
            default="whitenoise.storage.CompressedManifestStaticFilesStorage",
        )
    },
}
# Uploads on S3-compatible object storage (README: "Uploads on object storage"): on when a
# bucket is named. Credentials come from boto3's own chain (AWS_ACCESS_KEY_ID and
# AWS_SECRET_ACCESS_KEY in the environment, or the server's role), never from this file.
AWS_STORAGE_BUCKET_NAME = env.str("AWS_STORAGE_BUCKET_NAME", default="")
if AWS_STORAGE_BUCKET_NAME:
    from urllib.parse import urlsplit

    from botocore.config import Config as BotocoreConfig

    # An absolute MEDIA_URL (a CDN, or the bucket's own public host) is where pictures are
    # linked from; a relative one leaves the links on the endpoint (check --deploy warns).
    _media = urlsplit(MEDIA_URL)
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": AWS_STORAGE_BUCKET_NAME,
            "endpoint_url": env.str("AWS_S3_ENDPOINT_URL", default="") or None,
            "region_name": env.str("AWS_S3_REGION_NAME", default="") or None,
            "location": env.str("AWS_LOCATION", default=""),
            "custom_domain": _media.netloc + _media.path.rstrip("/") if _media.netloc else None,
            "url_protocol": f"{_media.scheme or 'https'}:",
            # Published pictures are public, and their URLs end up in pages cached by version
            # for ever: a signed URL would expire inside them. Reading is granted by the
            # bucket's policy (or the CDN's access to it); AWS_DEFAULT_ACL=public-read is for
            # buckets that still use ACLs (new AWS buckets refuse them).
            "querystring_auth": False,
            "default_acl": env.str("AWS_DEFAULT_ACL", default="") or None,
            # Every name is new (a random original, renditions named after it): never
            # rewritten, so cacheable for ever, and no existence check before each write.
            "file_overwrite": True,
            "object_parameters": {"CacheControl": "public, max-age=31536000, immutable"},
            # A storage that does not answer fails the upload in seconds, not minutes.
            "client_config": BotocoreConfig(
                connect_timeout=env.float("AWS_S3_CONNECT_TIMEOUT", default=3),
                read_timeout=env.float("AWS_S3_READ_TIMEOUT", default=10),
                retries={"mode": "standard", "max_attempts": 2},
            ),
        },
    }
# Uploads are served by Django only when nothing in front of it does (development, demos).
NEWSROOM_SERVE_UPLOADS = env.bool("NEWSROOM_SERVE_UPLOADS", default=DEBUG)

FILE_UPLOAD_PERMISSIONS = 0o644

# Background work (README: "Background work"): tasks are rows in the site's own database, queued
# in the transaction of the event that asks for them, and run by `manage.py run_worker`.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
# Seconds a task may run before it is stopped and recorded as failed; a worker that stops
# answering altogether is ended this long plus a minute after its task started.
NEWSROOM_TASK_TIME_LIMIT = env.int("NEWSROOM_TASK_TIME_LIMIT", default=600)
# How often each worker says it is alive; one silent for six beats is dead, and the task it was
# running is run again by another (a task whose workers died under it three times fails).
NEWSROOM_WORKER_HEARTBEAT_SECONDS = env.float("NEWSROOM_WORKER_HEARTBEAT_SECONDS", default=5)

vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
# An email provider's API through django-anymail (README: "Newsletters", delivery): set
# EMAIL_BACKEND to its backend, e.g. anymail.backends.postmark.EmailBackend, or
# foundation.email_providers.ResendEmailBackend (Resend, with idempotency keys), and its
# settings as ANYMAIL_<NAME> variables: ANYMAIL_POSTMARK_SERVER_TOKEN=...,
# ANYMAIL_RESEND_API_KEY=..., ANYMAIL_RESEND_SIGNING_SECRET=..., ANYMAIL_WEBHOOK_SECRET=user:pass.
if env.str("EMAIL_BACKEND", default=""):
    EMAIL_BACKEND = env.str("EMAIL_BACKEND")
ANYMAIL = {
    # Timeouts are seconds (requests refuses a string); everything else is text.
    name.removeprefix("ANYMAIL_"): float(value) if name.endswith("TIMEOUT") else value
    for name, value in env.ENVIRON.items()
    if name.startswith("ANYMAIL_") and value
}
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="newsroom@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Seconds an SMTP server may take to answer before the attempt counts as refused (Django waits
# for ever by default, which would hold a worker).
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=30)
# The outbox (foundation.outbox): a message the email backend refuses is tried again after
# NEWSROOM_EMAIL_RETRY_SECONDS, then twice as long each time (at most an hour), up to
# NEWSROOM_EMAIL_ATTEMPTS attempts (20: about 13 hours).
NEWSROOM_EMAIL_RETRY_SECONDS = env.float("NEWSROOM_EMAIL_RETRY_SECONDS", default=30)
NEWSROOM_EMAIL_ATTEMPTS = env.int("NEWSROOM_EMAIL_ATTEMPTS", default=20)

# Newsletters (README: "Newsletters").
# Messages a second handed to the email provider, over all workers (Resend's default limit is 2
# API requests a second, Postmark's and SES's are higher: ask your provider); 0: no limit.
NEWSROOM_NEWSLETTER_RATE_PER_SECOND = env.float("NEWSROOM_NEWSLETTER_RATE_PER_SECOND", default=10)
# Recipients per batch: one task hands a batch over, and a send's batches are shared by workers.
NEWSROOM_NEWSLETTER_BATCH_SIZE = env.int("NEWSROOM_NEWSLETTER_BATCH_SIZE", default=200)
# Days a double opt-in confirmation link works.
NEWSROOM_NEWSLETTER_CONFIRM_DAYS = env.int("NEWSROOM_NEWSLETTER_CONFIRM_DAYS", default=7)
# Sign-ups by address (double opt-in emails) one client may ask for in an hour.
NEWSROOM_NEWSLETTER_SIGNUPS_PER_HOUR = env.int("NEWSROOM_NEWSLETTER_SIGNUPS_PER_HOUR", default=10)
# Record opens and clicks from the provider's tracking webhooks (turn tracking on at the
# provider too). Off by default: Apple Mail opens every message it receives, so opens overstate.
NEWSROOM_NEWSLETTER_TRACKING = env.bool("NEWSROOM_NEWSLETTER_TRACKING", default=False)
# The sender of newsletters (empty: DEFAULT_FROM_EMAIL), e.g. "The Daily Newsroom <briefing@…>".
NEWSROOM_NEWSLETTER_FROM_EMAIL = env.str("NEWSROOM_NEWSLETTER_FROM_EMAIL", default="")
# The mailbox of List-Unsubscribe's mailto: (empty: unsubscribe@ the domain of
# DEFAULT_FROM_EMAIL); route it to anymail's inbound webhook (README: "Newsletters").
NEWSROOM_UNSUBSCRIBE_EMAIL = env.str("NEWSROOM_UNSUBSCRIBE_EMAIL", default="")
# The postal address a newsletter's footer carries (CAN-SPAM asks for one); empty: none shown.
NEWSROOM_POSTAL_ADDRESS = env.str("NEWSROOM_POSTAL_ADDRESS", default="")

# Behind a proxy that sets X-Forwarded-Proto (Heroku, a load balancer, a CDN).
if env.bool("SECURE_PROXY_SSL_HEADER", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
# A load balancer probes over plain HTTP inside the network.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
# Sessions are written to the database and read from the cache: a logged-in reader's page
# makes one query fewer, and loses nothing when the cache does.
SESSION_ENGINE = "accounts.sessions"  # in the database, read through the kept values
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
# A year: browsers then refuse plain HTTP for this site even on a first visit of the year.
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 365 * 24 * 3600)
# Subdomains and the preload list are each newsroom's own decision, so both stay off unless
# set: a publication's domain often has subdomains that this site does not serve and that may
# not all speak HTTPS (a legacy archive, newsletters, an ad or print partner), and HSTS on
# them cannot be taken back for a year; preloading needs includeSubDomains and takes months to
# undo. Hence check --deploy is told not to warn about either (security.W005, security.W021).
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=False)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
SILENCED_SYSTEM_CHECKS += ["security.W005", "security.W021"]
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# X-Frame-Options: DENY comes with the Content-Security-Policy (newsroom.middleware), beside its
# frame-ancestors 'none', so Django's own middleware for that one header is not in the stack;
# its check (W002) looks for that middleware only.
SILENCED_SYSTEM_CHECKS += ["security.W002"]

# django-axes: throttle failed log-ins per account, and per account and address, kept in the
# cache. accounts.throttling says why, and adds a count per address at a higher limit.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=0.25)  # hours
AXES_LOCKOUT_PARAMETERS = [["username"], ["username", "ip_address"]]
AXES_HANDLER = "accounts.throttling.LoginThrottle"
AXES_CACHE = "throttles"
# The cache handler keeps no attempt rows: nothing for axes' admin pages (or their action) to show.
AXES_ENABLE_ADMIN = False
# An attempt refused during a lockout counts nowhere and does not extend the cool-off.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/lockout.html"
# Log-in forms post the email as "username"; count it lower-cased, per account.
AXES_USERNAME_CALLABLE = "accounts.throttling.axes_username"
# How many proxies in front of the app append to X-Forwarded-For. 0: only the socket's address
# is trusted; N: the N-th entry from the right, so a client cannot spoof its address.
NEWSROOM_PROXY_COUNT = env.int("NEWSROOM_PROXY_COUNT", default=0)
AXES_CLIENT_IP_CALLABLE = "foundation.rates.client_address"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "request_id": {"()": "newsroom.request_log.RequestIdFilter"},
        # A private feed's address is a key: no log line holds it.
        "private_addresses": {"()": "newsroom.request_log.PrivateAddressFilter"},
    },
    "formatters": {
        "line": {"format": "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"}
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["request_id", "private_addresses"],
            "formatter": "line",
        }
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "axes": {"level": "WARNING"},
        "stripe": {"level": "WARNING"},  # it logs every API request at INFO
        # Our own line per request replaces the development server's and Django's 4xx notes.
        "django.server": {"level": "WARNING"},
        "django.request": {"level": "ERROR"},
    },
}

# The project's own knobs.
NEWSROOM_PUBLICATION_NAME = env.str("NEWSROOM_PUBLICATION_NAME", default="The Daily Newsroom")
NEWSROOM_SITE_URL = env.str("NEWSROOM_SITE_URL", default="http://127.0.0.1:8000")
# The newsroom's address for readers, shown on the error pages (empty: none shown).
NEWSROOM_CONTACT_EMAIL = env.str("NEWSROOM_CONTACT_EMAIL", default="")
NEWSROOM_DEFAULT_ACCESS = env.str("NEWSROOM_DEFAULT_ACCESS", default="metered")
NEWSROOM_PREVIEW_PARAGRAPHS = env.int("NEWSROOM_PREVIEW_PARAGRAPHS", default=3)
NEWSROOM_METER_ANONYMOUS = env.int("NEWSROOM_METER_ANONYMOUS", default=3)
NEWSROOM_METER_REGISTERED = env.int("NEWSROOM_METER_REGISTERED", default=5)
NEWSROOM_PAST_DUE_GRACE_DAYS = env.int("NEWSROOM_PAST_DUE_GRACE_DAYS", default=7)
NEWSROOM_GIFTS_PER_MONTH = env.int("NEWSROOM_GIFTS_PER_MONTH", default=10)
NEWSROOM_GIFT_LINK_DAYS = env.int("NEWSROOM_GIFT_LINK_DAYS", default=14)
# Paywall insight (insight): events are written in batches of this many, or when the oldest is
# this many seconds old, after a response has gone; conversions are attributed to the last wall
# within the window; who read is forgotten after READER_DAYS, the events after KEEP_MONTHS.
NEWSROOM_INSIGHT_RECORD = env.bool("NEWSROOM_INSIGHT_RECORD", default=True)  # false: none kept
# false: anonymous readers are not counted by their meter cookie's random id (nothing is read
# from their browser for the insight; their conversions are credited to no wall).
NEWSROOM_INSIGHT_METER_IDS = env.bool("NEWSROOM_INSIGHT_METER_IDS", default=True)
NEWSROOM_INSIGHT_BATCH = env.int("NEWSROOM_INSIGHT_BATCH", default=500)
NEWSROOM_INSIGHT_FLUSH_SECONDS = env.float("NEWSROOM_INSIGHT_FLUSH_SECONDS", default=2.0)
NEWSROOM_INSIGHT_ATTRIBUTION_DAYS = env.int("NEWSROOM_INSIGHT_ATTRIBUTION_DAYS", default=30)
NEWSROOM_INSIGHT_READER_DAYS = env.int("NEWSROOM_INSIGHT_READER_DAYS", default=31)
NEWSROOM_INSIGHT_KEEP_MONTHS = env.int("NEWSROOM_INSIGHT_KEEP_MONTHS", default=13)
# How long a share link of an unpublished article (articles.previews) works.
NEWSROOM_PREVIEW_LINK_HOURS = env.int("NEWSROOM_PREVIEW_LINK_HOURS", default=48)
NEWSROOM_MAX_IMAGE_PIXELS = env.int("NEWSROOM_MAX_IMAGE_PIXELS", default=60_000_000)
NEWSROOM_MAX_UPLOAD_MB = env.int("NEWSROOM_MAX_UPLOAD_MB", default=25)
# Hours a picture dropped on the chooser waits for its description; then its token no longer
# adds it, and the hourly `pending_pictures_delete` deletes its file.
NEWSROOM_PENDING_PICTURE_HOURS = env.int("NEWSROOM_PENDING_PICTURE_HOURS", default=24)
# The largest autosave of an article's change form, in bytes posted (a larger one is refused
# with 413; it is still saved by the form's own Save, up to DATA_UPLOAD_MAX_MEMORY_SIZE).
NEWSROOM_AUTOSAVE_MAX_BYTES = env.int("NEWSROOM_AUTOSAVE_MAX_BYTES", default=1_000_000)
# Seconds between two autosaves of a change form with unsaved edits.
NEWSROOM_AUTOSAVE_SECONDS = env.int("NEWSROOM_AUTOSAVE_SECONDS", default=20)
# Make AVIF renditions beside WebP where Pillow can: a third smaller files, at three times the
# CPU to make (off for a small server, and in the test suite).
NEWSROOM_AVIF = env.bool("NEWSROOM_AVIF", default=True)
NEWSROOM_RENDITION_WIDTHS = env.list(
    "NEWSROOM_RENDITION_WIDTHS", cast=int, default=[480, 800, 1200, 1600]
)
# Dotted path to a payment provider class; empty runs the development checkout (no payment).
NEWSROOM_PAYMENT_PROVIDER = env.str("NEWSROOM_PAYMENT_PROVIDER", default="")
# How long a shared cache may keep a page that is the same for every reader.
NEWSROOM_PUBLIC_CACHE_SECONDS = env.int("NEWSROOM_PUBLIC_CACHE_SECONDS", default=60)
# How much longer a shared cache may serve such a page once it has expired: while the site does
# not answer (stale-if-error), and while one request fetches it again (stale-while-revalidate).
# Never past the page's next scheduled change; an unscheduled change (a takedown, an access
# change) cannot reach the cache while the site is down, so keep these short.
NEWSROOM_STALE_IF_ERROR_SECONDS = env.int("NEWSROOM_STALE_IF_ERROR_SECONDS", default=60)
NEWSROOM_STALE_WHILE_REVALIDATE_SECONDS = env.int(
    "NEWSROOM_STALE_WHILE_REVALIDATE_SECONDS", default=10
)
NEWSROOM_ARTICLES_PER_PAGE = env.int("NEWSROOM_ARTICLES_PER_PAGE", default=12)
# Searches one address may make in a minute; more answer 429 (Too Many Requests).
NEWSROOM_SEARCHES_PER_MINUTE = env.int("NEWSROOM_SEARCHES_PER_MINUTE", default=30)
# Failed log-ins from one address, across all accounts, that pause log-ins from it for the
# cool-off (each account is paused after AXES_FAILURE_LIMIT).
NEWSROOM_LOGIN_ADDRESS_LIMIT = env.int("NEWSROOM_LOGIN_ADDRESS_LIMIT", default=50)
# Accounts one address may create in an hour.
NEWSROOM_SIGNUPS_PER_HOUR = env.int("NEWSROOM_SIGNUPS_PER_HOUR", default=10)
# Sign-in emails an hour to one email address (with an account or not), and asked for from one
# client address; more answer 429 (accounts.throttling).
NEWSROOM_SIGN_IN_EMAILS_PER_ACCOUNT = env.int("NEWSROOM_SIGN_IN_EMAILS_PER_ACCOUNT", default=5)
NEWSROOM_SIGN_IN_EMAILS_PER_ADDRESS = env.int("NEWSROOM_SIGN_IN_EMAILS_PER_ADDRESS", default=30)
# A private feed's fetches in an hour (a feed reader polls every 15 to 60 minutes, perhaps on
# a few devices); more answer 429. Counted per feed address: a shared one cannot be served to all.
NEWSROOM_PRIVATE_FEED_FETCHES_PER_HOUR = env.int(
    "NEWSROOM_PRIVATE_FEED_FETCHES_PER_HOUR", default=60
)
# Private feed addresses that find no feed (made up, or made anew since) that one address may
# ask for in an hour; more answer 429.
NEWSROOM_PRIVATE_FEED_MISSES_PER_HOUR = env.int("NEWSROOM_PRIVATE_FEED_MISSES_PER_HOUR", default=20)
# Without a payment provider, start subscriptions at once without payment: development only
# (check --deploy reports it as an error). Off, and without a provider, nobody can subscribe.
NEWSROOM_DEVELOPMENT_CHECKOUT = env.bool("NEWSROOM_DEVELOPMENT_CHECKOUT", default=DEBUG)
# Let readers type a Stripe promotion code in the checkout.
NEWSROOM_PROMOTION_CODES = env.bool("NEWSROOM_PROMOTION_CODES", default=False)

# Payments with Stripe (NEWSROOM_PAYMENT_PROVIDER=subscriptions.stripe_provider.StripeProvider);
# check --deploy reports a missing key as an error when that provider is on.
STRIPE_SECRET_KEY = env.str("STRIPE_SECRET_KEY", default="")
STRIPE_PUBLISHABLE_KEY = env.str("STRIPE_PUBLISHABLE_KEY", default="")
STRIPE_WEBHOOK_SECRET = env.str("STRIPE_WEBHOOK_SECRET", default="")
# Empty: Stripe's own API. The tests point it at their stand-in server on localhost.
STRIPE_API_BASE = env.str("STRIPE_API_BASE", default="")

# Content-Security-Policy (django-csp 4). No inline script or style anywhere: the site's and the
# admin's own are static files. The one inline script is the import map that the block editors
# (django-content-editor, django-prose-editor) need; the article admin renders it with this
# request's nonce, which is then the only 'nonce-…' in the header. JSON-LD is a data block,
# which CSP does not govern. Uploads may come from another host (object storage, a CDN).
_MEDIA_ORIGIN = "{0.scheme}://{0.netloc}".format(urlsplit(MEDIA_URL))
# Payment pages a form's redirect may lead to: browsers apply form-action to redirects too.
NEWSROOM_CSP_PAYMENT_ORIGINS = env.list(
    "NEWSROOM_CSP_PAYMENT_ORIGINS",
    default=["https://checkout.stripe.com", "https://billing.stripe.com"]
    if NEWSROOM_PAYMENT_PROVIDER.endswith("StripeProvider")
    else [],
)
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF],
        "img-src": [SELF, "data:", *([_MEDIA_ORIGIN] if urlsplit(MEDIA_URL).netloc else [])],
        "object-src": [NONE],
        "base-uri": [NONE],
        "frame-ancestors": [NONE],
        "form-action": [SELF, *NEWSROOM_CSP_PAYMENT_ORIGINS],
    }
}
