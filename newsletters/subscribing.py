"""Who gets which newsletter: signing up, confirming an address, leaving.

- A logged-in reader signs up at once, with their account's address; a newsletter for registered
  readers or subscribers takes only them (a subscribers' one only while they are entitled).
- An address without an account gets a double opt-in email first: a signed link that works for
  `NEWSROOM_NEWSLETTER_CONFIRM_DAYS` days, whose page shows a "Confirm" button and confirms only
  when it is pressed (a POST), so that mail scanners which open every link confirm nothing.
  Asking again for an address already subscribed sends nothing, and says the same as the first
  time: the page never tells whether an address is on a list.
- Leaving is one newsletter at a time, by the reader (their preferences, or the signed link in
  every email's footer and List-Unsubscribe header: `unsubscribe_token`), the provider (an
  unsubscribe it handled) or a complaint; the row stays, saying when and why.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from foundation.outbox import email_queue
from subscriptions.entitlement import has_entitling_subscription

from .models import Audience, Newsletter, NewsletterSubscription

CONFIRM_SALT = "newsletters.confirm"
UNSUBSCRIBE_SALT = "newsletters.unsubscribe"
# One confirmation email per address and newsletter in this many seconds: asking again sooner
# sends nothing more (a form resubmitted, a bot).
CONFIRMATION_EVERY_SECONDS = 10 * 60

Status = NewsletterSubscription.Status


class SignUpRefused(Exception):
    """A sign-up that cannot be taken, with a message for the reader."""


@dataclass(frozen=True)
class SignUp:
    """What a sign-up did: `subscribed` at once (a logged-in reader), or a confirmation asked."""

    subscription: NewsletterSubscription
    subscribed: bool


def normalise_email(email: str) -> str:
    """Return `email` as addresses are kept here: trimmed and lower-cased."""
    return email.strip().lower()


def may_receive(*, newsletter: Newsletter, user, at=None) -> bool:
    """Return whether `user` (None: an address without an account) is in `newsletter`'s audience
    at `at`."""
    if newsletter.audience == Audience.EVERYONE:
        return True
    if user is None or not user.is_active:
        return False
    if newsletter.audience == Audience.REGISTERED or user.is_staff:
        return True
    return has_entitling_subscription(user_id=user.pk, at=at or timezone.now())


def newsletter_subscribe(*, newsletter: Newsletter, user, source: str) -> SignUp:
    """Sign the logged-in reader `user` up for `newsletter` at once, with their account's address.

    Raise SignUpRefused when the newsletter is not offered or not for them.
    """
    if not newsletter.is_active:
        raise SignUpRefused(f"{newsletter.name} is not taking sign-ups.")
    if not may_receive(newsletter=newsletter, user=user):
        raise SignUpRefused(f"{newsletter.name} is for subscribers.")
    email = normalise_email(user.email)
    now = timezone.now()
    with transaction.atomic():
        subscription = (
            NewsletterSubscription.objects.select_for_update()
            .filter(newsletter=newsletter, email__iexact=email)
            .first()
        )
        if subscription is None:
            subscription = NewsletterSubscription(newsletter=newsletter, email=email)
        elif subscription.status == Status.SUBSCRIBED:
            if subscription.user_id is None:
                subscription.user = user
                subscription.save(update_fields=["user"])
            return SignUp(subscription, subscribed=True)
        subscription.user = user
        subscription.status = Status.SUBSCRIBED
        subscription.source = source
        subscription.confirmed_at = now
        subscription.left_at = None
        subscription.left_because = ""
        subscription.save()
    return SignUp(subscription, subscribed=True)


def newsletter_ask_confirmation(*, newsletter: Newsletter, email: str, source: str) -> SignUp:
    """Sign `email`, an address typed by someone who is not logged in, up for `newsletter`: queue
    the email that asks its owner to confirm (once per `CONFIRMATION_EVERY_SECONDS`), unless the
    address is subscribed already. Raise SignUpRefused when the newsletter is not for addresses.
    """
    if not newsletter.is_active:
        raise SignUpRefused(f"{newsletter.name} is not taking sign-ups.")
    if newsletter.audience != Audience.EVERYONE:
        who = (
            "subscribers"
            if newsletter.audience == Audience.SUBSCRIBERS
            else "readers with accounts"
        )
        raise SignUpRefused(f"{newsletter.name} is for {who}: log in to sign up.")
    email = normalise_email(email)
    now = timezone.now()
    with transaction.atomic():
        subscription, _created = NewsletterSubscription.objects.select_for_update().get_or_create(
            newsletter=newsletter,
            email__iexact=email,
            defaults={"email": email, "source": source},
        )
        if subscription.status == Status.SUBSCRIBED:
            return SignUp(subscription, subscribed=False)  # nothing sent, nothing said
        if subscription.status == Status.LEFT:
            subscription.status = Status.PENDING
            subscription.source = source
            subscription.save(update_fields=["status", "source"])
        window = int(now.timestamp() // CONFIRMATION_EVERY_SECONDS)
        url = settings.NEWSROOM_SITE_URL.rstrip("/") + reverse(
            "newsletter_confirm", kwargs={"token": confirm_token(subscription)}
        )
        context = {
            "newsletter": newsletter,
            "confirm_url": url,
            "days": settings.NEWSROOM_NEWSLETTER_CONFIRM_DAYS,
            "publication_name": settings.NEWSROOM_PUBLICATION_NAME,
        }
        email_queue(
            to=email,
            subject=f"Confirm your sign-up for {newsletter.name}",
            text=render_to_string("newsletters/email/confirm.txt", context),
            event_key=f"newsletter:{newsletter.pk}:confirm:{subscription.pk}:{window}",
        )
    return SignUp(subscription, subscribed=False)


def confirm_token(subscription: NewsletterSubscription) -> str:
    """Return the signed token of the link that confirms `subscription` (it expires)."""
    return signing.dumps([subscription.pk, subscription.email], salt=CONFIRM_SALT)


def subscription_to_confirm(*, token: str) -> NewsletterSubscription | None:
    """Return the sign-up a confirmation token is for, or None if it is forged, expired or for
    an address that has since changed."""
    try:
        pk, email = signing.loads(
            token,
            salt=CONFIRM_SALT,
            max_age=settings.NEWSROOM_NEWSLETTER_CONFIRM_DAYS * 24 * 60 * 60,
        )
    except (signing.BadSignature, ValueError, TypeError):
        return None
    subscription = NewsletterSubscription.objects.select_related("newsletter").filter(pk=pk).first()
    if subscription is None or subscription.email != email:
        return None
    return subscription


def newsletter_confirm(*, subscription: NewsletterSubscription) -> NewsletterSubscription:
    """Confirm a sign-up by address (the reader pressed "Confirm"); confirming twice is once."""
    with transaction.atomic():
        subscription = NewsletterSubscription.objects.select_for_update().get(pk=subscription.pk)
        if subscription.status != Status.SUBSCRIBED:
            subscription.status = Status.SUBSCRIBED
            subscription.confirmed_at = timezone.now()
            subscription.left_at = None
            subscription.left_because = ""
            subscription.save()
    return subscription


def unsubscribe_token(subscription_id: int) -> str:
    """Return the signed, per-recipient token of the links that leave one newsletter: it never
    expires (a reader may unsubscribe from an email of last year), and it is the same each time
    (no timestamp): a message handed over again must be the same message, byte for byte, or
    the provider refuses its idempotency key."""
    return signing.Signer(salt=UNSUBSCRIBE_SALT).sign_object(subscription_id)


def subscription_to_leave(*, token: str) -> NewsletterSubscription | None:
    """Return the subscription an unsubscribe token is for, or None if it is forged or gone."""
    try:
        pk = signing.Signer(salt=UNSUBSCRIBE_SALT).unsign_object(token)
    except (signing.BadSignature, ValueError, TypeError):
        return None
    if not isinstance(pk, int):
        return None
    return NewsletterSubscription.objects.select_related("newsletter").filter(pk=pk).first()


def newsletter_unsubscribe(*, subscription_id: int, because: str) -> bool:
    """Take the subscription off its newsletter (that one only); return whether it was on it.

    One query, no lock held beyond it: a one-click unsubscribe answers at once.
    """
    return bool(
        NewsletterSubscription.objects.filter(pk=subscription_id)
        .exclude(status=Status.LEFT)
        .update(status=Status.LEFT, left_at=timezone.now(), left_because=because)
    )


def newsletters_of(*, user) -> set[int]:
    """Return the ids of the newsletters `user`'s address is subscribed to."""
    return set(
        NewsletterSubscription.objects.filter(
            email__iexact=normalise_email(user.email), status=Status.SUBSCRIBED
        ).values_list("newsletter_id", flat=True)
    )


def reader_set_newsletters(*, user, newsletter_ids: set[int], source: str) -> None:
    """Make `user` subscribed to exactly the offered newsletters among `newsletter_ids` that they
    may receive, and to none of the other offered ones (their preferences form)."""
    subscribed = newsletters_of(user=user)
    for newsletter in Newsletter.objects.filter(is_active=True):
        if newsletter.pk in newsletter_ids and newsletter.pk not in subscribed:
            try:
                newsletter_subscribe(newsletter=newsletter, user=user, source=source)
            except SignUpRefused:
                continue
        elif newsletter.pk not in newsletter_ids and newsletter.pk in subscribed:
            for pk in NewsletterSubscription.objects.filter(
                newsletter=newsletter, email__iexact=normalise_email(user.email)
            ).values_list("pk", flat=True):
                newsletter_unsubscribe(
                    subscription_id=pk, because=NewsletterSubscription.LeftBecause.READER
                )
