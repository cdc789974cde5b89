"""One log line per request, and a request id that ties a reader's error page to the log.

The id comes from the proxy in front (`X-Request-ID`, when it looks like one) or is made
here; it is sent back in `X-Request-ID`, shown on the error page, and added to every log
record made while the request is served (`RequestIdFilter`), so "reference 3f9c…" on a
reader's screen finds the traceback.

An address that is a key (a reader's private feed, `/feed/private/<token>.rss`, and a sign-in
email's link, `/login/link/<token>/`) is logged with its token masked
(`mask_private_addresses`): in this line, and by `PrivateAddressFilter` in every other line the
site logs (Django's own error lines name the path). gunicorn's and nginx's access logs mask it
the same way (`deploy/`).
"""

import contextvars
import logging
import re
import secrets
import time

from newsroom.errors import unreadable_input
from newsroom.request_input import request_input_problem

logger = logging.getLogger("newsroom.requests")
current_request_id = contextvars.ContextVar("request_id", default="-")
INCOMING_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")
# The private feed's route (`articles.site.urls`) and the sign-in link's (`accounts.urls`);
# deploy/gunicorn.conf.py and deploy/newsroom.nginx.conf mask the same, and
# tests/newsroom/test_request_log.py holds them to it.
PRIVATE_ADDRESS = re.compile(r"(/feed/private/|/login/link/)[^/?#\s\"']+")
PRIVATE_PREFIXES = ("/feed/private/", "/login/link/")
MASKED = r"\1[token]"


def mask_private_addresses(text: str) -> str:
    """Return `text` with the token of every private address in it masked."""
    if any(prefix in text for prefix in PRIVATE_PREFIXES):
        return PRIVATE_ADDRESS.sub(MASKED, text)
    return text


class PrivateAddressFilter(logging.Filter):
    """Mask the tokens of private addresses in every log record, whoever made it."""

    def filter(self, record):
        message = record.getMessage()
        masked = mask_private_addresses(message)
        if masked != message:
            record.msg, record.args = masked, None
        return True


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
        incoming = request.META.get("HTTP_X_REQUEST_ID", "")
        request_id = incoming if INCOMING_ID.fullmatch(incoming) else secrets.token_hex(16)
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
            if logger.isEnabledFor(logging.INFO):
                logger.info(
                    "%s %s %s %.1fms",
                    request.method,
                    mask_private_addresses(request.path),
                    response.status_code,
                    (time.perf_counter() - started) * 1000,
                )
            return response
        finally:
            current_request_id.reset(token)
