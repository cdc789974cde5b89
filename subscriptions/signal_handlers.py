from django.contrib.auth.signals import user_logged_in

from subscriptions.meter import meter_carry_over


def carry_over_meter_reads(sender, request, user, **kwargs):
    """Move an anonymous reader's reads of this month to the account they log in to."""
    if request is not None:
        meter_carry_over(request=request, user=user)


def register_signal_handlers():
    user_logged_in.connect(carry_over_meter_reads, dispatch_uid="subscriptions.meter_carry_over")
