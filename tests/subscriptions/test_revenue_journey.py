"""The reader-revenue story end to end, against the stand-in Stripe: a reader subscribes, is
billed, fails a payment, recovers, cancels with a reason, resumes, and gifts an article that
brings a new subscriber."""

import time

import pytest
from django.core import mail
from django.test import Client, TestCase
from django.urls import reverse

from accounts.models import User
from articles.models import Article
from subscriptions.models import CancellationFeedback, GiftLink, Subscription
from tests.factories import make_article, paragraphs
from tests.subscriptions.factories import make_plan, make_reader
from tests.subscriptions.stripe_stand_in import DAY, invoice_for, signed_event

pytestmark = pytest.mark.django_db

BEYOND = "The figures behind the deal."


def deliver(event_type, obj):
    """POST a signed event as Stripe does; run what it leaves for after commit (its emails)."""
    body, signature = signed_event(event_type, obj)
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = Client().post(
            "/payments/webhook/",
            body,
            content_type="application/json",
            headers={"Stripe-Signature": signature},
        )
    assert response.status_code == 200, response.content
    return response


def test_subscribe_pay_fail_recover_cancel_resume_and_gift(client, stripe_stand_in):
    from django.core.management import call_command

    make_plan(slug="monthly", name="Monthly", price="8.00", trial_days=0)
    call_command("sync_plans", stdout=open("/dev/null", "w"))  # noqa: SIM115
    story = make_article(
        access=Article.Access.SUBSCRIBERS,
        blocks=[("text", paragraphs(3)), ("break",), ("text", f"<p>{BEYOND}</p>")],
    )
    reader = make_reader(name="Ada")
    client.force_login(reader)

    # Subscribe: the checkout goes to Stripe; access comes with the webhook, not the redirect.
    going = client.post(reverse("checkout", args=["monthly"]), {"next": story.get_absolute_url()})
    assert going["Location"].startswith(stripe_stand_in.url)
    assert BEYOND not in client.get(story.get_absolute_url()).content.decode()
    (session,) = stripe_stand_in.all("checkout.session")
    # Paid 65 days ago: the renewal below falls 35 days ago, the failed one 5 days ago.
    remote = stripe_stand_in.complete_checkout(session["id"], now=time.time() - 65 * DAY)
    deliver("customer.subscription.created", remote)
    assert Subscription.objects.get(user=reader).status == "active"
    assert any("welcome" in message.subject.lower() for message in mail.outbox)

    # Billed: a renewal moves the period on.
    first_end = Subscription.objects.get(user=reader).current_period_end
    deliver("invoice.paid", invoice_for(stripe_stand_in.renew(remote["id"])))
    assert Subscription.objects.get(user=reader).current_period_end > first_end

    # A payment fails: past due, still reading in the grace period, and told so by email.
    failed = stripe_stand_in.renew(remote["id"], status="past_due")
    deliver("invoice.payment_failed", invoice_for(failed, status="open"))
    assert Subscription.objects.get(user=reader).status == "past_due"
    assert BEYOND in client.get(story.get_absolute_url()).content.decode()
    assert any("payment" in message.subject.lower() for message in mail.outbox)

    # Recovers: the card is fixed in the portal and the invoice paid.
    stripe_stand_in.change(remote["id"], status="active")
    deliver("invoice.paid", invoice_for(stripe_stand_in.get(remote["id"])))
    assert Subscription.objects.get(user=reader).status == "active"

    # Cancels with a reason: Stripe is told, the reader keeps reading to the period's end.
    page = client.post(
        reverse("subscription_cancel"), {"reason": "too_expensive", "text": "Pricey"}
    )
    assert page.status_code == 302
    assert stripe_stand_in.get(remote["id"])["cancel_at_period_end"] is True
    deliver("customer.subscription.updated", stripe_stand_in.get(remote["id"]))
    assert Subscription.objects.get(user=reader).cancel_at_period_end
    assert CancellationFeedback.objects.get().reason == "too_expensive"
    assert BEYOND in client.get(story.get_absolute_url()).content.decode()

    # Resumes before the end: Stripe renews again.
    client.post(reverse("subscription_resume"))
    assert stripe_stand_in.get(remote["id"])["cancel_at_period_end"] is False
    deliver("customer.subscription.updated", stripe_stand_in.get(remote["id"]))
    assert Subscription.objects.get(user=reader).will_renew

    # Gifts the article; its recipient reads it, signs up and subscribes.
    client.post(reverse("article_gift_create", args=[story.slug]), {"recipient_email": ""})
    gift = GiftLink.objects.get(sender=reader)
    friend = Client()
    assert BEYOND in friend.get(reverse("article_gift", args=[gift.token])).content.decode()
    friend.post(
        reverse("signup"),
        {
            "email": "friend@example.com",
            "name": "Bo",
            "password1": "a-long-pass-9",
            "password2": "a-long-pass-9",
        },
    )
    newcomer = User.objects.get(email="friend@example.com")
    friend.post(reverse("checkout", args=["monthly"]), {"next": story.get_absolute_url()})
    session = stripe_stand_in.all("checkout.session")[-1]
    deliver("customer.subscription.created", stripe_stand_in.complete_checkout(session["id"]))
    assert Subscription.objects.get(user=newcomer).attributed_gift == gift
    gift.refresh_from_db()
    assert gift.signups.count() == 1 and gift.open_count == 1
