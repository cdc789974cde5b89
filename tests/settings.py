"""Settings for the test suite: the real settings, with what tests must not depend on."""

import os

os.environ.setdefault("SECRET_KEY", "tests-only-not-secret")
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
os.environ.setdefault("SESSION_COOKIE_SECURE", "false")
os.environ.setdefault("NEWSROOM_DEMO", "true")  # the demo app and its tests
os.environ.setdefault(
    "STATICFILES_STORAGE", "django.contrib.staticfiles.storage.StaticFilesStorage"
)

# pytest-xdist runs the suite in several processes: each has a database of its own (pytest-django
# names it after the worker) and, on Redis, a database of its own, since tests empty the cache.
# Once per worker: the servers a test starts (gunicorn, workers) inherit the environment and
# load these settings too, and must use the worker's Redis database, not one further on.
_worker = os.environ.get("PYTEST_XDIST_WORKER", "")
_redis = os.environ.get("CACHE_URL", "").startswith("redis://")
if _worker.startswith("gw") and _redis and "NEWSROOM_TEST_WORKER_CACHE" not in os.environ:
    _url, _, _db = os.environ["CACHE_URL"].rpartition("/")
    os.environ["CACHE_URL"] = f"{_url}/{int(_db or 0) + 1 + int(_worker[2:])}"
    os.environ["NEWSROOM_TEST_WORKER_CACHE"] = os.environ["CACHE_URL"]

from newsroom.settings import *  # noqa: E402, F403
from newsroom.settings import BASE_DIR  # noqa: E402

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
MEDIA_ROOT = BASE_DIR / "var" / "test-uploads"
NEWSROOM_SERVE_UPLOADS = True
if os.environ.get("NEWSROOM_TEST_TASKS") != "database":
    # Tasks run at once, when the transaction that queued them commits (tests/engine.py), and
    # emails stay in memory. The workers that the worker tests start as child processes use the
    # database backend and EMAIL_URL (a stand-in mail server), as production does.
    TASKS = {"default": {"BACKEND": "tests.engine.ImmediateBackend"}}
    EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# Events wait in their batch until a test writes them (`tests.insight.recorded`): a page's
# queries are its own, and each test starts with an empty batch (tests/conftest.py).
NEWSROOM_INSIGHT_BATCH = 1_000_000
NEWSROOM_INSIGHT_FLUSH_SECONDS = 1_000_000
# AVIF costs a picture three times the CPU of its other renditions: the tests of AVIF turn it
# on (`avif` in tests/conftest.py).
NEWSROOM_AVIF = False
# The suite runs in one process; CI runs it again against Redis (CACHE_URL).
SILENCED_SYSTEM_CHECKS = ["axes.W001"]
# Serve static files from the apps' folders, as in development: no collectstatic before tests.
WHITENOISE_AUTOREFRESH = True
WHITENOISE_USE_FINDERS = True

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    (BASE_DIR / "var").mkdir(exist_ok=True)
    # A file, not shared memory: threads in the concurrency tests then meet SQLite's real
    # locking, as the default development database does.
    DATABASES["default"]["TEST"] = {"NAME": str(BASE_DIR / "var" / f"test-{os.getpid()}.sqlite3")}  # noqa: F405
    # Nothing to keep after the run: skip waiting for the disk.
    DATABASES["default"]["OPTIONS"]["init_command"] = "PRAGMA synchronous=OFF"  # noqa: F405
