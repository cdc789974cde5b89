"""The provider's tracking webhooks, as Resend posts them (signed with svix, checked by anymail):
delivered, bounced and complained applied to the recipient, the address suppressed and never
sent to again; a forged post changes nothing; an event posted twice counts once."""

import os
import subprocess
import sys

import pytest
from anymail.signals import AnymailTrackingEvent, EventType, tracking
from django.conf import settings
from django.test import Client
from django.urls import resolve, reverse

from newsletters.models import (
    NewsletterSend,
    NewsletterSubscription,
    ProviderEvent,
    SendRecipient,
    Suppression,
)
from newsletters.sending import send_counts, send_start
from tests.factories import make_article, make_staff
from tests.newsletters.factories import make_newsletter, make_send, subscribe

pytestmark = pytest.mark.django_db
WEBHOOK = "/anymail/resend/tracking/"


@pytest.fixture
def sent(provider):
    """A send handed over to three readers through the stand-in provider."""
    newsletter = make_newsletter()
    other = make_newsletter()
    for n in range(3):
        subscribe(newsletter, email=f"reader{n}@example.com")
    subscribe(other, email="reader2@example.com")
    send = make_send(newsletter, article=make_article(access="free"))
    send_start(send=send, by=make_staff("newsletters.send_newslettersend"))
    return send


def _post(provider, kind, email, **data):
    body, headers = provider.signed_event(kind, email, **data)
    return Client().post(WEBHOOK, data=body, content_type="application/json", headers=headers)


def test_the_webhook_url_is_the_one_documented():
    assert reverse("email_provider_webhook", args=["resend/tracking/"]) == WEBHOOK
    assert resolve(WEBHOOK[len("/anymail") :], urlconf="anymail.urls").url_name == (
        "resend_tracking_webhook"
    )


def test_the_site_loads_no_providers_webhooks_until_one_is_called():
    # A fresh process that has loaded all of the site's URLs (svix is Resend's).
    code = (
        "import sys, django; django.setup(); from django.urls import resolve; resolve('/');"
        "print('svix' in sys.modules, 'anymail.urls' in sys.modules)"
    )
    out = subprocess.run(  # noqa: S603 - our own interpreter and a fixed script
        [sys.executable, "-c", code],
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings"},
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.split() == ["False", "False"]


def test_an_address_no_provider_has_is_404():
    assert Client().post("/anymail/nobody/tracking/").status_code == 404


def test_delivered_bounced_and_complained_are_applied(provider, sent):
    assert _post(provider, "email.delivered", "reader0@example.com").status_code == 200
    bounce = {"bounce": {"message": "The recipient's email provider sent a hard bounce message."}}
    assert _post(provider, "email.bounced", "reader1@example.com", **bounce).status_code == 200
    assert _post(provider, "email.complained", "reader2@example.com").status_code == 200

    by_email = {row.email: row for row in SendRecipient.objects.all()}
    assert by_email["reader0@example.com"].delivered_at is not None
    assert by_email["reader1@example.com"].bounced_at is not None
    assert by_email["reader2@example.com"].complained_at is not None
    suppressed = dict(Suppression.objects.values_list("email", "reason"))
    assert suppressed == {"reader1@example.com": "hard_bounce", "reader2@example.com": "complaint"}
    # A complaint leaves every newsletter; a bounce only suppresses.
    left = set(
        NewsletterSubscription.objects.filter(status="left").values_list("email", "left_because")
    )
    assert left == {("reader2@example.com", "complaint")}
    counts = send_counts(sent)
    assert (counts["delivered"], counts["bounced"], counts["complained"]) == (1, 1, 1)
    assert ProviderEvent.objects.filter(applied_at__isnull=False).count() == 3


def test_a_suppressed_address_gets_no_later_send(provider, sent):
    _post(provider, "email.bounced", "reader1@example.com", bounce={"message": "hard bounce"})
    _post(provider, "email.complained", "reader0@example.com")
    again = make_send(sent.newsletter, article=make_article(access="free"))
    send_start(send=again, by=make_staff("newsletters.send_newslettersend"))
    later = [m["to"][0] for m in provider.delivered[3:]]
    assert later == ["reader2@example.com"]
    assert send_counts(again)["suppressed"] == 1  # reader1; reader0 left the newsletter


def test_a_forged_or_unsigned_post_changes_nothing(provider, sent):
    body, headers = provider.signed_event("email.complained", "reader0@example.com")
    forged = headers | {"svix-signature": "v1,bm90IHRoZSBzaWduYXR1cmU="}
    response = Client().post(WEBHOOK, data=body, content_type="application/json", headers=forged)
    assert response.status_code == 400
    unsigned = Client().post(WEBHOOK, data=body, content_type="application/json")
    assert unsigned.status_code == 400
    assert not ProviderEvent.objects.exists() and not Suppression.objects.exists()


def test_an_event_posted_twice_counts_once(provider, sent):
    body, headers = provider.signed_event("email.complained", "reader0@example.com")
    for _ in range(2):
        response = Client().post(
            WEBHOOK, data=body, content_type="application/json", headers=headers
        )
        assert response.status_code == 200
    assert ProviderEvent.objects.count() == 1 and Suppression.objects.count() == 1


def test_an_unsubscribe_at_the_provider_leaves_that_newsletter(provider, sent):
    """As Postmark's or SendGrid's webhooks report one (Resend has no such event)."""
    recipient = SendRecipient.objects.get(email="reader2@example.com")
    event = AnymailTrackingEvent(
        event_type=EventType.UNSUBSCRIBED,
        event_id="unsubscribe-1",
        recipient="reader2@example.com",
        message_id=recipient.provider_message_id,
        metadata={"newsletter_recipient": str(recipient.pk)},
    )
    tracking.send(sender=object, event=event, esp_name="Postmark")
    by_newsletter = dict(
        NewsletterSubscription.objects.filter(email="reader2@example.com").values_list(
            "newsletter_id", "status"
        )
    )
    assert by_newsletter[sent.newsletter_id] == "left"
    assert sorted(by_newsletter.values()) == ["left", "subscribed"]
    assert not Suppression.objects.exists()


def test_opens_are_kept_only_where_tracking_is_on(provider, sent, settings):
    _post(provider, "email.opened", "reader0@example.com")
    assert "opened" not in send_counts(sent)
    settings.NEWSROOM_NEWSLETTER_TRACKING = True
    _post(provider, "email.opened", "reader1@example.com")
    assert send_counts(sent)["opened"] == 1
    assert NewsletterSend.objects.get().status == "sent"
