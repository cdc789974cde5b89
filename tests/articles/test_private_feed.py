"""A reader's private feed: the articles as the paywall gives them to its owner at the time of
the request, at an address that no log, referrer, shared cache or search engine keeps."""

import io
import logging
from datetime import timedelta
from xml.etree import ElementTree

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from articles.models import Article, TextBlock
from newsroom.request_log import PrivateAddressFilter
from subscriptions.meter import meter_period
from subscriptions.models import MeteredRead, PrivateFeed, Subscription
from subscriptions.private_feeds import (
    private_feed_create,
    private_feed_rotate,
    private_feed_token,
)
from tests.factories import make_article, make_author, make_image, make_section, paragraphs
from tests.subscriptions.factories import make_reader, make_subscription

pytestmark = pytest.mark.django_db

BEYOND = "Beyond the cut, for readers who may read on."
PROMPT = "You're reading a preview, subscribe to read more."
CONTENT = "{http://purl.org/rss/1.0/modules/content/}encoded"


def story(access=Article.Access.METERED, **fields):
    fields.setdefault("blocks", [("text", paragraphs(2)), ("break",), ("text", f"<p>{BEYOND}</p>")])
    return make_article(access=access, **fields)


def feed_address(user) -> str:
    return reverse("private_feed", args=[private_feed_token(feed=private_feed_create(user=user))])


def entries(response) -> dict[str, str]:
    """Return each entry's body (`content:encoded`, HTML as a feed reader gets it) by title."""
    assert response.status_code == 200, response.content
    channel = ElementTree.fromstring(response.content).find("channel")  # noqa: S314 - our own
    return {item.findtext("title"): item.findtext(CONTENT) for item in channel.iter("item")}


def subscriber():
    reader = make_reader()
    make_subscription(user=reader)
    return reader


def lapsed_subscriber():
    reader = make_reader()
    make_subscription(user=reader, status=Subscription.Status.CANCELED, days_left=-1)
    return reader


def test_a_subscribers_feed_carries_every_live_article_in_full(client):
    picture = make_image(caption="The new quay", credit="Herald/Ann")
    story(
        headline="Quay opens",
        slug="quay-opens",
        section=make_section(name="Harbour"),
        authors=[make_author(name="Ann Lee")],
        blocks=[
            ("text", paragraphs(2)),
            ("image", picture),
            ("break",),
            ("text", f"<p>{BEYOND}</p>"),
        ],
    )
    story(headline="Accounts", access=Article.Access.SUBSCRIBERS)
    story(headline="Draft piece", status=Article.Status.DRAFT)
    story(headline="Tomorrow", published_at=timezone.now() + timedelta(hours=3))

    response = client.get(feed_address(subscriber()))

    bodies = entries(response)
    assert set(bodies) == {"Quay opens", "Accounts"}
    assert all(BEYOND in body and PROMPT not in body for body in bodies.values())
    assert "Paragraph 1 of the story" in bodies["Quay opens"]
    assert "The new quay" in bodies["Quay opens"]  # pictures with their captions and credits
    # A feed reader does not know which site a relative address belongs to.
    assert 'src="http://testserver/uploads/' in bodies["Quay opens"]
    assert 'src="/' not in bodies["Quay opens"] and 'srcset="/' not in bodies["Quay opens"]
    item = ElementTree.fromstring(response.content).find("channel/item")  # noqa: S314
    assert item.findtext("link") == "http://testserver/articles/quay-opens/"
    assert item.findtext("{http://purl.org/dc/elements/1.1/}creator") == "Ann Lee"
    assert item.findtext("category") == "Harbour"
    assert item.findtext("description").startswith("Standfirst of article")


def test_a_feed_is_private_unindexed_and_passes_no_address_on(client):
    response = client.get(feed_address(subscriber()))

    assert response["Content-Type"] == "application/rss+xml; charset=utf-8"
    assert "private" in response["Cache-Control"] and "public" not in response["Cache-Control"]
    assert response["X-Robots-Tag"] == "noindex"
    assert response["Referrer-Policy"] == "no-referrer"
    assert not response.cookies


def test_a_readers_feed_after_their_subscription_ended_gives_previews_and_invitations(client):
    story(headline="Metered story")
    story(headline="Paywalled story", access=Article.Access.SUBSCRIBERS)
    story(headline="Free story", access=Article.Access.FREE)

    bodies = entries(client.get(feed_address(lapsed_subscriber())))

    for title in ("Metered story", "Paywalled story"):
        assert BEYOND not in bodies[title]
        assert "Paragraph 2 of the story" in bodies[title]  # the public part
        assert PROMPT in bodies[title]
        assert 'href="http://testserver/subscribe/?next=%2Farticles%2F' in bodies[title]
    assert "This article is for subscribers." in bodies["Paywalled story"]
    assert BEYOND in bodies["Free story"] and PROMPT not in bodies["Free story"]


def test_a_feed_spends_no_read_and_gives_what_the_meter_already_granted(client):
    """A registered reader's feed is the page they would get without spending anything: an
    article read this month in full, the others as previews, and the meter untouched."""
    reader = make_reader()
    read, unread = story(headline="Read earlier"), story(headline="Not read yet")
    MeteredRead.objects.create(user=reader, article_id=read.pk, period=meter_period())
    address = feed_address(reader)

    for method in (client.get, client.head, client.get):
        assert method(address).status_code == 200
    bodies = entries(client.get(address))

    assert BEYOND in bodies["Read earlier"]
    assert BEYOND not in bodies["Not read yet"] and PROMPT in bodies["Not read yet"]
    assert list(MeteredRead.objects.filter(user=reader).values_list("article_id", flat=True)) == [
        read.pk
    ]
    assert unread.pk not in MeteredRead.objects.values_list("article_id", flat=True)


def test_the_decision_follows_the_subscription_at_the_time_of_each_request(client):
    import time_machine

    story(headline="Metered story")
    reader = make_reader()
    now = timezone.now()
    make_subscription(
        user=reader,
        status=Subscription.Status.CANCELED,
        current_period_start=now - timedelta(days=20),
        current_period_end=now + timedelta(hours=5),
    )
    address = feed_address(reader)

    assert BEYOND in entries(client.get(address))["Metered story"]
    with time_machine.travel(now + timedelta(hours=5, seconds=1), tick=False):
        assert BEYOND not in entries(client.get(address))["Metered story"]
    subscription = make_subscription(user=reader)  # subscribed again
    assert subscription.entitles(at=timezone.now())
    assert BEYOND in entries(client.get(address))["Metered story"]


def test_an_edit_to_the_body_reaches_the_feed_at_once(client):
    article = story(headline="Night desk")
    address = feed_address(subscriber())
    assert "added on the night desk" not in entries(client.get(address))["Night desk"]

    block = TextBlock.objects.filter(parent=article).last()
    block.text = "<p>A sentence added on the night desk.</p>"
    block.save()

    assert "added on the night desk" in entries(client.get(address))["Night desk"]


def test_a_made_up_and_a_replaced_address_are_the_same_404(client):
    reader = subscriber()
    old = feed_address(reader)
    private_feed_rotate(user=reader)
    made_up = reverse("private_feed", args=["A" * 43])

    answers = [client.get(address) for address in (old, made_up)]

    assert [answer.status_code for answer in answers] == [404, 404]
    assert answers[0].content == answers[1].content == b"No feed at this address.\n"
    for answer in answers:
        assert answer["Referrer-Policy"] == "no-referrer"
        assert "private" in answer["Cache-Control"]
    new = reverse(
        "private_feed", args=[private_feed_token(feed=PrivateFeed.objects.get(user=reader))]
    )
    assert client.get(new).status_code == 200


def test_a_deactivated_readers_feed_is_gone(client):
    reader = subscriber()
    address = feed_address(reader)
    reader.is_active = False
    reader.save()
    assert client.get(address).status_code == 404


def test_each_feed_is_fetched_at_most_so_often_an_hour(client, settings):
    settings.NEWSROOM_PRIVATE_FEED_FETCHES_PER_HOUR = 2
    mine, another = feed_address(subscriber()), feed_address(subscriber())

    answers = [client.get(mine).status_code for _ in range(3)]

    assert answers == [200, 200, 429]
    refused = client.get(mine)
    assert refused["Retry-After"] == "3600" and refused["Referrer-Policy"] == "no-referrer"
    assert client.get(another).status_code == 200  # counted per feed address


def test_a_client_finds_no_feed_at_most_so_often_an_hour(settings):
    settings.NEWSROOM_PRIVATE_FEED_MISSES_PER_HOUR = 2
    guesser, other = Client(REMOTE_ADDR="203.0.113.7"), Client(REMOTE_ADDR="203.0.113.8")
    guesses = [reverse("private_feed", args=[f"guess{n}" * 8]) for n in range(3)]

    assert [guesser.get(guess).status_code for guess in guesses] == [404, 404, 429]
    assert other.get(guesses[0]).status_code == 404


def test_the_token_reaches_no_log_line(client, caplog, settings):
    """The site's line per request names the feed with its token masked; so does any other
    line that names the path (Django's own error lines go through the same handler)."""
    settings.NEWSROOM_PRIVATE_FEED_FETCHES_PER_HOUR = 1
    reader = subscriber()
    token = private_feed_token(feed=private_feed_create(user=reader))
    address = reverse("private_feed", args=[token])
    with caplog.at_level(logging.INFO, logger="newsroom.requests"):
        client.get(address)
        client.get(address)  # 429
        client.get(reverse("private_feed", args=["A" * 43]))  # 404
    lines = [record.getMessage() for record in caplog.records if record.name == "newsroom.requests"]
    assert [line.rsplit(" ", 1)[0] for line in lines] == [
        "GET /feed/private/[token] 200",
        "GET /feed/private/[token] 429",
        "GET /feed/private/[token] 404",
    ]
    assert token not in caplog.text


def test_an_error_in_the_feed_is_logged_without_its_token(settings, monkeypatch):
    """Django logs a 500 with its path: the site's log handler masks the token there too."""
    from articles.site import feeds

    def broken(*args, **kwargs):
        raise RuntimeError("the feed broke")

    monkeypatch.setattr(feeds, "feed_entries", broken)
    settings.DEBUG = False
    token = private_feed_token(feed=private_feed_create(user=subscriber()))
    (handler,) = [
        handler
        for handler in logging.getLogger().handlers
        if any(isinstance(one, PrivateAddressFilter) for one in handler.filters)
    ]
    written = io.StringIO()
    previous = handler.setStream(written)
    try:
        answer = Client(raise_request_exception=False).get(reverse("private_feed", args=[token]))
    finally:
        handler.setStream(previous)
    assert answer.status_code == 500
    assert "Internal Server Error: /feed/private/[token]" in written.getvalue()
    assert "the feed broke" in written.getvalue()
    assert token not in written.getvalue()


def test_a_warm_feed_costs_one_query_whatever_its_length(client, django_assert_num_queries):
    """The address's lookup is the only query once the list, the heads, the reader's kept
    values and each entry's body are cached."""
    for _ in range(5):
        story()
    address = feed_address(subscriber())
    client.get(address)
    with django_assert_num_queries(1):
        client.get(address)
    for _ in range(5):
        story()
    client.get(address)
    with django_assert_num_queries(1):
        assert len(entries(client.get(address))) == 10


def test_a_feed_renders_its_entries_from_the_article_pages_own_parts(
    client, django_assert_num_queries
):
    """Articles whose pages were read already cost the feed no query for their bodies, in full
    for one reader or as previews for another: its entries are made from the parts the article
    page cached. What is left is the lookup, the feed's list and its reader."""
    articles = [story() for _ in range(4)]
    for article in articles:
        client.get(article.get_absolute_url())
    full, previews = feed_address(subscriber()), feed_address(lapsed_subscriber())
    with django_assert_num_queries(4):
        # the lookup; the reader's reads of the month (their entitlement is kept since their
        # subscription changed); the feed's list (articles, their bylines)
        bodies = entries(Client().get(previews))
    assert all(BEYOND not in body for body in bodies.values())
    with django_assert_num_queries(1):  # the lookup
        bodies = entries(Client().get(full))
    assert all(BEYOND in body for body in bodies.values())


def test_the_token_is_masked_in_log_records_of_any_logger():
    record = logging.LogRecord(
        "django.request", logging.ERROR, __file__, 1, "%s: %s", ("Not Found", "/x"), None
    )
    record.args = ("Internal Server Error", "/feed/private/abcDEF123_-.rss")
    assert PrivateAddressFilter().filter(record)
    assert record.getMessage() == "Internal Server Error: /feed/private/[token]"
