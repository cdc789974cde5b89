"""The article page's one round trip to the cache: the page's keys and the reader's, together.

A logged-in reader's article page reads, from the cache, the page's own keys (generations, the
article's head), the session, the user's kept row, their kept entitlement and their kept reads of
the month. Each would be a round trip of its own; `fetch_page_and_reader` asks for them all at
once (`foundation.kept.fetch`), then hands what it found to whoever reads it: the session store
(`SessionStore.read_from`), the user (`accounts.identity.session_user`, which sets
`request.user`) and the reader (`build_reader(..., fetched=...)`). Which user's keys to ask for
is only a guess, this process's memory of whose the session was last time: the session decides,
and a wrong guess costs the round trip saved.
"""

from django.contrib.auth.models import AnonymousUser

from accounts.backends import USER
from accounts.identity import session_user, session_user_id
from foundation import kept
from subscriptions.entitlement import ENTITLEMENT
from subscriptions.meter import READS, ReadsOfTheMonth, meter_period

# Whose each session was when this process last served it, by a hash of the session's key (the
# key itself, a secret, is not kept). Per process, never shared, never trusted.
_session_users: dict[int, int] = {}
SESSION_USERS_LIMIT = 10_000


def reader_keys(user_id: int) -> list[str]:
    """Return the cache keys of what a page reads of the reader `user_id`."""
    return [
        USER.key(user_id),
        ENTITLEMENT.key(user_id),
        READS.key(ReadsOfTheMonth(user_id, meter_period())),
    ]


def fetch_page_and_reader(request, page_keys) -> kept.Fetched:
    """Fetch `page_keys`, the session's and the reader's kept values in one round trip; let the
    session and `request.user` be read from them; return what was fetched, for the page and
    `build_reader`."""
    session = request.session
    keys = [*page_keys, *session.kept_keys()]
    hint = hash(session.session_key) if session.session_key else None
    guessed = _session_users.get(hint) if hint is not None else None
    if guessed is not None:
        keys += reader_keys(guessed)
    fetched = kept.fetch(keys)
    if hint is None:
        request.user = AnonymousUser()  # no session, nobody logged in: what `auth.get_user` says
        return fetched
    session.read_from(fetched)
    user_id = session_user_id(request)
    if user_id is not None and user_id != guessed:
        # A wrong guess, or none: the reader's values in one more round trip.
        fetched = fetched.with_more(kept.fetch(reader_keys(user_id)))
        session.read_from(fetched)
    request.user = session_user(request, fetched)
    if request.user.is_authenticated and request.user.pk != guessed:
        if len(_session_users) >= SESSION_USERS_LIMIT:
            _session_users.clear()
        _session_users[hint] = request.user.pk
    return fetched
