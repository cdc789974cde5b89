"""The log-in backend: Django's `ModelBackend`, with each logged-in user's row kept in the cache.

Every page a logged-in reader opens loads their user (Django checks the session against the
password's hash on each request): one query, and on PostgreSQL a second round trip for the
connection's health check, a third of a subscriber's page. The row is kept in the shared cache
instead, set afresh from the committed row after every save or deletion of the user
(`user_kept_row_changed`, on commit), and only ever *added* by a request, so a request that read
the row just before a change commits can never keep the old row; it also expires after
`KEPT_USER_SECONDS`. Sessions stay in the database (`cached_db`): logging out deletes the
session, and a changed password still ends every other session at its next request, because
the kept row is the new one from the moment the change commits.
"""

from functools import partial

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core.cache import cache
from django.db import transaction

from newsroom import cache_rounds

KEPT_USER_SECONDS = 15 * 60


def password_backend() -> str:
    """Return the dotted path of the backend that checks passwords, for logging a reader in
    without one (sign-up, a password reset): the last of `AUTHENTICATION_BACKENDS` (axes comes
    first). Named from the settings, as the site's backend lives in an app above this one."""
    return settings.AUTHENTICATION_BACKENDS[-1]


# Users whose kept row this process could not set while the shared cache was away
# (`newsroom.resilient_cache`): set again, before any row is read from it, once it answers.
_missed_updates = set()


def _cache_answering() -> bool:
    return getattr(cache, "answering", lambda: True)()


def kept_user_key(user_id) -> str:
    return f"accounts:user:{user_id}"


class KeptUserBackend(ModelBackend):
    """`ModelBackend` whose `get_user` reads the user's row from the cache when it is kept."""

    def keys_kept_with(self, user_id) -> list[str]:
        """Return other cache keys to fetch in the same round trip as the user's row."""
        return []

    def get_user(self, user_id):
        if _missed_updates and _cache_answering():
            while _missed_updates:
                user_kept_row_changed(_missed_updates.pop())
        key = kept_user_key(user_id)
        # One round trip, or none inside `cache_rounds.fetched_together` naming these keys.
        found = cache_rounds.get_many([key, *self.keys_kept_with(user_id)])
        user = found.pop(key, None)
        if user is None:
            user = super().get_user(user_id)
            if user is None:
                return None
            cache.add(key, user, timeout=KEPT_USER_SECONDS)
            cache_rounds.forget(key)
        if not self.user_can_authenticate(user):
            return None
        user.kept_with = found
        return user


def user_kept_row_changed(user_id) -> None:
    """Set the user's kept row from the committed row, or forget it (run on commit)."""
    cache_rounds.forget(kept_user_key(user_id))  # a row this request fetched before is old
    user = get_user_model()._default_manager.filter(pk=user_id).first()
    if user is None:
        cache.delete(kept_user_key(user_id))
    else:
        cache.set(kept_user_key(user_id), user, timeout=KEPT_USER_SECONDS)
    if not _cache_answering():
        # A cache that is away may still hold the old row when it is back: set it then.
        _missed_updates.add(user_id)


def user_saved(sender, instance, **kwargs):
    """A user was saved or deleted: their kept row follows, on commit (connected by
    `accounts.apps`; module-level, as signals keep only a weak reference to receivers)."""
    transaction.on_commit(partial(user_kept_row_changed, instance.pk), robust=True)
