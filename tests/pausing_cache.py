"""A local-memory cache in which a test holds one thread's write of a chosen value.

Two writers of one cached value meet in production in an order that threads rarely play by
themselves: the one that read the database first writes last. `PausingCache.hold` makes that
order happen every time, without sleeping: the chosen thread's write waits, just before it
reaches the cache, until the test releases it.
"""

import threading

from django.core.cache.backends.locmem import LocMemCache


class Hold:
    """Hold `thread`'s writes of a value for which `matches(value)` is true, until released."""

    def __init__(self, *, thread_name, matches):
        self.thread_name = thread_name
        self.matches = matches
        self.reached = threading.Event()
        self.released = threading.Event()

    def wait_here(self, values):
        if threading.current_thread().name != self.thread_name:
            return
        if any(self.matches(value) for value in values):
            self.reached.set()
            self.released.wait(timeout=20)


class PausingCache(LocMemCache):
    hold: Hold | None = None

    def _writing(self, values):
        if PausingCache.hold is not None:
            PausingCache.hold.wait_here(list(values))

    def set(self, key, value, *args, **kwargs):
        self._writing([value])
        return super().set(key, value, *args, **kwargs)

    def add(self, key, value, *args, **kwargs):
        self._writing([value])
        return super().add(key, value, *args, **kwargs)

    def set_many(self, data, *args, **kwargs):
        self._writing(data.values())
        return super().set_many(data, *args, **kwargs)
