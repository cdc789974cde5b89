"""The error page a reader sees: no internals, and a reference that finds the log line."""

import sys

from django.http import HttpResponseServerError
from django.template.loader import render_to_string
from django.views.decorators.csrf import requires_csrf_token

from newsroom.request_log import current_request_id
from newsroom.unavailable import DATABASE_UNAVAILABLE, service_unavailable


@requires_csrf_token
def server_error(request):
    """Answer 500 with the plain error page and the request's reference.

    A database that does not answer outside a view (a session saved by a middleware) is a 503.
    """
    if isinstance(sys.exc_info()[1], DATABASE_UNAVAILABLE):
        return service_unavailable(request)
    reference = getattr(request, "request_id", None) or current_request_id.get()
    return HttpResponseServerError(render_to_string("500.html", {"reference": reference}))
