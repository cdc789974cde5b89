"""The session engine (`SESSION_ENGINE`): Django's `cached_db`, read in a view's round trip.

Sessions stay in the database and are read from the cache (`cached_db`): logging out deletes a
session from both, so it ends everywhere at once. What changes is only how the cached copy is
fetched: inside `newsroom.cache_rounds.fetched_together`, with the keys the view fetches anyway
(the page's generations and head, the reader's kept rows: `subscriptions.backends`), in the same
`get_many`, instead of a round trip of its own before them. A session not in the cache is read
from the database as `cached_db` reads it.
"""

from django.conf import settings
from django.contrib.sessions.backends import cached_db
from django.core.cache import DEFAULT_CACHE_ALIAS

from newsroom import cache_rounds


def _in_the_default_cache() -> bool:
    return settings.SESSION_CACHE_ALIAS == DEFAULT_CACHE_ALIAS  # the cache `cache_rounds` reads


class SessionStore(cached_db.SessionStore):
    def load(self):
        if self.session_key is not None and _in_the_default_cache():
            data = cache_rounds.get_many([self.cache_key]).get(self.cache_key)
            if data is not None:
                return data
        return super().load()

    def save(self, must_create=False):
        super().save(must_create=must_create)
        cache_rounds.forget(self.cache_key)  # what this block fetched before is old

    def delete(self, session_key=None):
        session_key = session_key or self.session_key
        super().delete(session_key)
        if session_key is not None:
            cache_rounds.forget(self.cache_key_prefix + session_key)


def session_cache_keys(request) -> list[str]:
    """Return the cache key of the request's session, if it has one and this engine keeps it
    in the default cache: for a view to fetch it with its own keys (without reading it)."""
    session = getattr(request, "session", None)
    if (
        not isinstance(session, SessionStore)
        or session.session_key is None
        or not _in_the_default_cache()
    ):
        return []
    return [session.cache_key]
