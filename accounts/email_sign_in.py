"""Sign-in by email: one email with a link and a 6-digit code, one credential.

The rules, in one place:

- A reader asks on the log-in or the sign-up page ("Email me a sign-in link"). The email holds a
  link, `/login/link/<token>/`, and a code to type on the page the request led to. They are one
  credential (`EmailSignIn`): valid `SIGN_IN_MINUTES` (15), used once, and using either ends
  both. A newer email to the same address ends the older ones.
- The link's GET only shows a "Sign in" button; its POST signs in. Mail scanners and
  prefetchers (Outlook's Safe Links and friends) open links, they do not press buttons, so they
  never use one up.
- A code is typed by a person, and has a million values: each wrong one is a failed log-in
  (through `authenticate()`, `accounts.backends.EmailCodeBackend`), which django-axes counts
  against the account and the log-in throttle against the client's address; after
  `WRONG_CODES_LIMIT` (5) the credential is locked, link included. A locked-out account cannot
  use codes; its link still works, and lifts the lockout, as a password reset does (it proves
  the mailbox, and is not guessable).
- Nobody learns from the answer whether an address has an account: the page says the same and
  the request does the same work (a row, an email) whether or not it has one. Without an
  account, the email from the log-in page says how to create one (and holds no credential);
  the one from the sign-up page holds a link and a code whose first use makes the account.
- Signing in this way verifies the address (`User.email_verified_at`).
- What is stored is no key: the token's SHA-256 (how a request finds the row) and the code's
  HMAC with `SECRET_KEY`. Rows are deleted a day after they expire.

How many emails one address and one client may ask for is `accounts.throttling`'s.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac

from accounts.models import EmailSignIn, User
from foundation.outbox import email_queue

SIGN_IN_MINUTES = 15
WRONG_CODES_LIMIT = 5
CODE_DIGITS = 6
# Rows stay this long after they expire (what a late click is told), then go.
KEPT_AFTER_EXPIRY = timedelta(days=1)
CODE_SALT = "newsroom email sign-in code"
# Longer is not a token this module made: refused before it is hashed or looked up.
TOKEN_MAX_LENGTH = 64


@dataclass(frozen=True)
class IssuedSignIn:
    """A new sign-in email's row, with the link's token and the code (kept nowhere else)."""

    sign_in: EmailSignIn
    token: str
    code: str


@dataclass(frozen=True)
class SignedIn:
    """Who a sign-in by email signed in, and whether it made their account."""

    user: User
    created: bool


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _code_hash(token_hash: str, code: str, *, secret: str | None = None) -> str:
    return salted_hmac(
        CODE_SALT, f"{token_hash}:{code}", secret=secret, algorithm="sha256"
    ).hexdigest()


def email_sign_in_issue(
    *,
    email: str,
    purpose: str,
    name: str = "",
    newsletter: str = "",
    next_path: str = "",
    at: datetime | None = None,
) -> IssuedSignIn:
    """Make a new link and code for `email`, ending the address's older ones; send nothing.

    The row names the account with that address (in any case), if there is one.
    """
    at = at or timezone.now()
    account = get_user_model().objects.filter(email__iexact=email).first()
    token = secrets.token_urlsafe(32)
    code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
    token_hash = _token_hash(token)
    with transaction.atomic():
        EmailSignIn.objects.filter(email__iexact=email, ended_at__isnull=True).update(
            ended_at=at, ending=EmailSignIn.Ending.REPLACED
        )
        EmailSignIn.objects.filter(expires_at__lt=at - KEPT_AFTER_EXPIRY).delete()
        sign_in = EmailSignIn.objects.create(
            # As typed (its domain in lower case), account or not: the page that shows it must
            # say nothing about which.
            email=get_user_model().objects.normalize_email(email),
            user=account,
            purpose=purpose,
            name=name,
            newsletter=newsletter,
            next_path=next_path,
            token_hash=token_hash,
            code_hash=_code_hash(token_hash, code),
            created_at=at,
            expires_at=at + timedelta(minutes=SIGN_IN_MINUTES),
        )
    return IssuedSignIn(sign_in=sign_in, token=token, code=code)


def email_sign_in_send(
    *,
    email: str,
    purpose: str,
    name: str = "",
    newsletter: str = "",
    next_path: str = "",
    at: datetime | None = None,
) -> EmailSignIn:
    """Email `email` a sign-in link and code (or, from the log-in page with no account there, how
    to make one), in the outbox with the new row; return the row.

    The same work whether or not the address has an account. A deactivated account is sent
    nothing: it cannot sign in, and the site no longer writes to it.
    """
    with transaction.atomic():
        issued = email_sign_in_issue(
            email=email,
            purpose=purpose,
            name=name,
            newsletter=newsletter,
            next_path=next_path,
            at=at,
        )
        sign_in = issued.sign_in
        if sign_in.user is not None and not sign_in.user.is_active:
            return sign_in
        if sign_in.user is not None:
            template = "sign_in"
        elif sign_in.purpose == EmailSignIn.Purpose.SIGN_UP:
            template = "sign_up"
        else:
            template = "no_account"
        to = sign_in.user.email if sign_in.user else sign_in.email
        site_url = settings.NEWSROOM_SITE_URL.rstrip("/")
        context = {
            "publication_name": settings.NEWSROOM_PUBLICATION_NAME,
            "email": to,
            "link": site_url + reverse("sign_in_link", args=[issued.token]),
            "code": issued.code,
            "minutes": SIGN_IN_MINUTES,
            "signup_url": site_url + reverse("signup"),
            "login_url": site_url + reverse("login"),
        }
        email_queue(
            to=to,
            subject=render_to_string(f"accounts/email/{template}_subject.txt", context),
            text=render_to_string(f"accounts/email/{template}.txt", context),
            event_key=f"email-sign-in:{sign_in.pk}",
        )
    return sign_in


def email_sign_in_lookup(*, token: str) -> EmailSignIn | None:
    """Return the sign-in whose link holds `token`, with its account (one query), live or not,
    or None."""
    if not token or len(token) > TOKEN_MAX_LENGTH:
        return None
    return EmailSignIn.objects.select_related("user").filter(token_hash=_token_hash(token)).first()


def email_sign_in_use(
    *, sign_in: EmailSignIn, code: str | None = None, at: datetime | None = None
) -> SignedIn | None:
    """Sign in with `sign_in`'s link, or with `code` when given; return who, or None.

    None when it is no longer live, was used meanwhile, the code is wrong (counted: the
    `WRONG_CODES_LIMIT`-th locks it), or there is no account to sign in to. Otherwise it is
    ended, its account made if it was asked for on the sign-up page and there is none, and the
    address marked verified. Safe when two requests use it at once: one wins.
    """
    at = at or timezone.now()
    with transaction.atomic():
        if code is not None and not _code_matches(sign_in, code):
            _count_wrong_code(sign_in, at=at)
            return None
        user = _account_of(sign_in)
        makes_account = (
            user is None
            and sign_in.user_id is None
            and sign_in.purpose == EmailSignIn.Purpose.SIGN_UP
        )
        if not makes_account and (user is None or not user.is_active):
            return None
        ended = EmailSignIn.objects.filter(
            pk=sign_in.pk, ended_at__isnull=True, expires_at__gt=at
        ).update(ended_at=at, ending=EmailSignIn.Ending.SIGNED_IN)
        if not ended:
            return None
        created = False
        if makes_account:
            user, created = _account_made(sign_in)
            if user is None:
                transaction.set_rollback(True)  # still live: nothing happened
                return None
        if user.email_verified_at is None:
            user.email_verified_at = at
            user.save(update_fields=["email_verified_at"])
    return SignedIn(user=user, created=created)


def _code_matches(sign_in: EmailSignIn, code: str) -> bool:
    # Codes made before a change of SECRET_KEY still match while the old key is a fallback.
    return any(
        constant_time_compare(sign_in.code_hash, _code_hash(sign_in.token_hash, code, secret=key))
        for key in (settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS)
    )


def _count_wrong_code(sign_in: EmailSignIn, *, at: datetime) -> None:
    live = EmailSignIn.objects.filter(pk=sign_in.pk, ended_at__isnull=True)
    live.update(wrong_codes=F("wrong_codes") + 1)
    live.filter(wrong_codes__gte=WRONG_CODES_LIMIT).update(
        ended_at=at, ending=EmailSignIn.Ending.WRONG_CODES
    )


def _account_of(sign_in: EmailSignIn) -> User | None:
    """Return the account with the address the email went to: the one it was sent for, as
    long as its address is still that one; else any made with that address since."""
    users = get_user_model().objects.filter(email__iexact=sign_in.email)
    if sign_in.user_id is not None:
        users = users.filter(pk=sign_in.user_id)
    return users.first()


def _account_made(sign_in: EmailSignIn) -> tuple[User | None, bool]:
    """Make the account a sign-up asked for. If one with the address was made a moment ago,
    the reader has just shown that the address is theirs: that one, unless deactivated."""
    model = get_user_model()
    try:
        with transaction.atomic():
            return model.objects.create_user(email=sign_in.email, name=sign_in.name), True
    except IntegrityError:
        return model.objects.filter(email__iexact=sign_in.email, is_active=True).first(), False
