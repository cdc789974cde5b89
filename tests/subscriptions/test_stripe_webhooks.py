"""Stripe's webhook against the stand-in Stripe: payments become access, once, in any order."""

import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import connection, transaction
from django.test import Client, TestCase
from django.urls import reverse
from django.utils import timezone

from articles.models import Article
from subscriptions.entitlement import has_entitling_subscription
from subscriptions.models import PaymentCustomer, ProviderEvent, Subscription
from subscriptions.services import payment_provider
from tests.factories import make_article
from tests.factories import paragraphs as some_paragraphs
from tests.subscriptions.factories import make_plan, make_reader, page_text
from tests.subscriptions.stripe_stand_in import DAY, invoice_for, signed_event

# The stand-in Stripe's fixtures: `stripe_stand_in` runs the site against it.
pytestmark = pytest.mark.django_db

WEBHOOK = "/payments/webhook/"


def deliver(client, event_type, obj, **options):
    """POST a signed event as Stripe does; run what it leaves for after commit (its emails)."""
    body, signature = signed_event(event_type, obj, **options)
    with TestCase.captureOnCommitCallbacks(execute=True):
        return client.post(
            WEBHOOK, body, content_type="application/json", headers={"Stripe-Signature": signature}
        )


def entitled(user, *, at=None):
    return has_entitling_subscription(user_id=user.pk, at=at or timezone.now())


def moment(timestamp):
    return datetime.fromtimestamp(timestamp, tz=UTC)


@pytest.fixture
def plans(stripe_stand_in):
    monthly = make_plan(name="Monthly", slug="monthly", trial_days=14)
    annual = make_plan(name="Annual", slug="annual", interval="year", price="80.00")
    call_command("sync_plans", stdout=open("/dev/null", "w"))  # noqa: SIM115
    monthly.refresh_from_db()
    annual.refresh_from_db()
    return monthly, annual


@pytest.fixture
def paying_reader(stripe_stand_in, plans):
    """A reader with a Stripe customer and an active monthly subscription "at Stripe" only."""
    reader = make_reader()
    PaymentCustomer.objects.create(user=reader, provider_customer_id="cus_reader")
    remote = stripe_stand_in.add_subscription(
        customer="cus_reader",
        price_id=plans[0].provider_price_id,
        start=timezone.now().timestamp() - 10 * DAY,
    )
    return reader, remote


def reconciled(client, reader, remote, event_type="customer.subscription.updated"):
    assert deliver(client, event_type, remote).status_code == 200
    return Subscription.objects.get(user=reader)


# The round trip ------------------------------------------------------------------------------


def test_a_reader_pays_at_checkout_and_reads_once_the_webhook_arrives(
    client, stripe_stand_in, plans
):
    monthly, _ = plans
    article = make_article(
        slug="harbour-accounts",
        access=Article.Access.SUBSCRIBERS,
        blocks=[("text", some_paragraphs(3) + "<p>The closing figures.</p>" + some_paragraphs(3))],
    )
    path = article.get_absolute_url()
    reader = make_reader()
    client.force_login(reader)

    page = client.get(reverse("checkout", args=["monthly"]) + f"?next={path}")
    going = client.post(reverse("checkout", args=["monthly"]), {"next": path})

    assert "Continue to payment" in page_text(page)
    assert going.status_code == 302
    assert going["Location"].startswith(stripe_stand_in.url + "/c/pay/cs_test_")
    (session,) = stripe_stand_in.all("checkout.session")
    assert session["mode"] == "subscription"
    assert session["line_items"] == [{"price": monthly.provider_price_id, "quantity": "1"}]
    assert session["subscription_data"]["trial_period_days"] == "14"
    assert session["client_reference_id"] == str(reader.pk)
    assert session["customer"] == reader.payment_customer.provider_customer_id

    # Back from Stripe before its webhook: thanked, told it is on its way, not let in yet.
    return_url = session["success_url"].replace("{CHECKOUT_SESSION_ID}", session["id"])
    back = client.get(return_url, follow=True)
    assert back.redirect_chain[-1][0] == path
    assert "Thank you — your subscription is being set up; it will be active in a moment." in (
        page_text(back)
    )
    assert "The closing figures." not in page_text(back)
    assert not Subscription.objects.exists()

    remote = stripe_stand_in.complete_checkout(session["id"])
    answer = deliver(client, "checkout.session.completed", stripe_stand_in.get(session["id"]))

    assert answer.status_code == 200
    subscription = Subscription.objects.get(user=reader)
    assert (subscription.status, subscription.source) == ("trialing", "provider")
    assert (subscription.plan, subscription.provider_reference) == (monthly, remote["id"])
    assert subscription.current_period_end == moment(
        remote["items"]["data"][0]["current_period_end"]
    )
    assert "The closing figures." in page_text(client.get(path))
    (welcome,) = mail.outbox
    assert welcome.to == [reader.email]
    assert "free trial of Monthly has started" in welcome.body


def test_a_second_checkout_reuses_the_readers_stripe_customer(client, stripe_stand_in, plans):
    reader = make_reader()
    client.force_login(reader)

    for _ in range(2):
        client.post(reverse("checkout", args=["monthly"]))

    assert len(stripe_stand_in.all("customer")) == 1
    assert PaymentCustomer.objects.filter(user=reader).count() == 1
    sessions = stripe_stand_in.all("checkout.session")
    assert len(sessions) == 2 and sessions[0]["customer"] == sessions[1]["customer"]


# Renewal, failed payments, cancellation, switching ---------------------------------------------


def test_a_renewal_paid_moves_the_period_on(client, stripe_stand_in, paying_reader):
    reader, remote = paying_reader
    first = reconciled(client, reader, remote, "customer.subscription.created")

    renewed = stripe_stand_in.renew(remote["id"])
    answer = deliver(client, "invoice.paid", invoice_for(renewed))

    assert answer.status_code == 200
    subscription = Subscription.objects.get(pk=first.pk)
    assert subscription.status == "active"
    assert subscription.current_period_start == first.current_period_end
    assert subscription.current_period_end == first.current_period_end + timedelta(days=30)
    assert entitled(reader, at=first.current_period_end + timedelta(days=20))


def test_a_failed_payment_gives_grace_then_the_subscription_expires(
    client, stripe_stand_in, paying_reader, settings
):
    settings.NEWSROOM_PAST_DUE_GRACE_DAYS = 7
    reader, remote = paying_reader
    paid = reconciled(client, reader, remote, "customer.subscription.created")
    paid_until = paid.current_period_end
    mail.outbox.clear()

    failed = stripe_stand_in.renew(remote["id"], status="past_due")
    deliver(client, "invoice.payment_failed", invoice_for(failed, status="open"))

    subscription = Subscription.objects.get(pk=paid.pk)
    assert subscription.status == "past_due"
    # The grace runs from the end of the period paid for, not from the end of the unpaid one.
    assert subscription.current_period_end == paid_until
    assert entitled(reader, at=paid_until + timedelta(days=6))
    assert not entitled(reader, at=paid_until + timedelta(days=8))
    (notice,) = mail.outbox
    assert "did not go through" in notice.subject
    assert "Manage payment, plan and invoices" in notice.body
    assert "http://testserver/account/" in notice.body or "/account/" in notice.body

    # Stripe gives up after its retries: the subscription is unpaid, which ends it here.
    unpaid = stripe_stand_in.change(remote["id"], status="unpaid")
    deliver(client, "customer.subscription.updated", unpaid)

    assert Subscription.objects.get(pk=paid.pk).status == "expired"
    assert not entitled(reader, at=paid_until + timedelta(days=1))


def test_a_failed_payment_put_right_is_active_again(client, stripe_stand_in, paying_reader):
    reader, remote = paying_reader
    paid = reconciled(client, reader, remote, "customer.subscription.created")
    failed = stripe_stand_in.renew(remote["id"], status="past_due")
    deliver(client, "invoice.payment_failed", invoice_for(failed, status="open"))

    recovered = stripe_stand_in.change(remote["id"], status="active")
    deliver(client, "invoice.paid", invoice_for(recovered))

    subscription = Subscription.objects.get(pk=paid.pk)
    assert subscription.status == "active"
    assert subscription.current_period_end == paid.current_period_end + timedelta(days=30)


def test_cancelling_at_period_end_at_stripe_keeps_access_until_then_and_can_be_undone(
    client, stripe_stand_in, paying_reader
):
    reader, remote = paying_reader
    subscription = reconciled(client, reader, remote)
    provider = payment_provider()

    provider.set_cancel_at_period_end(subscription=subscription, cancel=True)

    assert stripe_stand_in.get(remote["id"])["cancel_at_period_end"] is True
    cancelled = reconciled(client, reader, stripe_stand_in.get(remote["id"]))
    assert (cancelled.status, cancelled.cancel_at_period_end) == ("active", True)
    end = cancelled.current_period_end
    assert entitled(reader, at=end - timedelta(minutes=1))
    assert not entitled(reader, at=end + timedelta(minutes=1))

    provider.set_cancel_at_period_end(subscription=cancelled, cancel=False)

    assert reconciled(client, reader, stripe_stand_in.get(remote["id"])).will_renew


def test_switching_plan_changes_the_price_at_stripe_and_the_plan_here(
    client, stripe_stand_in, paying_reader, plans
):
    reader, remote = paying_reader
    subscription = reconciled(client, reader, remote)
    _, annual = plans

    payment_provider().switch_plan(subscription=subscription, plan=annual)

    at_stripe = stripe_stand_in.get(remote["id"])
    assert at_stripe["items"]["data"][0]["price"]["id"] == annual.provider_price_id
    assert at_stripe["items"]["data"][0]["id"] == remote["items"]["data"][0]["id"]
    assert reconciled(client, reader, at_stripe).plan == annual


def test_a_subscription_on_an_archived_price_keeps_its_plan(client, stripe_stand_in, plans):
    monthly, _ = plans
    old_price = monthly.provider_price_id
    monthly.price = "9.00"
    monthly.save()
    call_command("sync_plans", stdout=open("/dev/null", "w"))  # noqa: SIM115
    reader = make_reader()
    PaymentCustomer.objects.create(user=reader, provider_customer_id="cus_old")
    remote = stripe_stand_in.add_subscription(customer="cus_old", price_id=old_price)

    assert reconciled(client, reader, remote).plan == monthly


# Trials --------------------------------------------------------------------------------------


def test_three_days_before_a_trial_ends_the_reader_is_told(client, stripe_stand_in, paying_reader):
    reader, remote = paying_reader
    trial = stripe_stand_in.change(
        remote["id"],
        status="trialing",
        period=(timezone.now().timestamp() - 11 * DAY, timezone.now().timestamp() + 3 * DAY),
    )
    reconciled(client, reader, trial, "customer.subscription.created")
    mail.outbox.clear()

    deliver(client, "customer.subscription.trial_will_end", trial)

    (notice,) = mail.outbox
    assert notice.subject == "Your free trial of The Daily Newsroom ends in 3 days"
    assert "continues at £8.00 a month" in notice.body


# Replays, reordering, strangers ----------------------------------------------------------------


def test_a_replayed_event_does_nothing(client, stripe_stand_in, paying_reader):
    reader, remote = paying_reader
    first = deliver(client, "customer.subscription.created", remote, event_id="evt_once")
    stripe_stand_in.change(
        remote["id"], status="canceled", ended_at=int(timezone.now().timestamp())
    )

    again = deliver(client, "customer.subscription.created", remote, event_id="evt_once")

    assert (first.status_code, again.status_code) == (200, 200)
    assert again.content == b"Already processed."
    assert Subscription.objects.get(user=reader).status == "active"  # not asked again
    assert ProviderEvent.objects.filter(event_id="evt_once").count() == 1
    assert len(mail.outbox) == 1  # one welcome


def test_a_stale_update_does_not_bring_back_a_deleted_subscription(
    client, stripe_stand_in, paying_reader
):
    reader, remote = paying_reader
    stale = stripe_stand_in.get(remote["id"])  # "active", as an update sent earlier says
    reconciled(client, reader, remote, "customer.subscription.created")
    now = int(timezone.now().timestamp())
    deleted = stripe_stand_in.change(remote["id"], status="canceled", ended_at=now)
    reconciled(client, reader, deleted, "customer.subscription.deleted")

    late = deliver(client, "customer.subscription.updated", stale, created=now - 60)

    assert late.status_code == 200
    subscription = Subscription.objects.get(user=reader)
    assert subscription.status == "canceled"
    assert subscription.current_period_end == moment(now)
    assert not entitled(reader, at=timezone.now() + timedelta(seconds=1))


def test_a_replayed_invoice_does_not_extend_a_cancelled_subscription(
    client, stripe_stand_in, paying_reader
):
    reader, remote = paying_reader
    reconciled(client, reader, remote, "customer.subscription.created")
    cancelled = stripe_stand_in.change(remote["id"], cancel_at_period_end=True)
    ended = reconciled(client, reader, cancelled)

    deliver(client, "invoice.paid", invoice_for(remote))  # an old invoice, delivered again

    subscription = Subscription.objects.get(user=reader)
    assert subscription.current_period_end == ended.current_period_end
    assert subscription.cancel_at_period_end


def test_events_in_any_order_make_one_subscription_and_one_welcome(client, stripe_stand_in, plans):
    reader = make_reader()
    client.force_login(reader)
    client.post(reverse("checkout", args=["annual"]))
    (session,) = stripe_stand_in.all("checkout.session")
    remote = stripe_stand_in.complete_checkout(session["id"])

    deliver(client, "invoice.paid", invoice_for(remote))
    deliver(client, "customer.subscription.updated", remote)
    deliver(client, "checkout.session.completed", stripe_stand_in.get(session["id"]))
    deliver(client, "customer.subscription.created", remote)

    subscription = Subscription.objects.get(user=reader)
    assert (subscription.status, subscription.plan.slug) == ("active", "annual")
    assert len(mail.outbox) == 1


def test_a_subscription_of_an_unknown_customer_is_logged_and_accepted(
    client, stripe_stand_in, plans, caplog
):
    remote = stripe_stand_in.add_subscription(
        customer="cus_stranger", price_id=plans[0].provider_price_id
    )

    with caplog.at_level(logging.WARNING, logger="subscriptions.webhooks"):
        answer = deliver(client, "customer.subscription.created", remote)

    assert answer.status_code == 200
    assert "cus_stranger" in caplog.text
    assert not Subscription.objects.exists()
    assert ProviderEvent.objects.get().outcome == "Unknown customer."


def test_a_subscription_stripe_does_not_know_is_accepted_and_ignored(client, stripe_stand_in):
    answer = deliver(client, "customer.subscription.updated", {"id": "sub_gone"})
    assert (answer.status_code, answer.content) == (200, b"Unknown subscription.")
    assert not Subscription.objects.exists()


def test_events_the_site_does_not_use_are_accepted(client, stripe_stand_in):
    answer = deliver(client, "charge.refunded", {"id": "ch_1"})
    assert answer.status_code == 200 and not Subscription.objects.exists()


def test_when_stripe_cannot_be_asked_the_event_is_refused_for_a_later_retry(
    client, stripe_stand_in, paying_reader, settings
):
    reader, remote = paying_reader
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"  # nothing listens on the discard port

    answer = deliver(client, "customer.subscription.created", remote, event_id="evt_retry")

    assert answer.status_code == 503
    assert not ProviderEvent.objects.exists() and not Subscription.objects.exists()
    settings.STRIPE_API_BASE = stripe_stand_in.url
    assert (
        deliver(client, "customer.subscription.created", remote, event_id="evt_retry").status_code
        == 200
    )
    assert Subscription.objects.get(user=reader).status == "active"


# Signatures and bad input --------------------------------------------------------------------


@pytest.mark.parametrize(
    "signature",
    [
        None,
        "",
        "nonsense",
        "t=1,v1=0000",
        "forged-with-another-secret",
        "tampered-body",
        "expired",
    ],
)
def test_a_bad_or_missing_signature_is_refused_and_changes_nothing(
    client, stripe_stand_in, paying_reader, signature
):
    _, remote = paying_reader
    body, good = signed_event("customer.subscription.created", remote)
    if signature == "forged-with-another-secret":
        signature = signed_event("customer.subscription.created", remote, secret="whsec_x")[1]
    elif signature == "tampered-body":
        signature, body = good, body.replace('"active"', '"trialing"')
    elif signature == "expired":
        old = int(timezone.now().timestamp()) - 3600
        body, signature = signed_event("customer.subscription.created", remote, created=old)
        import stripe

        signature = stripe.WebhookSignature.generate_signature_header(
            body, "whsec_stand_in", timestamp=old
        )
    headers = {"Stripe-Signature": signature} if signature is not None else {}

    answer = client.post(WEBHOOK, body, content_type="application/json", headers=headers)

    assert answer.status_code == 400
    assert not ProviderEvent.objects.exists() and not Subscription.objects.exists()


def test_without_a_webhook_secret_nothing_is_accepted(client, stripe_stand_in, settings):
    settings.STRIPE_WEBHOOK_SECRET = ""
    answer = deliver(client, "customer.subscription.updated", {"id": "sub_1"})
    assert answer.status_code == 400 and not ProviderEvent.objects.exists()


@pytest.mark.parametrize(
    "body", ["{not json", "[1, 2]", '{"id": "evt_1"}', "\udcff".encode("utf-8", "surrogatepass")]
)
def test_a_malformed_event_with_a_good_signature_is_a_400(client, stripe_stand_in, body):
    import stripe

    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    signature = stripe.WebhookSignature.generate_signature_header(text, "whsec_stand_in")
    answer = client.post(
        WEBHOOK, body, content_type="application/json", headers={"Stripe-Signature": signature}
    )
    assert answer.status_code == 400
    assert not ProviderEvent.objects.exists()


def test_the_webhook_takes_only_post(client, stripe_stand_in):
    assert client.get(WEBHOOK).status_code == 405


# Concurrency, on PostgreSQL -------------------------------------------------------------------

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="SQLite serialises writes: races need PostgreSQL"
)


def deliver_at_once(deliveries):
    """POST every (body, signature) at the same moment, one thread and connection each."""
    barrier = threading.Barrier(len(deliveries))

    def post(delivery):
        body, signature = delivery
        try:
            barrier.wait(timeout=30)
            return Client().post(
                WEBHOOK,
                body,
                content_type="application/json",
                headers={"Stripe-Signature": signature},
            )
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=len(deliveries)) as pool:
        return list(pool.map(post, deliveries))


@postgresql_only
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_twenty_deliveries_of_one_event_at_once_have_one_effect(stripe_stand_in, paying_reader):
    reader, remote = paying_reader
    delivery = signed_event("customer.subscription.created", remote, event_id="evt_twenty")

    answers = deliver_at_once([delivery] * 20)

    assert [answer.status_code for answer in answers] == [200] * 20
    assert sum(answer.content == b"Already processed." for answer in answers) == 19
    assert ProviderEvent.objects.filter(event_id="evt_twenty").count() == 1
    assert Subscription.objects.filter(user=reader).count() == 1
    assert len(mail.outbox) == 1


@postgresql_only
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_twenty_different_events_about_one_new_subscription_make_one_row(
    stripe_stand_in, paying_reader
):
    reader, remote = paying_reader
    kinds = ["customer.subscription.created", "customer.subscription.updated", "invoice.paid"]
    deliveries = [
        signed_event(kind, invoice_for(remote) if kind == "invoice.paid" else remote)
        for kind in kinds * 7
    ][:20]

    answers = deliver_at_once(deliveries)

    assert [answer.status_code for answer in answers] == [200] * 20
    assert ProviderEvent.objects.count() == 20
    assert Subscription.objects.filter(user=reader).count() == 1
    assert len(mail.outbox) == 1


@postgresql_only
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_stripe_is_asked_holding_no_lock_and_a_stale_answer_is_asked_again(
    stripe_stand_in, paying_reader
):
    reader, remote = paying_reader
    reconciled(Client(), reader, remote, "customer.subscription.created")
    row = Subscription.objects.get(user=reader)
    stripe_stand_in.hold_next_retrieve()
    slow = ThreadPoolExecutor(max_workers=1)
    first = slow.submit(
        lambda: deliver_at_once([signed_event("customer.subscription.updated", remote)])[0]
    )
    assert stripe_stand_in.held.wait(15), "the first delivery never asked Stripe"

    # While Stripe is slow to answer the first delivery, the reader's row is not locked ...
    with transaction.atomic():
        Subscription.objects.select_for_update(nowait=True).get(pk=row.pk)
    # ... and a second delivery, about a change made at Stripe since, is applied at once.
    cancelled = stripe_stand_in.change(remote["id"], cancel_at_period_end=True)
    assert deliver(Client(), "customer.subscription.updated", cancelled).status_code == 200
    assert Subscription.objects.get(pk=row.pk).cancel_at_period_end

    stripe_stand_in.release()  # the first delivery gets what Stripe said before the change
    assert first.result(timeout=30).status_code == 200
    slow.shutdown()

    # It found the row changed while it asked, asked again, and left the newer state.
    assert Subscription.objects.get(pk=row.pk).cancel_at_period_end
    asked = [
        r for r in stripe_stand_in.requests if r[:2] == ("GET", f"/v1/subscriptions/{remote['id']}")
    ]
    assert len(asked) == 1 + 1 + 2  # the creation, the second delivery, the first one twice


def test_a_subscription_paid_at_stripe_after_a_gift_is_attributed_to_it(
    client, stripe_stand_in, paying_reader
):
    from subscriptions.models import GiftLink, GiftSignup

    reader, remote = paying_reader
    sender = make_reader()
    gift = GiftLink.objects.create(
        token="gift-token-for-attribution",
        article_id=1,
        sender=sender,
        expires_at=timezone.now() + timedelta(days=14),
    )
    GiftSignup.objects.create(gift=gift, user=reader)

    subscription = reconciled(client, reader, remote, "customer.subscription.created")

    assert subscription.attributed_gift == gift
