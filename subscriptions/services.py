"""Writes with rules: reader accounts, subscriptions and the checkout."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from accounts.models import User
from subscriptions import funnel
from subscriptions.emails import reader_email_queue
from subscriptions.entitlement import has_entitling_subscription
from subscriptions.gifts import gift_attribute_subscription
from subscriptions.models import CancellationFeedback, Plan, Subscription, add_months


class SubscriptionError(Exception):
    """A subscription change the rules do not allow; the message is for the reader."""


class AlreadySubscribed(SubscriptionError):
    def __init__(self):
        super().__init__("You already have a subscription.")


class SubscriptionChanged(SubscriptionError):
    def __init__(self):
        super().__init__("Your subscription changed meanwhile; please check it and try again.")


def current_subscription(*, user: User, at: datetime) -> Subscription | None:
    """Return the subscription to show a reader: the entitling one, else the latest one."""
    subscriptions = Subscription.objects.filter(user=user).select_related("plan").latest_first()
    return subscriptions.entitling(at=at).first() or subscriptions.first()


def trial_days_for(*, user: User, plan: Plan) -> int:
    """Return the free trial `user` gets on `plan`: only a first paid subscription has one."""
    if not plan.trial_days:
        return 0
    paid_before = (
        Subscription.objects.filter(user=user)
        .exclude(source=Subscription.Source.COMPLIMENTARY)
        .exists()
    )
    return 0 if paid_before else plan.trial_days


def subscription_start(
    *,
    user: User,
    plan: Plan,
    source: str = Subscription.Source.MANUAL,
    provider_reference: str = "",
    at: datetime | None = None,
) -> Subscription:
    """Start `user`'s subscription to `plan` now: a trial if they get one, else a paid period.

    Raise `AlreadySubscribed` if the reader already has an entitling subscription, and
    `SubscriptionError` for a plan that is no longer offered.
    """
    at = at or timezone.now()
    if not plan.is_active:
        raise SubscriptionError("This plan is no longer offered.")
    with transaction.atomic():
        _lock_user(user)  # two checkouts at once must not make two subscriptions
        if has_entitling_subscription(user_id=user.pk, at=at):
            raise AlreadySubscribed
        trial_days = trial_days_for(user=user, plan=plan)
        subscription = Subscription.objects.create(
            user=user,
            plan=plan,
            status=Subscription.Status.TRIALING if trial_days else Subscription.Status.ACTIVE,
            current_period_start=at,
            current_period_end=at + timedelta(days=trial_days)
            if trial_days
            else plan.period_end(at),
            source=source,
            provider_reference=provider_reference,
        )
        return gift_attribute_subscription(subscription=subscription)


def subscription_cancel(
    *,
    subscription: Subscription,
    reason: str,
    text: str = "",
    at: datetime | None = None,
) -> CancellationFeedback:
    """Cancel `subscription` at the end of its period, recording why; return the feedback.

    The reader keeps access until the period ends and may resume until then. A subscription
    whose payment is overdue is cancelled outright (it gets no further grace). A subscription
    paid through the payment provider is cancelled there too, before ours changes, holding no
    lock (`_locked_as_seen`). The reader is sent "cancellation confirmed" (queued in the outbox
    with the change). Raise `SubscriptionError` if it cannot be cancelled (already cancelled,
    or ended), and `SubscriptionChanged` if it changed while the provider was told.
    """
    at = at or timezone.now()
    if reason not in CancellationFeedback.Reason.values:
        raise ValueError(f"Unknown cancellation reason: {reason!r}")
    seen = _read_subscription(subscription)
    if not seen.can_cancel(at=at):
        raise SubscriptionError("This subscription is already cancelled or has ended.")
    if seen.source == Subscription.Source.PROVIDER:
        _provider_for(seen).set_cancel_at_period_end(
            subscription=seen, cancel=True, idempotency_key=_change_key(seen, "cancel")
        )
    with _locked_as_seen(seen) as locked:
        locked.cancel_at_period_end = True
        if locked.status == Subscription.Status.PAST_DUE:
            locked.status = Subscription.Status.CANCELED
        locked.save(update_fields=["cancel_at_period_end", "status", "updated_at"])
        feedback = CancellationFeedback.objects.create(
            subscription=locked, reason=reason, text=text, created_at=at
        )
        reader_email_queue(
            to=locked.user.email,
            name="cancellation_confirmed",
            context={
                "subscription": locked,
                "can_resume": can_resume(subscription=locked, at=at),
            },
            event_key=f"cancellation:{feedback.pk}:confirmed",
        )
    _copy_state(locked, into=subscription)
    return feedback


def can_resume(*, subscription: Subscription, at: datetime) -> bool:
    """Return whether a subscription cancelled at the end of its period may still go on.

    Only a paid or trial subscription that the reader cancelled, and whose period has not ended
    yet; complimentary access never renews, and one cancelled outright has ended.
    """
    return (
        subscription.cancel_at_period_end
        and subscription.source != Subscription.Source.COMPLIMENTARY
        and subscription.status in {Subscription.Status.TRIALING, Subscription.Status.ACTIVE}
        and subscription.current_period_start <= at < subscription.current_period_end
    )


def subscription_resume(*, subscription: Subscription, at: datetime | None = None) -> Subscription:
    """Undo a cancellation before the period ends: the subscription renews again.

    The provider is told first, holding no lock, for a subscription paid through it. The
    latest cancellation's feedback is kept, marked resumed. The reader is sent "subscription
    resumed" (queued in the outbox with the change). Raise `SubscriptionError` once the period
    has ended, or if there is nothing to resume, and `SubscriptionChanged` if it changed while
    the provider was told.
    """
    at = at or timezone.now()
    seen = _read_subscription(subscription)
    if not can_resume(subscription=seen, at=at):
        raise SubscriptionError("This subscription cannot be resumed: it has ended.")
    if seen.source == Subscription.Source.PROVIDER:
        _provider_for(seen).set_cancel_at_period_end(
            subscription=seen, cancel=False, idempotency_key=_change_key(seen, "resume")
        )
    with _locked_as_seen(seen) as locked:
        locked.cancel_at_period_end = False
        locked.save(update_fields=["cancel_at_period_end", "updated_at"])
        feedback = locked.cancellations.filter(resumed_at__isnull=True).first()  # the latest
        if feedback is not None:
            feedback.resumed_at = at
            feedback.save(update_fields=["resumed_at"])
        reader_email_queue(
            to=locked.user.email,
            name="subscription_resumed",
            context={"subscription": locked},
            # One resumption per cancellation; one without feedback, once per moment.
            event_key=f"subscription:{locked.pk}:resumed:"
            + (f"cancellation-{feedback.pk}" if feedback is not None else f"{at:%Y%m%dT%H%M%S%f}"),
        )
    _copy_state(locked, into=subscription)
    return subscription


def cheaper_plans(*, subscription: Subscription) -> list[Plan]:
    """Return the active plans `subscription` could switch to for less, dearest first.

    Cheaper means a lower price for the same interval in the same currency: a yearly plan is
    not "cheaper" than a monthly one because it costs less a month, since it asks for a year's
    money at once. A subscription paid through the provider can only move to a plan the
    provider knows (one synced with a price there).
    """
    current = subscription.plan
    if current is None:
        return []
    plans = (
        Plan.objects.active()
        .filter(currency=current.currency, interval=current.interval, price__lt=current.price)
        .order_by("-price", "name")
    )
    if subscription.source == Subscription.Source.PROVIDER:
        plans = plans.exclude(provider_price_id="")
    return list(plans)


def subscription_switch_plan(
    *, subscription: Subscription, plan: Plan, at: datetime | None = None
) -> Subscription:
    """Move a renewing subscription to `plan`, a cheaper active plan; return it.

    Through the payment provider the switch happens there (prorated as the provider does) and
    our row follows. A subscription without a provider (manual, development) has paid for this
    period already, so the new plan's price applies from the next period. Raise
    `SubscriptionError`, with a message for the reader, for a plan that is not offered or not
    cheaper, or a subscription that is not renewing, and `SubscriptionChanged` if it changed
    while the provider was told.
    """
    at = at or timezone.now()
    seen = _read_subscription(subscription)
    if not seen.will_renew or not seen.entitles(at=at) or seen.plan is None:
        raise SubscriptionError("Only a subscription that renews can change its plan.")
    if plan not in cheaper_plans(subscription=seen):
        raise SubscriptionError(_switch_refusal(subscription=seen, plan=plan))
    if seen.source == Subscription.Source.PROVIDER:
        _provider_for(seen).switch_plan(
            subscription=seen, plan=plan, idempotency_key=_change_key(seen, f"plan-{plan.pk}")
        )
    with _locked_as_seen(seen) as locked:
        locked.plan = plan
        locked.save(update_fields=["plan", "updated_at"])
    _copy_state(locked, into=subscription)
    return subscription


def _switch_refusal(*, subscription: Subscription, plan: Plan) -> str:
    """Return why `subscription` may not move to `plan`, in the reader's words."""
    current = subscription.plan
    if not plan.is_active:
        return f"{plan.name} is no longer offered."
    if plan.interval != current.interval or plan.currency != current.currency:
        return f"{plan.name} is billed differently from your plan; choose a plan like yours."
    if plan.price >= current.price:
        return (
            f"{plan.name} ({plan.price_label}) is not cheaper than your {current.name} plan "
            f"({current.price_label})."
        )
    return f"{plan.name} is not available for a subscription paid online yet."


# A reader's change to a subscription is checked, told to the provider, then applied. The
# provider (Stripe, over HTTP) is told holding no row lock and no transaction: a slow or hung
# provider must not hold the row that its webhook, and the reader's other requests, wait for.
# So the change is applied only if the row is still as it was checked (`updated_at`: every save
# moves it, and the webhook saves only what it changes); if anything changed it meanwhile
# (another click, or a webhook), nothing is applied over a state nobody checked.


def _read_subscription(subscription: Subscription) -> Subscription:
    """Return `subscription` read again, unlocked, to be checked before it changes."""
    return Subscription.objects.select_related("plan", "user").get(pk=subscription.pk)


def _change_key(seen: Subscription, change: str) -> str:
    """Return the idempotency key that tells the provider of `change` to `seen`.

    It names the subscription, the change with its target and the state it was checked in:
    two clicks on one state are carried out once, while cancelling again after a resume is a
    new request (Stripe answers a key it still holds without acting).
    """
    return f"newsroom-subscription-{seen.pk}-{change}-{seen.updated_at:%Y%m%dT%H%M%S%f}"


@contextmanager
def _locked_as_seen(seen: Subscription) -> Iterator[Subscription]:
    """Give the block `seen`'s row under a lock, in a transaction, to apply the change to.

    Raise `SubscriptionChanged` if the row was saved since `seen` was read (by another click,
    or a webhook): its state is not the one that was checked, and the reader must look again.
    """
    with transaction.atomic():
        locked = (
            Subscription.objects.select_for_update(of=("self",))
            .select_related("plan", "user")
            .get(pk=seen.pk)
        )
        if locked.updated_at != seen.updated_at:
            raise SubscriptionChanged
        yield locked


def _copy_state(source: Subscription, *, into: Subscription) -> None:
    if into is not source:
        for field in ("plan", "status", "cancel_at_period_end", "updated_at"):
            setattr(into, field, getattr(source, field))


def _provider_for(subscription: Subscription) -> PaymentProvider:
    provider = payment_provider()
    if provider is None:
        # Misconfiguration, not the reader's doing; say so plainly rather than change only our
        # side while the provider keeps charging.
        raise SubscriptionError(
            "Your subscription is managed by our payment provider, which is not reachable from "
            "this site right now. Please try again later."
        )
    return provider


# Granting free access is adding a subscription: whoever may add one by hand may grant one.
GRANT_COMPLIMENTARY_PERMISSION = "subscriptions.add_subscription"


def subscription_grant_complimentary(
    *, user: User, months: int, granted_by: User | None, at: datetime | None = None
) -> Subscription:
    """Give `user` free access for `months` calendar months from now; it does not renew.

    Raise `PermissionDenied` unless `granted_by` may add subscriptions. `granted_by=None` is a
    grant the site itself makes (a command or a migration), with nobody acting.
    """
    if granted_by is not None and not granted_by.has_perm(GRANT_COMPLIMENTARY_PERMISSION):
        raise PermissionDenied("You may not grant complimentary subscriptions.")
    if months < 1:
        raise ValueError("A complimentary subscription lasts at least one month.")
    at = at or timezone.now()
    return Subscription.objects.create(
        user=user,
        plan=None,
        status=Subscription.Status.ACTIVE,
        current_period_start=at,
        current_period_end=add_months(at, months),
        cancel_at_period_end=True,
        source=Subscription.Source.COMPLIMENTARY,
        granted_by=granted_by,
    )


# The checkout ------------------------------------------------------------------------------


class PaymentProvider(Protocol):
    """What `settings.NEWSROOM_PAYMENT_PROVIDER` (a dotted path to a class) must provide."""

    def start_checkout(self, *, user: User, plan: Plan, success_url: str, cancel_url: str) -> str:
        """Return the URL of the provider's hosted checkout for `plan`."""
        ...

    def portal_url(self, *, user: User, return_url: str) -> str:
        """Return the URL of the provider's page where `user` manages cards, plans, invoices."""
        ...

    def set_cancel_at_period_end(
        self, *, subscription: Subscription, cancel: bool, idempotency_key: str | None = None
    ) -> None:
        """Tell the provider that `subscription` ends with its period (or, False: renews).

        A request repeated with the same `idempotency_key` is carried out once.
        """
        ...

    def switch_plan(
        self, *, subscription: Subscription, plan: Plan, idempotency_key: str | None = None
    ) -> None:
        """Move `subscription` to `plan` at the provider (prorated as the provider does).

        A request repeated with the same `idempotency_key` is carried out once.
        """
        ...


@dataclass(frozen=True)
class CheckoutStart:
    """Where a checkout goes next: a provider's hosted page, or a subscription started at once."""

    redirect_url: str = ""
    subscription: Subscription | None = None


class CheckoutUnavailable(SubscriptionError):
    def __init__(self):
        super().__init__("Subscriptions are not available yet.")


def payment_provider() -> PaymentProvider | None:
    """Return the configured payment provider, or None when the site runs without one."""
    path = getattr(settings, "NEWSROOM_PAYMENT_PROVIDER", "")
    return import_string(path)() if path else None


def checkout_available() -> bool:
    """Return True if readers can subscribe: through a payment provider, or in development."""
    return bool(getattr(settings, "NEWSROOM_PAYMENT_PROVIDER", "")) or (
        settings.NEWSROOM_DEVELOPMENT_CHECKOUT
    )


def checkout_start(
    *, user: User, plan: Plan, success_url: str, cancel_url: str, at: datetime | None = None
) -> CheckoutStart:
    """Start paying for `plan`: return the provider's checkout URL to send the reader to.

    Without a payment provider, the development checkout (`NEWSROOM_DEVELOPMENT_CHECKOUT`)
    starts the subscription at once and takes no payment; with neither, raise
    `CheckoutUnavailable`. Raise `AlreadySubscribed` or `SubscriptionError` as
    `subscription_start` does.
    """
    at = at or timezone.now()
    provider = payment_provider()
    if provider is None:
        if not settings.NEWSROOM_DEVELOPMENT_CHECKOUT:
            raise CheckoutUnavailable
        with transaction.atomic():
            subscription = subscription_start(user=user, plan=plan, at=at)
            funnel.subscription_started(subscription=subscription)
        return CheckoutStart(subscription=subscription)
    if has_entitling_subscription(user_id=user.pk, at=at):
        raise AlreadySubscribed
    return CheckoutStart(
        redirect_url=provider.start_checkout(
            user=user, plan=plan, success_url=success_url, cancel_url=cancel_url
        )
    )


def _lock_user(user: User) -> None:
    list(get_user_model().objects.select_for_update().filter(pk=user.pk).values_list("pk"))
