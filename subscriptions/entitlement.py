"""The one question every part of the site asks about a reader's subscriptions.

`has_entitling_subscription` asks the database (services that change subscriptions use it,
under their locks). `reader_is_entitled` answers the paywall on every page without a query when
it can: the reader's entitlement, and until when that answer holds, are a kept value
(`foundation.kept`), set from the committed rows after every change to one of their subscriptions,
repaired if the cache missed it, and kept no longer than the answer holds.
"""

from datetime import datetime, timedelta

from django.utils import timezone

from foundation import kept
from subscriptions.models import Subscription

# Neither entitled nor about to be: look again at least this often all the same.
RECHECK = timedelta(hours=1)


def has_entitling_subscription(*, user_id: int, at: datetime) -> bool:
    """Return whether the reader has a subscription that entitles them at `at` (one query).

    The rule itself is `Subscription.entitles` and its SQL twin `SubscriptionQuerySet.entitling`.
    """
    return Subscription.objects.filter(user_id=user_id).entitling(at=at).exists()


def users_with_entitling_subscription(*, user_ids, at: datetime) -> set[int]:
    """Return those of `user_ids` whose subscriptions entitle them at `at` (one query): what
    `has_entitling_subscription` answers, for many readers at once."""
    entitling = Subscription.objects.filter(user_id__in=list(user_ids)).entitling(at=at)
    return set(entitling.values_list("user_id", flat=True))


def entitlement(*, user_id: int, at: datetime) -> tuple[bool, datetime | None]:
    """Return (entitled at `at`, the moment that answer changes by itself: the end of the
    entitling period, or the start of one to come; None when no such moment is known), from the
    database."""
    entitled_until, next_start = None, None
    for subscription in Subscription.objects.filter(user_id=user_id):
        until = subscription.entitled_until()
        if until is None or until <= at:
            continue
        if subscription.current_period_start <= at:
            entitled_until = max(entitled_until or until, until)
        else:
            start = subscription.current_period_start
            next_start = start if next_start is None else min(next_start, start)
    if entitled_until is not None:
        return True, entitled_until
    return False, next_start


def _seconds(value) -> int:
    """Keep an answer no longer than it holds (nor than `RECHECK`)."""
    holds_until = value[1] if value is not None else None
    if holds_until is None:
        return int(RECHECK.total_seconds())
    left = (holds_until - timezone.now()).total_seconds()
    return max(1, int(min(left, RECHECK.total_seconds())))


ENTITLEMENT = kept.kind(
    "entitlement",
    load=lambda user_id: entitlement(user_id=user_id, at=timezone.now()),
    timeout=_seconds,
)


def reader_is_entitled(*, user_id: int, at: datetime, fetched: kept.Fetched | None = None) -> bool:
    """Return whether the reader's subscriptions entitle them at `at`: from `fetched` or the
    cache while the kept answer holds, else from the database (one query)."""
    kept_answer = kept.read(ENTITLEMENT, user_id, fetched=fetched)
    if kept_answer is not None:
        entitled, holds_until = kept_answer
        if holds_until is None or at < holds_until:
            return entitled
    return entitlement(user_id=user_id, at=at)[0]


def entitlement_changed(user_id: int) -> None:
    """A subscription of the reader changed: their kept answer follows once the change commits."""
    kept.changed(ENTITLEMENT, user_id)
