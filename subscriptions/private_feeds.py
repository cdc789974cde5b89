"""Private feeds: every subscriber's own feed address, which carries what the paywall gives them.

The address holds a token that only its reader knows. It is made so that no copy of the
database hands out a working address, while the account page can still show it:

- `PrivateFeed.key` is random (`secrets.token_urlsafe(32)`);
- the token is a keyed hash of the key with the site's secret key (Django's `salted_hmac`),
  43 URL-safe characters: without `SECRET_KEY` nobody can make it from the row;
- `PrivateFeed.token_hash` is a plain SHA-256 of the token, which is how a request finds its
  feed (one indexed query; nothing to compare in Python, so nothing to time).

Rotating the address (`private_feed_rotate`) gives the row a new key and hash: the old token then
finds nothing, at once, on every process (no cache holds it). A site that rotates its
`SECRET_KEY` keeps every address working (a request is matched by the hash alone); the account
page shows it while the old key is among `SECRET_KEY_FALLBACKS`, and otherwise asks the reader
to make a new one.

What the feed carries is decided per article by `subscriptions.paywall.decide_article_access`
for the feed's owner (`build_reader_for_user`), at the time of each request; the feed itself
lives with the other feeds (`articles.site.feeds`).
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from datetime import datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac

from accounts.models import User
from subscriptions.entitlement import has_entitling_subscription
from subscriptions.models import PrivateFeed

KEY_SALT = "newsroom private feed address"
# Longer is not a token this module made: refused before it is hashed or looked up.
TOKEN_MAX_LENGTH = 64


def _token(key: str, *, secret: str | None = None) -> str:
    digest = salted_hmac(KEY_SALT, key, secret=secret, algorithm="sha256").digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _new_key() -> tuple[str, str]:
    """Return a new random key and the hash of the token it makes."""
    key = secrets.token_urlsafe(32)
    return key, _hash(_token(key))


def may_have_private_feed(*, user: User, at: datetime | None = None) -> bool:
    """Return whether `user` is offered a private feed: staff, and readers with an entitling
    subscription (one query). A reader whose subscription ended keeps the feed they have."""
    if not user.is_authenticated:
        return False
    return user.is_staff or has_entitling_subscription(user_id=user.pk, at=at or timezone.now())


def private_feed_of(*, user: User) -> PrivateFeed | None:
    """Return the reader's private feed, if they have one (one query)."""
    return PrivateFeed.objects.filter(user_id=user.pk).first()


def private_feed_create(*, user: User) -> PrivateFeed:
    """Return the reader's private feed, giving them one if they have none yet.

    Safe when two requests make it at once: the second finds the first's.
    """
    feed = private_feed_of(user=user)
    if feed is not None:
        return feed
    key, token_hash = _new_key()
    try:
        with transaction.atomic():
            return PrivateFeed.objects.create(user=user, key=key, token_hash=token_hash)
    except IntegrityError:
        return PrivateFeed.objects.get(user_id=user.pk)


def private_feed_rotate(*, user: User) -> PrivateFeed:
    """Give the reader's private feed a new address; the old one finds nothing from now on.

    A reader without a feed is given one. The row is locked, so two rotations at once leave
    one address, the last.
    """
    with transaction.atomic():
        feed = PrivateFeed.objects.select_for_update().filter(user_id=user.pk).first()
        if feed is None:
            return private_feed_create(user=user)
        feed.key, feed.token_hash = _new_key()
        feed.created_at = timezone.now()
        feed.save(update_fields=["key", "token_hash", "created_at"])
    return feed


def private_feed_token(*, feed: PrivateFeed) -> str | None:
    """Return the token of `feed`'s address, or None when the site's secret key changed and no
    key in `SECRET_KEY_FALLBACKS` makes it again (the address still works; it cannot be shown).
    """
    for secret in (settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS):
        token = _token(feed.key, secret=secret)
        if secrets.compare_digest(_hash(token), feed.token_hash):
            return token
    return None


def private_feed_lookup(*, token: str) -> PrivateFeed | None:
    """Return the feed whose address holds `token`, with its reader (one query), or None: for
    a token nobody has, a rotated one and the feed of a deactivated account alike."""
    if not token or len(token) > TOKEN_MAX_LENGTH:
        return None
    return (
        PrivateFeed.objects.select_related("user")
        .filter(token_hash=_hash(token), user__is_active=True)
        .first()
    )
