"""Email providers' backends as django-anymail ships them, with what this site adds: the
message's `Message-ID` handed over as the provider's idempotency key, where it has one.

Every email here has a `Message-ID` that is the same each time it is sent (the outbox makes it
from the event key, a newsletter from the send and the recipient), so a message handed over
again after a worker died before it could record the first hand-over is one the provider
recognises and does not deliver twice. Resend takes an `Idempotency-Key` header on its send
endpoint (kept 24 hours); Postmark, Amazon SES, Mailgun and SendGrid have none, and for them
anymail's own backends are used as they are (the `Message-ID` still lets mail clients such as
Gmail drop a second copy).

    EMAIL_BACKEND=foundation.email_providers.ResendEmailBackend
"""

from anymail.backends.resend import EmailBackend as AnymailResendBackend
from anymail.backends.resend import ResendPayload


def idempotency_key(message) -> str:
    """Return the key a provider may deduplicate `message` by: its Message-ID, without the
    angle brackets; empty when it has none."""
    for name, value in (message.extra_headers or {}).items():
        if name.lower() == "message-id":
            return str(value).strip().strip("<>")
    return ""


class _IdempotentResendPayload(ResendPayload):
    def get_request_params(self, api_url):
        params = super().get_request_params(api_url)
        key = idempotency_key(self.message)
        if key:
            params["headers"] = {**(params.get("headers") or {}), "Idempotency-Key": key}
        return params


class ResendEmailBackend(AnymailResendBackend):
    """anymail's Resend backend, giving Resend each message's Message-ID as its idempotency key."""

    def build_message_payload(self, message, defaults):
        return _IdempotentResendPayload(message, defaults, self)
