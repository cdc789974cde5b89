"""Stripe's webhook: the one way a payment turns into access.

Each decision, and why:
- The signature is checked with the endpoint's secret by the `stripe` library itself; a bad or
  missing one is a 400 and changes nothing.
- Every event is recorded once by its id (`ProviderEvent`), inside the transaction that applies
  it: a replay finds the row and does nothing; a delivery that fails (Stripe unreachable) rolls
  its row back, answers 503, and Stripe delivers it again.
- Events arrive late, twice and out of order, so none is trusted for what it says about a
  subscription: each one names a subscription, and our row is made to say what Stripe says
  about it *now* (`stripe_subscription_state`). A stale "updated" cannot bring a deleted
  subscription back, and a replayed "invoice.paid" cannot extend a cancelled one.
- Stripe is asked with no lock and no transaction held (a slow Stripe holds no reader's row).
  Its answer is applied under the row's lock only if the row is still as it was before asking:
  if another delivery changed it meanwhile, Stripe is asked again. So the state applied last
  is always one asked after every state applied before it, and concurrent deliveries converge
  on Stripe's current state. A new row is created under its unique provider reference.
- A subscription of a customer who is not a reader here is logged and answered 200: Stripe
  would otherwise retry it for days.
- Emails are queued in the outbox (`foundation.outbox`) with the change, once per event:
  the welcome once per subscription, the trial's end once per trial, a failed payment once
  per Stripe event; the task engine sends them.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

import stripe
from django.conf import settings
from django.db import transaction
from django.http import HttpResponse, HttpResponseBadRequest
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from subscriptions.emails import reader_email_queue
from subscriptions.funnel import subscription_started
from subscriptions.gifts import gift_attribute_subscription
from subscriptions.models import PaymentCustomer, ProviderEvent, Subscription
from subscriptions.stripe_provider import (
    plan_for_state,
    stripe_client,
    stripe_subscription_state,
)

logger = logging.getLogger(__name__)

WELCOMED_STATUSES = {Subscription.Status.TRIALING, Subscription.Status.ACTIVE}


@csrf_exempt  # Stripe signs its requests instead; it has no CSRF cookie
@require_POST
def stripe_webhook(request):
    """Verify one event from Stripe, apply it once, and say what it did."""
    try:
        event = stripe.Webhook.construct_event(
            request.body,
            request.headers.get("Stripe-Signature"),
            settings.STRIPE_WEBHOOK_SECRET,
        ).to_dict()
    except stripe.SignatureVerificationError:
        return HttpResponseBadRequest("Bad or missing Stripe-Signature.", content_type="text/plain")
    except (ValueError, TypeError, AttributeError):
        return HttpResponseBadRequest("Malformed event.", content_type="text/plain")
    data = event.get("data")
    if not (
        isinstance(event.get("id"), str)
        and isinstance(event.get("type"), str)
        and isinstance(data, dict)
        and isinstance(data.get("object"), dict)
    ):
        return HttpResponseBadRequest("Malformed event.", content_type="text/plain")
    try:
        outcome = stripe_event_process(event=event)
    except (stripe.StripeError, SubscriptionBusy):
        logger.exception("Stripe event %s not applied: Stripe could not be asked", event["id"])
        return HttpResponse(
            "Stripe could not be reached; deliver again later.",
            status=503,
            content_type="text/plain",
        )
    return HttpResponse(outcome, content_type="text/plain")


def stripe_event_process(*, event: dict) -> str:
    """Apply the verified Stripe `event` (a plain dict) once; return what it did.

    Stripe is asked outside any transaction; the answer is applied under the row's lock only if
    the row is as it was before asking (else asked again). Raise `stripe.StripeError` when
    Stripe cannot be asked, and `SubscriptionBusy` when the row kept changing meanwhile:
    nothing is recorded then, and Stripe delivers the event again.
    """
    if ProviderEvent.objects.filter(event_id=event["id"]).exists():
        return "Already processed."
    reference = _subscription_reference(event)
    for _round in range(RECONCILE_ROUNDS):
        seen = _row_version(reference)
        remote = _stripe_subscription(reference) if reference else None
        try:
            with transaction.atomic():
                record, created = ProviderEvent.objects.get_or_create(
                    event_id=event["id"], defaults={"type": event["type"][:100]}
                )
                if not created:
                    return "Already processed."
                if not reference:
                    outcome = _ignored(event["type"])
                else:
                    row = _locked_row(reference)
                    if _version(row) != seen:
                        raise RowChanged
                    outcome = _apply(event, reference=reference, row=row, remote=remote)
                record.processed_at = timezone.now()
                record.outcome = outcome[:500]
                record.save(update_fields=["processed_at", "outcome"])
        except RowChanged:
            # Another delivery changed the row while Stripe was asked: what we were told may
            # be older than what it applied. This round is rolled back; ask again.
            continue
        logger.info("Stripe event %s (%s): %s", event["id"], event["type"], outcome)
        return outcome
    raise SubscriptionBusy(f"Subscription {reference} changed under {RECONCILE_ROUNDS} rounds")


class RowChanged(Exception):
    """The subscription's row is not as it was before Stripe was asked."""


# A delivery whose subscription keeps changing while Stripe is asked gives up after this many
# rounds, with a 503: Stripe delivers it again later.
RECONCILE_ROUNDS = 10


class SubscriptionBusy(Exception):
    """The subscription's row changed under every round of asking Stripe: deliver again."""


def _subscription_reference(event: dict) -> str:
    kind, obj = event["type"], event["data"]["object"]
    if kind == "checkout.session.completed":
        return _id(obj.get("subscription"))
    if kind.startswith("customer.subscription."):
        return _id(obj.get("id"))
    if kind.startswith("invoice."):
        return _invoice_subscription(obj)
    return ""


def _ignored(kind: str) -> str:
    if kind == "checkout.session.completed" or kind.startswith(
        ("customer.subscription.", "invoice.")
    ):
        return "Ignored: no subscription."
    return f"Ignored: {kind} is not an event this site uses."


def _apply(event: dict, *, reference: str, row, remote) -> str:
    kind = event["type"]
    reconciled = subscription_reconcile(reference=reference, row=row, remote=remote)
    subscription = reconciled.subscription
    if subscription is None:
        return reconciled.outcome
    if kind == "customer.subscription.trial_will_end" and (
        subscription.status == Subscription.Status.TRIALING
    ):
        # Once per trial, however often Stripe says so.
        end = f"{subscription.current_period_end:%Y%m%dT%H%M%S}"
        _email(subscription, "trial_ending", f"subscription:{subscription.pk}:trial-ending:{end}")
    if kind == "invoice.payment_failed" and subscription.status == Subscription.Status.PAST_DUE:
        _email(subscription, "payment_failed", f"stripe:{event['id']}:payment-failed")
    return reconciled.outcome


def _id(value) -> str:
    if isinstance(value, dict):
        value = value.get("id")
    return value if isinstance(value, str) else ""


def _invoice_subscription(invoice: dict) -> str:
    """Return the subscription an invoice bills (where API versions since 2025 keep it)."""
    details = (invoice.get("parent") or {}).get("subscription_details") or {}
    return _id(details.get("subscription")) or _id(invoice.get("subscription"))


def _row_version(reference: str):
    if not reference:
        return None
    return (
        Subscription.objects.filter(provider_reference=reference)
        .values_list("pk", "updated_at")
        .first()
    )


def _version(row):
    return None if row is None else (row.pk, row.updated_at)


def _locked_row(reference: str):
    return Subscription.objects.select_for_update().filter(provider_reference=reference).first()


def _stripe_subscription(reference: str) -> dict | None:
    """Return Stripe's subscription `reference` now (None: Stripe has none), asked without any
    lock or transaction held. Raise `stripe.StripeError` when Stripe cannot be asked."""
    try:
        return stripe_client().v1.subscriptions.retrieve(reference).to_dict()
    except stripe.InvalidRequestError as error:
        if error.code != "resource_missing":
            raise
        return None


@dataclass(frozen=True)
class Reconciled:
    subscription: Subscription | None
    outcome: str


def subscription_reconcile(*, reference: str, row: Subscription | None, remote) -> Reconciled:
    """Make our `row` (locked, or None) for the Stripe subscription `reference` say what
    Stripe said of it (`remote`, None if Stripe has none).

    Run inside `transaction.atomic()`, with the row locked until the caller commits. Create
    the row the first time (and welcome the reader if it entitles); an unknown subscription
    or customer changes nothing.
    """
    if remote is None:
        logger.warning("Stripe has no subscription %s; event ignored", reference)
        return Reconciled(None, "Unknown subscription.")
    state = stripe_subscription_state(remote)
    if state.status is None:
        return Reconciled(row, f"Waiting: the subscription is {remote.get('status')} at Stripe.")
    fields = {
        "status": state.status,
        "current_period_start": state.current_period_start,
        "current_period_end": state.current_period_end,
        "cancel_at_period_end": state.cancel_at_period_end,
    }
    plan = plan_for_state(state)
    if row is None:
        customer = (
            PaymentCustomer.objects.filter(provider_customer_id=state.customer_id)
            .select_related("user")
            .first()
        )
        if customer is None:
            logger.warning(
                "Stripe subscription %s belongs to customer %s, who is no reader here; ignored",
                reference,
                state.customer_id,
            )
            return Reconciled(None, "Unknown customer.")
        row, created = Subscription.objects.get_or_create(
            provider_reference=reference,
            defaults={
                **fields,
                "user": customer.user,
                "plan": plan,
                "source": Subscription.Source.PROVIDER,
            },
        )
        if not created:
            raise RowChanged  # another delivery created it meanwhile
        gift_attribute_subscription(subscription=row)
        subscription_started(subscription=row)
        if row.status in WELCOMED_STATUSES:
            _email(row, "welcome", f"subscription:{row.pk}:welcome")
        return Reconciled(row, f"Created: {row.status}.")
    fields["plan"] = plan or row.plan
    changed = [name for name, value in fields.items() if getattr(row, name) != value]
    if not changed:
        # Left as it is, so that deliveries asking Stripe meanwhile need not ask again.
        return Reconciled(row, f"Unchanged: {row.status}.")
    for name in changed:
        setattr(row, name, fields[name])
    row.save(update_fields=[*changed, "updated_at"])
    return Reconciled(row, f"Updated: {row.status}.")


def _email(subscription: Subscription, name: str, event_key: str) -> None:
    grace = timedelta(days=settings.NEWSROOM_PAST_DUE_GRACE_DAYS)
    reader_email_queue(
        to=subscription.user.email,
        name=name,
        context={
            "subscription": subscription,
            "plan": subscription.plan,
            "period_end": subscription.current_period_end,
            "grace_end": subscription.current_period_end + grace,
            "account_url": settings.NEWSROOM_SITE_URL.rstrip("/") + reverse("account"),
        },
        event_key=event_key,
    )
