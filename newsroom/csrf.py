"""The CSRF token a page carries, masked as Django masks it, with one read of the random source.

Django masks the CSRF secret afresh for every page (`get_token`), so that a compressed page
never repeats the secret byte for byte (BREACH). It draws the mask one character at a time from
`secrets`, 32 reads of the system's random source, and applies it with two generator
expressions: a tenth of a logged-in reader's page (they carry the log-out form). Here the mask
comes from one `os.urandom` read, kept uniform over the same 62 characters by dropping the bytes
that would favour some (rejection sampling), and is applied the same way, so Django's
`CsrfViewMiddleware` checks the token unchanged. Everything else is `get_token`'s: a request
without a usable secret gets one from it, and the cookie is sent again to renew its expiry.
"""

import os

from django.middleware.csrf import CSRF_ALLOWED_CHARS, CSRF_SECRET_LENGTH, get_token

_INDEX = {char: index for index, char in enumerate(CSRF_ALLOWED_CHARS)}
_ALLOWED = frozenset(CSRF_ALLOWED_CHARS)
_BASE = len(CSRF_ALLOWED_CHARS)
# Bytes at or above this would make the first 256 % 62 characters likelier than the others.
_UNBIASED_BELOW = 256 - 256 % _BASE


def _mask() -> list[int]:
    """Return CSRF_SECRET_LENGTH uniform random indexes into CSRF_ALLOWED_CHARS."""
    mask = []
    while len(mask) < CSRF_SECRET_LENGTH:
        # 40 bytes: 32 survive the rejection with a probability above 99.9%.
        mask += [byte % _BASE for byte in os.urandom(40) if byte < _UNBIASED_BELOW]
    return mask[:CSRF_SECRET_LENGTH]


def page_csrf_token(request) -> str:
    """Return a CSRF token for a form on the page answering `request`: what
    `django.middleware.csrf.get_token(request)` returns, for less CPU."""
    secret = request.META.get("CSRF_COOKIE")
    if (
        not isinstance(secret, str)
        or len(secret) != CSRF_SECRET_LENGTH
        or not _ALLOWED.issuperset(secret)
    ):
        return get_token(request)  # a new secret, and the cookie that carries it
    # As `get_token` does: the cookie is sent again, to renew its expiry.
    request.META["CSRF_COOKIE_NEEDS_UPDATE"] = True
    mask = _mask()
    chars = CSRF_ALLOWED_CHARS
    pairs = zip(secret, mask, strict=True)
    cipher = [chars[(_INDEX[char] + shift) % _BASE] for char, shift in pairs]
    return "".join([chars[shift] for shift in mask]) + "".join(cipher)
