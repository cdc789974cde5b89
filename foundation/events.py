"""First-party events, kept off the page's path: what readers were shown and what they did.

A page records an event with `record(kind, **facts)`: an append to this process's batch, a
microsecond, no I/O. The batch is handed over in one piece to background work (`insight`'s
task on the task engine: one row queued for hundreds of events, which a worker writes):

- after a response has gone, once the batch holds `NEWSROOM_INSIGHT_BATCH` events or its oldest
  is `NEWSROOM_INSIGHT_FLUSH_SECONDS` old (Django's `request_finished`, which a WSGI server sends
  when it has written the response: the reader never waits for it);
- when the process exits (gunicorn's `worker_exit` hook and `atexit`), so that a worker recycled
  after its 2,000 requests loses nothing.

A process killed outright (SIGKILL, the OOM killer) loses its batch: at most a few seconds of
impressions, never a conversion. Conversions (a sign-up, a checkout, a subscription) are few and
must reconcile with the tables they count, so `record_now` writes them at once, in the caller's
transaction, with the row that makes them, after writing the batch (so that a conversion is
credited to a wall met a moment before).

A hand-over that fails (the database is away) keeps the batch for the next try, up to
`KEEP_AT_MOST` events; beyond that the oldest are dropped and counted in the log, never an
error for a reader.

This module knows nothing of articles or readers: facts are plain values (ids, short names).
"""

from __future__ import annotations

import atexit
import logging
import threading
import time
from collections import deque
from collections.abc import Callable

from django.conf import settings
from django.core.signals import request_finished

logger = logging.getLogger(__name__)

# A bound on what a process keeps while its sink fails: a few minutes of a busy site's walls.
KEEP_AT_MOST = 20_000

Sink = Callable[[list[tuple[float, str, dict]]], None]

# A deque: pages append to it while a flush takes from its other end, without a lock.
_batch: deque[tuple[float, str, dict]] = deque()
_lock = threading.Lock()  # one flush at a time
_write: Sink | None = None
_hand_over: Sink | None = None


def sink_set(write: Sink | None, *, hand_over: Sink | None = None) -> None:
    """Name the functions that take a batch of `(time, kind, facts)` events: `write` writes it
    now, `hand_over` gives it to background work (default: `write`)."""
    global _write, _hand_over
    _write, _hand_over = write, hand_over or write


# A referer nobody knows (a page counted by an image, which cannot say where its page came from).
UNKNOWN_REFERER = "?"


def request_facts(request) -> dict:
    """Return what the sink needs to know of a request: its Referer, host, User-Agent and
    `utm_` parameters, as they came (the sink keeps only their class)."""
    meta = request.META  # not request.headers, which copies every header
    facts = {
        "referer": meta.get("HTTP_REFERER", ""),
        "host": meta.get("HTTP_HOST", ""),
        "user_agent": meta.get("HTTP_USER_AGENT", ""),
    }
    if "utm_" in meta.get("QUERY_STRING", ""):
        facts["utm_medium"] = request.GET.get("utm_medium", "")
        facts["utm_source"] = request.GET.get("utm_source", "")
    return facts


def record(kind: str, *, request=None, **facts) -> None:
    """Record that `kind` happened now, with `facts` (and those of `request`, if given, which
    `facts` override); written with the process's next batch."""
    if not settings.NEWSROOM_INSIGHT_RECORD:
        return
    if request is not None:
        facts = request_facts(request) | facts
    _batch.append((time.time(), kind, facts))


def record_now(kind: str, *, request=None, **facts) -> None:
    """Record that `kind` happened now and write it at once (in the caller's transaction),
    after writing what this process has batched, so that a conversion is credited to a wall met
    a moment before. (A transaction rolled back takes that batch with it: a conversion's
    transaction seldom is.)"""
    if not settings.NEWSROOM_INSIGHT_RECORD:
        return
    if request is not None:
        facts = request_facts(request) | facts
    if _write is not None:
        flush(_write)
        _write([(time.time(), kind, facts)])


def flush(sink: Sink | None = None) -> int:
    """Hand the batch over now (to `sink`: default, to background work); return how many events
    it took (0 if it failed)."""
    sink = sink or _hand_over
    if sink is None or not _batch:
        return 0
    with _lock:
        taken = [_batch.popleft() for _ in range(len(_batch))]
        try:
            sink(taken)
        except Exception:
            logger.exception("%d events could not be written; kept for the next try", len(taken))
            _batch.extendleft(reversed(taken))
            dropped = max(0, len(_batch) - KEEP_AT_MOST)
            for _ in range(dropped):
                _batch.popleft()
            if dropped:
                logger.error("%d events dropped: the sink has failed for too long", dropped)
            return 0
    return len(taken)


def pending() -> int:
    """Return how many events wait in this process's batch."""
    return len(_batch)


def discard() -> int:
    """Drop this process's batch unwritten; return how many events it held (for tests, which
    write only the events they look at)."""
    with _lock:
        dropped = len(_batch)
        _batch.clear()
    return dropped


def _flush_when_due(**kwargs) -> None:
    batch = _batch
    if not batch:
        return
    if (
        len(batch) >= settings.NEWSROOM_INSIGHT_BATCH
        or time.time() - batch[0][0] >= settings.NEWSROOM_INSIGHT_FLUSH_SECONDS
    ):
        flush()


def connect() -> None:
    """Flush after responses when due, and at exit (called once, by the sink's app)."""
    request_finished.connect(_flush_when_due, dispatch_uid="foundation.events.flush")
    atexit.register(flush)
