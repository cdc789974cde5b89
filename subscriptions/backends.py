"""The log-in backend of the site (`AUTHENTICATION_BACKENDS`): the user's kept row
(`accounts.backends`), the reader's kept entitlement and reads of the month fetched in one cache
round trip, with the session and the page's keys when a view names them
(`reader_keys_fetched_together`)."""

from contextlib import contextmanager

from accounts.backends import KeptUserBackend, kept_user_key
from newsroom.cache_rounds import fetched_together
from newsroom.sessions import session_cache_keys
from subscriptions.entitlement import entitlement_key
from subscriptions.meter import kept_reads_key, meter_period


class ReaderBackend(KeptUserBackend):
    """`KeptUserBackend`, fetching the reader's kept entitlement and reads of this month along
    with their row: the paywall reads them from `user.kept_with` instead of asking again."""

    def keys_kept_with(self, user_id) -> list[str]:
        return [entitlement_key(user_id), kept_reads_key(user_id, meter_period())]


# Which user each session was for when this process last served it, by a hash of the session's
# key (the key itself, a secret, is not kept): so that the next page fetches that user's kept
# rows with the session, in one round trip, instead of reading the session first. Only a guess
# of what to fetch: the session still says who the user is, and a wrong guess costs the round
# trip saved. Per process, never shared.
_session_users: dict[int, int] = {}
SESSION_USERS_LIMIT = 10_000
_NO_USER = 0


def reader_cache_keys(request) -> list[str]:
    """Return the cache keys a logged-in reader's page reads: the session's, and those
    `ReaderBackend` reads for the user the session was for last time (none for a request
    without a session). Reads nothing."""
    keys = session_cache_keys(request)
    if not keys:
        return []
    user_id = _session_users.get(hash(request.session.session_key), _NO_USER)
    if user_id == _NO_USER:
        return keys
    return [*keys, kept_user_key(user_id), *ReaderBackend().keys_kept_with(user_id)]


@contextmanager
def reader_keys_fetched_together(request):
    """Fetch the reader's keys (`reader_cache_keys`) with the first keys the block asks the
    cache for, in one round trip (`newsroom.cache_rounds.fetched_together`)."""
    keys = reader_cache_keys(request)
    with fetched_together(also=keys):
        yield
    user = getattr(request, "user", None)
    if keys and user is not None:
        if len(_session_users) >= SESSION_USERS_LIMIT:
            _session_users.clear()
        user_id = user.pk if user.is_authenticated else _NO_USER
        _session_users[hash(request.session.session_key)] = user_id
