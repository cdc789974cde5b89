"""What the email provider tells us after the hand-over, through django-anymail's webhooks.

anymail checks each webhook's signature (or basic auth) by the provider's own scheme before
anything here runs; a forged post is answered 400 and nothing is recorded. Each event is then
recorded once by its id (`provider_event_record`: providers deliver events late, twice and out
of order) and applied by a task on the engine within seconds (`provider_event_apply`):

- delivered: the recipient's row says when;
- bounced (a permanent failure, in anymail's words) and complained (marked as spam): the address
  is suppressed, and a complaint also leaves every newsletter; a suppressed address is never sent
  to again (sends withhold it, even one already under way);
- rejected by the provider for a bounce or spam of its own: suppressed too;
- unsubscribed at the provider (its own link or header): that newsletter is left;
- opened and clicked: recorded only where `NEWSROOM_NEWSLETTER_TRACKING` is on (Apple Mail opens
  every message it receives, so an "open" is a weak signal).

An event is matched to its recipient by the ids the site put in the message's metadata, else by
the provider's message id.
"""

from __future__ import annotations

import hashlib
import logging

from anymail.signals import EventType
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone
from django_tasks import task

from foundation.engine import task_enqueue

from .models import NewsletterSubscription, ProviderEvent, SendRecipient, Suppression
from .subscribing import newsletter_unsubscribe, normalise_email, subscription_to_leave

logger = logging.getLogger(__name__)
# Provider events go before newsletter batches: a complaint stops the next message.
PRIORITY = 8
SUPPRESSING_REJECTIONS = {"bounced", "spam", "blocked"}
LEFT = NewsletterSubscription.LeftBecause


def provider_event_record(*, event, provider: str) -> ProviderEvent | None:
    """Record anymail's tracking `event` once and queue the task that applies it; return the
    new row, or None for one recorded before."""
    event_id = event.event_id or _made_up_id(event, provider)
    metadata = {key: str(value)[:100] for key, value in (event.metadata or {}).items()}
    with transaction.atomic():
        row, created = ProviderEvent.objects.get_or_create(
            event_id=f"{provider}:{event_id}"[:200],
            defaults={
                "provider": provider[:40],
                "event_type": str(event.event_type)[:20],
                "email": normalise_email(event.recipient or "")[:254],
                "message_id": (event.message_id or "")[:255],
                "occurred_at": event.timestamp,
                "reject_reason": str(event.reject_reason or "")[:20],
                "description": (event.description or event.mta_response or "")[:500],
                "metadata": metadata,
            },
        )
        if created:
            task_enqueue(provider_event_apply, row.pk)
    return row if created else None


def _made_up_id(event, provider: str) -> str:
    """An id for an event the provider gave none: the same event posted twice gets the same."""
    parts = [provider, str(event.event_type), event.message_id or "", event.recipient or ""]
    parts.append(event.timestamp.isoformat() if event.timestamp else "")
    return hashlib.sha256("|".join(parts).encode()).hexdigest()


def _recipient_of(event: ProviderEvent) -> SendRecipient | None:
    pk = event.metadata.get("newsletter_recipient", "")
    if pk.isdigit():
        recipient = SendRecipient.objects.filter(pk=int(pk)).first()
        if recipient is not None and (not event.email or recipient.email == event.email):
            return recipient
    if event.message_id:
        return SendRecipient.objects.filter(provider_message_id=event.message_id).first()
    return None


def suppress(*, email: str, reason: str, detail: str = "", event=None) -> Suppression:
    """Put `email` on the suppression list (once: the first reason stays)."""
    email = normalise_email(email)
    try:
        with transaction.atomic():
            suppression, _created = Suppression.objects.get_or_create(
                email__iexact=email,
                defaults={"email": email, "reason": reason, "detail": detail[:500], "event": event},
            )
    except IntegrityError:  # recorded by another event at the same moment
        suppression = Suppression.objects.get(email__iexact=email)
    return suppression


def suppression_lift(*, suppression: Suppression, by) -> None:
    """Take an address off the suppression list (staff: the reader fixed their mailbox)."""
    if not by.has_perm("newsletters.delete_suppression"):
        raise PermissionDenied("You may not lift suppressions.")
    suppression.delete()


def _leave_all(email: str, *, because: str) -> None:
    for pk in NewsletterSubscription.objects.filter(email__iexact=email).values_list(
        "pk", flat=True
    ):
        newsletter_unsubscribe(subscription_id=pk, because=because)


@task(priority=PRIORITY)
def provider_event_apply(event_pk: int) -> str:
    """Apply a recorded provider event (once)."""
    with transaction.atomic():
        event = ProviderEvent.objects.select_for_update().filter(pk=event_pk).first()
        if event is None or event.applied_at is not None:
            return "Applied before."
        done = _apply(event)
        event.applied_at = timezone.now()
        event.save(update_fields=["applied_at"])
    return done


def _apply(event: ProviderEvent) -> str:
    recipient = _recipient_of(event)
    email = event.email or (recipient.email if recipient else "")
    at = event.occurred_at or timezone.now()
    mark = {}
    kind = event.event_type
    if kind == EventType.DELIVERED:
        mark["delivered_at"] = at
    elif kind == EventType.BOUNCED:
        mark["bounced_at"] = at
        if email:
            suppress(
                email=email,
                reason=Suppression.Reason.HARD_BOUNCE,
                detail=event.description,
                event=event,
            )
    elif kind == EventType.COMPLAINED:
        mark["complained_at"] = at
        if email:
            suppress(
                email=email,
                reason=Suppression.Reason.COMPLAINT,
                detail=event.description,
                event=event,
            )
            _leave_all(email, because=LEFT.COMPLAINT)
    elif kind == EventType.REJECTED:
        mark["error"] = f"Rejected by the provider: {event.reject_reason or event.description}"[
            :500
        ]
        if email and event.reject_reason in SUPPRESSING_REJECTIONS:
            suppress(
                email=email,
                reason=Suppression.Reason.REJECTED,
                detail=event.description,
                event=event,
            )
    elif kind == EventType.FAILED:
        mark["error"] = f"Failed at the provider: {event.description}"[:500]
    elif kind == EventType.UNSUBSCRIBED:
        if recipient is not None and recipient.subscription_id:
            newsletter_unsubscribe(subscription_id=recipient.subscription_id, because=LEFT.PROVIDER)
        elif email:
            _leave_all(email, because=LEFT.PROVIDER)
    elif kind in {EventType.OPENED, EventType.CLICKED} and settings.NEWSROOM_NEWSLETTER_TRACKING:
        mark["opened_at" if kind == EventType.OPENED else "clicked_at"] = at
    if recipient is not None and mark:
        # The first time counts: a second "delivered" changes nothing.
        for field, value in mark.items():
            rows = SendRecipient.objects.filter(pk=recipient.pk)
            if field.endswith("_at"):
                rows = rows.filter(**{f"{field}__isnull": True})
            rows.update(**{field: value})
    return f"{kind} for {email or '?'}{'' if recipient else ' (no newsletter recipient)'}"


def inbound_unsubscribe(*, subject: str) -> bool:
    """Apply a mailto: one-click unsubscribe (List-Unsubscribe), whose subject carries the
    signed token; return whether it named a subscription."""
    words = (subject or "").split()
    if len(words) < 2 or words[0].lower() != "unsubscribe":
        return False
    subscription = subscription_to_leave(token=words[1])
    if subscription is None:
        return False
    newsletter_unsubscribe(subscription_id=subscription.pk, because=LEFT.ONE_CLICK)
    return True
