"""The Content-Security-Policy and X-Frame-Options headers, on every response.

The policy is the settings' (`CONTENT_SECURITY_POLICY`, read by django-csp's own `build_policy`),
built once at start-up, and again only for a response whose page used this request's nonce
(`request.csp_nonce`, drawn the first time a page renders it). `X-Frame-Options: DENY` goes
beside the policy's `frame-ancestors 'none'` for browsers that read only the older header. A
view that set either header itself keeps its own: it calls `content_security_policy` for the
site's policy with its changes (`articles.admin.editor_policy`), or writes a policy of its own
(the newsletter preview).

In place of django-csp's and Django's middleware for the same two headers: they cost an
anonymous page a tenth of its time, building the policy twice on every response
(`benchmarks/RESULTS.md`, "The request cycle").
"""

import functools
import secrets

from csp.constants import HEADER
from csp.utils import build_policy
from django.core.signals import setting_changed
from django.dispatch import receiver


class Nonce:
    """This request's CSP nonce, drawn the first time a page renders it (`request.csp_nonce`)."""

    __slots__ = ("value",)

    def __init__(self):
        self.value = ""

    def __str__(self):
        if not self.value:
            self.value = secrets.token_urlsafe(18)
        return self.value


def content_security_policy(request, **changes) -> str:
    """Return the site's policy with `changes` (django-csp's `update`/`replace`) and this
    request's nonce, for a view that sets the header itself (`articles.admin.editor_policy`)."""
    return build_policy(nonce=str(request.csp_nonce), **changes)


@functools.cache
def site_policy() -> str:
    """Return the settings' policy without a nonce: the header of almost every response."""
    return build_policy()


@receiver(setting_changed)
def _policy_changed(*, setting, **kwargs):
    if setting == "CONTENT_SECURITY_POLICY":  # a test's override, never a running site
        site_policy.cache_clear()


class ContentPolicyMiddleware:
    """Send the Content-Security-Policy and X-Frame-Options headers on every response."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.csp_nonce = nonce = Nonce()
        response = self.get_response(request)
        if HEADER not in response:
            response[HEADER] = build_policy(nonce=nonce.value) if nonce.value else site_policy()
        if "X-Frame-Options" not in response:
            response["X-Frame-Options"] = "DENY"
        return response
