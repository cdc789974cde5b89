"""What newsletters do when something happens elsewhere: side effects only (STYLE.md), each
recorded or queued in a transaction of its own."""

import logging

from django.core.cache import cache
from django.db import transaction

from articles.events import ArticleChange
from articles.site.pages import site_changed
from subscriptions.funnel import newsletter_signed_up

from .context_processors import OFFER_KEY
from .delivery import inbound_unsubscribe, provider_event_record
from .models import Audience, Newsletter, NewsletterSubscription
from .sending import sends_waiting_for
from .subscribing import SignUpRefused, newsletter_subscribe

logger = logging.getLogger(__name__)


def newsletter_saved(sender, instance, **kwargs):
    """A newsletter changed: the offer on articles follows (it is on every article page)."""
    transaction.on_commit(lambda: cache.delete(OFFER_KEY))
    site_changed()


def reader_signed_up(sender, request, user, newsletter="", **kwargs):
    """A reader who signed up from the registration wall's "Sign up for …" gets that newsletter
    (with a password, or by the link or code of a sign-in email)."""
    slug = newsletter
    if not slug:
        return
    newsletter = Newsletter.objects.filter(
        slug=slug, is_active=True, audience__in=[Audience.EVERYONE, Audience.REGISTERED]
    ).first()
    if newsletter is None:
        return
    try:
        newsletter_subscribe(
            newsletter=newsletter, user=user, source=NewsletterSubscription.Source.WALL
        )
    except SignUpRefused:
        logger.info("Sign-up for newsletter %s after the wall was refused", slug)
    else:
        # Its article is the wall's: the insight credits the last wall the reader met.
        newsletter_signed_up(
            request=request, place=NewsletterSubscription.Source.WALL, article_id=None
        )


def provider_event_received(sender, event, esp_name, **kwargs):
    """The provider's webhook said something about a message: record it (a task applies it)."""
    provider_event_record(event=event, provider=esp_name)


def inbound_received(sender, event, esp_name, **kwargs):
    """A message came to the site's inbound address: a mailto: one-click unsubscribe."""
    message = event.message
    if message is not None:
        inbound_unsubscribe(subject=message.get("Subject", ""))


def article_went_out(sender, article_id, changes, **kwargs):
    """An article was published or scheduled: the sends waiting for it look again."""
    if ArticleChange.PUBLISHED in changes or ArticleChange.SCHEDULED in changes:
        sends_waiting_for(article_id=article_id)
