"""The one question every part of the site asks about a reader's subscriptions."""

from datetime import datetime

from subscriptions.models import Subscription


def has_entitling_subscription(*, user_id: int, at: datetime) -> bool:
    """Return whether the reader has a subscription that entitles them at `at` (one query).

    The rule itself is `Subscription.entitles` and its SQL twin `SubscriptionQuerySet.entitling`.
    """
    return Subscription.objects.filter(user_id=user_id).entitling(at=at).exists()
