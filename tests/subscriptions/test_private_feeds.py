"""Private feed addresses: unguessable, stored so that a copy of the database gives none away,
shown again on the account page, and ended at once by a new one."""

import re
from io import StringIO

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.management import call_command

from subscriptions.models import PrivateFeed, Subscription
from subscriptions.private_feeds import (
    may_have_private_feed,
    private_feed_create,
    private_feed_lookup,
    private_feed_rotate,
    private_feed_token,
)
from tests.subscriptions.factories import make_reader, make_subscription

pytestmark = pytest.mark.django_db


def test_every_reader_gets_an_address_of_their_own_that_finds_their_feed():
    one, other = make_reader(), make_reader()
    tokens = [private_feed_token(feed=private_feed_create(user=user)) for user in (one, other)]

    assert tokens[0] != tokens[1]
    for token in tokens:
        assert re.fullmatch(r"[A-Za-z0-9_-]{43}", token)  # 256 bits, fit for an address
    assert private_feed_lookup(token=tokens[0]).user == one
    assert private_feed_lookup(token=tokens[1]).user == other
    assert private_feed_create(user=one).token_hash == PrivateFeed.objects.get(user=one).token_hash


def test_the_database_holds_no_address():
    """A copy of the database (here, everything `dumpdata` writes) has neither the token nor
    anything that finds the feed: the token takes the site's secret key to make."""
    reader = make_reader()
    feed = private_feed_create(user=reader)
    token = private_feed_token(feed=feed)
    dump = StringIO()
    call_command("dumpdata", "subscriptions", stdout=dump)

    assert token not in dump.getvalue()
    assert feed.key in dump.getvalue()  # the key is there, and is not the token:
    assert private_feed_lookup(token=feed.key) is None
    assert private_feed_lookup(token=feed.token_hash) is None


def test_a_new_address_ends_the_old_one_at_once():
    reader = make_reader()
    old = private_feed_token(feed=private_feed_create(user=reader))

    new = private_feed_token(feed=private_feed_rotate(user=reader))

    assert new != old
    assert private_feed_lookup(token=old) is None
    assert private_feed_lookup(token=new).user == reader
    assert PrivateFeed.objects.filter(user=reader).count() == 1


def test_a_reader_without_a_feed_who_asks_for_a_new_address_gets_one():
    reader = make_reader()
    token = private_feed_token(feed=private_feed_rotate(user=reader))
    assert private_feed_lookup(token=token).user == reader


def test_a_deactivated_readers_feed_is_found_by_nobody():
    reader = make_reader()
    token = private_feed_token(feed=private_feed_create(user=reader))
    reader.is_active = False
    reader.save()
    assert private_feed_lookup(token=token) is None


@pytest.mark.parametrize("token", ["", "x" * 65])
def test_what_no_address_holds_is_refused_without_a_query(token, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert private_feed_lookup(token=token) is None


def test_an_address_outlives_a_new_secret_key_and_is_shown_while_the_old_one_is_kept(settings):
    reader = make_reader()
    feed = private_feed_create(user=reader)
    token = private_feed_token(feed=feed)
    old_key = settings.SECRET_KEY

    settings.SECRET_KEY = "a-new-secret-key-for-the-site"
    settings.SECRET_KEY_FALLBACKS = [old_key]
    assert private_feed_token(feed=feed) == token  # still shown on the account page

    settings.SECRET_KEY_FALLBACKS = []
    assert private_feed_token(feed=feed) is None  # cannot be shown any more...
    assert private_feed_lookup(token=token).user == reader  # ...and still works
    new = private_feed_token(feed=private_feed_rotate(user=reader))
    assert new is not None and new != token


def test_staff_and_entitled_readers_are_offered_a_feed():
    subscriber, lapsed = make_reader(), make_reader()
    make_subscription(user=subscriber)
    make_subscription(user=lapsed, status=Subscription.Status.EXPIRED, days_left=-2)

    assert may_have_private_feed(user=make_reader(is_staff=True))
    assert may_have_private_feed(user=subscriber)
    assert not may_have_private_feed(user=lapsed)
    assert not may_have_private_feed(user=make_reader())
    assert not may_have_private_feed(user=AnonymousUser())
