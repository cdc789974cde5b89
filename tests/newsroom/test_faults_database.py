"""PostgreSQL stopped or hung: the site answers 503 within seconds and recovers by itself.

The site runs as production runs it (gunicorn, PostgreSQL) in a child process, on a database
of its own reached through a proxy that the test stops and freezes; the shared PostgreSQL is
never touched. These tests start their own services, so they run in both passes of CI (on
SQLite and local memory too): PostgreSQL must answer on 127.0.0.1:5432, as it does on every
machine of this project.
"""

import json
import os
import subprocess
import sys
import time

import psycopg
import pytest
from django.contrib.postgres.signals import register_type_handlers
from django.db import OperationalError
from django.db.backends.signals import connection_created
from django.db.utils import ConnectionHandler

from tests.fault_services import BASE_DIR, DatabaseProxy, Site, environment

pytestmark = pytest.mark.faults

MARKER = "BEYOND-THE-CUT-db-4e1c"
# Seconds: what "a 503 within a couple of seconds" means here (a connect timeout of 2 s, or a
# statement timeout of 1 s and a second to give up), with room for a busy 2-core machine.
FAST = 4.0

CREATE_ARTICLE = f"""
import django
django.setup()
from articles.models import Article
from tests.factories import make_article, paragraphs
article = make_article(
    slug="the-story",
    access=Article.Access.SUBSCRIBERS,
    blocks=[("text", paragraphs(2)), ("break",), ("text", "<p>{MARKER}</p>")],
)
"""


def _admin(sql):
    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as db:
        db.execute(sql)


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The site on its own database, behind a proxy; yield (site, proxy)."""
    name = f"newsroom_faults_site_{os.getpid()}"
    _admin(f"DROP DATABASE IF EXISTS {name}")
    _admin(f"CREATE DATABASE {name}")
    proxy = DatabaseProxy()
    proxy.start()
    env = environment(
        DATABASE_URL=f"postgres://postgres@127.0.0.1:{proxy.port}/{name}",
        DATABASE_CONNECT_TIMEOUT="2",
        DATABASE_STATEMENT_TIMEOUT_MS="1000",
    )
    site = Site(env, tmp_path_factory.mktemp("site") / "gunicorn.log")
    try:
        for command in (
            [sys.executable, "manage.py", "migrate", "--no-input", "-v0"],
            [sys.executable, "-c", CREATE_ARTICLE],
        ):
            subprocess.run(command, cwd=BASE_DIR, env=env, check=True, timeout=120)  # noqa: S603
        site.start()
        yield site, proxy
    finally:
        site.stop()
        proxy.stop()
        _admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def assert_unavailable(answer):
    status, headers, body, seconds = answer
    assert status == 503, body
    assert seconds < FAST, f"the 503 took {seconds:.1f} s"
    assert headers["Retry-After"] == "30"
    assert "no-store" in headers["Cache-Control"] and "public" not in headers["Cache-Control"]
    assert "We will be back in a moment" in body
    assert "Traceback" not in body and "psycopg" not in body


def test_with_the_database_stopped_pages_answer_503_at_once_and_recover_without_restart(site):
    site, proxy = site
    # The worker now holds open connections, and the front page's parts.
    assert [site.get(path)[0] for path in ("/search/?q=story", "/")] == [200, 200]

    proxy.stop()
    try:
        assert_unavailable(site.get("/search/?q=quay"))
        # The log-in form, the front page and a search asked before (their parts are in the
        # page cache) need no database.
        assert site.get("/login/?next=/account/")[0] == 200
        assert site.get("/")[0] == 200
        assert site.get("/search/?q=story")[0] == 200
        assert site.get("/healthz")[:3:2] == (200, "ok\n")
        assert site.get("/readyz")[:3:2] == (503, "not ready: database\n")
    finally:
        proxy.start()

    # The connections the outage broke are dropped and new ones made: no restart needed.
    for path in ("/search/?q=story", "/articles/the-story/", "/readyz"):
        assert site.get(path)[0] == 200, path


def test_with_the_database_hung_pages_answer_503_within_seconds_and_recover(site):
    site, proxy = site
    assert site.get("/search/?q=story")[0] == 200

    proxy.freeze()
    try:
        assert_unavailable(site.get("/search/?q=quay"))  # a reused connection, health-checked
        assert_unavailable(site.get("/search/?q=other"))
        for path in ("/healthz", "/login/"):
            status, _headers, _body, seconds = site.get(path)
            assert status == 200 and seconds < 1, path
    finally:
        proxy.thaw()

    for path in ("/search/?q=story", "/articles/the-story/", "/readyz"):
        assert site.get(path)[0] == 200, path


def test_while_the_database_is_away_no_reader_gets_text_beyond_the_cut(site):
    site, proxy = site
    status, _headers, body, _seconds = site.get("/articles/the-story/")
    assert status == 200 and MARKER not in body and "subscribe" in body.lower()

    proxy.stop()
    try:
        status, _headers, body, _seconds = site.get("/articles/the-story/")
    finally:
        proxy.start()
    # Served from the page cache (its head and parts need no database), or a 503: never more
    # than the preview.
    assert status in (200, 503)
    assert MARKER not in body


def production_settings(**env):
    """Return DATABASES["default"] and CACHES as newsroom.settings makes them from `env`."""
    script = (
        "import json; from newsroom import settings as s; "
        "print(json.dumps({'db': s.DATABASES['default'], 'caches': s.CACHES}, default=str))"
    )
    env = environment(SECRET_KEY="settings-test", **env)
    env.pop("DJANGO_SETTINGS_MODULE")
    out = subprocess.run(  # noqa: S603 - our own interpreter and a fixed script
        [sys.executable, "-c", script], cwd=BASE_DIR, env=env, check=True, capture_output=True
    )
    return json.loads(out.stdout)


def test_production_settings_bound_every_wait_on_postgresql_and_redis():
    found = production_settings(
        DATABASE_URL="postgres://postgres@127.0.0.1:5432/newsroom",
        CACHE_URL="redis://127.0.0.1:6379/1",
        DATABASE_STATEMENT_TIMEOUT_MS="3000",
        CACHE_SOCKET_TIMEOUT="0.4",
    )
    db, caches = found["db"], found["caches"]
    assert db["ENGINE"] == "newsroom.postgresql" and db["CONN_HEALTH_CHECKS"] is True
    assert db["OPTIONS"]["connect_timeout"] == 2
    assert db["OPTIONS"]["options"] == "-c statement_timeout=3000"
    assert db["OPTIONS"]["answer_timeout"] == 4.0
    assert caches["default"]["BACKEND"] == "foundation.cache.BreakerRedisCache"
    assert caches["default"]["OPTIONS"]["SOCKET_CONNECT_TIMEOUT"] == 0.25
    assert caches["default"]["OPTIONS"]["SOCKET_TIMEOUT"] == 0.4
    # Pages: a miss, never a local copy; kept values: a failure the layer records.
    assert caches["default"]["OPTIONS"]["ON_FAILURE"] == "miss"
    assert caches["kept"]["OPTIONS"]["ON_FAILURE"] == "raise"
    assert caches["throttles"]["OPTIONS"]["ON_FAILURE"] == "local"


@pytest.fixture
def proxy(django_db_blocker):
    """A proxy to the shared server, for connections of the test's own (not the suite's)."""
    proxy = DatabaseProxy()
    proxy.start()
    # django.contrib.postgres looks up new connections' types through the suite's own
    # connections (by alias); these test connections stand apart from them.
    connection_created.disconnect(register_type_handlers)
    try:
        with django_db_blocker.unblock():
            yield proxy
    finally:
        connection_created.connect(register_type_handlers)
        proxy.thaw()
        proxy.stop()


def connection_through(proxy, **options):
    handler = ConnectionHandler(
        {
            "default": {
                "ENGINE": "newsroom.postgresql",
                "NAME": "postgres",
                "USER": "postgres",
                "HOST": "127.0.0.1",
                "PORT": proxy.port,
                "OPTIONS": {"connect_timeout": 2, **options},
            }
        }
    )
    return handler["default"]


def test_a_query_on_an_open_connection_to_a_hung_server_gives_up_and_drops_it(proxy):
    checked, queried = (connection_through(proxy, answer_timeout=1.0) for _ in range(2))
    try:
        for connection in (checked, queried):
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
        proxy.freeze()

        started = time.monotonic()
        assert not checked.is_usable()  # Django's health check of a reused connection
        assert time.monotonic() - started < 1

        started = time.monotonic()
        with (
            pytest.raises(OperationalError, match="did not answer within 1 s"),
            queried.cursor() as cursor,
        ):
            cursor.execute("SELECT 1")
        assert time.monotonic() - started < 2
        assert queried.connection.closed  # never used again
    finally:
        proxy.thaw()
        checked.close()
        queried.close()


def test_the_statement_timeout_ends_a_slow_query_on_a_live_server(proxy):
    connection = connection_through(proxy, options="-c statement_timeout=300", answer_timeout=1.3)
    try:
        started = time.monotonic()
        with (
            pytest.raises(OperationalError, match="statement timeout"),
            connection.cursor() as cursor,
        ):
            cursor.execute("SELECT pg_sleep(5)")
        assert time.monotonic() - started < 1
    finally:
        connection.close()
