"""The log-in backend of the site (`AUTHENTICATION_BACKENDS`): the user's kept row
(`accounts.backends`) and the reader's kept entitlement fetched in one cache round trip."""

from django.conf import settings
from django.contrib.auth import SESSION_KEY

from accounts.backends import KeptUserBackend, kept_user_key
from subscriptions.entitlement import entitlement_key


class ReaderBackend(KeptUserBackend):
    """`KeptUserBackend`, fetching the reader's kept entitlement along with their row: the
    paywall reads it from `user.kept_with` instead of asking the cache again."""

    def keys_kept_with(self, user_id) -> list[str]:
        return [entitlement_key(user_id)]


def reader_cache_keys(request) -> list[str]:
    """Return the cache keys `ReaderBackend` will read for the request's logged-in user (none
    for a request without a session): for a view to fetch them with its own keys, in one round
    trip (`newsroom.cache_rounds.fetched_together`). Reads the session (which logging in needs
    anyway); the user is still loaded and checked against the session by Django."""
    if settings.SESSION_COOKIE_NAME not in request.COOKIES:
        return []
    user_id = request.session.get(SESSION_KEY)
    if user_id is None:
        return []
    return [kept_user_key(user_id), entitlement_key(user_id)]
