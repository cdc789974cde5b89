"""The error pages a reader sees: the site's look, no internals, and a reference to the log.

Both are rendered without context processors, the database or the cache: they must show when
those are what failed. What they need comes from the settings (the publication's name, the
newsroom's address) and the request (its id, `newsroom.request_log`). They say only what is
true: no "we have been told" (nobody is told: the error is in the log, under the reference).
"""

import sys

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.utils.cache import add_never_cache_headers
from django.views.decorators.csrf import requires_csrf_token

from newsroom.request_log import current_request_id

# A database that is down or hung (see `newsroom.unavailable`).
DATABASE_UNAVAILABLE = (OperationalError, InterfaceError)
RETRY_AFTER_SECONDS = 30


def _error_page(request, template_name: str, *, status: int) -> HttpResponse:
    context = {
        "publication_name": settings.NEWSROOM_PUBLICATION_NAME,
        "contact_email": settings.NEWSROOM_CONTACT_EMAIL,
        "reference": getattr(request, "request_id", None) or current_request_id.get(),
    }
    return HttpResponse(
        render_to_string(template_name, context),
        status=status,
        content_type="text/html; charset=utf-8",
    )


def service_unavailable(request) -> HttpResponse:
    """Return the 503 page: with Retry-After, and never cached."""
    response = _error_page(request, "503.html", status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    add_never_cache_headers(response)
    return response


@requires_csrf_token
def server_error(request):
    """Answer 500 with the error page and the request's reference.

    A database that does not answer outside a view (a session saved by a middleware) is a 503.
    """
    if isinstance(sys.exc_info()[1], DATABASE_UNAVAILABLE):
        return service_unavailable(request)
    return _error_page(request, "500.html", status=500)
