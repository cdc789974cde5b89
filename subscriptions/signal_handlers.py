from django.contrib.auth.signals import user_logged_in

from accounts.signals import reader_signed_up
from subscriptions.gifts import SESSION_GIFT_KEY, gift_record_signup
from subscriptions.meter import meter_carry_over


def carry_over_meter_reads(sender, request, user, **kwargs):
    """Move an anonymous reader's reads of this month to the account they log in to."""
    if request is not None:
        meter_carry_over(request=request, user=user)


def attribute_signup_to_gift(sender, request, user, **kwargs):
    """Record that a reader who opened a gift link created an account (the gift's funnel)."""
    gift_id = request.session.pop(SESSION_GIFT_KEY, None)
    if isinstance(gift_id, int):
        gift_record_signup(gift_id=gift_id, user=user)


def register_signal_handlers():
    user_logged_in.connect(carry_over_meter_reads, dispatch_uid="subscriptions.meter_carry_over")
    reader_signed_up.connect(attribute_signup_to_gift, dispatch_uid="subscriptions.gift_signup")
