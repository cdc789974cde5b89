"""The outbox: every email to a reader, queued with its event and sent by the task engine.

    email_queue(to=..., subject=..., text=..., html=None, headers=None, event_key="...")

queues one message, in the transaction of the event that asks for it, once per `event_key` (a
second call with the same key returns the first message and queues nothing: name the event,
e.g. `gift:41:sent`, `subscription:7:welcome`). A row is written (`OutboxMessage`) and the
task `outbox_send` queued with it; the task hands the message to Django's email backend (the
console in development, `EMAIL_URL` in production, django-anymail's later: it is one standard
`EmailMultiAlternatives` with headers).

- **Refused, tried again**: a backend that refuses or does not answer (a 4xx, a dropped
  connection, a timeout) is tried again after `NEWSROOM_EMAIL_RETRY_SECONDS`, then twice as
  long each time up to an hour, for `NEWSROOM_EMAIL_ATTEMPTS` attempts; a message the server
  refuses outright (a 5xx other than authentication) fails at once. A failed message stays
  in the admin's outbox, where an editor can send it again.
- **Sent once per event**: the message is marked "being handed over" by the task that sends it
  before it goes, and "sent" as soon as the backend accepted it, before the connection is even
  closed. A worker killed before the backend accepted it leaves it "being handed over", and the
  same task, run again by another worker (`foundation.engine`), sends it then. The one window
  left is between the backend's acceptance and that mark (a few milliseconds): a worker killed
  there sends it again, with the same `Message-ID` (made from the event key), which providers
  and mail clients that deduplicate recognise.
- **Nothing kept that need not be**: once sent, the text and HTML are emptied (a password reset
  link is not kept at rest); the row stays, so that the event is never sent twice.
"""

from __future__ import annotations

import hashlib
import logging
import smtplib

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.utils import timezone
from django_tasks import task
from django_tasks.base import TaskResultStatus
from django_tasks_db import DatabaseBackend
from django_tasks_db.models import DBTaskResult

from foundation.engine import retry_delay, task_enqueue
from foundation.models import OutboxMessage

logger = logging.getLogger(__name__)

RETRY_PERMISSION = "foundation.retry_outboxmessage"
# Emails go before other work (renditions) when a worker has both waiting.
PRIORITY = 10


def email_queue(
    *,
    to: str,
    subject: str,
    text: str,
    html: str | None = None,
    headers: dict[str, str] | None = None,
    event_key: str,
) -> OutboxMessage:
    """Queue an email to `to` with the current transaction, once per `event_key`; return it.

    `text` is the plain-text body, `html` an optional HTML alternative, `headers` extra headers
    (List-Unsubscribe, …). Raise ValueError for an address or key that cannot be sent or kept.
    """
    to = to.strip()
    if not to or any(character in to for character in "\r\n,"):
        raise ValueError(f"Not one email address: {to!r}")
    if not event_key or len(event_key) > 200:
        raise ValueError("An event key is 1 to 200 characters.")
    with transaction.atomic():  # the row and its task, together or not at all
        message, created = OutboxMessage.objects.get_or_create(
            event_key=event_key,
            defaults={
                "to": to,
                "subject": " ".join(subject.split())[:300],  # a header: one line
                "text": text,
                "html": html or "",
                "headers": dict(headers or {}),
                "message_id": message_id_for(event_key),
            },
        )
        if created:
            task_enqueue(outbox_send, message.pk)
    return message


def message_id_for(event_key: str) -> str:
    """Return the Message-ID of the email for `event_key`: the same each time it is sent."""
    digest = hashlib.sha256(event_key.encode()).hexdigest()[:32]
    domain = settings.DEFAULT_FROM_EMAIL.rpartition("@")[2].strip("> ") or "localhost"
    return f"<{digest}@{domain}>"


@task(priority=PRIORITY, takes_context=True)
def outbox_send(context, message_id: int) -> str:
    """Hand outbox message `message_id` to the email backend, unless it is sent or failed."""
    message = _claim(message_id, task_id=str(context.task_result.id))
    if message is None:
        return "Nothing to send."
    email = EmailMultiAlternatives(
        subject=message.subject,
        body=message.text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[message.to],
        headers={**message.headers, "Message-ID": message.message_id},
    )
    if message.html:
        email.attach_alternative(message.html, "text/html")
    connection = get_connection()
    try:
        connection.open()
        connection.send_messages([email])
    except Exception as error:
        _close(connection)
        return _refused(message, error)
    # Accepted: say so before anything else (closing the connection is a round trip more).
    OutboxMessage.objects.filter(pk=message.pk).update(
        status=OutboxMessage.Status.SENT, sent_at=timezone.now(), text="", html="", last_error=""
    )
    _close(connection)
    logger.info("Sent outbox message %s (%s) to the email backend", message.pk, message.event_key)
    return "Sent."


def outbox_retry(*, message_ids, by) -> list[int]:
    """Queue the failed messages among `message_ids` to be sent again now; return their ids.

    Raise PermissionDenied unless `by` may retry outbox messages.
    """
    if not by.has_perm(RETRY_PERMISSION):
        raise PermissionDenied("You may not send failed emails again.")
    retried = []
    for pk in message_ids:
        with transaction.atomic():
            if OutboxMessage.objects.filter(pk=pk, status=OutboxMessage.Status.FAILED).update(
                status=OutboxMessage.Status.QUEUED, attempts=0, next_attempt_at=timezone.now()
            ):
                task_enqueue(outbox_send, pk)
                retried.append(pk)
    return retried


def _claim(message_id: int, *, task_id: str) -> OutboxMessage | None:
    """Mark the message as being handed over by this task, and return it; None if there is
    nothing for this task to do."""
    with transaction.atomic():
        message = OutboxMessage.objects.select_for_update().filter(pk=message_id).first()
        if message is None or message.status in {
            OutboxMessage.Status.SENT,
            OutboxMessage.Status.FAILED,
        }:
            return None
        if message.status == OutboxMessage.Status.QUEUED and message.next_attempt_at > (
            timezone.now()
        ):
            return None  # woken early (a duplicate); the task queued for its time sends it
        if (
            message.status == OutboxMessage.Status.SENDING
            and message.task_id != task_id
            and _task_in_hand(message.task_id)
        ):
            return None  # another task has it in hand, and is queued or running
        message.status = OutboxMessage.Status.SENDING
        message.attempts += 1
        message.last_attempt_at = timezone.now()
        message.task_id = task_id
        message.save(update_fields=["status", "attempts", "last_attempt_at", "task_id"])
    return message


def _task_in_hand(task_id: str) -> bool:
    """Return whether the task `task_id` is queued or running (on the database backend)."""
    if not task_id or not isinstance(outbox_send.get_backend(), DatabaseBackend):
        return False
    return DBTaskResult.objects.filter(
        pk=task_id, status__in=[TaskResultStatus.READY, TaskResultStatus.RUNNING]
    ).exists()


def _refused(message: OutboxMessage, error: Exception) -> str:
    """Record that the backend did not take the message; queue it again unless it is over."""
    reason = f"{error.__class__.__name__}: {error}"[:2000]
    over = _refused_outright(error) or message.attempts >= settings.NEWSROOM_EMAIL_ATTEMPTS
    with transaction.atomic():
        if over:
            OutboxMessage.objects.filter(pk=message.pk).update(
                status=OutboxMessage.Status.FAILED, last_error=reason
            )
        else:
            wait = retry_delay(
                attempt=message.attempts, first=settings.NEWSROOM_EMAIL_RETRY_SECONDS
            )
            again = timezone.now() + wait
            OutboxMessage.objects.filter(pk=message.pk).update(
                status=OutboxMessage.Status.QUEUED, next_attempt_at=again, last_error=reason
            )
            task_enqueue(outbox_send, message.pk, run_after=again)
    if over:
        logger.error("Outbox message %s failed for good: %s", message.pk, reason)
        return f"Failed: {reason}"
    logger.warning(
        "Outbox message %s was not taken (%s); attempt %d of %d, next in %s",
        message.pk,
        reason,
        message.attempts,
        settings.NEWSROOM_EMAIL_ATTEMPTS,
        wait,
    )
    return f"Not taken; tried again in {wait}."


def _refused_outright(error: Exception) -> bool:
    """Return whether the server refused this message for good (a 5xx other than log-in)."""
    if isinstance(error, smtplib.SMTPAuthenticationError):
        return False  # the site's settings, not the message: it goes once they are put right
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return all(500 <= code < 600 for code, _text in error.recipients.values())
    if isinstance(error, smtplib.SMTPResponseException):
        return 500 <= error.smtp_code < 600
    return False


def _close(connection) -> None:
    try:
        connection.close()
    except Exception:
        logger.warning("Closing the email connection failed", exc_info=True)
