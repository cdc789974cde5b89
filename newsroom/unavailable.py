"""A database that is down or hung answers 503, at once, with a short plain page.

`connect_timeout`, the statement timeout and `newsroom.postgresql` turn a database that does not
answer into `OperationalError` (or `InterfaceError` for a connection already closed) within
seconds. Here that becomes what a reader and a load balancer should see: 503 Service
Unavailable, `Retry-After`, never stored by any cache, and a page that needs neither the
database nor the cache (no context processors). Django drops the broken connection at the end
of the request and health-checks a reused one (`CONN_HEALTH_CHECKS`), so the site recovers by
itself when the database does. Pages that need no database (`/healthz`) never get here.
"""

import logging

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.utils.cache import add_never_cache_headers

from newsroom.request_log import current_request_id

logger = logging.getLogger(__name__)
RETRY_AFTER_SECONDS = 30
DATABASE_UNAVAILABLE = (OperationalError, InterfaceError)


def service_unavailable(request) -> HttpResponse:
    """Return the 503 page: plain, with Retry-After, and never cached."""
    reference = getattr(request, "request_id", None) or current_request_id.get()
    response = HttpResponse(
        render_to_string("503.html", {"reference": reference}),
        status=503,
        content_type="text/html; charset=utf-8",
    )
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    add_never_cache_headers(response)
    return response


class DatabaseUnavailableMiddleware:
    """Answer 503 instead of 500 when a view finds the database unreachable."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, DATABASE_UNAVAILABLE):
            return None
        logger.warning("The database is unavailable: %s", exception)
        return service_unavailable(request)
