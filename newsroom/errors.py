"""The error page a reader sees: no internals, and a reference that finds the log line."""

from django.http import HttpResponseServerError
from django.template.loader import render_to_string
from django.views.decorators.csrf import requires_csrf_token

from newsroom.request_log import current_request_id


@requires_csrf_token
def server_error(request):
    """Answer 500 with the plain error page and the request's reference."""
    reference = getattr(request, "request_id", None) or current_request_id.get()
    return HttpResponseServerError(render_to_string("500.html", {"reference": reference}))
