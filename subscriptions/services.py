"""Writes with rules: reader accounts, subscriptions and the checkout."""

from __future__ import annotations

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
from subscriptions.entitlement import has_entitling_subscription
from subscriptions.gifts import gift_attribute_subscription
from subscriptions.models import Plan, Subscription, add_months


class SubscriptionError(Exception):
    """A subscription change the rules do not allow; the message is for the reader."""


class AlreadySubscribed(SubscriptionError):
    def __init__(self):
        super().__init__("You already have a subscription.")


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


def subscription_cancel(*, subscription: Subscription, at: datetime | None = None) -> Subscription:
    """Cancel `subscription` at the end of its period; the reader keeps access until then.

    A subscription whose payment is overdue is cancelled outright (it gets no further grace).
    Raise `SubscriptionError` if it cannot be cancelled (already cancelled, or ended).
    """
    at = at or timezone.now()
    if not subscription.can_cancel(at=at):
        raise SubscriptionError("This subscription is already cancelled or has ended.")
    subscription.cancel_at_period_end = True
    if subscription.status == Subscription.Status.PAST_DUE:
        subscription.status = Subscription.Status.CANCELED
    # A subscription paid through a provider must also be cancelled there: that arrives with
    # the provider's integration.
    subscription.save(update_fields=["cancel_at_period_end", "status", "updated_at"])
    return subscription


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

    def set_cancel_at_period_end(self, *, subscription: Subscription, cancel: bool) -> None:
        """Tell the provider that `subscription` ends with its period (or, False: renews)."""
        ...

    def switch_plan(self, *, subscription: Subscription, plan: Plan) -> None:
        """Move `subscription` to `plan` at the provider (prorated as the provider does)."""
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
        return CheckoutStart(subscription=subscription_start(user=user, plan=plan, at=at))
    if has_entitling_subscription(user_id=user.pk, at=at):
        raise AlreadySubscribed
    return CheckoutStart(
        redirect_url=provider.start_checkout(
            user=user, plan=plan, success_url=success_url, cancel_url=cancel_url
        )
    )


def _lock_user(user: User) -> None:
    list(get_user_model().objects.select_for_update().filter(pk=user.pk).values_list("pk"))
