"""Throttles on the ways into an account: failed log-ins (django-axes) and sign-ups.

The decisions, in one place:

- A failed log-in counts against the account tried, and against that account at this address,
  up to `AXES_FAILURE_LIMIT` (5). A locked account stays locked for the whole cool-off, even
  for the right password; a password reset lifts it.
- It also counts against the address alone, but up to `NEWSROOM_LOGIN_ADDRESS_LIMIT` (50): one
  reader's typos in a shared office lock nobody else out, and a password spray from one address
  still stops. axes applies one limit to every parameter set (`AXES_FAILURE_LIMIT` may be a
  callable, but it is asked per request, and axes compares it with the highest of the counts),
  so this count is our own, kept beside axes' in its cache by `LoginThrottle`.
- An attempt refused because of a lockout counts nowhere and does not extend the cool-off: it
  proved nothing about a password, and counting it would let a locked-out reader's retries
  pause the whole office.
- A successful log-in clears the account's counts, never the address's: otherwise an attacker
  could clear the address's count by logging in to an account of their own between guesses.
- The client's address is the socket's (`REMOTE_ADDR`) or, behind `NEWSROOM_PROXY_COUNT`
  proxies that each append to X-Forwarded-For, the entry the outermost of them appended.
  Whatever a client writes into X-Forwarded-For itself stays to the left of it and is ignored.
- Sign-ups are limited per address to `NEWSROOM_SIGNUPS_PER_HOUR`. An account created counts,
  and so does an attempt refused because the address is taken (each one tells whether an
  account exists); a typo in the form does not.
- Sign-in emails (`accounts.email_sign_in`) are limited per email address, account or not, to
  `NEWSROOM_SIGN_IN_EMAILS_PER_ACCOUNT` an hour (a mailbox is not flooded, and a code is not
  guessed across many emails), and per client address to `NEWSROOM_SIGN_IN_EMAILS_PER_ADDRESS`.
  Every request counts, refused ones too (a fixed window from the first), and both are counted
  before anything is looked up: an address with an account and one without meet the same
  limits. The address's count is kept under a hash of it, never the address itself. Codes
  typed wrongly are failed log-ins, counted by axes as above.
- Every count lives in the `throttles` cache (axes' too: `AXES_CACHE`). When the shared cache
  (Redis) does not answer, the counts go on in each process's own memory until it does
  (`foundation.cache`, ON_FAILURE "local"): log-in, sign-up and search keep working and
  keep being throttled, only more loosely (each of N processes counts to the limit, and counts
  made during the outage are forgotten after it). Failing closed (refusing every log-in while
  Redis is away) would lock every subscriber out of what they pay for because of a cache; not
  counting at all would let a password guesser go as fast as the server hashes. The paywall
  never depends on these counts.
"""

import hashlib

from axes.handlers.cache import AxesCacheHandler
from axes.helpers import get_cache, get_cache_timeout, get_client_username
from axes.signals import user_locked_out
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import caches

from foundation.rates import address_over_rate, client_address, count

SIGNUP_WINDOW_SECONDS = 3600
SIGN_IN_EMAIL_WINDOW_SECONDS = 3600


def axes_username(request, credentials):
    """Return the email address tried, in lower case; set AXES_USERNAME_CALLABLE to this.

    Every Django log-in form (the site's and the admin's) passes the address as `username`,
    while axes, left alone, looks for the user model's USERNAME_FIELD ("email") and finds
    nothing: all failures then share one bucket and no account is ever locked. And email log-in
    ignores case, so `Reader@x` and `reader@x` must share one count.
    """
    credentials = credentials or {}
    username = credentials.get("username") or credentials.get(get_user_model().USERNAME_FIELD)
    if username is None and request is not None:
        username = request.POST.get("username")
    return username.strip().lower() if isinstance(username, str) else None


class LoginThrottle(AxesCacheHandler):
    """axes' cache handler (per account, per account and address) plus a count per address.

    Set AXES_HANDLER to this, with AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False: axes
    then marks an attempt it refused before it reports the failure, and neither count grows.
    """

    @property
    def cache(self):
        # Looked up on each use, not kept from start-up: Django keeps a cache connection per
        # thread, and its settings may change (the fault tests point it at their own Redis).
        return get_cache()

    @cache.setter
    def cache(self, value):
        pass  # axes' __init__ sets it; the property above answers instead

    def is_locked(self, request, credentials=None):
        return super().is_locked(request, credentials) or address_paused(request)

    def user_login_failed(self, sender, credentials, request=None, **kwargs):
        refused_unchecked = getattr(request, "axes_locked_out", False)
        super().user_login_failed(sender, credentials, request, **kwargs)
        if request is None or refused_unchecked or self.is_whitelisted(request, credentials):
            return
        if count(_address_key(request), get_cache_timeout(request), self.cache) < (
            settings.NEWSROOM_LOGIN_ADDRESS_LIMIT
        ):
            return
        # The pause lasts a whole cool-off from the failure that reached the limit.
        self.cache.touch(_address_key(request), get_cache_timeout(request))
        if not request.axes_locked_out:
            request.axes_locked_out = True
            request.axes_credentials = credentials
            user_locked_out.send(
                "axes",
                request=request,
                username=get_client_username(request, credentials),
                ip_address=request.axes_ip_address,
            )


def address_paused(request) -> bool:
    """Return True if log-ins from the request's address are paused after too many failures."""
    failures = get_cache().get(_address_key(request), 0)
    return failures >= settings.NEWSROOM_LOGIN_ADDRESS_LIMIT


def signups_paused(request) -> bool:
    """Return True if the request's address has used up its sign-ups for the hour."""
    return caches["throttles"].get(_signup_key(request), 0) >= settings.NEWSROOM_SIGNUPS_PER_HOUR


def signup_counted(request) -> None:
    """Count a sign-up (or an attempt that found the address taken) against the address."""
    count(_signup_key(request), SIGNUP_WINDOW_SECONDS, caches["throttles"])


def sign_in_emails_over_limit(request, *, email: str) -> bool:
    """Count a sign-in email asked for `email` from the request's address; return True once
    either has asked for more than its hourly limit."""
    over_address = address_over_rate(
        request,
        name="sign-in-email",
        limit=settings.NEWSROOM_SIGN_IN_EMAILS_PER_ADDRESS,
        per_seconds=SIGN_IN_EMAIL_WINDOW_SECONDS,
    )
    digest = hashlib.sha256(email.strip().lower().encode()).hexdigest()[:32]
    emails = count(
        f"newsroom:sign-in-emails:{digest}", SIGN_IN_EMAIL_WINDOW_SECONDS, caches["throttles"]
    )
    return over_address or emails > settings.NEWSROOM_SIGN_IN_EMAILS_PER_ACCOUNT


def _address_key(request):
    return f"newsroom:login-failures:{client_address(request) or 'unknown'}"


def _signup_key(request):
    return f"newsroom:signups:{client_address(request) or 'unknown'}"
