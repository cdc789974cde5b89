"""One log line per request, and a request id that ties a reader's error page to the log.

The id comes from the proxy in front (`X-Request-ID`, when it looks like one) or is made
here; it is sent back in `X-Request-ID`, shown on the error page, and added to every log
record made while the request is served (`RequestIdFilter`), so "reference 3f9c…" on a
reader's screen finds the traceback.
"""

import contextvars
import logging
import re
import time
import uuid

from newsroom.errors import unreadable_input
from newsroom.request_input import request_input_problem

logger = logging.getLogger("newsroom.requests")
current_request_id = contextvars.ContextVar("request_id", default="-")
INCOMING_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")


class RequestIdFilter(logging.Filter):
    """Give every log record the id of the request being served (or "-")."""

    def filter(self, record):
        record.request_id = current_request_id.get()
        return True


class RequestLogMiddleware:
    """Outermost: time the request, log one line, and send the request id back; refuse
    input that is not text with 400."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if INCOMING_ID.fullmatch(incoming) else uuid.uuid4().hex
        request.request_id = request_id
        token = current_request_id.set(request_id)
        started = time.perf_counter()
        try:
            # Input that is not text is refused before anything reads it (`request_input`
            # says why here, and not in a middleware of its own).
            if problem := request_input_problem(request):
                response = unreadable_input(request, problem)
            else:
                response = self.get_response(request)
            response["X-Request-ID"] = request_id
            logger.info(
                "%s %s %s %.1fms",
                request.method,
                request.path,
                response.status_code,
                (time.perf_counter() - started) * 1000,
            )
            return response
        finally:
            current_request_id.reset(token)
