"""Fewer round trips to the shared cache: keys fetched together within one block of code.

A logged-in reader's article page needs, from the cache, the page's generations and the
article's head (`articles.site.pages`), the reader's kept user row and kept entitlement
(`subscriptions.backends`). Each module asks for its own keys when it needs them; inside
`fetched_together(also=...)`, `get_many` fetches the keys `also` names with the first keys asked
for, in one round trip, and answers later asks for them (found or not) from what was fetched.

The fetched values live only as long as the block (a view's few lines): nothing is kept between
requests or shared between threads (a context variable). Writes inside the block go to the cache
as usual, and a key written there is fetched again at its next read.
"""

from contextlib import contextmanager
from contextvars import ContextVar

from django.core.cache import cache

_ABSENT = object()
_fetched: ContextVar[dict | None] = ContextVar("cache_rounds_fetched", default=None)
_also: ContextVar[tuple] = ContextVar("cache_rounds_also", default=())


@contextmanager
def fetched_together(*, also=()):
    """Fetch `also` with the first `get_many` inside the block, and answer later asks from it."""
    fetched_token, also_token = _fetched.set({}), _also.set(tuple(also))
    try:
        yield
    finally:
        _fetched.reset(fetched_token)
        _also.reset(also_token)


def get_many(keys) -> dict:
    """`cache.get_many(keys)`, from what this block already fetched when it can."""
    fetched = _fetched.get()
    if fetched is None:
        return cache.get_many(keys)
    missing = [key for key in keys if key not in fetched]
    if missing:
        also = [key for key in _also.get() if key not in fetched and key not in missing]
        found = cache.get_many(missing + also)
        for key in missing + also:
            fetched[key] = found.get(key, _ABSENT)
    return {key: fetched[key] for key in keys if fetched[key] is not _ABSENT}


def forget(*keys) -> None:
    """Drop `keys` from what this block fetched: the caller just wrote them."""
    fetched = _fetched.get()
    if fetched is not None:
        for key in keys:
            fetched.pop(key, None)
