"""Emails to readers: one template pair per message, queued in the outbox with their event.

Each message is `templates/subscriptions/email/<name>_subject.txt` and `<name>.txt`, rendered
with the publication's name and the given context, and queued with `foundation.outbox` in the
transaction of the change that caused it: a rolled-back change sends nothing, a committed one
is sent by the task engine even if the mail server refuses it for a while, and once per
`event_key`.
"""

from django.conf import settings
from django.template.loader import render_to_string

from foundation.models import OutboxMessage
from foundation.outbox import email_queue


def reader_email_queue(*, to: str, name: str, context: dict, event_key: str) -> OutboxMessage:
    """Queue the message `name` to `to`, once per `event_key`, with the current transaction."""
    context = {
        "publication_name": settings.NEWSROOM_PUBLICATION_NAME,
        "site_url": settings.NEWSROOM_SITE_URL.rstrip("/"),
        **context,
    }
    subject = render_to_string(f"subscriptions/email/{name}_subject.txt", context)
    text = render_to_string(f"subscriptions/email/{name}.txt", context)
    return email_queue(to=to, subject=subject, text=text, event_key=event_key)
