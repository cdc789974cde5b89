"""A database that is down or hung answers 503, at once, with a short page.

`connect_timeout`, the statement timeout and `newsroom.postgresql` turn a database that does not
answer into `OperationalError` (or `InterfaceError` for a connection already closed) within
seconds. Here that becomes what a reader and a load balancer should see: 503 Service
Unavailable, `Retry-After`, never stored by any cache, and a page that needs neither the
database nor the cache (`newsroom.errors`). Django drops the broken connection at the end
of the request and health-checks a reused one (`CONN_HEALTH_CHECKS`), so the site recovers by
itself when the database does. Pages that need no database (`/healthz`) never get here.
"""

import logging

from newsroom.errors import DATABASE_UNAVAILABLE, service_unavailable

logger = logging.getLogger(__name__)


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
