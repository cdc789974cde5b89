"""The kept-value layer: every cached value that a decision reads goes through this module.

Values that decide what a reader gets (article heads, sessions, the signed-in user's row,
entitlements, a registered reader's reads of the month) and those that say which cached page
parts are current (the site and listing generations) are each a `Kind`: a name, how to load the
value from the database, how long the cache keeps it. For every kind, and nowhere else:

- **Fill on a miss** (`read`): a value not in the cache is loaded from the database and *added*,
  never set, so a reader who loaded the rows just before a change committed cannot overwrite what
  the change wrote. A row that does not exist is kept as `ABSENT`, a kept "no" that no fill
  replaces (a deleted session stays logged out).
- **Set after commit** (`changed`): a write to what a value is made from calls
  `changed(kind, ident)` inside its transaction. That records a `MissedWrite` row in the same
  transaction; once it commits, the value is set from the committed rows and the row deleted.
  Many changes to one value in one transaction are one write (an admin save is one refresh).
- **Converges** (`refresh`): after setting a value the rows are loaded again, and if they changed
  meanwhile the value is set again. A refresh that read before a later commit therefore never
  lands last: the last write is always of rows read after every commit that came before it.
- **Repaired durably** (`repair`): a write the cache did not take (down, hung, timed out:
  `foundation.cache` raises `CacheUnavailable`), or that a process dying after its commit never
  made, leaves its `MissedWrite` row in the database. The scheduler repairs them every half second
  (`run_scheduler`), and a process that saw the cache fail repairs before it trusts it again. A
  row is deleted only after its value has been set, so a worker recycled meanwhile loses nothing.
- **Fails closed** (`trusting`): a process that saw the cache fail reads every value that could
  grant access (`Kind.grants_access`) from the database until no missed write is left.

A page fetches the keys it needs in one round trip (`fetch`) and reads each value from what was
fetched (`read(..., fetched=...)`): the article view does so for the page's keys and the reader's
together (`subscriptions.readers.fetch_page_and_reader`).
"""

from __future__ import annotations

import logging
import operator
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.core.cache import caches
from django.db import transaction
from django.dispatch import Signal
from django.utils import timezone

from foundation.cache import CacheUnavailable
from foundation.models import MissedWrite
from foundation.transactions import collect

logger = logging.getLogger(__name__)

KEPT_CACHE = "kept"
# A change's own process sets its value right after the commit: the scheduler's repair leaves
# rows younger than this to it, so that the two rarely do the same work.
REPAIR_AFTER = timedelta(seconds=1)
# How often a process that saw the cache fail looks again for missed writes before trusting it.
RETRUST_EVERY = 1.0
# Rows a repair takes at once.
REPAIR_BATCH = 500
# A value whose rows change under every refresh is left to the repair after this many rounds.
MAX_ROUNDS = 5

# Sent after a kept value was set from the database: sender=Kind, kind, ident.
refreshed = Signal()


class _Absent:
    """Kept where the database has no row: a "no" that a reader's fill never replaces."""

    def __reduce__(self):
        return (_absent, ())

    def __repr__(self):
        return "ABSENT"


def _absent():
    return ABSENT


ABSENT = _Absent()
# What `Kind.on_change` is given for "before" when the cache did not hold the value.
UNKNOWN = object()
_MISSING = object()


@dataclass(frozen=True)
class Kind:
    """A kind of kept value.

    `load(ident)` returns the value from the database now (None: there is no such row);
    `timeout` is seconds the cache keeps it (or a function of the value); `parse` makes an ident
    back from its text in `MissedWrite`; `grants_access`: a stale value could give a reader
    what the database no longer does (read from the database while the cache is distrusted);
    `converges`: load again after setting and set again if the rows moved (False for values
    made afresh on each load, such as generations); `same` compares two loads; `on_change`
    (ident, before, after) runs after a refresh set a value (before: `UNKNOWN` if not kept).
    """

    name: str
    load: Callable[[Any], Any]
    timeout: int | Callable[[Any], int]
    parse: Callable[[str], Any] = int
    grants_access: bool = True
    converges: bool = True
    same: Callable[[Any, Any], bool] = operator.eq
    on_change: Callable[[Any, Any, Any], None] | None = field(default=None, compare=False)

    def key(self, ident) -> str:
        return f"kept:{self.name}:{ident}"

    def seconds(self, value) -> int:
        return self.timeout(value) if callable(self.timeout) else self.timeout


_kinds: dict[str, Kind] = {}


def kind(name: str, **fields) -> Kind:
    """Define the kind of kept value `name` (once, at import) and return it.

    Define it in a module its app's `ready()` imports: every process must know every kind, to
    repair what another process recorded (a kind no process knows is one the code dropped).
    """
    if name in _kinds:
        raise ValueError(f"There is a kind of kept value named {name!r} already.")
    _kinds[name] = defined = Kind(name=name, **fields)
    return defined


def _cache():
    return caches[KEPT_CACHE]


def _stored(value):
    return ABSENT if value is None else value


# Trust: a process that saw the cache fail reads values that grant access from the database.

_outage = {"seen": False, "retrust_tried": 0.0}


def _saw_outage() -> None:
    _outage["seen"] = True


def forget_outage() -> None:
    """Trust the cache again at once (tests that start and stop their own Redis)."""
    _outage["seen"] = False


def trusting() -> bool:
    """Return whether this process may read values that grant access from the cache.

    Not after this process saw the cache fail, until a repair (tried at most every
    `RETRUST_EVERY` seconds, once the cache answers) leaves no missed write behind.
    """
    if not _outage["seen"]:
        return True
    now = time.monotonic()
    if now - _outage["retrust_tried"] < RETRUST_EVERY:
        return False
    _outage["retrust_tried"] = now
    if not getattr(_cache(), "answering", lambda: True)():
        return False
    try:
        left = repair()
    except Exception:
        logger.exception("Repairing kept values failed; the cache stays distrusted")
        return False
    if left == 0:
        _outage["seen"] = False
        logger.warning("Kept values are repaired: this process reads them from the cache again")
    return not _outage["seen"]


# Reading.


@dataclass(frozen=True)
class Fetched:
    """What one round trip to the cache found among the keys it asked for, and whether this
    process trusted the cache then (`trusting`)."""

    asked: frozenset[str]
    found: dict[str, Any]
    trusted: bool = True

    def lookup(self, key):
        if key not in self.asked:
            return _MISSING
        return self.found.get(key, _MISSING)

    def with_more(self, other: Fetched) -> Fetched:
        """Return what this round trip and `other` found together."""
        return Fetched(
            asked=self.asked | other.asked,
            found={**self.found, **other.found},
            trusted=self.trusted and other.trusted,
        )


def fetch(keys: Iterable[str]) -> Fetched:
    """Fetch `keys` from the cache in one round trip (a cache away: every key a miss), after
    the repair this process owes the cache if it saw it fail (`trusting`)."""
    trusted = trusting()
    keys = list(dict.fromkeys(keys))
    try:
        found = _cache().get_many(keys) if keys else {}
    except CacheUnavailable:
        _saw_outage()
        found, trusted = {}, False
    return Fetched(asked=frozenset(keys), found=found, trusted=trusted)


def read(kept: Kind, ident, *, fetched: Fetched | None = None):
    """Return `ident`'s value (None where there is no row): from `fetched` or the cache, or
    else from the database, then added to the cache (never set: see the module's docstring)."""
    trusted = fetched.trusted if fetched is not None else trusting()
    if kept.grants_access and not trusted:
        return kept.load(ident)
    key = kept.key(ident)
    stored = fetched.lookup(key) if fetched is not None else _MISSING
    if stored is _MISSING and (fetched is None or key not in fetched.asked):
        try:
            stored = _cache().get(key, _MISSING)
        except CacheUnavailable:
            _saw_outage()
            return kept.load(ident)
    if stored is not _MISSING:
        return None if stored is ABSENT else stored
    value = kept.load(ident)
    try:
        _cache().add(key, _stored(value), kept.seconds(value))
    except CacheUnavailable:
        _saw_outage()
    return value


# Writing.


def refresh(kept: Kind, ident):
    """Set `ident`'s kept value from the committed rows, loading and setting again until they
    stay the same, and return it. Raise `CacheUnavailable` when the cache did not take it."""
    cache = _cache()
    key = kept.key(ident)
    before = cache.get(key, UNKNOWN) if kept.on_change else UNKNOWN
    value = kept.load(ident)
    for _round in range(MAX_ROUNDS):
        cache.set(key, _stored(value), kept.seconds(value))
        if not kept.converges:
            break
        again = kept.load(ident)
        if kept.same(again, value):
            break
        value = again
    else:
        raise CacheUnavailable(f"{kept.name} {ident} changed under {MAX_ROUNDS} refreshes")
    refreshed.send(sender=Kind, kind=kept, ident=ident)
    if kept.on_change is not None:
        kept.on_change(ident, None if before is ABSENT else before, value)
    return value


def _set_changed(rows: dict) -> None:
    taken = [
        row
        for (name, ident), row in rows.items()
        if _set_or_record(_kinds[name], ident, recorded=row is not None) and row is not None
    ]
    if taken:  # forget the records of what the cache took, in one statement
        MissedWrite.objects.filter(pk__in=taken).delete()


def changed(kept: Kind, ident) -> None:
    """Say that what `ident`'s value is made from changed: call it in the writing transaction.

    The change is recorded with the transaction (`MissedWrite`), and the value set from the
    committed rows once it commits, once however often it changed; outside a transaction, at
    once (recorded if the cache does not take it).
    """

    def recorded(row):
        # Recorded with the transaction when a stale value could grant access; otherwise
        # only if the cache does not take it.
        if row is not None or not kept.grants_access:
            return row
        if not transaction.get_connection().in_atomic_block:
            return None
        return MissedWrite.objects.create(kind=kept.name, ident=str(ident)).pk

    collect("kept.values", (kept.name, ident), recorded, _set_changed)


def created(kept: Kind, ident) -> None:
    """Say that `ident`'s row is new in this transaction: kept as "none" until then (true
    before the commit, and still if it is rolled back), then set as `changed` does. A refresh
    then knows what was kept before (`Kind.on_change`): nothing."""
    try:
        _cache().add(kept.key(ident), ABSENT, kept.seconds(None))
    except CacheUnavailable:
        _saw_outage()
    changed(kept, ident)


def _record(kept: Kind, ident) -> None:
    MissedWrite.objects.create(kind=kept.name, ident=str(ident))


def _set_or_record(kept: Kind, ident, *, recorded: bool = False) -> bool:
    """Refresh `ident`'s value and return True; if the cache did not take it, make sure it is
    recorded for repair (`recorded`: it is already) and return False."""
    try:
        refresh(kept, ident)
        return True
    except CacheUnavailable as error:
        _saw_outage()
        logger.error(
            "The shared cache did not take the new %s of %s (%s): recorded, and set again as "
            "soon as it answers; meanwhile it is read from the database",
            kept.name,
            ident,
            error,
        )
    except Exception:
        logger.exception(
            "Refreshing the kept %s of %s failed; it is repaired later", kept.name, ident
        )
    if not recorded:
        _record(kept, ident)
    return False


def repair(*, older_than: timedelta = timedelta(0)) -> int:
    """Set again every kept value whose write the cache missed (recorded at least `older_than`
    ago); return how many missed writes are left. Stops at the first the cache will not take."""
    since = timezone.now() - older_than
    rows = MissedWrite.objects.filter(recorded_at__lte=since).order_by("pk")
    missed = defaultdict(list)
    for pk, name, text in rows.values_list("pk", "kind", "ident")[:REPAIR_BATCH]:
        missed[(name, text)].append(pk)
    for (name, text), pks in missed.items():
        kept = _kinds.get(name)
        if kept is not None:
            try:
                refresh(kept, kept.parse(text))
            except CacheUnavailable:
                _saw_outage()
                break
        else:
            logger.warning("A missed write of an unknown kind of kept value, %r, is dropped", name)
        # Only these rows: each was committed before the refresh loaded the value.
        MissedWrite.objects.filter(pk__in=pks).delete()
    return MissedWrite.objects.count()
