"""Gift links: a subscriber shares one article in full with anyone who has the link.

The paywall knows a gift only as "these article ids are gifted to this reader"
(`Reader.gifted_article_ids`, filled by `build_reader` from a valid `GiftLink`); everything
else about gifts (who may give one, how many a month, opening, withdrawing, and which
sign-ups and subscriptions a gift brought) is here. Like the rest of `subscriptions`, this
module knows an article only as an object with a `pk`, an `access` level and a `headline`.
"""

from __future__ import annotations

import secrets
from datetime import datetime, time, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from accounts.display_names import display_name_is_safe
from accounts.models import User
from subscriptions.access import Access
from subscriptions.emails import reader_email_queue
from subscriptions.entitlement import has_entitling_subscription
from subscriptions.meter import meter_period, period_end
from subscriptions.models import GiftLink, GiftSignup, Subscription

# The session key that remembers the last gift an anonymous reader opened, so that a sign-up
# that follows is attributed to it.
SESSION_GIFT_KEY = "subscriptions.gift_id"


class GiftError(Exception):
    """A gift the rules do not allow; the message is for the reader."""


class GiftLimitReached(GiftError):
    pass


def may_gift(*, user: User, at: datetime | None = None) -> bool:
    """Return whether `user` may gift articles: staff, and readers with an entitling
    subscription."""
    if not user.is_authenticated:
        return False
    return user.is_staff or has_entitling_subscription(user_id=user.pk, at=at or timezone.now())


def _month_bounds(at: datetime) -> tuple[datetime, datetime]:
    period = meter_period(at=at)
    start = datetime.combine(period, time.min, tzinfo=timezone.get_default_timezone())
    return start, period_end(period)


def gifts_sent_this_month(*, user: User, at: datetime | None = None) -> int:
    """Return how many gift links `user` created in the meter's month containing `at`."""
    start, end = _month_bounds(at or timezone.now())
    return GiftLink.objects.filter(
        sender_id=user.pk, created_at__gte=start, created_at__lt=end
    ).count()


def gifts_left_this_month(*, user: User, at: datetime | None = None) -> int:
    """Return how many more gift links `user` may create this month (one query)."""
    used = gifts_sent_this_month(user=user, at=at)
    return max(0, settings.NEWSROOM_GIFTS_PER_MONTH - used)


def next_gift_month(*, at: datetime | None = None) -> datetime:
    """Return when the next month's gifts become available."""
    return _month_bounds(at or timezone.now())[1]


def gift_path(gift: GiftLink) -> str:
    """Return the gift's address on this site (the route lives with the article pages)."""
    return reverse("article_gift", kwargs={"token": gift.token})


def gift_create(
    *, sender: User, article, recipient_email: str = "", at: datetime | None = None
) -> GiftLink:
    """Create a gift link that lets anyone read `article` in full for NEWSROOM_GIFT_LINK_DAYS.

    `article` needs `pk`, `access` and `headline`. Raise `PermissionDenied` unless `sender`
    may gift, `GiftError` for a free article (nothing to give) and `GiftLimitReached` when
    `sender` has created NEWSROOM_GIFTS_PER_MONTH links this month. With `recipient_email`,
    the recipient is sent the "gift received" email once the gift is committed.
    """
    at = at or timezone.now()
    if not may_gift(user=sender, at=at):
        raise PermissionDenied("Gifting articles is for subscribers.")
    if article.access == Access.FREE:
        raise GiftError("This article is free for everyone: share its address instead.")
    with transaction.atomic():
        # Two gifts created at once must not both fit in the last place of the month.
        list(get_user_model().objects.select_for_update().filter(pk=sender.pk).values("pk"))
        if gifts_left_this_month(user=sender, at=at) <= 0:
            limit = settings.NEWSROOM_GIFTS_PER_MONTH
            again = date_format(timezone.localtime(next_gift_month(at=at)), "j F")
            raise GiftLimitReached(
                f"You have sent all {limit} gift{'s' if limit != 1 else ''} for this month. "
                f"You can gift more articles from {again}."
            )
        gift = GiftLink.objects.create(
            token=secrets.token_urlsafe(32),
            article_id=article.pk,
            sender=sender,
            recipient_email=recipient_email,
            created_at=at,
            expires_at=at + timedelta(days=settings.NEWSROOM_GIFT_LINK_DAYS),
        )
        if recipient_email:
            reader_email_queue(  # in the outbox with the gift: sent once it is committed
                to=recipient_email,
                name="gift_received",
                context={
                    "sender_name": gift_sender_name(gift),
                    "headline": article.headline,
                    "gift_path": gift_path(gift),
                    "expires_at": gift.expires_at,
                },
                event_key=f"gift:{gift.pk}:received",
            )
    return gift


def gift_sender_name(gift: GiftLink) -> str:
    """Return how a gift's recipient is told who sent it (never the sender's email address).

    The sender's name only if it is one the forms would accept today: it goes into the
    subject of an email to any address, and a name stored before the rule (or around the
    forms) could hold a link or a header.
    """
    name = gift.sender.name
    return name if name and display_name_is_safe(name) else "a subscriber"


def gift_revoke(*, gift: GiftLink, by: User, at: datetime | None = None) -> GiftLink:
    """Withdraw `gift`: its link shows only the preview from now on.

    Only its sender may withdraw it (`PermissionDenied` otherwise); withdrawing twice keeps the
    first time.
    """
    if gift.sender_id != by.pk:
        raise PermissionDenied("Only the sender may withdraw a gift.")
    at = at or timezone.now()
    GiftLink.objects.filter(pk=gift.pk, revoked_at__isnull=True).update(revoked_at=at)
    gift.refresh_from_db(fields=["revoked_at"])
    return gift


def gift_lookup(*, token: str) -> GiftLink | None:
    """Return the gift with `token` and its sender (one query), or None."""
    if not token or len(token) > 64:
        return None
    return GiftLink.objects.select_related("sender").filter(token=token).first()


def gift_record_open(*, gift: GiftLink, at: datetime | None = None) -> None:
    """Count one more opening of `gift` (race-safe: the database adds one)."""
    at = at or timezone.now()
    GiftLink.objects.filter(pk=gift.pk).update(open_count=F("open_count") + 1, last_opened_at=at)


def gift_record_signup(*, gift_id: int, user: User) -> GiftSignup | None:
    """Record that `user` created an account after opening the gift `gift_id`, once per user."""
    if not GiftLink.objects.filter(pk=gift_id).exists():
        return None
    signup, _created = GiftSignup.objects.get_or_create(user=user, defaults={"gift_id": gift_id})
    return signup


def gift_attribute_subscription(*, subscription: Subscription) -> Subscription:
    """Attribute `subscription` to the gift that brought its reader, if one did.

    Called whenever a subscription row is created (`subscription_start`, and the payment
    provider's webhook). Only a reader's first paid subscription after a gift sign-up counts:
    complimentary access is not a conversion, and a reader who comes back years later is not
    counted twice.
    """
    if subscription.attributed_gift_id or subscription.source == Subscription.Source.COMPLIMENTARY:
        return subscription
    signup = GiftSignup.objects.filter(user_id=subscription.user_id).first()
    if signup is None:
        return subscription
    counted = Subscription.objects.filter(
        user_id=subscription.user_id, attributed_gift__isnull=False
    ).exists()
    if not counted:
        Subscription.objects.filter(pk=subscription.pk).update(attributed_gift=signup.gift_id)
        subscription.attributed_gift_id = signup.gift_id
    return subscription
