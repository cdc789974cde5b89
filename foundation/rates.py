"""Counts per client address in the `throttles` cache: how often an address did something.

`client_address` says who the client is behind the site's proxies; `address_over_rate` counts a
request and says whether the address went over a limit (search: `NEWSROOM_SEARCHES_PER_MINUTE`);
`count` is the counter both it and the log-in and sign-up throttles (`accounts.throttling`) use.
While Redis is away the counts go on in each process (`foundation.cache`, ON_FAILURE "local").
"""

import ipaddress

from django.conf import settings
from django.core.cache import caches


def client_address(request) -> str | None:
    """Return the address of the client behind the request; set AXES_CLIENT_IP_CALLABLE to this.

    With `NEWSROOM_PROXY_COUNT` = N, the N-th entry of X-Forwarded-For counted from the right
    (the one the outermost trusted proxy appended); otherwise, or when the header is shorter or
    that entry is not an address, the socket's address.
    """
    proxies = settings.NEWSROOM_PROXY_COUNT
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
    if proxies and len(forwarded) >= proxies:
        try:
            return str(ipaddress.ip_address(forwarded[-proxies].strip()))
        except ValueError:
            pass
    return request.META.get("REMOTE_ADDR") or None


def address_over_rate(request, *, name: str, limit: int, per_seconds: int) -> bool:
    """Count one `name` request from the request's address; return True once the address has
    made more than `limit` of them in a window of `per_seconds` (search, for instance)."""
    key = f"newsroom:rate:{name}:{client_address(request) or 'unknown'}"
    return count(key, per_seconds, caches["throttles"]) > limit


def count(key, timeout, store) -> int:
    """Add one to the count at `key`, which expires `timeout` seconds after its first count."""
    if store.add(key, 1, timeout):
        return 1
    try:
        return store.incr(key)
    except ValueError:  # it expired between the two calls
        store.add(key, 1, timeout)
        return 1
