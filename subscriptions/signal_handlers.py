from django.contrib.auth.signals import user_logged_in
from django.db.models.signals import post_delete, post_save

from accounts.signals import reader_signed_up
from subscriptions import funnel
from subscriptions.entitlement import entitlement_changed
from subscriptions.gifts import SESSION_GIFT_KEY, gift_record_signup
from subscriptions.meter import meter_carry_over, meter_reads_changed


def carry_over_meter_reads(sender, request, user, **kwargs):
    """Move an anonymous reader's reads of this month to the account they log in to."""
    if request is not None:
        meter_carry_over(request=request, user=user)


def attribute_signup_to_gift(sender, request, user, **kwargs):
    """Record that a reader who opened a gift link created an account (the gift's funnel)."""
    gift_id = request.session.pop(SESSION_GIFT_KEY, None)
    if isinstance(gift_id, int):
        signup = gift_record_signup(gift_id=gift_id, user=user)
        if signup is not None:
            funnel.gift_signed_up(user=user, article_id=signup.gift.article_id)


def count_sign_up(sender, request, user, **kwargs):
    """Count the sign-up for the paywall's insight."""
    funnel.signed_up(request=request, user=user)


def count_sign_in(sender, request, user, **kwargs):
    """Tie the reader's meter id to the account they signed in to, for the paywall's insight."""
    if request is not None:
        funnel.signed_in(request=request, user=user)


def subscription_saved(sender, instance, **kwargs):
    """A subscription changed: the paywall's kept answer for its reader follows, on commit."""
    entitlement_changed(instance.user_id)


def metered_read_saved(sender, instance, **kwargs):
    """A reader's metered read was changed or deleted one by one (the admin, a deleted
    account): the reads the paywall keeps for that month follow, on commit."""
    meter_reads_changed(instance.user_id, instance.period)


def register_signal_handlers():
    from subscriptions.models import MeteredRead, Subscription

    for signal in (post_save, post_delete):
        signal.connect(
            subscription_saved, sender=Subscription, dispatch_uid=f"{signal}.entitlement"
        )
        signal.connect(metered_read_saved, sender=MeteredRead, dispatch_uid=f"{signal}.kept_reads")
    # Before the meter's carry-over, which clears the cookie whose id they read.
    user_logged_in.connect(count_sign_in, dispatch_uid="subscriptions.funnel_sign_in")
    reader_signed_up.connect(count_sign_up, dispatch_uid="subscriptions.funnel_sign_up")
    user_logged_in.connect(carry_over_meter_reads, dispatch_uid="subscriptions.meter_carry_over")
    reader_signed_up.connect(attribute_signup_to_gift, dispatch_uid="subscriptions.gift_signup")
