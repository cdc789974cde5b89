"""Who the request's session is for, read from what a page already fetched.

`session_user` is Django's `django.contrib.auth.get_user` for a session logged in through the
site's backend (`accounts.backends.KeptUserBackend`), taking the user's kept row from the round
trip the page made (`foundation.kept.fetch`) instead of making one of its own. It checks the session
exactly as Django does: the session's hash against the user's, then the fallback secrets (after a
`SECRET_KEY` rotation, renewing the session), and otherwise ends the session. A session from any
other backend goes to Django's own `get_user`.
"""

from django.conf import settings
from django.contrib import auth
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.utils.crypto import constant_time_compare

from accounts.backends import KeptUserBackend
from foundation import kept


def session_user_id(request):
    """Return the id of the user the session says it is for (None: nobody), unchecked."""
    try:
        return get_user_model()._meta.pk.to_python(request.session[auth.SESSION_KEY])
    except (KeyError, ValidationError):
        return None


def session_user(request, fetched: kept.Fetched):
    """Return the user of `request`'s session, or an `AnonymousUser` (`auth.get_user`'s rules)."""
    session = request.session
    backend_path = session.get(auth.BACKEND_SESSION_KEY)
    if backend_path not in settings.AUTHENTICATION_BACKENDS:
        return AnonymousUser()
    backend = auth.load_backend(backend_path)
    if not isinstance(backend, KeptUserBackend):
        return auth.get_user(request)
    user_id = session_user_id(request)
    if user_id is None:
        return AnonymousUser()
    user = backend.get_user(user_id, fetched=fetched)
    if user is None:
        return AnonymousUser()
    session_hash = session.get(auth.HASH_SESSION_KEY)
    user_hash = user.get_session_auth_hash()
    if session_hash and constant_time_compare(session_hash, user_hash):
        return user
    if session_hash and any(
        constant_time_compare(session_hash, fallback)
        for fallback in user.get_session_auth_fallback_hash()
    ):
        session.cycle_key()
        session[auth.HASH_SESSION_KEY] = user_hash
        return user
    session.flush()
    return AnonymousUser()
