"""The one question every part of the site asks about a reader's subscriptions.

`has_entitling_subscription` asks the database (services that change subscriptions use it,
under their locks). `reader_is_entitled` answers the paywall on every page without a query
when it can: the reader's entitlement, and how long that answer holds, are kept in the cache,
set afresh from the committed rows after every change to one of their subscriptions
(`entitlement_changed`, run on commit), and only ever *added* by a reader, so a page that read
the rows just before a change commits can never keep the old answer.
"""

from datetime import datetime, timedelta

from django.core.cache import cache
from django.utils import timezone

from subscriptions.models import Subscription

# Neither entitled nor about to be: look again at least this often all the same.
RECHECK = timedelta(hours=1)
# Readers whose kept answer this process could not set while the shared cache was away
# (`newsroom.resilient_cache`): set again, before anything is read from it, once it answers.
_missed_updates = set()


def _cache_answering() -> bool:
    return getattr(cache, "answering", lambda: True)()


def has_entitling_subscription(*, user_id: int, at: datetime) -> bool:
    """Return whether the reader has a subscription that entitles them at `at` (one query).

    The rule itself is `Subscription.entitles` and its SQL twin `SubscriptionQuerySet.entitling`.
    """
    return Subscription.objects.filter(user_id=user_id).entitling(at=at).exists()


def _key(user_id):
    return f"entitlement:{user_id}"


def _entitlement(*, user_id: int, at: datetime) -> tuple[bool, datetime]:
    """Return (entitled at `at`, the moment that answer may change), from the database."""
    entitled_until, next_start = None, at + RECHECK
    for subscription in Subscription.objects.filter(user_id=user_id):
        until = subscription.entitled_until()
        if until is None or until <= at:
            continue
        if subscription.current_period_start <= at:
            entitled_until = max(entitled_until or until, until)
        else:
            next_start = min(next_start, subscription.current_period_start)
    if entitled_until is not None:
        return True, entitled_until
    return False, next_start


def entitlement_key(user_id) -> str:
    """The cache key of the reader's kept entitlement (`subscriptions.backends` fetches it with
    the reader's user, in one round trip)."""
    return _key(user_id)


def reader_is_entitled(*, user_id: int, at: datetime, fetched: dict | None = None) -> bool:
    """Return whether the reader's subscriptions entitle them at `at`, from the cache when the
    answer kept there still holds at `at`, else from the database (one query).

    `fetched`: what this request already fetched from the cache with the user (keyed by cache
    key; the entitlement missing from it when none is kept), instead of a round trip of its own.
    """
    if _missed_updates and _cache_answering():
        fetched = None  # fetched before the kept answers were set again
        while _missed_updates:
            entitlement_changed(_missed_updates.pop())
    kept = cache.get(_key(user_id)) if fetched is None else fetched.get(_key(user_id))
    if kept is not None:
        entitled, holds_until, holds_from = kept
        if holds_from <= at < holds_until:
            return entitled
    entitled, holds_until = _entitlement(user_id=user_id, at=at)
    cache.add(_key(user_id), (entitled, holds_until, at), timeout=int(RECHECK.total_seconds()))
    return entitled


def entitlement_changed(user_id: int) -> None:
    """Set the reader's kept entitlement from the committed rows (run on commit)."""
    now = timezone.now()
    entitled, holds_until = _entitlement(user_id=user_id, at=now)
    cache.set(_key(user_id), (entitled, holds_until, now), timeout=int(RECHECK.total_seconds()))
    if not _cache_answering():
        # A cache that is away may still hold the old answer when it is back: set it then.
        _missed_updates.add(user_id)
