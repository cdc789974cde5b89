"""The session engine (`SESSION_ENGINE`): sessions in the database, read through the kept values.

A session is written to the database, and its cached copy is a kept value (`foundation.kept`): set
from the committed row after every save, kept as "none" after a log-out or a flush, filled by
readers only where nothing is kept, and repaired if the cache missed the write. Django's own
`cached_db` sets the copy from any reader that read the row, so a reader that read it just before
a log-out committed could bring the session back for its two weeks; and a log-out while the cache
was away left the copy in place.

The article page reads the session in the same round trip as its own keys
(`subscriptions.readers.fetch_page_and_reader`), handing what it fetched to the store
(`SessionStore.read_from`); every other page reads it when the request first needs it.
"""

from django.contrib.sessions.backends import db
from django.contrib.sessions.models import Session
from django.db import transaction
from django.utils import timezone

from foundation import kept

# A kept "no such session" (a log-out, a made-up key): the database is asked again after this.
ABSENT_SECONDS = 10 * 60


def _load(session_key):
    row = (
        Session.objects.filter(session_key=session_key, expire_date__gt=timezone.now())
        .values_list("session_data", "expire_date")
        .first()
    )
    if row is None:
        return None
    session_data, expires = row
    return {"data": SessionStore().decode(session_data), "expires": expires}


def _seconds(value) -> int:
    if value is None:
        return ABSENT_SECONDS
    return max(1, int((value["expires"] - timezone.now()).total_seconds()))


SESSION = kept.kind("session", load=_load, timeout=_seconds, parse=str)


class SessionStore(db.SessionStore):
    def __init__(self, session_key=None):
        super().__init__(session_key)
        self.fetched = None

    def kept_keys(self) -> list[str]:
        """Return the cache key of this session's kept copy (none without a session)."""
        return [SESSION.key(self.session_key)] if self.session_key else []

    def read_from(self, fetched: kept.Fetched) -> None:
        """Read this session from `fetched` (one round trip the page made), not on its own."""
        self.fetched = fetched

    def load(self):
        if self.session_key is not None:
            kept_copy = kept.read(SESSION, self.session_key, fetched=self.fetched)
            if kept_copy is not None and kept_copy["expires"] > timezone.now():
                return dict(kept_copy["data"])
        # No such session: Django's store forgets the key, so a save makes a new one.
        return super().load()

    def save(self, must_create=False):
        with transaction.atomic():
            super().save(must_create=must_create)
            if self.session_key is not None:
                kept.changed(SESSION, self.session_key)

    def delete(self, session_key=None):
        session_key = session_key or self.session_key
        with transaction.atomic():
            super().delete(session_key)
            if session_key is not None:
                kept.changed(SESSION, session_key)
