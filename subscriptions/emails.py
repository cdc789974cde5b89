"""Emails to readers: one template pair per message, sent after the write that caused it.

Each message is `templates/subscriptions/email/<name>_subject.txt` and `<name>.txt`, rendered
with the publication's name and the given context, and sent through Django's email (the
console in development). Sending waits for the transaction to commit, so a rolled-back change
sends nothing.
"""

from functools import partial

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string


def reader_email_send(*, to: str, name: str, context: dict) -> None:
    """Send the message `name` to `to` once the current transaction commits."""
    context = {
        "publication_name": settings.NEWSROOM_PUBLICATION_NAME,
        "site_url": settings.NEWSROOM_SITE_URL.rstrip("/"),
        **context,
    }
    subject = " ".join(render_to_string(f"subscriptions/email/{name}_subject.txt", context).split())
    body = render_to_string(f"subscriptions/email/{name}.txt", context)
    transaction.on_commit(
        partial(send_mail, subject, body, settings.DEFAULT_FROM_EMAIL, [to]), robust=True
    )
