"""The canary: no text beyond a preview cut reaches a newsletter recipient who may not read on.

Each article carries a unique marker right after its cut (in the text, a pull quote, and a
picture's caption and alt text), as `tests/subscriptions/test_leaks.py` does for pages. Every
kind of newsletter (an article send of a metered, a subscribers-only and a free article, and a
digest of them) goes through the real send (frozen, rendered once per variant, handed to the
email backend) to every kind of recipient; the marker must not be in the HTML part, the
plain-text part, the subject or the preheader of any email to a recipient the article page
would not give it to. The positive control: the recipients whom the page gives it get it.
"""

import uuid
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from articles.models import Article
from newsletters.models import NewsletterSend, SendVariant
from newsletters.sending import send_start
from subscriptions.meter import meter_period
from subscriptions.models import MeteredRead, Subscription
from tests.factories import make_article, make_image, make_staff, paragraphs
from tests.newsletters.factories import make_newsletter, make_send, subscribe
from tests.subscriptions.factories import make_reader, make_subscription

pytestmark = pytest.mark.django_db

MARKER = f"zzcanary{uuid.uuid4().hex[:12]}"


def _marked_article(**fields):
    public_picture = make_image(caption="Harbour at dawn", credit="Herald/Ann")
    secret_picture = make_image(caption=f"Library caption {MARKER}", alt_text=f"Alt {MARKER}")
    return make_article(
        lead_image=public_picture,
        blocks=[
            ("text", paragraphs(2, prefix="Open")),
            ("image", public_picture),
            ("break",),
            ("text", f"<p>Secret {MARKER} detail.</p>" + paragraphs(3)),
            ("image", secret_picture),
            (
                "image",
                public_picture,
                {"caption": f"Caption {MARKER}", "alt_text": f"Alt {MARKER}"},
            ),
            ("quote", f"Quote {MARKER}", f"Attribution {MARKER}"),
        ],
        **fields,
    )


@pytest.fixture
def site(settings):
    settings.NEWSROOM_NEWSLETTER_RATE_PER_SECOND = 0
    articles = {
        "metered": _marked_article(
            headline="Ferry timetable changes", access=Article.Access.METERED
        ),
        "subscribers": _marked_article(
            headline="Inside the ferry accounts", access=Article.Access.SUBSCRIBERS
        ),
        "free": _marked_article(headline="Free notice", access=Article.Access.FREE),
    }
    newsletter = make_newsletter(name="The Morning Briefing")
    readers = {
        "address": "someone@example.net",
        "registered": make_reader(name="Rita"),
        "registered-who-read-it": make_reader(name="Reece"),
        "lapsed": make_reader(),
        "subscriber": make_reader(name="Sam"),
        "staff": make_reader(is_staff=True),
    }
    MeteredRead.objects.create(
        user=readers["registered-who-read-it"],
        article_id=articles["metered"].pk,
        period=meter_period(),
    )
    make_subscription(user=readers["subscriber"])
    make_subscription(
        user=readers["lapsed"],
        status=Subscription.Status.EXPIRED,
        current_period_start=timezone.now() - timedelta(days=70),
        days_left=-40,
    )
    for reader in readers.values():
        if isinstance(reader, str):
            subscribe(newsletter, email=reader)
        else:
            subscribe(newsletter, user=reader)
    return {"articles": articles, "newsletter": newsletter, "readers": readers}


def _address(reader):
    return reader if isinstance(reader, str) else reader.email


# Who the article page gives each article in full (the site's own rule, for the assertions).
ENTITLED = {
    "metered": {"registered-who-read-it", "subscriber", "staff"},
    "subscribers": {"subscriber", "staff"},
    "free": {"address", "registered", "registered-who-read-it", "lapsed", "subscriber", "staff"},
}


def _sent(site, send):
    mail.outbox.clear()
    send_start(send=send, by=make_staff("newsletters.send_newslettersend"))
    send.refresh_from_db()
    assert send.status == NewsletterSend.Status.SENT
    emails = {message.to[0]: message for message in mail.outbox}
    assert len(emails) == len(mail.outbox) == len(site["readers"])  # each once
    return emails


def _parts(message):
    html = next(content for content, kind in message.alternatives if kind == "text/html")
    return {"html": html, "text": message.body, "subject": message.subject}


@pytest.mark.parametrize("access", ["metered", "subscribers", "free"])
def test_an_article_send_gives_each_recipient_what_the_article_page_would(site, access):
    article = site["articles"][access]
    send = make_send(site["newsletter"], article=article)
    emails = _sent(site, send)
    preheaders = {
        variant.key: variant.preheader for variant in SendVariant.objects.filter(send=send)
    }
    assert all(MARKER not in preheader for preheader in preheaders.values())
    for who, reader in site["readers"].items():
        parts = _parts(emails[_address(reader)])
        assert "Open 2 of the story" in parts["html"] and "Open 2 of the story" in parts["text"]
        assert MARKER not in parts["subject"]
        if who in ENTITLED[access]:
            # The positive control: the test would see a leak.
            for where in ("html", "text"):
                assert f"Secret {MARKER}" in parts[where], (who, where)
                assert f"Quote {MARKER}" in parts[where], (who, where)
            assert f'alt="Alt {MARKER}"' in parts["html"]
            assert f"Library caption {MARKER}" in parts["html"]
            assert "You're reading a preview" not in parts["text"]
        else:
            for where, content in parts.items():
                assert MARKER not in content, f"{access} article: {who} gets the marker in {where}"
            assert "You're reading a preview, subscribe to read more." in parts["text"]
            assert "You're reading a preview, subscribe to read more." in parts["html"]


def test_a_digest_carries_standfirsts_and_pictures_and_no_body_text_to_anyone(site):
    articles = site["articles"]
    send = make_send(
        site["newsletter"], digest=[articles["metered"], articles["subscribers"], articles["free"]]
    )
    emails = _sent(site, send)
    for who, reader in site["readers"].items():
        parts = _parts(emails[_address(reader)])
        for where, content in parts.items():
            assert MARKER not in content, f"digest: {who} gets the marker in {where}"
        for article in articles.values():
            assert article.headline in parts["html"] and article.standfirst in parts["text"]
        assert "Harbour at dawn" in parts["html"]
        subscribers_badge = "Subscribers" in parts["html"]
        assert subscribers_badge == (who not in ENTITLED["subscribers"]), who


def test_each_variant_is_rendered_once_and_personalised_only_by_name_and_links(site):
    send = make_send(site["newsletter"], article=site["articles"]["metered"])
    emails = _sent(site, send)
    variants = SendVariant.objects.filter(send=send)
    # Entitled readers share one variant; the address and the registered readers one each.
    assert sorted(variant.recipients for variant in variants) == [1, 2, 3]
    rita = _parts(emails[site["readers"]["registered"].email])
    lapsed = _parts(emails[site["readers"]["lapsed"].email])
    assert "Hello Rita," in rita["html"] and "Hello," in lapsed["text"]
    # Up to the footer's unsubscribe link, the two emails are the same but for the greeting.
    footer = "/newsletters/unsubscribe/"
    assert (
        rita["html"].replace("Hello Rita,", "Hello,").split(footer)[0]
        == (lapsed["html"].split(footer)[0])
    )
