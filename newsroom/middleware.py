"""What every response carries on its way out, in one middleware where there were three.

Each middleware is a function call, a frame and an exception guard on every request, the fixed
string's included (`benchmarks/RESULTS.md`, "The request cycle"): what needs no place of its
own in the stack shares one. (The security headers are `foundation.content_policy`'s.)
"""

import logging

from django.conf import settings
from django.utils import timezone
from django.utils.cache import patch_cache_control, patch_vary_headers

from newsroom.errors import DATABASE_UNAVAILABLE, service_unavailable
from subscriptions.meter import meter_apply_to_response

logger = logging.getLogger(__name__)
CACHEABLE_STATUS = {200, 301, 404, 410}


class ResponsePolicyMiddleware:
    """Write the meter cookie, decide who may keep the response; a 503 for a database down.

    A response that sets a cookie is never public. A request that carries cookies may be about
    a particular reader (a session, a meter), so its response is private. A view that set
    Cache-Control itself (text beyond a preview cut is private; the admin is never cached)
    keeps it. What remains, a cookieless GET answered without a cookie, may be kept for
    NEWSROOM_PUBLIC_CACHE_SECONDS: the front page, listings, feeds and paywalled previews,
    and never past the next scheduled change the page knows of (`request.page_changes_at`,
    set by `articles.site.pages`): an article goes live or comes down at its minute at the CDN too.
    Such a page also says how long an expired copy may still be served when the site does not
    answer, or while it is fetched again (`stale-if-error`, `stale-while-revalidate`): the
    settings, and again never past the next scheduled change. A private page never says so.

    A database that is down or hung (`newsroom.postgresql`, `connect_timeout`) raises
    `OperationalError` or `InterfaceError` within seconds: the reader and a load balancer get
    503 with `Retry-After`, never stored, from a page that needs neither the database nor the
    cache (`newsroom.errors`). Django drops the broken connection at the end of the request and
    health-checks a reused one, so the site recovers by itself when the database does.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = meter_apply_to_response(request=request, response=self.get_response(request))
        patch_vary_headers(response, ["Cookie"])
        if response.cookies:
            patch_cache_control(response, private=True)
        elif response.has_header("Cache-Control"):
            pass
        elif (
            request.method in ("GET", "HEAD")
            and not request.COOKIES
            and response.status_code in CACHEABLE_STATUS
        ):
            patch_cache_control(response, public=True, **_shared_lifetime(request))
        else:
            patch_cache_control(response, private=True)
        return response

    def process_exception(self, request, exception):
        if not isinstance(exception, DATABASE_UNAVAILABLE):
            return None
        logger.warning("The database is unavailable: %s", exception)
        return service_unavailable(request)


def _shared_lifetime(request) -> dict[str, int]:
    """Return how long a shared cache may keep this page (max_age), then serve it stale on an
    origin error or while fetching it again: the settings, or less if the page changes by
    itself sooner (a scheduled article goes live or comes down), so that no copy, fresh or
    stale, outlives that change."""
    max_age = settings.NEWSROOM_PUBLIC_CACHE_SECONDS
    stale = {
        "stale_if_error": settings.NEWSROOM_STALE_IF_ERROR_SECONDS,
        "stale_while_revalidate": settings.NEWSROOM_STALE_WHILE_REVALIDATE_SECONDS,
    }
    changes_at = getattr(request, "page_changes_at", None)
    if changes_at is not None:
        left = max(0, int((changes_at - timezone.now()).total_seconds()))
        max_age = min(max_age, left)
        stale = {name: min(seconds, left - max_age) for name, seconds in stale.items()}
    if max_age == 0:
        return {"max_age": 0}  # a copy nobody may keep is never served stale either
    return {"max_age": max_age} | {name: seconds for name, seconds in stale.items() if seconds > 0}
