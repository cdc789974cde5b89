"""Nothing beyond a preview cut reaches a reader who may not read on, through any route.

Articles carry a unique marker right after their cut: in the text, in a pull quote, and in the
caption and alt text of a picture. Readers who are not entitled fetch every URL the project
serves (every route is listed below; a route that is not fails the test) with GET and HEAD,
and the marker must not appear in a body or a header. A subscriber finds it, which shows the
test would see a leak. Private feeds are fetched as their addresses allow: a reader's own, the
feed of a reader whose subscription ended, an address made anew since and one nobody made.
"""

import uuid
from datetime import timedelta

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from articles.corrections import correction_save
from articles.models import Article, Correction, PreviewLink
from articles.previews import preview_link_create, preview_link_revoke
from subscriptions.gifts import gift_create, gift_revoke
from subscriptions.models import GiftLink, Subscription
from subscriptions.private_feeds import (
    private_feed_create,
    private_feed_rotate,
    private_feed_token,
)
from tests.factories import make_article, make_author, make_image, make_section, make_tag
from tests.factories import paragraphs as public_paragraphs
from tests.subscriptions.factories import make_plan, make_reader, make_subscription

pytestmark = pytest.mark.django_db

MARKER = f"zzleak{uuid.uuid4().hex[:12]}"
# A word that appears only beyond the cut, for searching (searching the marker itself would
# echo it back in "results for …").
HIDDEN_WORD = "quixotically"

# Routes that serve no text of an article, with the reason.
NOT_TEXT = {
    None: "uploaded files (image bytes, served in development only)",
    "healthz": "a load balancer's probe: plain 'ok'",
    "readyz": "a load balancer's probe: plain 'ready' or what is not",
    "robots_txt": "rules for crawlers and the sitemaps' addresses",
    "favicon": "the site's icon",
    "email_provider_webhook": "django-anymail's webhooks: signed POSTs in, no article text out",
}


def _routes(patterns=None, prefix=""):
    for pattern in patterns if patterns is not None else get_resolver().url_patterns:
        if isinstance(pattern, URLResolver):
            if pattern.app_name == "admin":
                continue  # staff only: every admin view requires a staff log-in
            yield from _routes(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield pattern.name, prefix + str(pattern.pattern)


@pytest.fixture
def site(settings):
    settings.NEWSROOM_METER_ANONYMOUS = 1
    settings.NEWSROOM_METER_REGISTERED = 1
    settings.NEWSROOM_PREVIEW_PARAGRAPHS = 3
    section = make_section(name="Harbour", slug="harbour")
    author = make_author(name="Ann Lee", slug="ann-lee")
    tag = make_tag(name="Ferries", slug="ferries")
    public_picture = make_image(caption="Public picture", credit="Herald/Ann")
    secret_picture = make_image(
        caption=f"Library caption {MARKER}", alt_text=f"Library alt {MARKER}", credit="Herald"
    )
    common = {"section": section, "authors": [author], "tags": [tag]}
    metered = make_article(
        headline="Ferry timetable changes",
        slug="ferry-timetable",
        standfirst="New sailings from May.",
        lead_image=public_picture,
        blocks=[
            ("text", public_paragraphs(2, prefix="Open ferry")),
            ("image", public_picture),
            ("break",),
            ("text", f"<p>Secret {MARKER} {HIDDEN_WORD} ferry detail.</p>" + public_paragraphs(3)),
            ("image", secret_picture),
            (
                "image",
                public_picture,
                {"caption": f"Caption {MARKER}", "alt_text": f"Alt {MARKER}"},
            ),
            ("quote", f"Quote {MARKER}", f"Attribution {MARKER}"),
        ],
        **common,
    )
    subscribers_only = make_article(
        headline="Inside the ferry accounts",
        slug="ferry-accounts",
        access=Article.Access.SUBSCRIBERS,
        blocks=[
            (
                "text",
                public_paragraphs(3, prefix="Open")
                + f"<p>{MARKER} {HIDDEN_WORD}</p>"
                + public_paragraphs(4),
            )
        ],
        **common,
    )
    filler = make_article(headline="Filler", slug="filler", **common)
    make_article(headline="Free notice", slug="free-notice", access=Article.Access.FREE, **common)
    plan = make_plan(slug="monthly")
    built = {"gifts": _gifts(filler=filler, marked=[metered, subscribers_only])}
    built["preview_links"] = _preview_links(common=common, live_marked=metered)
    built["feeds"] = _private_feeds(plan)
    correction_save(
        correction=Correction(article=metered, text="The ferry leaves at 7, not 6."),
        by=make_reader(is_staff=True, is_superuser=True),
    )
    built |= {
        "articles": [metered, subscribers_only],
        "filler": filler,
        "section": section,
        "author": author,
        "tag": tag,
        "plan": plan,
    }
    _warm_every_cache_as_entitled_readers(built)
    return built


def _gifts(*, filler, marked):
    """Gift links for the route list: a valid gift for the filler (article A, no marker), and
    for the articles with a marker (B) only gifts that have expired or were withdrawn."""
    sender = make_reader()
    make_subscription(user=sender)
    valid = gift_create(sender=sender, article=filler)
    expired, withdrawn = (gift_create(sender=sender, article=article) for article in marked)
    GiftLink.objects.filter(pk=expired.pk).update(expires_at=timezone.now())
    gift_revoke(gift=withdrawn, by=sender)
    return {"valid": valid, "expired": expired, "withdrawn": withdrawn, "sender": sender}


def _preview_links(*, common, live_marked):
    """Share links for the route list: a valid one for a draft without a marker, for a draft
    with a marker (beyond its cut) only links that expired or were revoked, and a valid one for
    a live article with a marker, which leads to that article's ordinary page."""
    editor = make_reader(is_staff=True, is_superuser=True)
    draft = make_article(
        headline="Draft ferry report", slug="draft-ferry", status=Article.Status.DRAFT, **common
    )
    marked_draft = make_article(
        headline="Draft ferry inquiry",
        slug="draft-inquiry",
        status=Article.Status.DRAFT,
        blocks=[("text", public_paragraphs(3)), ("break",), ("text", f"<p>{MARKER}</p>")],
        **common,
    )
    expired, revoked = (preview_link_create(article=marked_draft, by=editor) for _ in range(2))
    PreviewLink.objects.filter(pk=expired.pk).update(expires_at=timezone.now())
    preview_link_revoke(link=revoked, by=editor)
    return {
        "valid": preview_link_create(article=draft, by=editor),
        "expired": expired,
        "revoked": revoked,
        "live": preview_link_create(article=live_marked, by=editor),
        "marked_draft": marked_draft,
        "editor": editor,
    }


def _lapsed_subscriber(plan):
    """Return a reader whose subscription ended forty days ago."""
    reader = make_reader()
    make_subscription(
        user=reader,
        plan=plan,
        status=Subscription.Status.EXPIRED,
        current_period_start=timezone.now() - timedelta(days=70),
        days_left=-40,
    )
    return reader


def _private_feeds(plan):
    """Private feed addresses for the route list: the feed of a reader whose subscription ended
    (made while it ran), and the old address of a subscriber who has made a new one since."""
    lapsed = _lapsed_subscriber(plan)
    subscriber = make_reader()
    make_subscription(user=subscriber, plan=plan)
    old = private_feed_token(feed=private_feed_create(user=subscriber))
    private_feed_rotate(user=subscriber)
    return {
        "lapsed": private_feed_token(feed=private_feed_create(user=lapsed)),
        "rotated": old,
        "made_up": "A" * 43,
    }


def _feed_url(token):
    return reverse("private_feed", args=[token])


def _sign_in_token(user):
    """The token of a live sign-in link for `user` (its page says no more than their address)."""
    from accounts.email_sign_in import email_sign_in_issue
    from accounts.models import EmailSignIn

    return email_sign_in_issue(email=user.email, purpose=EmailSignIn.Purpose.LOG_IN).token


def _urls(site, reader):
    """Return the URLs to fetch for every route, failing for a route this test does not know."""
    articles = site["articles"]
    user = reader or make_reader()
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    search = reverse("search")
    builders = {
        "home": [reverse("home")],
        "search": [f"{search}?q=ferry", f"{search}?q={HIDDEN_WORD}", f"{search}?q=secret"],
        "section": [site["section"].get_absolute_url()],
        "section_feed": [reverse("section_feed", args=["harbour"])],
        "section_feed_atom": [reverse("section_feed_atom", args=["harbour"])],
        "author": [site["author"].get_absolute_url()],
        "tag": [site["tag"].get_absolute_url()],
        "article": [a.get_absolute_url() for a in articles]
        + [a.get_absolute_url() + "?as=public" for a in articles],
        "feed": [reverse("feed")],
        "feed_atom": [reverse("feed_atom")],
        "sitemap": [reverse("sitemap")],
        "sitemap_section": [
            reverse("sitemap_section", args=[name]) for name in ("articles", "pages")
        ],
        "news_sitemap": [reverse("news_sitemap")],
        "login": [reverse("login")],
        "logout": [reverse("logout")],
        "signup": [reverse("signup")],
        "sign_in_email": [reverse("sign_in_email")],
        "sign_in_code": [reverse("sign_in_code")],
        "sign_in_link": [
            reverse("sign_in_link", args=[_sign_in_token(user)]),
            reverse("sign_in_link", args=["A" * 43]),
        ],
        "account": [reverse("account")],
        "subscription_cancel": [reverse("subscription_cancel")],
        "subscription_resume": [reverse("subscription_resume")],
        "subscription_switch_plan": [reverse("subscription_switch_plan")],
        "password_change": [reverse("password_change")],
        "password_change_done": [reverse("password_change_done")],
        "password_reset": [reverse("password_reset")],
        "password_reset_done": [reverse("password_reset_done")],
        "password_reset_confirm": [reverse("password_reset_confirm", args=[uid, token])],
        "password_reset_complete": [reverse("password_reset_complete")],
        "subscribe": [reverse("subscribe") + f"?next={articles[0].get_absolute_url()}"],
        # The prompt's buttons, followed to where they lead.
        "prompt_click": [
            reverse("prompt_click", args=[articles[0].pk, button])
            + f"?next={articles[0].get_absolute_url()}"
            for button in ("subscribe", "log_in", "sign_up", "newsletter")
        ],
        "checkout": [reverse("checkout", args=["monthly"])],
        # A POST-only hand-off to Stripe's portal (GET: 405), the return from Stripe's checkout
        # (a redirect to the article it came from, followed here) and Stripe's webhook (POST).
        "billing_portal": [reverse("billing_portal")],
        "checkout_return": [reverse("checkout_return") + f"?next={articles[0].get_absolute_url()}"],
        "stripe_webhook": [reverse("stripe_webhook")],
        "article_gift": [
            reverse("article_gift", args=[g.token])
            for g in site["gifts"].values()
            if isinstance(g, GiftLink)
        ],
        "article_gift_create": [reverse("article_gift_create", args=[a.slug]) for a in articles],
        # What a page that a shared cache may serve asks for to say it was seen (no text).
        "article_seen": [reverse("article_seen", args=[a.slug]) for a in articles],
        "gifts_sent": [reverse("gifts_sent")],
        "gift_withdraw": [reverse("gift_withdraw", args=[site["gifts"]["valid"].pk])],
        "article_preview_link": [
            reverse("article_preview_link", args=[link.token])
            for link in site["preview_links"].values()
            if isinstance(link, PreviewLink)
        ]
        + [reverse("article_preview_link", args=["not-a-token-anyone-made"])],
        "corrections": [reverse("corrections")],
        # The reader's own feed (for an entitled reader, in full: it warms every cache), and
        # the addresses of others that any reader may have been given.
        "private_feed": [_feed_url(private_feed_token(feed=private_feed_create(user=user)))]
        + [_feed_url(token) for token in site["feeds"].values()],
        "private_feed_new": [reverse("private_feed_new")],
        # Newsletters' pages show no article text (emails are checked by
        # tests/newsletters/test_canary.py); their tokens' pages, with a made-up token.
        "newsletter_list": [reverse("newsletter_list")],
        "newsletter_sign_up": [reverse("newsletter_sign_up")],
        "newsletter_join": [reverse("newsletter_join", args=["no-such-newsletter"])],
        "newsletter_confirm": [reverse("newsletter_confirm", args=["not-a-token"])],
        "newsletter_unsubscribe": [reverse("newsletter_unsubscribe", args=["not-a-token"])],
        "account_newsletters": [reverse("account_newsletters")],
    }
    unknown = {
        (name, route) for name, route in _routes() if name not in builders and name not in NOT_TEXT
    }
    assert not unknown, f"routes missing from the leak test: {unknown}"
    return [url for urls in builders.values() for url in urls]


def _warm_every_cache_as_entitled_readers(site):
    """Fetch every page as a subscriber and as staff first, so that every cache holds the
    full text before a reader who may not read on arrives."""
    from django.test import Client

    subscriber = make_reader()
    make_subscription(user=subscriber, plan=site["plan"])
    editor = make_reader(is_staff=True, is_superuser=True)
    for user in (subscriber, editor):
        entitled = Client()
        entitled.force_login(user)
        for url in _urls(site, user):
            entitled.get(url)
    assert MARKER in entitled.get(site["articles"][1].get_absolute_url()).content.decode()


def _assert_nothing_leaks(client, urls):
    for url in urls:
        for method in (client.get, client.head):
            response = method(url, follow=True)
            assert response.status_code < 500, url
            content = response.content.decode(errors="replace")  # the "seen" image too
            headers = str(response.headers)
            assert MARKER not in content, f"{method.__name__.upper()} {url} leaks the marker"
            assert MARKER not in headers, f"{url} leaks the marker in a header"


def _use_up_the_meter(client, site):
    client.get(site["filler"].get_absolute_url())


def test_an_anonymous_reader_out_of_free_articles_gets_nothing_beyond_the_cut(client, site):
    _use_up_the_meter(client, site)
    _assert_nothing_leaks(client, _urls(site, None))
    page = client.get(site["articles"][0].get_absolute_url()).content.decode()
    assert "Open ferry 2" in page
    assert "You're reading a preview, subscribe to read more." in page


def test_a_fresh_anonymous_reader_gets_no_subscriber_text(client, site):
    page = client.get(site["articles"][1].get_absolute_url()).content.decode()
    assert MARKER not in page and "Open 3" in page


def test_a_registered_reader_out_of_reads_gets_nothing_beyond_the_cut(client, site):
    reader = make_reader()
    client.force_login(reader)
    _use_up_the_meter(client, site)
    _assert_nothing_leaks(client, _urls(site, reader))
    page = client.get(site["articles"][0].get_absolute_url()).content.decode()
    assert "subscribe to read more" in page
    assert "create a free account" not in page


def test_a_reader_whose_subscription_expired_gets_nothing_beyond_the_cut(client, site):
    reader = make_reader()
    make_subscription(
        user=reader,
        plan=site["plan"],
        status=Subscription.Status.EXPIRED,
        current_period_start=timezone.now() - timedelta(days=70),
        days_left=-40,
    )
    client.force_login(reader)
    _use_up_the_meter(client, site)
    _assert_nothing_leaks(client, _urls(site, reader))


def test_crawlers_and_prefetches_get_nothing_beyond_the_cut(client, site):
    for headers in ({"User-Agent": "Googlebot/2.1"}, {"Sec-Purpose": "prefetch"}):
        for article in site["articles"]:
            response = client.get(article.get_absolute_url(), headers=headers)
            assert MARKER not in response.content.decode()
            assert not response.cookies


def test_a_subscriber_reads_the_marker_in_text_caption_and_alt_text(client, site):
    reader = make_reader()
    make_subscription(user=reader, plan=site["plan"])
    client.force_login(reader)
    page = client.get(site["articles"][0].get_absolute_url()).content.decode()
    assert f"Secret {MARKER}" in page
    assert f"Caption {MARKER}" in page and f'alt="Alt {MARKER}"' in page
    assert f"Library caption {MARKER}" in page and f"Quote {MARKER}" in page
    assert MARKER in client.get(site["articles"][1].get_absolute_url()).content.decode()


def test_a_gift_for_one_article_opens_nothing_of_another(client, site):
    """A valid gift for A (the filler) gives A in full, and not a word beyond B's cut: not on
    the gift page, and not anywhere the reader goes after it."""
    _use_up_the_meter(client, site)
    gift_page = client.get(reverse("article_gift", args=[site["gifts"]["valid"].token]))
    assert "Filler" in gift_page.content.decode()
    assert MARKER not in gift_page.content.decode()
    _assert_nothing_leaks(client, _urls(site, None))


@pytest.mark.parametrize("state", ["expired", "withdrawn"])
def test_an_expired_or_withdrawn_gift_gives_only_the_preview(client, site, state):
    gift = site["gifts"][state]
    response = client.get(reverse("article_gift", args=[gift.token]))
    page = response.content.decode()
    assert MARKER not in page
    assert "You're reading a preview, subscribe to read more." in page
    assert "private" in response["Cache-Control"]


def test_a_valid_gift_page_is_private_and_shows_the_marker_only_to_its_reader(client, site):
    """The positive control: a gift for B does carry B's marker, so the test would see a leak;
    the page is private, and B's ordinary page stays a preview for the same reader."""
    article = site["articles"][1]
    gift = gift_create(sender=site["gifts"]["sender"], article=article)
    response = client.get(reverse("article_gift", args=[gift.token]))
    assert MARKER in response.content.decode()
    assert "private" in response["Cache-Control"]
    assert "public" not in response["Cache-Control"]
    assert MARKER not in client.get(article.get_absolute_url()).content.decode()


def test_a_valid_share_link_of_a_draft_shows_it_in_full_privately(client, site):
    """The positive control for share links: a valid link for the draft with a marker does
    show the marker (so the route list would see a leak), privately and for nobody's index;
    the same draft stays a 404 on its own address, and its expired or revoked links are 404s."""
    links = site["preview_links"]
    link = preview_link_create(article=links["marked_draft"], by=links["editor"])
    response = client.get(reverse("article_preview_link", args=[link.token]))
    assert MARKER in response.content.decode()
    assert "no-store" in response["Cache-Control"] and "public" not in response["Cache-Control"]
    assert response["X-Robots-Tag"] == "noindex"
    assert client.get(links["marked_draft"].get_absolute_url()).status_code == 404
    for state in ("expired", "revoked"):
        assert (
            client.get(reverse("article_preview_link", args=[links[state].token])).status_code
            == 404
        )


def _feed(client, token):
    response = client.get(_feed_url(token))
    assert response.status_code == 200
    return response.content.decode()


def test_a_subscribers_private_feed_carries_the_marker_and_a_lapsed_readers_does_not(client, site):
    """The positive control for private feeds, after every cache was warmed by entitled
    readers' feeds: a subscriber's feed carries the text beyond the cut (so the route list
    would see a leak), the feed of a reader whose subscription ended only the public part and
    the invitation, in its body and in its headers."""
    subscriber = make_reader()
    make_subscription(user=subscriber, plan=site["plan"])
    assert MARKER in _feed(client, private_feed_token(feed=private_feed_create(user=subscriber)))
    response = client.get(_feed_url(site["feeds"]["lapsed"]))
    feed = response.content.decode()
    assert MARKER not in feed and MARKER not in str(response.headers)
    assert "Open ferry 2" in feed  # the public part
    assert "You're reading a preview, subscribe to read more." in feed
    for token in (site["feeds"]["rotated"], site["feeds"]["made_up"]):
        assert client.get(_feed_url(token)).status_code == 404


def test_a_cancelled_subscriptions_feed_gives_previews_once_access_ends(client, site):
    """The same decision at the time of each request: in full until the paid-for period ends,
    then previews, though the feed's full text was fetched (and kept) a moment before."""
    import time_machine

    reader = make_reader()
    subscription = make_subscription(
        user=reader, plan=site["plan"], days_left=2, cancel_at_period_end=True
    )
    token = private_feed_token(feed=private_feed_create(user=reader))
    with time_machine.travel(subscription.current_period_end - timedelta(minutes=1), tick=False):
        assert MARKER in _feed(client, token)
    with time_machine.travel(subscription.current_period_end + timedelta(minutes=1), tick=False):
        feed = _feed(client, token)
    assert MARKER not in feed
    assert "Open ferry 2" in feed
    assert "You're reading a preview, subscribe to read more." in feed
