"""Redis as a cache the site can live without: a failure is a miss, never a 500 or a wait.

With Redis stopped every page answered 500; with Redis hung, every request waited on it. This
backend (set by `newsroom.settings` whenever `CACHE_URL` is a redis:// address) answers each
operation that Redis cannot answer as if the cache were empty, and keeps serving:

- A failure is a miss. Reads find nothing, writes are forgotten (Django's own `DummyCache`
  semantics: `add` says stored, `incr` finds no key). Every caller of the cache already rebuilds
  what it misses from the database, so the site keeps serving, slower. Nothing that decides
  access reads the cache without falling back to the database (article heads, the only
  access-relevant entries, are loaded from the database on a miss), so a cache failure can
  never grant text beyond a preview cut.
- Short socket timeouts (`socket_connect_timeout`, `socket_timeout` in OPTIONS) bound a hung
  Redis; after a failure the process leaves Redis alone for `retry_after` seconds, so a page
  with ten cache calls pays one timeout, not ten, and a hung Redis costs each process one wait
  every few seconds.
- It is logged once per outage and process (a warning), and once when Redis answers again.
- `fallback: "local"` (the `throttles` cache) keeps counts in this process's memory instead while
  Redis is away: a throttle then still counts, per process, rather than not at all. Pages must
  never use it: a per-process copy of an article's head would miss the updates other processes
  make, and could keep granting an article whose access has since changed.
"""

import logging
import time

from django.core.cache.backends.dummy import DummyCache
from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

# Per process (Django makes one backend per thread): location -> when to try Redis again.
_outages: dict[str, float] = {}
# Counts kept locally while Redis is away; past this, the oldest third are dropped.
LOCAL_FALLBACK_ENTRIES = 10_000


class ReusedRedisCacheClient(RedisCacheClient):
    """Django's Redis client, keeping its `redis.Redis` object instead of making one per call.

    Making one (redis-py fills a table of a few hundred response callbacks each time) cost
    more CPU than the round trip itself: about a fifth of a subscriber's page, which makes three
    calls. A `redis.Redis` is safe to share between threads (connections come from its pool).
    With several servers, reads go to a random replica for each call as before.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._kept_clients = {}

    def get_client(self, key=None, *, write=False):
        if len(self._servers) > 1:
            return super().get_client(key, write=write)
        client = self._kept_clients.get(write)
        if client is None:
            client = self._kept_clients[write] = super().get_client(key, write=write)
        return client


class ResilientRedisCache(RedisCache):
    """Django's Redis cache, degrading to a miss (or a local count) while Redis fails.

    OPTIONS beyond redis-py's: `retry_after` (seconds to leave Redis alone after a failure,
    default 5) and `fallback` ("miss", the default, or "local").
    """

    def __init__(self, server, params):
        options = dict(params.get("OPTIONS") or {})
        self.retry_after = float(options.pop("retry_after", 5))
        fallback = options.pop("fallback", "miss")
        super().__init__(server, {**params, "OPTIONS": options})
        self._class = ReusedRedisCacheClient
        self._location = ",".join(self._servers)
        if fallback == "local":
            self._fallback = LocMemCache(
                f"resilient-fallback:{self._location}",
                {**params, "OPTIONS": {"MAX_ENTRIES": LOCAL_FALLBACK_ENTRIES}},
            )
        elif fallback == "miss":
            self._fallback = DummyCache(self._location, params)
        else:
            raise ValueError(f"fallback must be 'miss' or 'local', not {fallback!r}")

    def validate_key(self, key):
        """Accept every key: Redis takes any, and Django's check (warnings for keys memcached
        would refuse) looked at each character of every key, tens of µs a page."""

    def answering(self) -> bool:
        """Return False while this process is leaving Redis alone after a failure."""
        return _outages.get(self._location, 0) <= time.monotonic()

    def _call(self, operation, *args, **kwargs):
        if not self.answering():
            return getattr(self._fallback, operation)(*args, **kwargs)
        try:
            result = getattr(super(), operation)(*args, **kwargs)
        except RedisError as error:
            if self._location not in _outages:
                logger.warning(
                    "The cache at %s does not answer (%s): serving without it, "
                    "trying again every %g s",
                    self._location,
                    error,
                    self.retry_after,
                )
            _outages[self._location] = time.monotonic() + self.retry_after
            return getattr(self._fallback, operation)(*args, **kwargs)
        if _outages.pop(self._location, None) is not None:
            logger.warning("The cache at %s answers again", self._location)
        return result

    def add(self, *args, **kwargs):
        return self._call("add", *args, **kwargs)

    def get(self, *args, **kwargs):
        return self._call("get", *args, **kwargs)

    def set(self, *args, **kwargs):
        return self._call("set", *args, **kwargs)

    def touch(self, *args, **kwargs):
        return self._call("touch", *args, **kwargs)

    def delete(self, *args, **kwargs):
        return self._call("delete", *args, **kwargs)

    def get_many(self, *args, **kwargs):
        return self._call("get_many", *args, **kwargs)

    def has_key(self, *args, **kwargs):
        return self._call("has_key", *args, **kwargs)

    def incr(self, *args, **kwargs):
        return self._call("incr", *args, **kwargs)

    def set_many(self, *args, **kwargs):
        return self._call("set_many", *args, **kwargs)

    def delete_many(self, *args, **kwargs):
        return self._call("delete_many", *args, **kwargs)

    def clear(self):
        return self._call("clear")
