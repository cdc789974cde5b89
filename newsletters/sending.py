"""Sending a newsletter: start, freeze the recipients, hand them over in batches, exactly once.

1. **Start** (`send_start`, an editor): now, at `send_at`, or with the article's publication (a
   task queued for that time, `send_due`, or the article's announcement that it went live).
2. **Freeze** (`send_freeze`, a task): in one transaction, every subscribed address the
   newsletter's audience takes becomes a `SendRecipient` row, with its batch and its variant (each
   article's decision for that reader: `newsletters.rendering`), or marked suppressed; each
   variant is rendered once; the send becomes "sending" and one task per batch is queued. A
   worker that dies here leaves nothing: the task runs again from the start.
3. **Hand over** (`send_batch`, a task per batch, shared by the workers): the task claims its
   batch's prepared rows (and those of a task that no longer runs), withholds any address
   suppressed or unsubscribed since, then hands each message to the email backend at the
   provider's rate (`NEWSROOM_NEWSLETTER_RATE_PER_SECOND`, counted over all workers), marking
   each row "handed over" as soon as the backend took it. Each message has a `Message-ID` made
   from the send and the recipient, which is also its idempotency key where the provider takes
   one (`foundation.email_providers`).

Why exactly once: a row is handed over only by the task that claimed it. A worker killed
mid-batch leaves its claimed rows "being handed over"; its task is run again (same task id,
`foundation.engine`'s reaper) and hands over the rows it had claimed and not marked, with the
same idempotency keys: a message the provider took just before the worker died is recognised
and not delivered twice. A provider that refuses for a while (a 5xx, 429, no answer) has the
batch tried again later (`NEWSROOM_EMAIL_RETRY_SECONDS`, doubling, `NEWSROOM_EMAIL_ATTEMPTS`),
with the rows still claimed; one that refuses a message for good fails that row alone. When no
row is left prepared or being handed over, the send is sent:
`prepared = handed over + suppressed + failed` (+ cancelled, for a cancelled send).

Editors pause (the tasks stop between two messages and let their rows go), resume (one task
per batch with rows left) and cancel (rows not handed over are cancelled).
"""

from __future__ import annotations

import logging
import math
import smtplib
import time
import uuid
from types import SimpleNamespace

from anymail.exceptions import AnymailAPIError, AnymailRecipientsRefused
from anymail.message import AnymailMessage
from django.conf import settings
from django.core.cache import caches
from django.core.exceptions import PermissionDenied
from django.core.mail import get_connection
from django.db import connection, transaction
from django.db.models import Count, F, Q
from django.urls import reverse
from django.utils import timezone
from django_tasks import task
from django_tasks.base import TaskResultStatus
from django_tasks_db import DatabaseBackend
from django_tasks_db.models import DBTaskResult

from articles.models import Article
from foundation import rates
from foundation.engine import retry_delay, task_enqueue
from foundation.outbox import email_queue, message_id_for
from subscriptions.paywall import build_reader_for_address, build_readers_for_users

from .models import (
    Audience,
    NewsletterSend,
    NewsletterSubscription,
    SendRecipient,
    SendVariant,
    Suppression,
)
from .rendering import (
    RecipientKind,
    RenderedEmail,
    personalise,
    reader_of_kind,
    render_variant,
    send_content,
    site_base,
    variant_key,
)
from .subscribing import unsubscribe_token

logger = logging.getLogger(__name__)

SEND_PERMISSION = "newsletters.send_newslettersend"
# Below the outbox's emails (10): a password reset never waits behind a newsletter's batches.
PRIORITY = 5
# Subscriptions read and recipient rows written at a time while freezing.
FREEZE_CHUNK = 2000
# A batch task looks at its send's status (paused, cancelled) every this many messages.
LOOK_EVERY = 25
Status = NewsletterSend.Status
Recipient = SendRecipient.Status


class SendRefused(Exception):
    """A send that cannot start (or change) as asked, with a message for the editor."""


def _may_send(by) -> None:
    if not by.has_perm(SEND_PERMISSION):
        raise PermissionDenied("You may not send newsletters.")


def send_problems(send: NewsletterSend) -> list[str]:
    """Return what keeps `send` from being sent, for the editor."""
    problems = []
    if send.kind == NewsletterSend.Kind.ARTICLE:
        if send.article_id is None:
            problems.append("Choose the article to send.")
        elif not send.with_publication and not send.article.is_live:
            problems.append(
                "The article is not live: publish it first, or tick “with its publication”."
            )
    elif not send.items.exists():
        problems.append("Add the digest's articles.")
    elif send.items.exclude(article__in=Article.objects.published()).exists():
        problems.append("Every article in a digest must be live.")
    return problems


# Starting ----------------------------------------------------------------------------------


def send_start(*, send: NewsletterSend, by) -> NewsletterSend:
    """Send `send` now, at its `send_at`, or with its article's publication. Raise SendRefused
    with the reason when it cannot start, PermissionDenied for who may not send."""
    _may_send(by)
    with transaction.atomic():
        send = (
            NewsletterSend.objects.select_for_update(of=("self",))
            .select_related("article")
            .get(pk=send.pk)
        )
        if send.status not in {Status.DRAFT, Status.SCHEDULED, Status.WAITING}:
            raise SendRefused(f"This send is already {send.get_status_display().lower()}.")
        problems = send_problems(send)
        if problems:
            raise SendRefused(" ".join(problems))
        send.started_by = by
        send.save(update_fields=["started_by"])
        _start_when_due(send)
    return send


def _start_when_due(send: NewsletterSend) -> None:
    """Begin `send` (locked) if its time has come; otherwise say what it waits for and queue the
    task that looks again then."""
    now = timezone.now()
    if send.with_publication and send.article_id and not send.article.is_live:
        send.status = Status.WAITING
        send.save(update_fields=["status"])
        if send.article.is_scheduled:  # else its publication's announcement starts it
            task_enqueue(send_due, send.pk, run_after=max(send.article.published_at, now))
        return
    if send.send_at and send.send_at > now:
        send.status = Status.SCHEDULED
        send.save(update_fields=["status"])
        task_enqueue(send_due, send.pk, run_after=send.send_at)
        return
    send.status = Status.FREEZING
    send.save(update_fields=["status"])
    task_enqueue(send_freeze, send.pk)


@task(priority=PRIORITY)
def send_due(send_id: int) -> str:
    """Begin a scheduled send, or one waiting for its article, if its time has come."""
    with transaction.atomic():
        send = (
            NewsletterSend.objects.select_for_update(of=("self",))
            .select_related("article")
            .filter(pk=send_id, status__in=[Status.SCHEDULED, Status.WAITING])
            .first()
        )
        if send is None:
            return "Not waiting (started, cancelled or gone)."
        if send.send_at and send.send_at > timezone.now() + timezone.timedelta(seconds=1):
            return "Not yet."  # rescheduled: the task queued for its new time begins it
        _start_when_due(send)
        return f"Now {send.get_status_display().lower()}."


def sends_waiting_for(*, article_id: int) -> None:
    """The article went live (or was scheduled): look again at the sends waiting for it."""
    with transaction.atomic():
        for pk in NewsletterSend.objects.filter(
            article_id=article_id, status=Status.WAITING
        ).values_list("pk", flat=True):
            task_enqueue(send_due, pk)


# Freezing ----------------------------------------------------------------------------------


@task(priority=PRIORITY)
def send_freeze(send_id: int) -> str:
    """Freeze the recipients of `send_id` and queue its batches (one transaction: all or none)."""
    started = time.monotonic()
    with transaction.atomic():
        send = (
            NewsletterSend.objects.select_for_update(of=("self",))
            .select_related("newsletter")
            .filter(pk=send_id)
            .first()
        )
        if send is None or send.status != Status.FREEZING:
            return "Not freezing."
        now = timezone.now()
        articles = send_content(send)
        count, variants = _freeze_recipients(send, articles, at=now)
        for variant in variants.values():
            rendered = render_variant(send=send, articles=articles, key=variant.key)
            variant.subject, variant.preheader = rendered.subject, rendered.preheader
            variant.html, variant.text = rendered.html, rendered.text
            variant.save(update_fields=["subject", "preheader", "html", "text", "recipients"])
        send.batches = math.ceil(count / settings.NEWSROOM_NEWSLETTER_BATCH_SIZE)
        send.frozen_at = now
        send.freeze_seconds = round(time.monotonic() - started, 3)
        send.status = Status.SENDING if send.batches else Status.SENT
        send.finished_at = None if send.batches else now
        send.save(update_fields=["batches", "frozen_at", "freeze_seconds", "status", "finished_at"])
        for batch in range(send.batches):
            task_enqueue(send_batch, send.pk, batch)
    logger.info(
        "Newsletter send %s frozen: %d recipients, %d variants, %d batches in %.1f s",
        send_id,
        count,
        len(variants),
        send.batches,
        send.freeze_seconds,
    )
    return f"Frozen: {count} recipients in {send.batches} batches."


def _freeze_recipients(send, articles, *, at) -> tuple[int, dict]:
    """Write a row for each subscribed address in the audience; return how many and the
    variants ({key: SendVariant}, saved, not yet rendered)."""
    article_ids = [article.pk for article in articles]
    address_reader = build_reader_for_address(at=at)
    audience = send.newsletter.audience
    batch_size = settings.NEWSROOM_NEWSLETTER_BATCH_SIZE
    variants: dict[str, SendVariant] = {}
    subscribed = NewsletterSubscription.objects.filter(
        newsletter=send.newsletter, status=NewsletterSubscription.Status.SUBSCRIBED
    ).order_by("pk")
    fields = ["pk", "email", "user_id", "user__is_staff", "user__is_active", "user__name"]
    count, after = 0, 0
    while True:
        chunk = list(subscribed.filter(pk__gt=after).values(*fields)[:FREEZE_CHUNK])
        if not chunk:
            break
        after = chunk[-1]["pk"]
        users = [
            SimpleNamespace(pk=row["user_id"], is_staff=row["user__is_staff"])
            for row in chunk
            if row["user_id"] is not None
        ]
        readers = build_readers_for_users(users=users, article_ids=article_ids, at=at)
        emails = [row["email"].lower() for row in chunk]
        suppressed = set(
            Suppression.objects.filter(email__in=emails).values_list("email", flat=True)
        )
        rows = []
        for row in chunk:
            reader = readers.get(row["user_id"], address_reader)
            if row["user_id"] is not None and not row["user__is_active"]:
                continue  # a closed account
            if audience != Audience.EVERYONE and row["user_id"] is None:
                continue
            if audience == Audience.SUBSCRIBERS and not (
                reader.has_entitling_subscription or reader.is_staff
            ):
                continue  # not (or no longer) entitled: a subscribers' newsletter is not theirs
            key = variant_key(articles=articles, reader=reader)
            variant = variants.get(key)
            if variant is None:
                variant = variants[key] = SendVariant.objects.create(send=send, key=key)
            variant.recipients += 1
            email = row["email"].lower()
            rows.append(
                SendRecipient(
                    send=send,
                    subscription_id=row["pk"],
                    email=email,
                    name=row["user__name"] or "",
                    has_account=row["user_id"] is not None,
                    variant=variant,
                    batch=count // batch_size,
                    status=Recipient.SUPPRESSED if email in suppressed else Recipient.PREPARED,
                    error="Suppressed before the send began." if email in suppressed else "",
                )
            )
            count += 1
        SendRecipient.objects.bulk_create(rows, batch_size=1000)
    return count, variants


# Handing over ------------------------------------------------------------------------------


@task(priority=PRIORITY, takes_context=True)
def send_batch(context, send_id: int, batch: int, attempt: int = 1) -> str:
    """Hand batch `batch` of send `send_id` to the email provider, each message once."""
    me = str(context.task_result.id)
    send = NewsletterSend.objects.select_related("newsletter").filter(pk=send_id).first()
    if send is None or send.status != Status.SENDING:
        return "Not sending."
    claimed = _claim(send, batch, me)
    if not claimed:
        _finish_if_done(send)
        return "Nothing left in this batch."
    variants = {
        variant.pk: variant
        for variant in SendVariant.objects.filter(pk__in={row.variant_id for row in claimed})
    }
    handed = 0
    backend = get_connection()
    try:
        backend.open()
        for index, recipient in enumerate(claimed):
            if index and index % LOOK_EVERY == 0:
                status = NewsletterSend.objects.values_list("status", flat=True).get(pk=send.pk)
                if status != Status.SENDING:
                    _let_go(claimed[index:], me, cancelled=status == Status.CANCELLED)
                    return f"Stopped ({status}) after {handed} messages."
            message = recipient_message(send, variants[recipient.variant_id], recipient)
            provider_pace()  # after the message is made: its turn is when it goes
            try:
                backend.send_messages([message])
            except Exception as error:
                if _taken_before(error):
                    _handed_over(recipient, "", note="The provider had taken it before.")
                    handed += 1
                elif _refused_for_good(error):
                    _failed(recipient, error)
                    continue
                else:
                    return _try_again_later(send, batch, attempt, claimed[index:], me, error)
                continue
            # Taken: say so before anything else, so that a worker dying now sends it once.
            _handed_over(recipient, message.anymail_status.message_id or "")
            handed += 1
    finally:
        try:
            backend.close()
        except Exception:
            logger.warning("Closing the email connection failed", exc_info=True)
    _finish_if_done(send)
    return f"Handed over {handed} of {len(claimed)}."


def _task_in_hand(task_id: str) -> bool:
    """Return whether the task `task_id` is queued or running (on the database backend)."""
    if not task_id or not isinstance(send_batch.get_backend(), DatabaseBackend):
        return False
    return DBTaskResult.objects.filter(
        pk=task_id, status__in=[TaskResultStatus.READY, TaskResultStatus.RUNNING]
    ).exists()


def _claim(send, batch, me) -> list[SendRecipient]:
    """Claim the batch's rows left to hand over for task `me`, and return them in order, less
    those withheld (an address suppressed or unsubscribed since the send began)."""
    rows = SendRecipient.objects.filter(send=send, batch=batch)
    with transaction.atomic():
        others = set(
            rows.filter(status=Recipient.SENDING)
            .exclude(task_id=me)
            .values_list("task_id", flat=True)
            .distinct()
        )
        gone = [task_id for task_id in others if not _task_in_hand(task_id)]
        rows.filter(
            Q(status=Recipient.PREPARED) | Q(status=Recipient.SENDING, task_id__in=gone)
        ).update(status=Recipient.SENDING, task_id=me, attempts=F("attempts") + 1)
    claimed = list(
        rows.filter(status=Recipient.SENDING, task_id=me).order_by("pk").select_related(None)
    )
    suppressed = set(
        Suppression.objects.filter(email__in=[row.email for row in claimed]).values_list(
            "email", flat=True
        )
    )
    left = set(
        NewsletterSubscription.objects.filter(pk__in=[row.subscription_id for row in claimed])
        .exclude(status=NewsletterSubscription.Status.SUBSCRIBED)
        .values_list("pk", flat=True)
    )
    withheld = [
        row.pk
        for row in claimed
        if row.email in suppressed or row.subscription_id in left or row.subscription_id is None
    ]
    if withheld:
        SendRecipient.objects.filter(pk__in=withheld, status=Recipient.SENDING).update(
            status=Recipient.SUPPRESSED,
            error="Suppressed or unsubscribed after the send began.",
        )
    return [row for row in claimed if row.pk not in set(withheld)]


def _let_go(rows, me, *, cancelled: bool) -> None:
    """Give back the rows this task claimed and did not hand over (paused), or cancel them."""
    SendRecipient.objects.filter(
        pk__in=[row.pk for row in rows], status=Recipient.SENDING, task_id=me
    ).update(
        status=Recipient.CANCELLED if cancelled else Recipient.PREPARED,
        task_id="",
    )


def _handed_over(recipient, provider_message_id: str, *, note: str = "") -> None:
    """Mark `recipient` handed over, at once.

    On PostgreSQL without waiting for the write-ahead log to reach the disk (synchronous_commit
    off, for this transaction only): a worker killed the next moment loses nothing, since the
    server has the row; only a crash of the database server itself in the next fraction of a
    second could, and the provider's idempotency key covers the message sent again then. A
    flush per message would cost more than the hand-over itself.
    """
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit TO OFF")
        SendRecipient.objects.filter(pk=recipient.pk).update(
            status=Recipient.HANDED_OVER,
            handed_over_at=timezone.now(),
            provider_message_id=provider_message_id[:255],
            error=note,
        )


def _taken_before(error) -> bool:
    """Return whether the provider refused the message because it has it already, under the
    same idempotency key (Resend's 409 `invalid_idempotent_request`)."""
    response = getattr(error, "response", None)
    return (
        isinstance(error, AnymailAPIError)
        and getattr(error, "status_code", None) == 409
        and response is not None
        and "invalid_idempotent_request" in response.text
    )


def _failed(recipient, error) -> None:
    SendRecipient.objects.filter(pk=recipient.pk).update(
        status=Recipient.FAILED, error=_reason(error)[:500]
    )
    logger.warning("Newsletter recipient %s refused for good: %s", recipient.pk, _reason(error))


def _reason(error) -> str:
    return f"{error.__class__.__name__}: {error}"[:2000]


def _refused_for_good(error) -> bool:
    """Return whether the provider refused this one message for good (the address, the message):
    anything else (no answer, a 5xx, too many requests, its own settings) is tried again."""
    if isinstance(error, AnymailRecipientsRefused):
        return True
    if isinstance(error, AnymailAPIError):
        status = getattr(error, "status_code", None)
        return (
            status is not None and 400 <= status < 500 and status not in {401, 403, 408, 409, 429}
        )
    if isinstance(error, smtplib.SMTPAuthenticationError):
        return False
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return all(500 <= code < 600 for code, _text in error.recipients.values())
    if isinstance(error, smtplib.SMTPResponseException):
        return 500 <= error.smtp_code < 600
    return False


def _retry_after(error) -> float | None:
    response = getattr(error, "response", None)
    value = response.headers.get("Retry-After") if response is not None else None
    try:
        return float(value) if value else None
    except ValueError:
        return None


def _try_again_later(send, batch, attempt, unsent, me, error) -> str:
    """The provider did not take a message (and may take it later): queue the batch again after
    a wait, the rows still claimed (the next task takes them over); fail them after the last
    attempt."""
    reason = _reason(error)
    if attempt >= settings.NEWSROOM_EMAIL_ATTEMPTS:
        SendRecipient.objects.filter(
            pk__in=[row.pk for row in unsent], status=Recipient.SENDING, task_id=me
        ).update(status=Recipient.FAILED, error=reason[:500])
        NewsletterSend.objects.filter(pk=send.pk).update(last_error=reason)
        _finish_if_done(send)
        logger.error("Newsletter send %s batch %s failed for good: %s", send.pk, batch, reason)
        return f"Failed: {reason}"
    wait = retry_delay(attempt=attempt, first=settings.NEWSROOM_EMAIL_RETRY_SECONDS)
    asked = _retry_after(error)
    if asked:
        wait = max(wait, timezone.timedelta(seconds=min(asked, 3600)))
    with transaction.atomic():
        NewsletterSend.objects.filter(pk=send.pk).update(last_error=reason)
        task_enqueue(send_batch, send.pk, batch, attempt + 1, run_after=timezone.now() + wait)
    logger.warning(
        "Newsletter send %s batch %s not taken (%s): attempt %d, again in %s",
        send.pk,
        batch,
        reason,
        attempt,
        wait,
    )
    return f"Not taken; tried again in {wait}."


def _finish_if_done(send) -> None:
    """Mark the send sent once no row is left to hand over."""
    left = SendRecipient.objects.filter(
        send_id=send.pk, status__in=[Recipient.PREPARED, Recipient.SENDING]
    )
    if not left.exists():
        NewsletterSend.objects.filter(pk=send.pk, status=Status.SENDING).update(
            status=Status.SENT, finished_at=timezone.now()
        )


def provider_pace() -> None:
    """Wait for this worker's turn to hand the provider one message: the turns start
    1/`NEWSROOM_NEWSLETTER_RATE_PER_SECOND` seconds apart, and each is taken once over every
    worker, in the shared cache.

    The message goes at the start of the first turn still free, so that messages are spread
    evenly over each second. The provider counts them as they arrive: when each second began
    with a burst of its whole allowance, the last message of the second before, arriving a
    moment late, made one too many (a 429)."""
    rate = settings.NEWSROOM_NEWSLETTER_RATE_PER_SECOND
    if rate <= 0:
        return
    turn_seconds = 1 / rate
    store = caches["throttles"]
    now = time.time()
    turn = math.floor(now / turn_seconds) + 1  # the next turn to start
    while True:
        starts = turn * turn_seconds
        # Kept until its turn has passed: a later worker must find it taken.
        key = f"newsroom:rate:newsletter-provider:{turn}"
        if rates.count(key, math.ceil(starts - now) + 2, store) == 1:
            break
        turn += 1
    time.sleep(max(0.0, starts - time.time()))


def recipient_message(send, variant, recipient) -> AnymailMessage:
    """Return the email of `variant` for `recipient`: personalised, with its headers."""
    base = site_base()
    token = unsubscribe_token(recipient.subscription_id)
    unsubscribe_url = base + reverse("newsletter_unsubscribe", kwargs={"token": token})
    preferences_url = (
        base + reverse("account_newsletters") if recipient.has_account else (unsubscribe_url)
    )
    rendered = personalise(
        variant_as_rendered(variant),
        name=recipient.name,
        unsubscribe_url=unsubscribe_url,
        preferences_url=preferences_url,
    )
    return _message(
        send=send,
        rendered=rendered,
        to=recipient.email,
        unsubscribe_url=unsubscribe_url,
        token=token,
        message_id=message_id_for(f"newsletter:{send.pk}:{recipient.pk}"),
        metadata={
            "newsletter_send": str(send.pk),
            "newsletter_recipient": str(recipient.pk),
            "newsletter_subscription": str(recipient.subscription_id or ""),
        },
    )


def variant_as_rendered(variant: SendVariant) -> RenderedEmail:
    """Return a rendered variant as `personalise` takes it."""
    return RenderedEmail(
        subject=variant.subject, preheader=variant.preheader, html=variant.html, text=variant.text
    )


def unsubscribe_mailbox() -> str:
    """Return the address a mail client writes to for the mailto: one-click unsubscribe."""
    if settings.NEWSROOM_UNSUBSCRIBE_EMAIL:
        return settings.NEWSROOM_UNSUBSCRIBE_EMAIL
    domain = settings.DEFAULT_FROM_EMAIL.rpartition("@")[2].strip("> ") or "localhost"
    return f"unsubscribe@{domain}"


def _message(*, send, rendered, to, unsubscribe_url, token, message_id, metadata):
    domain = site_base().split("://", 1)[-1].split("/")[0].split(":")[0] or "localhost"
    headers = {
        "Message-ID": message_id,
        # RFC 2369 and RFC 8058: the mail client's own "Unsubscribe", in one click, by POST.
        "List-Unsubscribe": f"<{unsubscribe_url}>, "
        f"<mailto:{unsubscribe_mailbox()}?subject=unsubscribe%20{token}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        "List-Id": f"{send.newsletter.name} <{send.newsletter.slug}.{domain}>",
    }
    message = AnymailMessage(
        subject=rendered.subject,
        body=rendered.text,
        from_email=settings.NEWSROOM_NEWSLETTER_FROM_EMAIL or settings.DEFAULT_FROM_EMAIL,
        to=[to],
        headers=headers,
        metadata=metadata,
        tags=[f"newsletter-{send.newsletter.slug}"[:100]],
    )
    message.attach_alternative(rendered.html, "text/html")
    return message


# Editors' controls -------------------------------------------------------------------------


def send_pause(*, send: NewsletterSend, by) -> None:
    """Pause a send: its tasks stop between two messages and give their rows back."""
    _may_send(by)
    if not NewsletterSend.objects.filter(pk=send.pk, status=Status.SENDING).update(
        status=Status.PAUSED
    ):
        raise SendRefused("Only a send that is sending can be paused.")


def send_resume(*, send: NewsletterSend, by) -> None:
    """Resume a paused send: one task for each batch with rows left."""
    _may_send(by)
    with transaction.atomic():
        if not NewsletterSend.objects.filter(pk=send.pk, status=Status.PAUSED).update(
            status=Status.SENDING
        ):
            raise SendRefused("Only a paused send can be resumed.")
        batches = (
            SendRecipient.objects.filter(
                send_id=send.pk, status__in=[Recipient.PREPARED, Recipient.SENDING]
            )
            .values_list("batch", flat=True)
            .distinct()
            .order_by("batch")
        )
        for batch in batches:
            task_enqueue(send_batch, send.pk, batch)
        if not batches:
            _finish_if_done(send)


def send_cancel(*, send: NewsletterSend, by) -> None:
    """Cancel a send that has not finished: nothing more of it is handed over."""
    _may_send(by)
    with transaction.atomic():
        if not NewsletterSend.objects.filter(
            pk=send.pk,
            status__in=[
                Status.SCHEDULED,
                Status.WAITING,
                Status.FREEZING,
                Status.SENDING,
                Status.PAUSED,
            ],
        ).update(status=Status.CANCELLED, finished_at=timezone.now()):
            raise SendRefused("This send has finished: there is nothing to cancel.")
        SendRecipient.objects.filter(send_id=send.pk, status=Recipient.PREPARED).update(
            status=Recipient.CANCELLED
        )


def send_test(*, send: NewsletterSend, by, kind: RecipientKind) -> None:
    """Email `send` as a reader of `kind` gets it to `by` (an editor), through the outbox.
    Raise SendRefused when the send has nothing to show yet."""
    _may_send(by)
    articles = send_content(send)
    if not articles:
        raise SendRefused("Add the article (or the digest's articles) first.")
    key = variant_key(articles=articles, reader=reader_of_kind(kind))
    rendered = render_variant(send=send, articles=articles, key=key)
    preferences = site_base() + reverse("account_newsletters")
    rendered = personalise(
        rendered, name=by.get_short_name(), unsubscribe_url=preferences, preferences_url=preferences
    )
    email_queue(
        to=by.email,
        subject=f"[Test, as {kind.label}] {rendered.subject}",
        text=rendered.text,
        html=rendered.html,
        headers={
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "List-Unsubscribe": f"<{preferences}>",
        },
        event_key=f"newsletter-test:{send.pk}:{uuid.uuid4().hex}",
    )


def send_counts(send: NewsletterSend) -> dict[str, int]:
    """Return how many of the send's recipients are at each stage, as the admin shows them."""
    rows = SendRecipient.objects.filter(send_id=send.pk)
    by_status = dict(rows.order_by().values_list("status").annotate(n=Count("pk")))
    tracked = ["delivered", "bounced", "complained"]
    if settings.NEWSROOM_NEWSLETTER_TRACKING:
        tracked += ["opened", "clicked"]
    stages = rows.aggregate(
        **{name: Count("pk", filter=Q(**{f"{name}_at__isnull": False})) for name in tracked}
    )
    return {
        "prepared": sum(by_status.values()),
        "handed_over": by_status.get(Recipient.HANDED_OVER, 0),
        "being_handed_over": by_status.get(Recipient.SENDING, 0),
        "waiting": by_status.get(Recipient.PREPARED, 0),
        "suppressed": by_status.get(Recipient.SUPPRESSED, 0),
        "failed": by_status.get(Recipient.FAILED, 0),
        "cancelled": by_status.get(Recipient.CANCELLED, 0),
        **stages,
    }
