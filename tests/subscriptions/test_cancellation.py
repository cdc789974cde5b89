"""Cancelling with a reason, a cheaper plan offered instead, and resuming before the end."""

import re
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from subscriptions.models import CancellationFeedback, PaymentCustomer, Subscription
from subscriptions.services import (
    SubscriptionError,
    can_resume,
    cheaper_plans,
    subscription_cancel,
    subscription_grant_complimentary,
    subscription_resume,
    subscription_switch_plan,
)
from tests.subscriptions.factories import make_plan, make_reader, make_subscription, page_text
from tests.subscriptions.stripe_stand_in import DAY, signed_event

pytestmark = pytest.mark.django_db

PROVIDER_PATH = "tests.subscriptions.test_cancellation.RecordingTestProvider"
REASON_TEXT = "Money is tight this year; I will be back."


class RecordingTestProvider:
    """A recording test provider: stands in for the payment provider at our Python boundary.

    It only writes down what the site asked of it, so that these service and page tests can
    see that a provider subscription is cancelled, resumed and switched at the provider too.
    The Stripe provider itself is tested against a stand-in Stripe HTTP server.
    """

    calls: list = []
    refuse_with: str = ""

    def _record(self, *call):
        if RecordingTestProvider.refuse_with:
            raise SubscriptionError(RecordingTestProvider.refuse_with)
        RecordingTestProvider.calls.append(call)

    def set_cancel_at_period_end(self, *, subscription, cancel, idempotency_key=None):
        self._record("set_cancel_at_period_end", subscription.provider_reference, cancel)

    def switch_plan(self, *, subscription, plan, idempotency_key=None):
        self._record("switch_plan", subscription.provider_reference, plan.slug)


@pytest.fixture
def provider(settings):
    settings.NEWSROOM_PAYMENT_PROVIDER = PROVIDER_PATH
    RecordingTestProvider.calls = []
    RecordingTestProvider.refuse_with = ""
    yield RecordingTestProvider
    RecordingTestProvider.calls = []
    RecordingTestProvider.refuse_with = ""


@pytest.fixture
def no_provider(settings):
    settings.NEWSROOM_PAYMENT_PROVIDER = ""


@pytest.fixture
def plans():
    return {
        "monthly": make_plan(name="Monthly", slug="monthly", price=Decimal("8.00")),
        "lite": make_plan(name="Monthly Lite", slug="monthly-lite", price=Decimal("4.00")),
        "yearly": make_plan(name="Yearly", slug="yearly", price=Decimal("5.00"), interval="year"),
        "retired": make_plan(
            name="Old Saver", slug="old-saver", price=Decimal("3.00"), is_active=False
        ),
        "premium": make_plan(name="Premium", slug="premium", price=Decimal("12.00")),
    }


def provider_subscription(*, plan, **fields):
    return make_subscription(
        user=make_reader(name="Ada"),
        plan=plan,
        source=Subscription.Source.PROVIDER,
        provider_reference=f"sub_{plan.slug}",
        **fields,
    )


def long_date(moment):
    local = timezone.localtime(moment)
    return f"{local.day} {local:%B %Y}"


# The services --------------------------------------------------------------------------------


@pytest.mark.usefixtures("no_provider")
def test_cancel_records_the_reason_and_confirms_with_the_end_date_and_a_way_back(
    plans, mailoutbox, django_capture_on_commit_callbacks
):
    subscription = make_subscription(user=make_reader(name="Ada"), plan=plans["monthly"])

    with django_capture_on_commit_callbacks(execute=True):
        feedback = subscription_cancel(
            subscription=subscription, reason="too_expensive", text=REASON_TEXT
        )

    subscription.refresh_from_db()
    assert subscription.cancel_at_period_end
    assert subscription.status == Subscription.Status.ACTIVE  # access until the end
    assert (feedback.reason, feedback.text, feedback.resumed_at) == (
        "too_expensive",
        REASON_TEXT,
        None,
    )
    [email] = mailoutbox
    assert email.to == [subscription.user.email]
    assert email.subject == "Your The Daily Newsroom subscription is cancelled"
    assert "Hello Ada," in email.body
    assert f"until {long_date(subscription.current_period_end)}" in email.body
    assert "Resume my subscription" in email.body
    assert "http://127.0.0.1:8000/account/" in email.body
    assert "&#x27;" not in email.body  # plain text, not HTML-escaped


def test_cancel_and_resume_reach_the_provider_for_a_provider_subscription(
    provider, plans, mailoutbox, django_capture_on_commit_callbacks
):
    subscription = provider_subscription(plan=plans["monthly"])

    with django_capture_on_commit_callbacks(execute=True):
        subscription_cancel(subscription=subscription, reason="not_reading")
        subscription_resume(subscription=subscription)

    assert provider.calls == [
        ("set_cancel_at_period_end", "sub_monthly", True),
        ("set_cancel_at_period_end", "sub_monthly", False),
    ]
    subscription.refresh_from_db()
    assert not subscription.cancel_at_period_end
    feedback = subscription.cancellations.get()
    assert feedback.reason == "not_reading"
    assert feedback.resumed_at is not None  # the reason is kept, marked resumed
    assert [email.subject for email in mailoutbox] == [
        "Your The Daily Newsroom subscription is cancelled",
        "Your The Daily Newsroom subscription is resumed",
    ]
    renews = long_date(subscription.current_period_end)
    assert f"It renews on {renews} at £8.00 a month." in mailoutbox[1].body


def test_a_provider_that_refuses_leaves_everything_as_it_was(provider, plans, mailoutbox):
    subscription = provider_subscription(plan=plans["monthly"])
    provider.refuse_with = "The payment provider is not answering."

    with pytest.raises(SubscriptionError, match="not answering"):
        subscription_cancel(subscription=subscription, reason="other")

    subscription.refresh_from_db()
    assert not subscription.cancel_at_period_end
    assert not CancellationFeedback.objects.exists()
    assert mailoutbox == []


def test_a_provider_subscription_without_a_configured_provider_is_not_cancelled_halfway(
    no_provider, plans
):
    subscription = provider_subscription(plan=plans["monthly"])
    with pytest.raises(SubscriptionError, match="payment provider"):
        subscription_cancel(subscription=subscription, reason="other")
    subscription.refresh_from_db()
    assert not subscription.cancel_at_period_end


@pytest.mark.usefixtures("no_provider")
def test_resume_only_until_the_period_ends(plans, mailoutbox):
    subscription = make_subscription(user=make_reader(), plan=plans["monthly"], days_left=5)
    subscription_cancel(subscription=subscription, reason="content")
    end = subscription.current_period_end

    assert can_resume(subscription=subscription, at=end - timedelta(seconds=1))
    assert not can_resume(subscription=subscription, at=end)
    with pytest.raises(SubscriptionError, match="ended"):
        subscription_resume(subscription=subscription, at=end + timedelta(minutes=1))

    subscription.refresh_from_db()
    assert subscription.cancel_at_period_end
    assert subscription.cancellations.get().resumed_at is None


@pytest.mark.usefixtures("no_provider")
def test_resume_twice_or_without_a_cancellation_is_refused():
    subscription = make_subscription(user=make_reader(), plan=make_plan())
    with pytest.raises(SubscriptionError):
        subscription_resume(subscription=subscription)
    subscription_cancel(subscription=subscription, reason="other")
    subscription_resume(subscription=subscription)
    with pytest.raises(SubscriptionError):
        subscription_resume(subscription=subscription)


def test_complimentary_access_cannot_be_resumed_into_renewing():
    granted = subscription_grant_complimentary(user=make_reader(), months=2, granted_by=None)
    assert not can_resume(subscription=granted, at=timezone.now())
    with pytest.raises(SubscriptionError):
        subscription_resume(subscription=granted)


@pytest.mark.usefixtures("no_provider")
def test_an_overdue_subscription_cancelled_outright_cannot_be_resumed():
    overdue = make_subscription(
        user=make_reader(), plan=make_plan(), status=Subscription.Status.PAST_DUE, days_left=-2
    )
    subscription_cancel(subscription=overdue, reason="technical")
    assert overdue.status == Subscription.Status.CANCELED
    assert not can_resume(subscription=overdue, at=timezone.now())


def test_cheaper_plans_are_active_same_interval_same_currency_and_cheaper(plans):
    monthly = make_subscription(user=make_reader(), plan=plans["monthly"])
    assert cheaper_plans(subscription=monthly) == [plans["lite"]]
    assert (
        cheaper_plans(subscription=make_subscription(user=make_reader(), plan=plans["lite"])) == []
    )
    on_the_cheapest = make_subscription(user=make_reader(), plan=make_plan(price=Decimal("1")))
    assert cheaper_plans(subscription=on_the_cheapest) == []


def test_a_provider_subscription_is_offered_only_plans_the_provider_knows(provider, plans):
    subscription = provider_subscription(plan=plans["monthly"])
    assert cheaper_plans(subscription=subscription) == []
    plans["lite"].provider_price_id = "price_lite"
    plans["lite"].save()
    assert cheaper_plans(subscription=subscription) == [plans["lite"]]


@pytest.mark.usefixtures("no_provider")
def test_switch_a_manual_subscription_from_the_next_period(plans):
    subscription = make_subscription(user=make_reader(), plan=plans["monthly"])
    period = (subscription.current_period_start, subscription.current_period_end)

    subscription_switch_plan(subscription=subscription, plan=plans["lite"])

    subscription.refresh_from_db()
    assert subscription.plan == plans["lite"]
    assert (subscription.current_period_start, subscription.current_period_end) == period
    assert subscription.will_renew


def test_switch_a_provider_subscription_at_the_provider(provider, plans):
    plans["lite"].provider_price_id = "price_lite"
    plans["lite"].save()
    subscription = provider_subscription(plan=plans["monthly"])

    subscription_switch_plan(subscription=subscription, plan=plans["lite"])

    assert provider.calls == [("switch_plan", "sub_monthly", "monthly-lite")]
    subscription.refresh_from_db()
    assert subscription.plan == plans["lite"]


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("premium", "Premium (£12.00 a month) is not cheaper than your Monthly plan"),
        ("monthly", "Monthly (£8.00 a month) is not cheaper than your Monthly plan"),
        ("retired", "Old Saver is no longer offered."),
        ("yearly", "Yearly is billed differently from your plan"),
    ],
)
def test_switch_refuses_a_plan_that_is_not_a_cheaper_offer(provider, plans, target, message):
    subscription = provider_subscription(plan=plans["monthly"])
    with pytest.raises(SubscriptionError, match=message.replace("(", r"\(").replace(")", r"\)")):
        subscription_switch_plan(subscription=subscription, plan=plans[target])
    subscription.refresh_from_db()
    assert subscription.plan == plans["monthly"]
    assert provider.calls == []


@pytest.mark.usefixtures("no_provider")
def test_switch_refuses_a_cancelled_subscription(plans):
    subscription = make_subscription(
        user=make_reader(), plan=plans["monthly"], cancel_at_period_end=True
    )
    with pytest.raises(SubscriptionError, match="renews"):
        subscription_switch_plan(subscription=subscription, plan=plans["lite"])


# The pages -----------------------------------------------------------------------------------


@pytest.fixture
def reader_client(client, plans, no_provider):
    user = make_reader(name="Ada")
    subscription = make_subscription(user=user, plan=plans["monthly"])
    client.force_login(user)
    client.subscription = subscription
    return client


def test_the_cancel_page_asks_why_and_offers_the_cheaper_plan(reader_client):
    response = reader_client.get(reverse("subscription_cancel"))

    text = page_text(response)
    assert response.status_code == 200
    assert "Why are you cancelling?" in text
    for label in CancellationFeedback.Reason.labels:
        assert label.replace("'", "&#x27;") in response.content.decode()
    assert "Switch to Monthly Lite at £4.00 a month" in text
    assert "Switch to Yearly" not in text and "Old Saver" not in text
    end = long_date(reader_client.subscription.current_period_end)
    assert f"the new price applies from {end}" in text


def test_no_offer_when_no_plan_is_cheaper(client, no_provider):
    user = make_reader()
    make_subscription(user=user, plan=make_plan(price=Decimal("1.00")))
    client.force_login(user)
    text = page_text(client.get(reverse("subscription_cancel")))
    assert "Why are you cancelling?" in text
    assert "Switch to" not in text and "Pay less instead" not in text


def test_cancelling_without_a_reason_is_sent_back_with_the_text_kept(reader_client, mailoutbox):
    response = reader_client.post(reverse("subscription_cancel"), {"text": REASON_TEXT})

    assert response.status_code == 400
    text = page_text(response)
    assert "Choose the reason closest to yours." in text
    assert "Money is tight this year; I will be back." in response.content.decode().replace(
        "&#x27;", "'"
    )
    reader_client.subscription.refresh_from_db()
    assert not reader_client.subscription.cancel_at_period_end
    assert not CancellationFeedback.objects.exists()
    assert mailoutbox == []


def test_an_unknown_reason_is_a_form_error(reader_client):
    response = reader_client.post(reverse("subscription_cancel"), {"reason": "because"})
    assert response.status_code == 400
    assert "Select a valid choice" in page_text(response)
    assert not CancellationFeedback.objects.exists()


def test_cancel_with_a_reason_then_resume_from_the_account_page(
    reader_client, mailoutbox, django_capture_on_commit_callbacks
):
    subscription = reader_client.subscription
    end = long_date(subscription.current_period_end)

    with django_capture_on_commit_callbacks(execute=True):
        response = reader_client.post(
            reverse("subscription_cancel"), {"reason": "too_expensive", "text": REASON_TEXT}
        )

    assert response["Location"] == reverse("account")
    account = page_text(reader_client.get(reverse("account")))
    assert f"You can read everything until {end}, and resume it until then." in account
    assert f"Your subscription ends on {end}." in account
    assert "Resume my subscription" in account
    assert "Cancel subscription" not in account
    assert CancellationFeedback.objects.get().text == REASON_TEXT
    assert mailoutbox[-1].subject.endswith("is cancelled")

    with django_capture_on_commit_callbacks(execute=True):
        response = reader_client.post(reverse("subscription_resume"))

    assert response["Location"] == reverse("account")
    account = page_text(reader_client.get(reverse("account")))
    assert f"Your subscription is resumed. It renews on {end}." in account
    assert f"Renews on {end}" in account
    assert "Resume my subscription" not in account
    assert "Cancel subscription" in account
    subscription.refresh_from_db()
    assert not subscription.cancel_at_period_end
    assert CancellationFeedback.objects.get().resumed_at is not None
    assert mailoutbox[-1].subject.endswith("is resumed")


def test_a_forged_resume_after_the_period_ended_changes_nothing(client, plans, no_provider):
    user = make_reader()
    ended = make_subscription(
        user=user, plan=plans["monthly"], cancel_at_period_end=True, days_left=-1
    )
    CancellationFeedback.objects.create(subscription=ended, reason="other")
    client.force_login(user)

    account = page_text(client.get(reverse("account")))
    assert "Resume my subscription" not in account
    assert "Your subscription has ended." in account

    response = client.post(reverse("subscription_resume"))

    assert response["Location"] == reverse("account")
    assert "You have no cancelled subscription to resume." in page_text(
        client.get(reverse("account"))
    )
    ended.refresh_from_db()
    assert ended.cancel_at_period_end
    assert CancellationFeedback.objects.get().resumed_at is None


def test_resume_touches_only_the_readers_own_subscription(client, plans, no_provider):
    someone_else = make_subscription(
        user=make_reader(), plan=plans["monthly"], cancel_at_period_end=True
    )
    client.force_login(make_reader())
    client.post(reverse("subscription_resume"))
    someone_else.refresh_from_db()
    assert someone_else.cancel_at_period_end


def test_complimentary_access_shows_no_resume_button(client):
    user = make_reader()
    subscription_grant_complimentary(user=user, months=1, granted_by=None)
    client.force_login(user)
    account = page_text(client.get(reverse("account")))
    assert "Complimentary access" in account
    assert "Resume my subscription" not in account


def test_switch_to_the_cheaper_plan_instead_of_cancelling(reader_client):
    end = long_date(reader_client.subscription.current_period_end)

    response = reader_client.post(reverse("subscription_switch_plan"), {"plan": "monthly-lite"})

    assert response["Location"] == reverse("account")
    account = page_text(reader_client.get(reverse("account")))
    assert f"Your plan is now Monthly Lite: from {end} you pay £4.00 a month." in account
    assert "Monthly Lite (£4.00 a month)" in account
    assert f"Renews on {end}" in account
    assert not CancellationFeedback.objects.exists()


@pytest.mark.parametrize(
    ("slug", "message"),
    [
        ("premium", "is not cheaper than your Monthly plan"),
        ("old-saver", "Old Saver is no longer offered."),
        ("no-such-plan", "That plan is not offered."),
        ("", "This field is required."),
    ],
)
def test_a_forged_switch_is_refused_on_the_page(reader_client, slug, message):
    response = reader_client.post(reverse("subscription_switch_plan"), {"plan": slug})

    assert response.status_code == 400
    text = page_text(response)
    assert "We could not change your plan:" in text and message in text
    assert "Why are you cancelling?" in text  # the reader can still go on and cancel
    reader_client.subscription.refresh_from_db()
    assert reader_client.subscription.plan.slug == "monthly"


def test_a_provider_refusal_keeps_the_readers_words(client, provider, plans):
    subscription = provider_subscription(plan=plans["monthly"])
    client.force_login(subscription.user)
    provider.refuse_with = "The payment provider is not answering; please try again later."

    response = client.post(
        reverse("subscription_cancel"), {"reason": "too_expensive", "text": "Too dear"}
    )

    assert response.status_code == 400
    text = page_text(response)
    assert "The payment provider is not answering; please try again later." in text
    assert "Too dear" in text
    assert re.search(r"value=\"too_expensive\"[^>]* checked", response.content.decode())
    subscription.refresh_from_db()
    assert not subscription.cancel_at_period_end


@pytest.mark.parametrize("name", ["subscription_resume", "subscription_switch_plan"])
def test_resume_and_switch_take_only_posts(reader_client, name):
    assert reader_client.get(reverse(name)).status_code == 405


@pytest.mark.parametrize(
    "name", ["subscription_cancel", "subscription_resume", "subscription_switch_plan"]
)
def test_anonymous_readers_are_sent_to_log_in(client, name):
    response = client.post(reverse(name))
    assert response["Location"].startswith(reverse("login"))


def test_switch_without_a_renewing_subscription(client, no_provider):
    client.force_login(make_reader())
    response = client.post(reverse("subscription_switch_plan"), {"plan": "monthly-lite"})
    assert response["Location"] == reverse("account")
    assert "You have no subscription to change." in page_text(client.get(reverse("account")))


# Two clicks at once ---------------------------------------------------------------------------

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="SQLite serialises writes: races need PostgreSQL"
)


def at_once(calls):
    """Run `calls` at the same moment, one thread and connection each; return what each did."""
    barrier = threading.Barrier(len(calls))

    def run(call):
        try:
            barrier.wait(timeout=30)
            call()
            return "done"
        except SubscriptionError:
            return "refused"
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return sorted(pool.map(run, calls))


@postgresql_only
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_cancel_and_resume_clicked_twice_at_once_apply_once(settings, mailoutbox):
    settings.NEWSROOM_PAYMENT_PROVIDER = ""
    subscription = make_subscription(user=make_reader(), plan=make_plan())

    def cancel():
        subscription_cancel(
            subscription=Subscription.objects.get(pk=subscription.pk), reason="other"
        )

    def resume():
        subscription_resume(subscription=Subscription.objects.get(pk=subscription.pk))

    assert at_once([cancel] * 4) == ["done", "refused", "refused", "refused"]
    assert CancellationFeedback.objects.count() == 1
    assert at_once([resume] * 4) == ["done", "refused", "refused", "refused"]
    assert CancellationFeedback.objects.get().resumed_at is not None
    assert [email.subject.split()[-1] for email in mailoutbox] == ["cancelled", "resumed"]


# Through the stand-in Stripe: told holding no lock ----------------------------------------------


@pytest.fixture
def at_stripe(stripe_stand_in):
    """Return a reader's monthly subscription paid through the stand-in Stripe, and a cheaper
    plan Stripe knows."""
    monthly = make_plan(name="Monthly", slug="monthly", price=Decimal("8.00"))
    lite = make_plan(name="Monthly Lite", slug="monthly-lite", price=Decimal("4.00"))
    call_command("sync_plans", stdout=StringIO())
    monthly.refresh_from_db()
    lite.refresh_from_db()
    reader = make_reader(name="Ada")
    PaymentCustomer.objects.create(user=reader, provider_customer_id="cus_ada")
    remote = stripe_stand_in.add_subscription(
        customer="cus_ada",
        price_id=monthly.provider_price_id,
        start=timezone.now().timestamp() - 10 * DAY,
    )
    stripe_says(remote)
    return Subscription.objects.get(user=reader), lite


def stripe_says(remote):
    """Deliver Stripe's webhook about `remote`, as Stripe does after a change."""
    body, signature = signed_event("customer.subscription.updated", remote)
    answer = Client().post(
        "/payments/webhook/",
        body,
        content_type="application/json",
        headers={"Stripe-Signature": signature},
    )
    assert answer.status_code == 200, answer.content


ACTIONS = ["cancel", "resume", "switch"]


def click(action, subscription, plan):
    """Do `action` to `subscription` as the reader's click does, from a fresh read."""
    fresh = Subscription.objects.get(pk=subscription.pk)
    if action == "cancel":
        return subscription_cancel(subscription=fresh, reason="other")
    if action == "resume":
        return subscription_resume(subscription=fresh)
    return subscription_switch_plan(subscription=fresh, plan=plan)


def ready_to(action, subscription, plan):
    """Put `subscription` where the reader may `action` it: only a cancelled one resumes."""
    if action == "resume":
        click("cancel", subscription, plan)


def in_own_connection(call, *args):
    try:
        return call(*args)
    finally:
        connection.close()


def state_of(subscription):
    """Return our row of `subscription` as a click could change it, with its cancellations."""
    row = Subscription.objects.select_related("plan").get(pk=subscription.pk)
    return (
        row.status,
        row.cancel_at_period_end,
        row.plan.slug,
        row.current_period_end,
        row.updated_at,
        list(row.cancellations.values_list("reason", "resumed_at")),
    )


def our_keys(stand_in):
    return [key for key in stand_in.idempotent if key.startswith("newsroom-subscription-")]


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="SQLite has no row locks to find taken or free"
)
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize("action", ACTIONS)
def test_stripe_is_told_while_the_subscription_row_is_not_locked(
    stripe_stand_in, at_stripe, action
):
    subscription, lite = at_stripe
    ready_to(action, subscription, lite)
    stripe_stand_in.hold_next_update()

    with ThreadPoolExecutor(max_workers=1) as pool:
        clicked = pool.submit(in_own_connection, click, action, subscription, lite)
        try:
            assert stripe_stand_in.held.wait(15), "Stripe was never told"
            # While Stripe is slow to answer, the webhook (or anyone) may lock the row at once.
            with transaction.atomic():
                Subscription.objects.select_for_update(nowait=True).get(pk=subscription.pk)
        finally:
            stripe_stand_in.release()
        clicked.result(timeout=30)

    row = Subscription.objects.select_related("plan").get(pk=subscription.pk)
    remote = stripe_stand_in.get(subscription.provider_reference)
    assert row.cancel_at_period_end is remote["cancel_at_period_end"] is (action == "cancel")
    assert row.plan.provider_price_id == remote["items"]["data"][0]["price"]["id"]
    assert row.plan.slug == ("monthly-lite" if action == "switch" else "monthly")


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize("action", ACTIONS)
def test_a_change_the_webhook_applied_meanwhile_is_kept_and_the_reader_told(
    stripe_stand_in, at_stripe, action, mailoutbox
):
    subscription, lite = at_stripe
    ready_to(action, subscription, lite)
    emails = len(mailoutbox)
    cancellations = list(subscription.cancellations.values_list("reason", "resumed_at"))
    stripe_stand_in.hold_next_update()

    with ThreadPoolExecutor(max_workers=1) as pool:
        clicked = pool.submit(in_own_connection, click, action, subscription, lite)
        try:
            assert stripe_stand_in.held.wait(15), "Stripe was never told"
            # Stripe bills the renewal while it answers, and its webhook is applied first.
            stripe_says(stripe_stand_in.renew(subscription.provider_reference))
        finally:
            stripe_stand_in.release()
        with pytest.raises(SubscriptionError) as refused:
            clicked.result(timeout=30)

    assert str(refused.value) == (
        "Your subscription changed meanwhile; please check it and try again."
    )
    # The row says what Stripe said in its webhook; the click added nothing of its own.
    row = Subscription.objects.select_related("plan").get(pk=subscription.pk)
    remote = stripe_stand_in.get(subscription.provider_reference)
    assert row.current_period_end > subscription.current_period_end  # the renewal
    assert row.cancel_at_period_end is remote["cancel_at_period_end"]
    assert row.plan.provider_price_id == remote["items"]["data"][0]["price"]["id"]
    assert list(row.cancellations.values_list("reason", "resumed_at")) == cancellations
    assert len(mailoutbox) == emails


@pytest.mark.parametrize("action", ACTIONS)
def test_when_stripe_cannot_be_reached_nothing_changes_and_the_reader_is_told(
    stripe_stand_in, at_stripe, action, settings, mailoutbox
):
    subscription, lite = at_stripe
    ready_to(action, subscription, lite)
    before, emails = state_of(subscription), len(mailoutbox)
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"  # nothing listens on the discard port

    with pytest.raises(SubscriptionError) as refused:
        click(action, subscription, lite)

    assert str(refused.value) == (
        "Payments are not available at the moment; nothing was changed. Please try again soon."
    )
    assert state_of(subscription) == before
    assert len(mailoutbox) == emails


def test_cancel_resume_and_cancel_again_each_reach_stripe(stripe_stand_in, at_stripe):
    subscription, lite = at_stripe

    for action in ["cancel", "resume", "cancel"]:
        click(action, subscription, lite)

    assert stripe_stand_in.get(subscription.provider_reference)["cancel_at_period_end"] is True
    assert Subscription.objects.get(pk=subscription.pk).cancel_at_period_end
    # Each asked with a key of its own: a key Stripe still holds would answer without acting.
    assert len(set(our_keys(stripe_stand_in))) == 3


@postgresql_only
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_cancels_at_once_through_stripe_ask_one_change_and_apply_once(
    stripe_stand_in, at_stripe, mailoutbox
):
    subscription, lite = at_stripe
    emails = len(mailoutbox)

    def cancel():
        click("cancel", subscription, lite)

    assert at_once([cancel] * 4) == ["done", "refused", "refused", "refused"]
    assert CancellationFeedback.objects.count() == 1
    assert [email.subject.split()[-1] for email in mailoutbox[emails:]] == ["cancelled"]
    assert len(our_keys(stripe_stand_in)) == 1
    assert stripe_stand_in.get(subscription.provider_reference)["cancel_at_period_end"] is True


def test_complimentary_access_says_it_ends_on_its_own(client):
    from subscriptions.services import subscription_grant_complimentary

    reader = make_reader()
    subscription_grant_complimentary(user=reader, months=3, granted_by=None)
    client.force_login(reader)
    page = client.get(reverse("subscription_cancel"), follow=True).content.decode()
    assert "already ends on" in page and "nothing to cancel" in page
