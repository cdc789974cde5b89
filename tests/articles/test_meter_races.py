"""Concurrent requests to the article page: the meter holds, and nothing answers 5xx.

They run on the default SQLite (a file, which meets SQLite's real locking: writers take
immediate transactions, so concurrent reads queue instead of failing with "database is
locked") and on PostgreSQL (row locks).

These fire real HTTP requests at once, as a reader's browser tabs would. Python's scheduling
makes their critical sections overlap only sometimes; the barrier-synchronised tests of
`meter_record_read` in tests/subscriptions/test_meter.py are the ones that fail without the
per-reader lock.
"""

import http.client
import threading
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

import pytest
from django.conf import settings as django_settings

from subscriptions.meter import meter_period
from subscriptions.models import MeteredRead
from tests.factories import make_article, paragraphs
from tests.subscriptions.factories import make_reader

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

BEYOND = "Beyond the cut."


def story():
    return make_article(blocks=[("text", paragraphs(3)), ("break",), ("text", f"<p>{BEYOND}</p>")])


def fire(live_server, session_key, paths):
    """GET every path at once, one connection each; return the pages."""
    host = urlsplit(live_server.url)
    barrier = threading.Barrier(len(paths))
    cookie = f"{django_settings.SESSION_COOKIE_NAME}={session_key}"

    def get(path):
        conn = http.client.HTTPConnection(host.hostname, host.port, timeout=30)
        try:
            barrier.wait(timeout=30)
            conn.request("GET", path, headers={"Cookie": cookie})
            response = conn.getresponse()
            assert response.status == 200
            return response.read().decode()
        finally:
            conn.close()

    with ThreadPoolExecutor(max_workers=len(paths)) as pool:
        return list(pool.map(get, paths))


@pytest.fixture
def reader_one_read_short(client, settings):
    settings.NEWSROOM_METER_REGISTERED = 5
    reader = make_reader()
    for _ in range(4):
        MeteredRead.objects.create(user=reader, article_id=story().pk, period=meter_period())
    client.force_login(reader)
    return reader, client.cookies[django_settings.SESSION_COOKIE_NAME].value


def test_twenty_requests_for_twenty_articles_grant_at_most_one(live_server, reader_one_read_short):
    reader, session_key = reader_one_read_short
    articles = [story() for _ in range(20)]
    pages = fire(live_server, session_key, [a.get_absolute_url() for a in articles])
    assert sum(BEYOND in page for page in pages) == 1
    assert sum("You're reading a preview" in page for page in pages) == 19
    assert MeteredRead.objects.filter(user=reader).count() == 5


def test_ten_requests_for_one_article_count_once(live_server, reader_one_read_short):
    reader, session_key = reader_one_read_short
    article = story()
    pages = fire(live_server, session_key, [article.get_absolute_url()] * 10)
    assert all(BEYOND in page for page in pages)
    assert MeteredRead.objects.filter(user=reader, article_id=article.pk).count() == 1
    assert MeteredRead.objects.filter(user=reader).count() == 5
