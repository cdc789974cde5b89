"""A logged-in reader's article page: the session fetched with the page's keys and the reader's
kept values, in one round trip to the cache (`subscriptions.readers`), and still the only word
on who the reader is."""

import pytest
from django.core.cache import caches
from django.test import Client
from django.urls import reverse

from subscriptions import readers
from subscriptions.models import MeteredRead
from tests.factories import make_article, paragraphs
from tests.readers import BEYOND, logged_in, reads_in_full
from tests.subscriptions.factories import make_reader, make_subscription

pytestmark = pytest.mark.django_db


def story(access):
    return make_article(
        access=access,
        blocks=[("text", paragraphs(3)), ("break",), ("text", f"<p>{BEYOND}</p>")],
    )


@pytest.fixture
def round_trips(monkeypatch):
    """The keys of each read of the caches (`get` and `get_many`), one list per round trip."""
    asked, inside = [], []
    for cache in (caches["default"], caches["kept"]):
        for name in ("get", "get_many"):
            original = getattr(cache, name)

            def counting(key, *args, original=original, **kwargs):
                if inside:  # the local-memory cache's get_many calls its own get
                    return original(key, *args, **kwargs)
                asked.append([key] if isinstance(key, str) else list(key))
                inside.append(True)
                try:
                    return original(key, *args, **kwargs)
                finally:
                    inside.pop()

            monkeypatch.setattr(cache, name, counting)
    return asked


def test_a_subscribers_page_is_one_round_trip_to_the_cache_and_no_query(
    round_trips, django_assert_num_queries
):
    article = story("subscribers")
    client = logged_in(make_subscription(user=make_reader()).user)
    assert reads_in_full(client, article)  # fills the caches; this process learns the session
    round_trips.clear()

    with django_assert_num_queries(0):
        assert reads_in_full(client, article)

    assert len(round_trips) == 1
    (keys,) = round_trips
    assert any(key.startswith("kept:session:") for key in keys)


def test_a_registered_reader_re_reading_is_one_round_trip_and_no_query(
    round_trips, django_assert_num_queries
):
    article = story("metered")
    client = logged_in(make_reader())
    assert reads_in_full(client, article)  # a read of the month, recorded
    assert reads_in_full(client, article)  # the re-reader's page, rendered once
    round_trips.clear()

    with django_assert_num_queries(0):
        assert reads_in_full(client, article)

    assert len(round_trips) == 1


def test_a_wrong_guess_of_the_sessions_user_costs_a_round_trip_never_the_wrong_reader(
    round_trips,
):
    article = story("subscribers")
    subscriber = make_subscription(user=make_reader()).user
    other = make_reader()
    client = logged_in(make_reader())  # neither of them: no subscription
    assert not reads_in_full(client, article)
    assert reads_in_full(logged_in(subscriber), article)  # the subscriber's rows are kept
    # This process now guesses the session is the subscriber's (a hash collision, say).
    readers._session_users[hash(client.session.session_key)] = subscriber.pk
    round_trips.clear()

    assert not reads_in_full(client, article)

    assert len(round_trips) == 2  # the reader's own rows fetched after the session
    readers._session_users[hash(client.session.session_key)] = other.pk
    assert not reads_in_full(client, article)


def test_logging_out_ends_the_session_for_a_copy_of_its_cookie_at_its_next_page():
    article = story("subscribers")
    client = logged_in(make_subscription(user=make_reader()).user)
    assert reads_in_full(client, article)
    copy = Client()
    copy.cookies = client.cookies.__class__(client.cookies)
    assert reads_in_full(copy, article)  # this process has learnt whose session it is

    client.post(reverse("logout"))

    assert not reads_in_full(copy, article)
    assert "Log in" in copy.get(article.get_absolute_url()).content.decode()


def test_a_reader_who_logs_in_as_someone_else_is_that_someone_at_once():
    article = story("metered")
    reader = make_reader()
    subscriber = make_subscription(user=make_reader()).user
    client = logged_in(reader)
    assert reads_in_full(client, article)

    client.force_login(subscriber)

    assert reads_in_full(client, article)
    assert not MeteredRead.objects.filter(user=subscriber).exists()  # not read on a meter
