"""What the paywall's funnel records of each page and button: who saw what, and nothing of
staff, crawlers, prefetches or HEAD requests; pages a shared cache may serve count themselves."""

import pytest
from django.test import Client
from django.urls import reverse

from articles.models import Article
from insight.models import Kind
from tests.factories import make_article, make_staff
from tests.insight import recorded
from tests.subscriptions.factories import make_plan, make_reader, make_subscription

pytestmark = pytest.mark.django_db

TABLET = "Mozilla/5.0 (iPad; CPU OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Safari/604.1"


def seen_url(article):
    return reverse("article_seen", args=[article.slug])


def test_a_subscriber_reading_in_full_is_a_read_by_a_subscriber_from_social():
    article = make_article(access=Article.Access.SUBSCRIBERS)
    subscriber = make_reader()
    make_subscription(user=subscriber, plan=make_plan())
    client = Client(headers={"Referer": "https://t.co/abc", "User-Agent": TABLET})
    client.force_login(subscriber)

    client.get(article.get_absolute_url())

    (read,) = recorded()
    assert (read.kind, read.reader_kind, read.user_id) == (Kind.READ, "subscriber", subscriber.pk)
    assert (read.referrer, read.device, read.access) == ("social", "tablet", "subscribers")
    assert read.section_id == article.section_id and read.visitor == ""


def test_a_registered_reader_meets_the_subscribers_only_wall(client):
    article = make_article(access=Article.Access.SUBSCRIBERS)
    reader = make_reader()
    client.force_login(reader)
    client.get(article.get_absolute_url() + "?utm_medium=email&utm_source=morning")

    (wall,) = recorded()
    assert (wall.kind, wall.detail, wall.reader_kind) == (
        Kind.WALL,
        "subscribers_only",
        "registered",
    )
    assert wall.referrer == "newsletter"


def test_staff_crawlers_prefetches_and_head_requests_are_not_counted(client):
    article = make_article()
    client.force_login(make_staff())
    client.get(article.get_absolute_url())
    Client(headers={"User-Agent": "Googlebot/2.1"}).get(article.get_absolute_url())
    Client(headers={"Sec-Purpose": "prefetch"}).get(article.get_absolute_url())
    Client().head(article.get_absolute_url())

    assert recorded() == []


def test_a_page_a_shared_cache_may_serve_is_counted_when_the_page_says_it_was_seen():
    free = make_article(access=Article.Access.FREE)
    paid = make_article(access=Article.Access.SUBSCRIBERS)
    reader = Client(headers={"User-Agent": TABLET})

    for article in (free, paid):
        page = reader.get(article.get_absolute_url())
        assert "public" in page["Cache-Control"]  # a CDN may keep it: the server cannot count
        assert f'data-seen="{seen_url(article)}"' in page.content.decode()
        assert f'<noscript><img class="visually-hidden" src="{seen_url(article)}"' in (
            page.content.decode()
        )
    assert recorded() == []

    told = reader.post(seen_url(free), {"referrer": "https://www.bing.com/search?q=harbour"})
    reader.post(seen_url(paid), {"referrer": "", "utm_medium": "social"})
    pixel = reader.get(seen_url(paid))  # without JavaScript: the image

    assert told.status_code == 204 and not told.cookies
    assert pixel["Content-Type"] == "image/gif" and "no-store" in pixel["Cache-Control"]
    read, wall, wall_without_script = recorded()
    assert (read.kind, read.article_id, read.referrer, read.device) == (
        Kind.READ,
        free.pk,
        "search",
        "tablet",
    )
    assert (wall.kind, wall.detail, wall.referrer) == (Kind.WALL, "subscribers_only", "social")
    assert wall_without_script.referrer == ""  # an image cannot say where its page came from


def test_seen_is_ignored_where_the_server_counted_the_page_or_there_is_no_page(client):
    metered = make_article()  # never shared: counted as it is sent
    draft = make_article(access=Article.Access.FREE, status=Article.Status.DRAFT)
    client.get(metered.get_absolute_url())
    page = client.get(metered.get_absolute_url())
    assert "data-seen" not in page.content.decode()

    client.post(seen_url(metered))
    client.post(seen_url(draft))
    missing = client.post(reverse("article_seen", args=["no-such-story"]))
    Client(headers={"User-Agent": "Twitterbot/1.0"}).post(seen_url(draft))

    assert missing.status_code == 204
    assert [event.kind for event in recorded()] == [Kind.READ, Kind.READ]  # the pages only


def test_the_prompts_buttons_are_counted_on_the_way_to_where_they_lead(client):
    article = make_article(access=Article.Access.SUBSCRIBERS)
    page = client.get(article.get_absolute_url()).content.decode()
    for button in ("subscribe", "log_in"):
        assert reverse("prompt_click", args=[article.pk, button]) in page

    path = article.get_absolute_url()
    subscribe = client.get(reverse("prompt_click", args=[article.pk, "subscribe"]), {"next": path})
    log_in = client.get(reverse("prompt_click", args=[article.pk, "log_in"]), {"next": path})
    sign_up = client.get(reverse("prompt_click", args=[article.pk, "sign_up"]), {"next": path})
    unknown = client.get(reverse("prompt_click", args=[article.pk, "win-a-prize"]))
    Client(headers={"Sec-Purpose": "prefetch"}).get(
        reverse("prompt_click", args=[article.pk, "subscribe"])
    )

    assert subscribe["Location"] == f"{reverse('subscribe')}?next=%2Farticles%2F{article.slug}%2F"
    assert log_in["Location"].startswith(reverse("login") + "?next=")
    assert sign_up["Location"].startswith(reverse("signup") + "?next=")
    assert unknown.status_code == 404
    clicks = recorded(kind=Kind.PROMPT_CLICK)
    assert [click.detail for click in clicks] == ["subscribe", "log_in", "sign_up"]
    assert {(click.article_id, click.section_id, click.access) for click in clicks} == {
        (article.pk, article.section_id, "subscribers")
    }
    assert len(recorded(kind=Kind.SIGNUP_STARTED)) == 1


def test_a_prompt_button_leads_only_to_this_site(client):
    article = make_article()
    away = client.get(
        reverse("prompt_click", args=[article.pk, "subscribe"]), {"next": "https://evil.example/"}
    )
    assert away["Location"] == reverse("subscribe")


def test_a_gift_opened_and_the_account_it_brings_are_counted_for_its_article():
    from subscriptions.gifts import gift_create, gift_path

    article = make_article(access=Article.Access.SUBSCRIBERS)
    sender = make_reader()
    make_subscription(user=sender, plan=make_plan())
    gift = gift_create(sender=sender, article=article)
    friend = Client()
    friend.get(gift_path(gift))
    friend.post(
        reverse("signup"),
        {
            "name": "Cy",
            "email": "cy@example.com",
            "password1": "a-long-enough-passphrase",
            "password2": "a-long-enough-passphrase",
        },
    )

    (opened,) = recorded(kind=Kind.GIFT_OPENED)
    (signup,) = recorded(kind=Kind.GIFT_SIGNUP)
    assert (opened.article_id, opened.section_id, opened.reader_kind) == (
        article.pk,
        article.section_id,
        "anonymous",
    )
    assert signup.article_id == article.pk and signup.user_id is not None
    assert recorded(kind__in=[Kind.READ, Kind.WALL]) == []  # a gift's page is the gift's


def test_a_newsletter_sign_up_at_an_articles_end_is_counted_for_that_article(client):
    from tests.newsletters.factories import make_newsletter

    make_newsletter(slug="briefing", offered_on_articles=True)
    article = make_article(access=Article.Access.FREE)
    page = client.get(article.get_absolute_url()).content.decode()
    assert f'name="article" value="{article.pk}"' in page

    client.post(
        reverse("newsletter_sign_up"),
        {
            "newsletter": "briefing",
            "source": "article",
            "article": str(article.pk),
            "email": "dee@example.com",
            "next": article.get_absolute_url(),
        },
    )
    client.post(
        reverse("newsletter_sign_up"),
        {"newsletter": "briefing", "article": "not-a-number", "email": "eve@example.com"},
    )

    (signup,) = recorded(kind=Kind.NEWSLETTER_SIGNUP)  # the newsletters page's is not counted
    assert (signup.detail, signup.article_id, signup.access) == ("article", article.pk, "free")


def test_a_site_may_count_anonymous_readers_without_their_meter_id(client, settings):
    settings.NEWSROOM_INSIGHT_METER_IDS = False
    article = make_article()
    client.get(article.get_absolute_url())
    client.get(article.get_absolute_url())

    assert [event.visitor for event in recorded()] == ["", ""]
