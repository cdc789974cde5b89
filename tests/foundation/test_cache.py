"""Redis stopped or hung, in one process: the site keeps serving from the database, never waits
on Redis more than once per outage, and never grants more (`foundation.cache`, `foundation.kept`).

Each test starts its own `redis-server` (never the machine's) and points the site's caches at
it, as `newsroom.settings` does for a redis:// CACHE_URL; they run in both passes of CI. The
same faults against gunicorn's workers and the scheduler: `tests/foundation/test_faults.py`.
"""

import logging
import time

import pytest
from django.test import Client
from django.urls import reverse

from articles.models import Article
from articles.site import pages
from foundation import cache as breaker
from foundation import kept
from foundation.models import MissedWrite
from tests.factories import make_article, paragraphs
from tests.fault_services import RedisServer, caches_on
from tests.subscriptions.factories import PASSWORD, make_reader, make_subscription, page_text

pytestmark = [pytest.mark.django_db, pytest.mark.faults]

MARKER = "BEYOND-THE-CUT-cache-91d2"
RETRY_AFTER = 0.5
# Seconds: a page may be slower without its cache, but not by a timeout per call (a page makes
# about ten cache calls of 0.25 s each); with room for a 2-core machine running the suite in
# four processes.
QUICK = 1.5


@pytest.fixture
def redis_server():
    server = RedisServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def site_on_own_redis(settings, redis_server):
    """Point the site's three caches at our own Redis, as the settings do."""
    settings.CACHES = caches_on(redis_server.url, breaker_seconds=RETRY_AFTER)
    forget_outages()
    yield redis_server
    forget_outages()


def forget_outages():
    """This process forgets every outage it saw: breakers closed, kept values trusted."""
    breaker.forget_outages()
    kept.forget_outage()
    pages._recent_parts.clear()


def story(**fields):
    body = f"<p>{MARKER} for subscribers only.</p>" + paragraphs(2)
    return make_article(blocks=[("text", paragraphs(2)), ("break",), ("text", body)], **fields)


def timed_get(client, url):
    started = time.monotonic()
    response = client.get(url)
    return response, time.monotonic() - started


def wait_until_the_cache_answers():
    """Wait out the pause the site's cache takes after a failure (at most 5 s)."""
    from django.core.cache import caches

    deadline = time.monotonic() + 5
    while not caches["kept"].answering() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert caches["kept"].answering()


def cache_warnings(caplog):
    return [r.getMessage() for r in caplog.records if r.name == "foundation.cache"]


def test_with_redis_stopped_readers_are_served_from_the_database_and_never_given_more(
    site_on_own_redis, caplog
):
    article = story(access=Article.Access.SUBSCRIBERS)
    url = article.get_absolute_url()
    reader = Client()
    subscriber = Client()
    subscriber.force_login(make_subscription(user=make_reader()).user)
    # Cached while Redis answers: heads, parts, generations.
    assert reader.get("/").status_code == reader.get(url).status_code == 200

    site_on_own_redis.stop()
    caplog.set_level(logging.WARNING, logger="foundation.cache")
    for path in ("/", url, reverse("login"), "/search/?q=Headline", reverse("feed")):
        response, seconds = timed_get(reader, path)
        assert response.status_code == 200, path
        assert seconds < QUICK, f"{path} took {seconds:.2f} s"
    # Without the cache the preview is rebuilt from the database, and stops at the cut.
    assert MARKER not in reader.get(url).content.decode()
    assert "subscribe to read more" in page_text(reader.get(url))
    assert MARKER in subscriber.get(url).content.decode()
    # One warning for the outage, not one per call.
    assert len(cache_warnings(caplog)) == 1
    assert "does not answer" in cache_warnings(caplog)[0]

    site_on_own_redis.start()  # an empty Redis on the same port
    time.sleep(RETRY_AFTER)
    assert reader.get(url).status_code == 200
    assert cache_warnings(caplog)[-1].endswith("answers again")
    assert any(key.startswith(":1:pages:") for key in _redis_keys(site_on_own_redis))


def _redis_keys(server):
    import redis

    return [key.decode() for key in redis.Redis.from_url(server.url).keys("*")]


def test_with_redis_hung_a_page_waits_at_most_one_socket_timeout(site_on_own_redis):
    article = story(access=Article.Access.METERED)
    reader = Client()
    assert reader.get(article.get_absolute_url()).status_code == 200

    site_on_own_redis.freeze()  # accepts connections, answers nothing
    try:
        for path in (article.get_absolute_url(), "/", reverse("login")):
            response, seconds = timed_get(reader, path)
            assert response.status_code == 200, path
            assert seconds < QUICK, f"{path} took {seconds:.2f} s"
    finally:
        site_on_own_redis.thaw()


def test_with_redis_stopped_log_in_works_and_is_still_throttled(site_on_own_redis, settings):
    settings.AXES_USERNAME_CALLABLE = "accounts.throttling.axes_username"
    settings.NEWSROOM_SEARCHES_PER_MINUTE = 2
    reader = make_reader()
    guessed = make_reader()
    site_on_own_redis.stop()

    client = Client()
    credentials = {"username": reader.email, "password": PASSWORD}
    assert client.post(reverse("login"), credentials).status_code == 302
    assert client.session["_auth_user_id"] == str(reader.pk)

    # Counts go on in this process while Redis is away: a guesser is still stopped.
    guesser = Client()
    wrong = {"username": guessed.email, "password": "not-the-password"}
    answers = [
        guesser.post(reverse("login"), wrong).status_code
        for _ in range(settings.AXES_FAILURE_LIMIT)
    ]
    assert answers[:-1] == [400] * (settings.AXES_FAILURE_LIMIT - 1)
    assert answers[-1] in (403, 429)
    right = {"username": guessed.email, "password": PASSWORD}
    assert guesser.post(reverse("login"), right).status_code in (403, 429)

    searches = [guesser.get("/search/?q=anything").status_code for _ in range(3)]
    assert searches == [200, 200, 429]


def test_a_change_made_while_redis_is_hung_reaches_readers_once_it_answers(
    site_on_own_redis, caplog
):
    article = story(access=Article.Access.FREE)
    url = article.get_absolute_url()
    reader = Client()
    assert MARKER in reader.get(url).content.decode()  # free: the whole text; its head cached

    site_on_own_redis.freeze()  # Redis keeps its data, and the old head in it
    try:
        article.access = Article.Access.SUBSCRIBERS
        article.save()  # its cache update is lost, and recorded
        assert MissedWrite.objects.filter(kind="article-head", ident=str(article.pk)).exists()
        assert "did not take the new article-head" in caplog.text
        assert MARKER not in reader.get(url).content.decode()  # from the database meanwhile
    finally:
        site_on_own_redis.thaw()

    time.sleep(RETRY_AFTER)
    # Redis answers again, with the head it had before the change: the update it missed is
    # made before anything is read from it.
    assert MARKER not in reader.get(url).content.decode()
    assert MARKER not in Client().get(url).content.decode()
    assert page_text(Client().get(url)).count("subscribe to read more") == 1


def test_a_subscription_that_ends_while_redis_is_hung_stops_entitling_once_it_answers(
    site_on_own_redis,
):
    from subscriptions.models import Subscription

    article = story(access=Article.Access.SUBSCRIBERS)
    url = article.get_absolute_url()
    subscriber = make_reader()
    subscription = make_subscription(user=subscriber)
    reader = Client()
    reader.force_login(subscriber)
    assert MARKER in reader.get(url).content.decode()  # entitled: the answer kept in Redis

    site_on_own_redis.freeze()  # Redis keeps "entitled"
    try:
        subscription.status = Subscription.Status.EXPIRED
        subscription.save()  # its cache update is lost
        assert MARKER not in reader.get(url).content.decode()  # from the database meanwhile
    finally:
        site_on_own_redis.thaw()

    wait_until_the_cache_answers()
    assert MARKER not in reader.get(url).content.decode()


def test_a_password_changed_while_redis_is_hung_ends_other_sessions_once_it_answers(
    site_on_own_redis,
):
    from django.core.cache import caches

    from accounts.backends import USER

    article = story(access=Article.Access.SUBSCRIBERS)
    url = article.get_absolute_url()
    user = make_subscription(user=make_reader()).user
    elsewhere, later = Client(), Client()
    elsewhere.force_login(user)
    later.force_login(user)
    assert MARKER in elsewhere.get(url).content.decode()  # the user's row kept in Redis
    assert MARKER in later.get(url).content.decode()

    row_before_the_change = caches["kept"].get(USER.key(user.pk))
    assert user.password not in repr(row_before_the_change)  # what is kept holds no secret
    site_on_own_redis.freeze()  # Redis keeps the row with the old password
    try:
        user.set_password("a-new-pass-2026")
        user.save()  # its cache update is lost
        assert MARKER not in elsewhere.get(url).content.decode()  # from the database meanwhile
    finally:
        site_on_own_redis.thaw()

    wait_until_the_cache_answers()
    # A frozen Redis may still run the write queued on its socket when it wakes: put the old
    # row back, as if that write had been lost.
    caches["kept"].set(USER.key(user.pk), row_before_the_change)
    # A session not used during the outage meets Redis's old row: the missed update is made
    # before anything is read from it, so the session ends all the same.
    assert MARKER not in later.get(url).content.decode()
    assert "_auth_user_id" not in later.session


def test_a_read_counted_while_redis_is_hung_is_counted_on_the_meter_once_it_answers(
    site_on_own_redis, settings
):
    from django.core.cache import caches

    from subscriptions.meter import READS, ReadsOfTheMonth, meter_period

    settings.NEWSROOM_METER_REGISTERED = 1
    first, second = story(access=Article.Access.METERED), story(access=Article.Access.METERED)
    user = make_reader()
    reader = Client()
    reader.force_login(user)
    # No read yet: kept as such in Redis.
    preview = reader.get(story(access=Article.Access.SUBSCRIBERS).get_absolute_url())
    assert MARKER not in preview.content.decode()
    reads_key = READS.key(ReadsOfTheMonth(user.pk, meter_period()))
    reads_before = caches["kept"].get(reads_key)
    assert reads_before == frozenset()

    site_on_own_redis.freeze()  # Redis keeps "no read yet"
    try:
        assert MARKER in reader.get(first.get_absolute_url()).content.decode()  # counted
        assert MARKER not in reader.get(second.get_absolute_url()).content.decode()
    finally:
        site_on_own_redis.thaw()

    wait_until_the_cache_answers()
    # A frozen Redis may still run the write queued on its socket when it wakes: put the old
    # reads back, as if that write had been lost.
    caches["kept"].set(reads_key, reads_before)
    assert MARKER not in reader.get(second.get_absolute_url()).content.decode()
    assert MARKER in reader.get(first.get_absolute_url()).content.decode()
