from django.contrib.auth.signals import user_logged_in

from accounts.signals import reader_signed_up
from foundation import events
from insight.models import Kind, ReaderKind
from subscriptions.meter import meter_visitor


def signup_recorded(sender, request, user, **kwargs):
    """A reader made an account: a conversion, written with it (and tied to their meter id)."""
    events.record_now(
        Kind.SIGNUP,
        request=request,
        user_id=user.pk,
        visitor=meter_visitor(request),
        reader_kind=ReaderKind.ANONYMOUS,
    )


def sign_in_recorded(sender, request, user, **kwargs):
    """A reader signed in with a meter id: tie the id to the account, for attribution."""
    if request is None:
        return
    visitor = meter_visitor(request)
    if visitor:
        events.record(Kind.SIGN_IN, user_id=user.pk, visitor=visitor)


def register_signal_handlers():
    reader_signed_up.connect(signup_recorded, dispatch_uid="insight.signup")
    user_logged_in.connect(sign_in_recorded, dispatch_uid="insight.sign_in")
