"""The log-in backend: Django's `ModelBackend`, reading each logged-in user through the kept values.

Every page a logged-in reader opens loads their user (Django checks the session against a hash
of the password on each request): a query, and on PostgreSQL a second round trip for the
connection's health check. The user is a kept value instead (`foundation.kept`): set from the
committed row after every save or deletion, repaired if the cache missed it, so a changed
password, a deactivated account or a deleted one ends every session at its next request.

What is kept is what a page needs of the user and no secret: every field but the password, and
the session hash Django checks (an HMAC of the password's hash with the site's secret). The user
made from it has its password deferred: reading it, or anything that needs it, asks the database,
and saving that user saves only the other fields.
"""

import functools

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.db import router

from accounts.email_sign_in import email_sign_in_use
from foundation import kept

KEPT_USER_SECONDS = 15 * 60
NOT_KEPT = {"password"}


def password_backend() -> str:
    """Return the dotted path of the backend that checks passwords, for logging a reader in
    without one (sign-up, a password reset): the last of `AUTHENTICATION_BACKENDS` (axes comes
    first). Named from the settings, as the site's backend lives in an app above this one."""
    return settings.AUTHENTICATION_BACKENDS[-1]


@functools.cache
def _kept_fields() -> tuple:
    """The user's fields that are kept (every one but the password), worked out once: they are
    read on every page a logged-in reader opens."""
    return tuple(f for f in get_user_model()._meta.concrete_fields if f.attname not in NOT_KEPT)


def _load(user_id):
    user = get_user_model()._default_manager.filter(pk=user_id).first()
    if user is None:
        return None
    return {
        "fields": {f.attname: getattr(user, f.attname) for f in _kept_fields()},
        "session_auth_hash": user.get_session_auth_hash(),
    }


USER = kept.kind("user", load=_load, timeout=KEPT_USER_SECONDS)


def kept_user(value):
    """Return the user that a kept value describes, its password deferred."""
    model = get_user_model()
    fields = value["fields"]
    names = [f.attname for f in _kept_fields() if f.attname in fields]
    user = model.from_db(router.db_for_read(model), names, [fields[name] for name in names])
    user.kept_session_auth_hash = value["session_auth_hash"]
    return user


class KeptUserBackend(ModelBackend):
    """`ModelBackend` whose `get_user` reads the user through the kept values."""

    def get_user(self, user_id, *, fetched: kept.Fetched | None = None):
        """Return the active user `user_id`, from `fetched` (what the page fetched in its one
        round trip) or the cache, else the database."""
        value = kept.read(USER, user_id, fetched=fetched)
        if value is None:
            return None
        user = kept_user(value)
        return user if self.user_can_authenticate(user) else None


def user_saved(sender, instance, **kwargs):
    """A user was saved or deleted: their kept row follows, once the change commits
    (connected by `accounts.apps`)."""
    kept.changed(USER, instance.pk)


class EmailCodeBackend:
    """Check the code of a sign-in email (`accounts.email_sign_in`).

    A code goes through `authenticate()` as a password does, so that axes refuses it for a
    locked-out account or address (its backend comes first) and a wrong one is a failed log-in,
    counted against the account and the address. It never logs anyone in itself: the session is
    made with the site's backend (`password_backend`), so this backend has no `get_user` (as
    axes' has none), and `Client.force_login` passes it by. The user it returns says, in
    `signed_up_by_email`, whether this sign-in made their account.
    """

    def authenticate(self, request, username=None, email_sign_in=None, code=None):
        """Return the user `email_sign_in`'s `code` signs in (the address is `username`, for
        axes), or None."""
        if email_sign_in is None or code is None:
            return None
        signed_in = email_sign_in_use(sign_in=email_sign_in, code=code)
        if signed_in is None:
            return None
        signed_in.user.signed_up_by_email = signed_in.created
        return signed_in.user
