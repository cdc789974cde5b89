"""The article page as each kind of reader meets the paywall, over HTTP."""

import pytest
from django.urls import reverse

from articles.models import Article
from subscriptions.meter import METER_COOKIE
from subscriptions.models import MeteredRead
from tests.factories import make_article, paragraphs
from tests.subscriptions.factories import PASSWORD, make_reader, make_subscription

pytestmark = pytest.mark.django_db

PREVIEW = "You're reading a preview, subscribe to read more."


def metered(n=1):
    return [
        make_article(blocks=[("text", paragraphs(3)), ("break",), ("text", "<p>Beyond.</p>")])
        for _ in range(n)
    ]


def read(client, article, **kwargs):
    return client.get(article.get_absolute_url(), **kwargs).content.decode()


def test_anonymous_meter_quota_rereads_and_note(client, settings):
    settings.NEWSROOM_METER_ANONYMOUS = 3
    first, second, third, fourth = metered(4)
    assert "2 of 3 free articles left this month" in read(client, first)
    assert "1 of 3 free articles left this month" in read(client, second)
    assert "This is your last free article this month." in read(client, third)
    page = read(client, fourth)
    assert PREVIEW in page and "Beyond." not in page
    assert "You have read your 3 free articles this month." in page
    assert "create a free account" in page
    assert f'href="/login/?next={fourth.get_absolute_url()}"' in page
    rereading = read(client, first)
    assert "Beyond." in rereading and PREVIEW not in rereading


READ_AGAIN = "You read this article earlier this month: reading it again is free."
LAST = "This is your last free article this month."


@pytest.mark.parametrize("registered", [False, True], ids=["anonymous", "registered"])
def test_rereading_with_the_free_reads_used_up_never_says_it_is_the_last(
    client, settings, registered
):
    settings.NEWSROOM_METER_ANONYMOUS = 2
    settings.NEWSROOM_METER_REGISTERED = 2
    if registered:
        client.force_login(make_reader())
    first, second, third = metered(3)
    read(client, first)
    assert LAST in read(client, second)
    assert PREVIEW in read(client, third)
    for article in (first, second):
        page = read(client, article)
        assert "Beyond." in page and LAST not in page
        assert READ_AGAIN in page and "You have no free articles left this month." in page


def test_rereading_with_reads_left_says_how_many_are_left(client, settings):
    settings.NEWSROOM_METER_ANONYMOUS = 3
    first, _second = metered(2)
    read(client, first)
    page = read(client, first)
    assert READ_AGAIN in page and "2 of 3 free articles left this month." in page


def test_a_tampered_meter_cookie_is_a_fresh_reader(client, settings):
    settings.NEWSROOM_METER_ANONYMOUS = 1
    first, second = metered(2)
    read(client, first)
    client.cookies[METER_COOKIE] = client.cookies[METER_COOKIE].value[:-3] + "abc"
    response = client.get(second.get_absolute_url())
    assert response.status_code == 200
    assert "Beyond." in response.content.decode()


def test_head_and_prefetch_never_spend_a_read(client, settings):
    settings.NEWSROOM_METER_ANONYMOUS = 1
    first, second = metered(2)
    assert not client.head(first.get_absolute_url()).cookies
    prefetch = client.get(first.get_absolute_url(), headers={"Sec-Purpose": "prefetch"})
    assert PREVIEW in prefetch.content.decode() and not prefetch.cookies
    assert "Beyond." in read(client, second)


def test_reads_carry_over_when_an_anonymous_reader_logs_in(client, settings):
    settings.NEWSROOM_METER_ANONYMOUS = 3
    settings.NEWSROOM_METER_REGISTERED = 5
    first, second, third = metered(3)
    read(client, first)
    read(client, second)
    reader = make_reader()
    response = client.post(reverse("login"), {"username": reader.email, "password": PASSWORD})
    assert response.status_code == 302
    assert MeteredRead.objects.filter(user=reader).count() == 2
    assert "2 of 5 free articles left this month" in read(client, third)


def test_a_registered_reader_out_of_reads_is_asked_to_subscribe(client, settings):
    settings.NEWSROOM_METER_REGISTERED = 1
    first, second = metered(2)
    client.force_login(make_reader())
    read(client, first)
    page = read(client, second)
    assert PREVIEW in page
    assert "create a free account" not in page and "Log in" not in page.split(PREVIEW)[1]


def test_subscribers_only_articles_show_a_preview_even_with_reads_left(client):
    (article,) = [make_article(access=Article.Access.SUBSCRIBERS, blocks=[("text", paragraphs(9))])]
    page = read(client, article)
    assert PREVIEW in page and "This article is for subscribers." in page
    assert "Paragraph 3 of" in page and "Paragraph 4 of" not in page


def test_subscribers_read_everything_without_a_meter(client):
    reader = make_reader()
    make_subscription(user=reader)
    client.force_login(reader)
    for article in metered(6):
        page = read(client, article)
        assert "Beyond." in page and "free article" not in page
    assert not MeteredRead.objects.exists()


def test_staff_read_in_full_and_can_see_what_the_public_sees(client, staff_user, settings):
    settings.NEWSROOM_METER_ANONYMOUS = 3
    (article,) = metered(1)
    client.force_login(staff_user)
    page = read(client, article)
    assert "Beyond." in page and "Readers without access stop here" in page
    out_of_reads = reverse("admin:articles_article_preview", args=[article.pk, "out-of-reads"])
    assert f'href="{out_of_reads}"' in page


def test_staff_seeing_it_as_a_reader_out_of_reads_see_that_readers_count(
    client, staff_user, settings
):
    settings.NEWSROOM_METER_ANONYMOUS = 3
    (article,) = metered(1)
    client.force_login(staff_user)
    # The old address of "as the public sees it" leads to the reader out of free reads, who
    # has read 3 free articles this month: never "your 0 free articles".
    public = client.get(article.get_absolute_url() + "?as=public", follow=True).content.decode()
    assert PREVIEW in public and "Beyond." not in public
    assert "You have read your 3 free articles this month." in public
    assert "0 free articles" not in public


def test_paywalled_articles_say_so_in_json_ld(client):
    (article,) = metered(1)
    page = read(client, article)
    assert '"isAccessibleForFree": false' in page
    assert '"cssSelector": ".paywall"' in page  # the full text is on this page
    settings_free = make_article(access=Article.Access.FREE)
    assert '"isAccessibleForFree": true' in read(client, settings_free)


@pytest.mark.parametrize("logged_in", [False, True])
def test_the_paywall_costs_few_queries(client, django_assert_max_num_queries, logged_in):
    articles = metered(3)
    if logged_in:
        client.force_login(make_reader())
    read(client, articles[0])  # warm the rendered-body cache
    # The page's parts come from the cache. Anonymous: nothing at all, the meter being in a
    # cookie; logged in: the user (the session comes from the cache), then at most two for
    # the paywall.
    with django_assert_max_num_queries(3 if logged_in else 0):
        read(client, articles[0])


# The paywall's edges: prefetches, in-app browsers, and what a shared cache may keep ----------

CRAWLER_LIKE = {"User-Agent": "Mozilla/5.0 (iPhone) FBAN/FBIOS; facebookexternalhit/1.1"}
PREFETCH = {"Sec-Purpose": "prefetch;prerender"}


@pytest.mark.parametrize("headers", [PREFETCH, CRAWLER_LIKE], ids=["prerender", "in-app"])
@pytest.mark.parametrize("kind", ["subscriber", "staff"])
def test_a_subscribers_prefetch_or_in_app_browser_still_reads_in_full(client, headers, kind):
    """A logged-in reader is never demoted to anonymous by their browser's habits."""
    article = make_article(
        access=Article.Access.SUBSCRIBERS,
        blocks=[("text", paragraphs(3)), ("break",), ("text", "<p>Beyond.</p>")],
    )
    reader = make_reader(is_staff=kind == "staff")
    if kind == "subscriber":
        make_subscription(user=reader)
    client.force_login(reader)

    response = client.get(article.get_absolute_url(), headers=headers)

    assert "Beyond." in response.content.decode()
    assert "private" in response["Cache-Control"]


def test_a_registered_readers_prefetch_freezes_the_meter(client, settings):
    settings.NEWSROOM_METER_REGISTERED = 2
    first, second = metered(2)
    reader = make_reader()
    client.force_login(reader)
    assert "Beyond." in read(client, first)

    prefetched = read(client, second, headers=PREFETCH)
    assert "Beyond." not in prefetched  # a new read is not spent by a prefetch
    assert "Beyond." in read(client, first, headers=PREFETCH)  # one already read still is
    assert MeteredRead.objects.filter(user=reader).count() == 1


class SharedCache:
    """A CDN in front of the site, as RFC 9111 lets it behave: it keeps a response that says
    `public` and sets no cookie, and serves it to the next request for the same URL that
    carries no cookie (the pages vary on Cookie)."""

    def __init__(self, client):
        self.client = client
        self.kept = {}

    def get(self, url, **kwargs):
        headers = kwargs.get("headers", {})
        if url in self.kept and not self.client.cookies and "Cookie" not in headers:
            return self.kept[url]
        response = self.client.get(url, **kwargs)
        cache_control = response.get("Cache-Control", "")
        if "public" in cache_control and "private" not in cache_control and not response.cookies:
            self.kept[url] = response
        return response


def test_a_crawlers_preview_of_a_metered_article_is_not_served_to_the_next_human(client):
    (article,) = metered(1)
    cdn = SharedCache(client)

    crawled = cdn.get(article.get_absolute_url(), headers={"User-Agent": "Googlebot/2.1"})
    assert PREVIEW in crawled.content.decode()
    client.cookies.clear()
    human = cdn.get(article.get_absolute_url()).content.decode()

    assert "Beyond." in human and "2 of 3 free articles left this month" in human


@pytest.mark.parametrize("method", ["head", "prefetch"])
def test_a_head_or_prefetch_of_a_metered_article_is_private(client, method):
    (article,) = metered(1)
    if method == "head":
        response = client.head(article.get_absolute_url())
    else:
        response = client.get(article.get_absolute_url(), headers=PREFETCH)
    assert "private" in response["Cache-Control"] and "public" not in response["Cache-Control"]


@pytest.mark.parametrize("access", [Article.Access.FREE, Article.Access.SUBSCRIBERS])
def test_free_articles_and_subscribers_only_previews_may_be_shared(client, access):
    article = make_article(
        access=access, blocks=[("text", paragraphs(3)), ("break",), ("text", "<p>Beyond.</p>")]
    )
    cdn = SharedCache(client)
    first = cdn.get(article.get_absolute_url())
    assert "public" in first["Cache-Control"]
    assert cdn.get(article.get_absolute_url()) is first  # the CDN answers the second reader
    assert ("Beyond." in first.content.decode()) == (access == Article.Access.FREE)
