"""Payments with Stripe: the hosted checkout, the customer portal and subscription changes.

Enabled with `NEWSROOM_PAYMENT_PROVIDER=subscriptions.stripe_provider.StripeProvider` and the
`STRIPE_*` settings. Everything goes through the official `stripe` library's `StripeClient`,
pointed at `STRIPE_API_BASE` when it is set (the tests' stand-in server). Nothing here grants
access: a subscription row is written only by the webhook (`subscriptions/webhooks.py`), from
the subscription's state at Stripe, which `stripe_subscription_state` reads.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from functools import lru_cache

import stripe
from django.conf import settings

from accounts.models import User
from subscriptions.models import PaymentCustomer, Plan, Subscription
from subscriptions.services import SubscriptionError, trial_days_for

logger = logging.getLogger(__name__)

UNREACHABLE = (
    "Payments are not available at the moment; nothing was changed. Please try again soon."
)

# Stripe's subscription statuses in our words (README.md, "When a subscription entitles").
# "incomplete" (the first payment has not gone through yet) is missing on purpose: such a
# subscription gets no row until it becomes trialing or active.
STATUSES = {
    "trialing": Subscription.Status.TRIALING,
    "active": Subscription.Status.ACTIVE,
    "past_due": Subscription.Status.PAST_DUE,
    "canceled": Subscription.Status.CANCELED,
    "unpaid": Subscription.Status.EXPIRED,
    "incomplete_expired": Subscription.Status.EXPIRED,
    "paused": Subscription.Status.EXPIRED,
}

# Currencies Stripe counts in whole units (no cents): https://docs.stripe.com/currencies
ZERO_DECIMAL_CURRENCIES = frozenset(
    [
        "BIF",
        "CLP",
        "DJF",
        "GNF",
        "JPY",
        "KMF",
        "KRW",
        "MGA",
        "PYG",
        "RWF",
        "UGX",
        "VND",
        "VUV",
        "XAF",
        "XOF",
        "XPF",
    ]
)


def stripe_client() -> stripe.StripeClient:
    """Return a Stripe client for the configured key and API base."""
    return _client(settings.STRIPE_SECRET_KEY, settings.STRIPE_API_BASE)


@lru_cache(maxsize=4)
def _client(secret_key: str, api_base: str) -> stripe.StripeClient:
    # One client (and its connection pool) per key and base; settings change only in tests.
    return stripe.StripeClient(
        secret_key,
        base_addresses={"api": api_base} if api_base else None,
        max_network_retries=2,  # with idempotency keys, which the library adds to retried POSTs
    )


def minor_units(*, amount: Decimal, currency: str) -> int:
    """Return `amount` as Stripe counts it: pence, cents, or whole yen."""
    factor = 1 if currency.upper() in ZERO_DECIMAL_CURRENCIES else 100
    return int((amount * factor).to_integral_value())


@dataclass(frozen=True)
class StripeSubscriptionState:
    """A subscription as Stripe has it now, in our terms: what our row must become."""

    reference: str
    customer_id: str
    status: str | None  # None: not a subscription yet (its first payment is incomplete)
    current_period_start: datetime
    current_period_end: datetime
    cancel_at_period_end: bool
    price_id: str
    product_id: str
    metadata_user_id: str


def _moment(timestamp: int) -> datetime:
    return datetime.fromtimestamp(int(timestamp), tz=UTC)


def stripe_subscription_state(remote: dict) -> StripeSubscriptionState:
    """Return what our row for the Stripe subscription `remote` (a plain dict) must say.

    - The period is the first item's (API versions since 2025 keep it there), else the
      subscription's own (older versions).
    - past_due: Stripe has already moved the period on to the one that was not paid for, so
      our period ends where Stripe's begins: the grace days run from the end of the last
      period paid for, not from the end of the unpaid one.
    - canceled: the period ends when the subscription ended, if that was earlier (cancelled
      at once, or after failed payments: paid-for time is kept, unpaid time is not).
    """
    items = (remote.get("items") or {}).get("data") or [{}]
    item = items[0] or {}
    price = item.get("price") or {}
    start = _moment(item.get("current_period_start") or remote["current_period_start"])
    end = _moment(item.get("current_period_end") or remote["current_period_end"])
    status = STATUSES.get(remote.get("status"))
    if status == Subscription.Status.PAST_DUE:
        start, end = start - (end - start), start
    if status == Subscription.Status.CANCELED and remote.get("ended_at"):
        end = min(end, _moment(remote["ended_at"]))
    end = max(end, start + timedelta(seconds=1))  # a row's period is never empty
    product = price.get("product") or ""
    return StripeSubscriptionState(
        reference=remote["id"],
        customer_id=_id(remote.get("customer")),
        status=status,
        current_period_start=start,
        current_period_end=end,
        cancel_at_period_end=bool(remote.get("cancel_at_period_end") or remote.get("cancel_at")),
        price_id=price.get("id", ""),
        product_id=_id(product),
        metadata_user_id=str((remote.get("metadata") or {}).get("user_id", "")),
    )


def _id(value) -> str:
    """Return the id of an expandable field: an id already, or an expanded object."""
    if isinstance(value, dict):
        return value.get("id", "")
    return value or ""


def plan_for_state(state: StripeSubscriptionState) -> Plan | None:
    """Return our plan for a Stripe subscription, by its price or else by its product.

    After `sync_plans` replaces a plan's price, subscriptions still on the archived price find
    their plan through the product.
    """
    if state.price_id:
        plan = Plan.objects.filter(provider_price_id=state.price_id).first()
        if plan:
            return plan
    if state.product_id:
        return Plan.objects.filter(provider_product_id=state.product_id).first()
    return None


def payment_customer_id(*, user: User) -> str:
    """Return `user`'s Stripe customer id, creating the customer the first time.

    The idempotency key makes two checkouts started at once create one customer at Stripe;
    the unique constraints on PaymentCustomer keep one row.
    """
    known = PaymentCustomer.objects.filter(user=user).first()
    if known:
        return known.provider_customer_id
    email_hash = hashlib.sha256(user.email.encode()).hexdigest()[:16]
    customer = stripe_client().v1.customers.create(
        params={"email": user.email, "metadata": {"user_id": str(user.pk)}},
        options={"idempotency_key": f"newsroom-customer-{user.pk}-{email_hash}"},
    )
    record, _ = PaymentCustomer.objects.get_or_create(
        user=user, defaults={"provider_customer_id": customer.id}
    )
    return record.provider_customer_id


def _with_session_id(url: str) -> str:
    # Stripe puts the session's id in place of the literal {CHECKOUT_SESSION_ID}.
    return f"{url}{'&' if '?' in url else '?'}session_id={{CHECKOUT_SESSION_ID}}"


class StripeProvider:
    """The `PaymentProvider` (subscriptions/services.py) that takes payments with Stripe."""

    def start_checkout(self, *, user: User, plan: Plan, success_url: str, cancel_url: str) -> str:
        """Return the URL of a Stripe Checkout session for `plan`, in subscription mode."""
        if not plan.provider_price_id:
            logger.error("Plan %s has no Stripe price: run manage.py sync_plans", plan.slug)
            raise SubscriptionError("This plan cannot be bought yet. Please try again soon.")
        subscription_data = {"metadata": {"user_id": str(user.pk), "plan_id": str(plan.pk)}}
        trial_days = trial_days_for(user=user, plan=plan)
        if trial_days:
            subscription_data["trial_period_days"] = trial_days
        params = {
            "mode": "subscription",
            "client_reference_id": str(user.pk),
            "metadata": {"user_id": str(user.pk), "plan_id": str(plan.pk)},
            "line_items": [{"price": plan.provider_price_id, "quantity": 1}],
            "subscription_data": subscription_data,
            "success_url": _with_session_id(success_url),
            "cancel_url": cancel_url,
        }
        if settings.NEWSROOM_PROMOTION_CODES:
            params["allow_promotion_codes"] = True
        try:
            params["customer"] = payment_customer_id(user=user)
            session = stripe_client().v1.checkout.sessions.create(params=params)
        except stripe.StripeError:
            logger.exception("Stripe refused a checkout for reader %s", user.pk)
            raise SubscriptionError(UNREACHABLE) from None
        return session.url

    def portal_url(self, *, user: User, return_url: str) -> str:
        """Return the URL of Stripe's customer portal for `user` (cards, plan, invoices)."""
        customer = PaymentCustomer.objects.filter(user=user).first()
        if customer is None:
            raise SubscriptionError("There are no payments to manage for this account.")
        try:
            session = stripe_client().v1.billing_portal.sessions.create(
                params={"customer": customer.provider_customer_id, "return_url": return_url}
            )
        except stripe.StripeError:
            logger.exception("Stripe refused a portal session for reader %s", user.pk)
            raise SubscriptionError(UNREACHABLE) from None
        return session.url

    def set_cancel_at_period_end(
        self, *, subscription: Subscription, cancel: bool, idempotency_key: str | None = None
    ) -> None:
        """Tell Stripe that `subscription` ends with its period (False: it renews again).

        Our row follows when Stripe's webhook arrives. Stripe carries out a request with an
        `idempotency_key` it has seen (for a day) only once, and answers again as it did.
        """
        self._update(subscription, {"cancel_at_period_end": cancel}, idempotency_key)

    def switch_plan(
        self, *, subscription: Subscription, plan: Plan, idempotency_key: str | None = None
    ) -> None:
        """Move `subscription` to `plan`'s price at Stripe, prorated; the webhook follows."""
        if not plan.provider_price_id:
            raise SubscriptionError("This plan cannot be bought yet. Please try again soon.")
        try:
            remote = stripe_client().v1.subscriptions.retrieve(subscription.provider_reference)
        except stripe.StripeError:
            logger.exception("Stripe subscription %s unavailable", subscription.provider_reference)
            raise SubscriptionError(UNREACHABLE) from None
        item_id = remote.to_dict()["items"]["data"][0]["id"]
        self._update(
            subscription,
            {
                "items": [{"id": item_id, "price": plan.provider_price_id}],
                "proration_behavior": "create_prorations",
                "metadata": {"plan_id": str(plan.pk)},
            },
            idempotency_key,
        )

    def _update(
        self, subscription: Subscription, params: dict, idempotency_key: str | None
    ) -> None:
        if subscription.source != Subscription.Source.PROVIDER or not (
            subscription.provider_reference
        ):
            raise ValueError("Only a subscription paid through Stripe changes at Stripe.")
        try:
            stripe_client().v1.subscriptions.update(
                subscription.provider_reference,
                params=params,
                options={"idempotency_key": idempotency_key} if idempotency_key else {},
            )
        except stripe.StripeError:
            logger.exception("Stripe refused to change %s", subscription.provider_reference)
            raise SubscriptionError(UNREACHABLE) from None
