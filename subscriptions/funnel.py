"""The paywall's funnel as events: what a reader was shown (the article in full, the wall) and
what they did next (the prompt's buttons, a sign-up, a checkout, a subscription), for the
newsroom's insight (the `insight` app writes, counts and reports them).

Recorded through `foundation.events`: a page adds to its process's batch and never waits for a
write; a conversion is written with the row that makes it, so the report reconciles with the
subscriptions table. Staff, HEAD requests, prefetches and crawlers are never counted.

Pages that a shared cache may keep (a free article, the preview of a subscribers-only one) are
counted by the page itself, which tells the site it was seen (`articles.site.views.article_seen`):
the server cannot count the copies a CDN serves.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from foundation import events
from subscriptions.access import Access
from subscriptions.meter import meter_visitor
from subscriptions.paywall import AccessDecision, AccessReason, Reader, request_may_consume_reads


class Step(models.TextChoices):
    READ = "read", "Article read"  # the text in full, to a reader who is not staff
    WALL = "wall", "Wall shown"  # the preview and the prompt; `detail`: the AccessReason
    LAST_FREE_READ = "last_free_read", "Last free read"  # the meter's last free article
    PROMPT_CLICK = "prompt_click", "Prompt clicked"  # `detail`: the button (`PromptButton`)
    SIGNUP_STARTED = "signup_started", "Sign-up started"  # a sign-up button of the prompt
    SIGNUP = "signup", "Sign-up"
    SIGN_IN = "sign_in", "Sign-in"  # ties a reader's meter id to their account; no figure
    CHECKOUT = "checkout", "Checkout started"
    SUBSCRIPTION = "subscription", "Subscription started"  # `detail`: the subscription's source
    GIFT_OPENED = "gift_opened", "Gift opened"
    GIFT_SIGNUP = "gift_signup", "Gift sign-up"
    NEWSLETTER_SIGNUP = "newsletter_signup", "Newsletter sign-up"  # `detail`: where


class ReaderKind(models.TextChoices):
    ANONYMOUS = "anonymous", "Anonymous"
    REGISTERED = "registered", "Registered"
    SUBSCRIBER = "subscriber", "Subscriber"


class PromptButton(models.TextChoices):
    SUBSCRIBE = "subscribe", "Subscribe"
    LOG_IN = "log_in", "Log in"
    SIGN_UP = "sign_up", "Create a free account"
    NEWSLETTER = "newsletter", "Newsletter sign-up"


SIGNUP_BUTTONS = frozenset({PromptButton.SIGN_UP, PromptButton.NEWSLETTER})


def _meter_id(request, *, in_cookie: str | None = None) -> str:
    """Return the meter cookie's random id to count an anonymous reader by, unless the site
    keeps none (`NEWSROOM_INSIGHT_METER_IDS=false`: no reader is followed from page to page)."""
    if not settings.NEWSROOM_INSIGHT_METER_IDS:
        return ""
    return meter_visitor(request, in_cookie=in_cookie)


def reader_kind(reader: Reader) -> str:
    """Return the `ReaderKind` of `reader`."""
    if reader.is_anonymous:
        return ReaderKind.ANONYMOUS
    return ReaderKind.SUBSCRIBER if reader.has_entitling_subscription else ReaderKind.REGISTERED


def page_is_counted_by_the_page(*, article, decision: AccessDecision) -> bool:
    """Whether the article page shown with `decision`, asked for without cookies, may be kept
    by a shared cache, and so is counted by the page as it is seen rather than by the server as
    it is sent: a free article, and the preview of a subscribers-only one."""
    return article.access == Access.FREE or (not decision.granted and article.access.may_be_shared)


def article_shown(
    *,
    request,
    reader: Reader,
    article,
    section_id: int | None,
    decision: AccessDecision,
    came_from: dict | None = None,
) -> None:
    """Count the article page `decision` gave `reader`: a read, the meter's last free read, or
    the wall and why. `came_from`: where the page's reader came from (`referer`, `utm_medium`,
    `utm_source`) when the request is not the page's own (the page telling it was seen)."""
    if reader.is_staff or not reader.may_consume_reads:
        return
    facts = (came_from or {}) | {
        "article_id": article.pk,
        "section_id": section_id,
        "access": article.access,
        "reader_kind": reader_kind(reader),
        "user_id": reader.user_id,
        "visitor": _meter_id(request, in_cookie=reader.visitor) if reader.is_anonymous else "",
    }
    if not decision.granted:
        events.record(Step.WALL, request=request, detail=decision.reason, **facts)
        return
    events.record(Step.READ, request=request, **facts)
    if decision.reason == AccessReason.METER_ALLOWANCE and decision.reads_left == 0:
        events.record(Step.LAST_FREE_READ, request=request, **facts)


def _who(request) -> dict:
    """Return who is behind `request` for an event: the reader's kind, account and meter id."""
    user = request.user
    return {
        "reader_kind": ReaderKind.REGISTERED if user.is_authenticated else ReaderKind.ANONYMOUS,
        "user_id": user.pk if user.is_authenticated else None,
        "visitor": _meter_id(request),
    }


def prompt_clicked(*, request, article_id: int, button: str) -> None:
    """Count a click on one of the paywall prompt's buttons (a sign-up button also starts a
    sign-up)."""
    if not request_may_consume_reads(request):
        return  # a crawler following the link, or the browser prefetching it
    facts = {"article_id": article_id, **_who(request)}
    events.record(Step.PROMPT_CLICK, request=request, detail=button, **facts)
    if button in SIGNUP_BUTTONS:
        events.record(Step.SIGNUP_STARTED, request=request, **facts)


def signed_up(*, request, user) -> None:
    """Count a reader making an account (written with it: a conversion), with the meter id
    they carried, which ties their anonymous walls to the account."""
    events.record_now(
        Step.SIGNUP,
        request=request,
        reader_kind=ReaderKind.ANONYMOUS,
        user_id=user.pk,
        visitor=_meter_id(request),
    )


def signed_in(*, request, user) -> None:
    """Tie the meter id a reader carried when they signed in to their account (no figure)."""
    visitor = _meter_id(request)
    if visitor:
        events.record(Step.SIGN_IN, user_id=user.pk, visitor=visitor)


def checkout_started(*, request) -> None:
    """Count a reader starting to pay (written at once: a conversion)."""
    events.record_now(Step.CHECKOUT, request=request, **_who(request))


def subscription_started(*, subscription) -> None:
    """Count a subscription that a checkout started, in the transaction that made its row: the
    report's subscriptions are the table's."""
    events.record_now(
        Step.SUBSCRIPTION,
        user_id=subscription.user_id,
        subscription_id=subscription.pk,
        detail=subscription.source,
    )


def gift_opened(*, request, reader: Reader, gift) -> None:
    """Count a gift link opened while it is valid."""
    events.record(
        Step.GIFT_OPENED,
        request=request,
        article_id=gift.article_id,
        reader_kind=reader_kind(reader),
        user_id=reader.user_id,
        visitor=_meter_id(request, in_cookie=reader.visitor),
    )


def gift_signed_up(*, user, article_id: int) -> None:
    """Count an account made after opening a gift of the article `article_id`."""
    events.record_now(Step.GIFT_SIGNUP, user_id=user.pk, article_id=article_id)


def newsletter_signed_up(*, request, place: str, article_id: int | None) -> None:
    """Count a newsletter sign-up made on an article (`place`: its end, or the wall)."""
    events.record(
        Step.NEWSLETTER_SIGNUP,
        request=request,
        detail=place,
        article_id=article_id,
        **_who(request),
    )
