"""Newsletters, their readers and their sends, for the tests."""

from itertools import count

from django.utils import timezone

from newsletters.models import (
    Audience,
    DigestItem,
    Newsletter,
    NewsletterSend,
    NewsletterSubscription,
)

_sequence = count(1)


def make_newsletter(**fields):
    n = next(_sequence)
    fields.setdefault("name", f"The Briefing {n}")
    fields.setdefault("slug", f"briefing-{n}")
    fields.setdefault("description", "The day's news before breakfast.")
    fields.setdefault("audience", Audience.EVERYONE)
    return Newsletter.objects.create(**fields)


def subscribe(newsletter, *, email=None, user=None, **fields):
    """Return a confirmed subscription of `user` (their address) or of `email` to `newsletter`."""
    email = (user.email if user is not None else email).lower()
    return NewsletterSubscription.objects.create(
        newsletter=newsletter,
        email=email,
        user=user,
        status=NewsletterSubscription.Status.SUBSCRIBED,
        confirmed_at=timezone.now(),
        **fields,
    )


def make_send(newsletter, *, article=None, digest=(), **fields):
    """Return a draft send of `article`, or a digest of the articles in `digest`."""
    kind = NewsletterSend.Kind.DIGEST if digest else NewsletterSend.Kind.ARTICLE
    send = NewsletterSend.objects.create(
        newsletter=newsletter, kind=kind, article=article, **fields
    )
    for order, item in enumerate(digest):
        DigestItem.objects.create(send=send, article=item, order=order)
    return send
