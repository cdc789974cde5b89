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

# A database that is down or hung (`newsroom.middleware.ResponsePolicyMiddleware` answers 503).
DATABASE_UNAVAILABLE = (OperationalError, InterfaceError)
RETRY_AFTER_SECONDS = 30


def _error_page(request, template_name: str, *, status: int, **context) -> HttpResponse:
    context = {
        "publication_name": settings.NEWSROOM_PUBLICATION_NAME,
        "contact_email": settings.NEWSROOM_CONTACT_EMAIL,
        # Set first thing by `newsroom.request_log`, the outermost middleware.
        "reference": getattr(request, "request_id", None),
        **context,
    }
    return HttpResponse(
        render_to_string(template_name, context),
        status=status,
        content_type="text/html; charset=utf-8",
    )


def unreadable_input(request, problem: str) -> HttpResponse:
    """Return the 400 page for input that is not text (`newsroom.request_input`): what was
    wrong, never cached."""
    response = _error_page(request, "400.html", status=400, problem=problem)
    add_never_cache_headers(response)
    return response


def bad_request(request, exception):
    """Answer Django's own 400s (a host not allowed, a body too large) with the same page."""
    return unreadable_input(request, "something this site cannot accept")


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
