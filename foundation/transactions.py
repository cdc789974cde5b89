"""What one transaction collects, handed on once when it commits.

A transaction that saves an article, its blocks, byline and tags says "the article changed" a
dozen times; its cache write and its announcement should each happen once, after the commit.
`collect(name, key, merge, run)` puts `key` into the current transaction's collection `name`
(its value made or updated by `merge`), and `run(collection)` runs once the transaction commits;
outside a transaction, `run` gets that one key at once.

Django keeps the only strong reference to a collection, among its commit callbacks: if the
transaction (or the savepoint that registered it) is rolled back, the callback and the
collection are dropped with it, and the next key starts a new one.
"""

import threading
import weakref
from collections.abc import Callable, Hashable
from typing import Any

from django.db import transaction

_local = threading.local()


class _Collected(dict):
    def __init__(self, name, run):
        super().__init__()
        self.name = name
        self.run = run

    def __call__(self):
        # Closed before it runs: what `run` itself collects goes to a collection of its own.
        known = getattr(_local, self.name, None)
        if known is not None and known() is self:
            delattr(_local, self.name)
        self.run(dict(self))


def collect(
    name: str, key: Hashable, merge: Callable[[Any], Any], run: Callable[[dict], None]
) -> None:
    """Set `key` to `merge(its value so far, or None)` in the current transaction's collection
    `name`, which `run` gets once the transaction commits (at once outside a transaction)."""
    if not transaction.get_connection().in_atomic_block:
        run({key: merge(None)})
        return
    known = getattr(_local, name, None)
    collected = known() if known is not None else None
    if collected is not None:
        collected[key] = merge(collected.get(key))
        return
    collected = _Collected(name, run)
    collected[key] = merge(None)
    setattr(_local, name, weakref.ref(collected))
    # Registered once it holds its first key: a test that runs commit callbacks at once runs it
    # with that key.
    transaction.on_commit(collected, robust=True)
