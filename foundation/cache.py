"""The Redis cache (django-redis) with a circuit breaker: a failed Redis costs a request one short
wait, never a 500 and never a hang.

After a call fails (Redis down, hung past `SOCKET_TIMEOUT`, refusing), this process sends nothing
to that Redis for `BREAKER_SECONDS`; each call meanwhile fails at once. What a failure means is
each cache's `ON_FAILURE` option:

- "miss" (the `default` cache: page parts, search results): reads find nothing, writes are
  dropped. Every caller rebuilds what it misses from the database.
- "raise" (the `kept` cache, read and written only by `foundation.kept`): `CacheUnavailable`, so
  that the kept-value layer knows a write did not land, records it durably and distrusts the
  cache until it is repaired. Dropping such a write silently is how a refunded reader kept
  reading.
- "local" (the `throttles` cache): counts go on in this process's memory while Redis is away,
  so that log-in and sign-up stay throttled, per process (`accounts.throttling` says why).

One warning per outage and process, and one line when Redis answers again.
"""

import logging
import pickle
import time

from django.core.cache.backends.locmem import LocMemCache
from django.core.exceptions import ImproperlyConfigured
from django_redis.cache import RedisCache
from django_redis.client import DefaultClient
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

# Per process: a Redis location -> when to send it calls again. Shared by the caches on it.
_open_until: dict[str, float] = {}
DEFAULT_BREAKER_SECONDS = 2.0
# Counts kept locally while Redis is away ("local"): a bound on that memory.
LOCAL_FALLBACK_ENTRIES = 10_000


class CacheUnavailable(Exception):
    """The shared cache did not answer (or this process is leaving it alone for a moment)."""


def _missed(operation, args, kwargs):
    """What a call answers when the cache is away, as if it held nothing and kept nothing."""
    if operation in ("get",):
        return kwargs.get("default", args[1] if len(args) > 1 else None)
    if operation == "get_many":
        return {}
    if operation in ("set_many",):
        return list(args[0]) if args else []
    if operation == "add":
        return False
    if operation == "incr":
        raise ValueError("The key was not found (the cache does not answer).")
    return None


class PickleFirstClient(DefaultClient):
    """django-redis's client, reading a pickled value without first trying it as an integer.

    django-redis writes an integer as its digits and any other value as a pickle (with no
    compressor, as this project configures it). Its `decode` tries `int(value)` first, and on a
    pickle that raises a ValueError whose message holds the value's whole repr: 7–9 µs for
    each value of every page's round trip (`benchmarks/RESULTS.md`, 7 December). A pickle of
    protocol 2 or later starts with the PROTO opcode, which no integer's digits do; anything
    else is left to django-redis.
    """

    def __init__(self, server, params, backend):
        options = params.get("OPTIONS") or {}
        for option in ("SERIALIZER", "COMPRESSOR"):
            if option in options:
                raise ImproperlyConfigured(f"{type(self).__name__} reads pickles: no {option}.")
        super().__init__(server, params, backend)

    def decode(self, value):
        if type(value) is bytes and value[:1] == pickle.PROTO:
            return pickle.loads(value)  # noqa: S301 (our own writes, as django-redis's own loads)
        return super().decode(value)


class BreakerRedisCache(RedisCache):
    """django-redis's cache, failing fast for a moment after Redis fails.

    OPTIONS beyond django-redis's: `ON_FAILURE` ("miss", "raise" or "local") and
    `BREAKER_SECONDS` (default 2).
    """

    def __init__(self, server, params):
        options = dict(params.get("OPTIONS") or {})
        self.on_failure = options.pop("ON_FAILURE", "miss")
        self.breaker_seconds = float(options.pop("BREAKER_SECONDS", DEFAULT_BREAKER_SECONDS))
        # Errors come to us: `IGNORE_EXCEPTIONS` would turn them into silent misses.
        options["IGNORE_EXCEPTIONS"] = False
        options.setdefault("CLIENT_CLASS", "foundation.cache.PickleFirstClient")
        super().__init__(server, {**params, "OPTIONS": options})
        self.location = server if isinstance(server, str) else ",".join(server)
        if self.on_failure not in ("miss", "raise", "local"):
            raise ValueError(f"ON_FAILURE must be miss, raise or local, not {self.on_failure!r}")
        self.local = (
            LocMemCache(
                f"breaker-fallback:{self.location}",
                {"OPTIONS": {"MAX_ENTRIES": LOCAL_FALLBACK_ENTRIES}},
            )
            if self.on_failure == "local"
            else None
        )

    def answering(self) -> bool:
        """Return False while this process is leaving Redis alone after a failure."""
        return _open_until.get(self.location, 0.0) <= time.monotonic()

    def _fail(self, operation, args, kwargs, error):
        if self.on_failure == "raise":
            raise CacheUnavailable(f"The cache at {self.location} does not answer") from error
        if self.on_failure == "local":
            return getattr(self.local, operation)(*args, **kwargs)
        return _missed(operation, args, kwargs)

    def _call(self, operation, *args, **kwargs):
        if not self.answering():
            return self._fail(operation, args, kwargs, None)
        try:
            result = getattr(super(), operation)(*args, **kwargs)
        except RedisError as error:
            if self.location not in _open_until:
                logger.warning(
                    "The cache at %s does not answer (%s): serving without it, trying again "
                    "every %g s",
                    self.location,
                    error,
                    self.breaker_seconds,
                )
            _open_until[self.location] = time.monotonic() + self.breaker_seconds
            return self._fail(operation, args, kwargs, error)
        if _open_until.pop(self.location, None) is not None:
            logger.warning("The cache at %s answers again", self.location)
        return result

    def get(self, *args, **kwargs):
        return self._call("get", *args, **kwargs)

    def get_many(self, *args, **kwargs):
        return self._call("get_many", *args, **kwargs)

    def set(self, *args, **kwargs):
        return self._call("set", *args, **kwargs)

    def set_many(self, *args, **kwargs):
        return self._call("set_many", *args, **kwargs)

    def add(self, *args, **kwargs):
        return self._call("add", *args, **kwargs)

    def delete(self, *args, **kwargs):
        return self._call("delete", *args, **kwargs)

    def delete_many(self, *args, **kwargs):
        return self._call("delete_many", *args, **kwargs)

    def incr(self, *args, **kwargs):
        return self._call("incr", *args, **kwargs)

    def has_key(self, *args, **kwargs):
        return self._call("has_key", *args, **kwargs)

    def touch(self, *args, **kwargs):
        return self._call("touch", *args, **kwargs)

    def clear(self):
        return self._call("clear")


def forget_outages() -> None:
    """Close every breaker of this process (tests that start and stop their own Redis)."""
    _open_until.clear()
