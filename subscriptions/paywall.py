"""The paywall: the one place that decides whether a reader may read an article in full.

How an article view uses it (see `articles.site.views.article_detail`)::

    reader = build_reader(request)  # no query anonymous, at most 2 logged in
    decision = decide_article_access(article=article, reader=reader)  # pure, no query
    decision = meter_record_read(  # counts the read, if the meter granted one
        request=request, reader=reader, article=article, decision=decision
    )
    # render the whole body if decision.granted, else only the part before the cut

`meter_record_read` stages an anonymous reader's new meter cookie on the request;
`newsroom.middleware.ResponsePolicyMiddleware` writes it on the way out, for every view.

Templates show the decision and never recompute it:

- `decision.granted`: the whole body, or the blocks before the cut and the prompt.
- `decision.prompt`: `"subscribe_or_log_in"` (anonymous: subscribe button and a log-in link that
  returns here), `"subscribe"` (a registered reader: subscribe only) or `"none"`.
- `decision.shows_meter_note`: show the meter's note, the one `decision.meter_note` names
  (a `MeterNote`): "2 of 3 free articles left this month", "This is your last free article
  this month", or that an article read earlier this month is free to read again.
- `decision.reason`: why (an `AccessReason`), e.g. "staff" to add a note of what the public sees.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone

from foundation.kept import Fetched
from subscriptions.access import Access
from subscriptions.entitlement import reader_is_entitled, users_with_entitling_subscription
from subscriptions.meter import (
    anonymous_meter,
    kept_registered_reads,
    meter_lock,
    meter_period,
    meter_record_registered_read,
    meter_stage_anonymous_read,
    registered_reads,
    registered_reads_among,
)
from subscriptions.models import GiftLink

# Crawlers by User-Agent: search engines, social previews, archivers and AI crawlers. A browser
# claiming to be one only gets less (a preview), so a loose match is safe.
CRAWLER_USER_AGENT = re.compile(
    r"bot\b|crawl|spider|slurp|archiver|externalhit|externalagent|facebookcatalog|"
    r"mediapartners-google|apis-google|feedfetcher|google-inspectiontool|bingpreview|"
    r"embedly|quora link preview|outbrain|pinterest|vkshare|w3c_validator|whatsapp",
    re.IGNORECASE,
)
# Where browsers say that a request is a prefetch or a prerender, as WSGI names them.
PURPOSE_HEADERS = ("HTTP_SEC_PURPOSE", "HTTP_PURPOSE", "HTTP_X_PURPOSE", "HTTP_X_MOZ")


class AccessReason(StrEnum):
    """Why an article is, or is not, readable in full."""

    FREE = "free"
    STAFF = "staff"
    SUBSCRIBER = "subscriber"
    GIFT = "gift"
    ALREADY_READ = "already_read"  # read in full earlier this month: re-reading costs nothing
    METER_ALLOWANCE = "meter_allowance"  # a new read from this month's free allowance
    METER_EXHAUSTED = "meter_exhausted"
    SUBSCRIBERS_ONLY = "subscribers_only"
    UNCOUNTED_REQUEST = "uncounted_request"  # HEAD, prefetch or crawler: may not use the meter


class PaywallPrompt(StrEnum):
    """What a reader who gets the preview is invited to do."""

    NONE = "none"
    SUBSCRIBE_OR_LOG_IN = "subscribe_or_log_in"  # anonymous: subscribe, or log in / sign up
    SUBSCRIBE = "subscribe"  # registered: asked to subscribe, not to sign up


class MeterNote(StrEnum):
    """What the meter's note under the headline says about this read."""

    NONE = "none"
    READS_LEFT = "reads_left"  # "2 of 3 free articles left this month"
    LAST_FREE_READ = "last_free_read"  # this read spent the last of the allowance
    # Read earlier this month: it cost nothing now, whatever is left (perhaps nothing).
    READ_AGAIN = "read_again"


@dataclass(frozen=True)
class Reader:
    """Who is reading, as far as the paywall cares; built from a request by `build_reader`."""

    user_id: int | None = None
    is_staff: bool = False
    has_entitling_subscription: bool = False
    # The meter: metered articles read in full this period, and how many the period allows.
    read_article_ids: frozenset[int] = frozenset()
    reads_limit: int = 0
    period: date | None = None
    # False for HEAD requests, prefetches and crawlers: they never consume a read.
    may_consume_reads: bool = True
    gifted_article_ids: frozenset[int] = frozenset()
    # An anonymous reader's meter id (`subscriptions.meter.meter_visitor`), "" without one.
    visitor: str = ""

    @property
    def is_anonymous(self) -> bool:
        return self.user_id is None

    @property
    def reads_left(self) -> int:
        return max(0, self.reads_limit - len(self.read_article_ids))


@dataclass(frozen=True)
class AccessDecision:
    """Whether the full text is granted, why, and what the meter says."""

    granted: bool
    reason: AccessReason
    # The meter after this request (None when the meter does not apply).
    reads_left: int | None = None
    reads_limit: int | None = None
    # True when the grant spends a read: `meter_record_read` must record it.
    consumes_read: bool = False
    reader_is_registered: bool = False

    @property
    def prompt(self) -> PaywallPrompt:
        if self.granted:
            return PaywallPrompt.NONE
        if self.reader_is_registered:
            return PaywallPrompt.SUBSCRIBE
        return PaywallPrompt.SUBSCRIBE_OR_LOG_IN

    @property
    def shows_meter_note(self) -> bool:
        """Whether to show "2 of 3 free articles left this month"."""
        return self.granted and self.reads_left is not None

    @property
    def meter_note(self) -> MeterNote:
        """Which note to show: a read again is never "your last free article"."""
        if not self.shows_meter_note:
            return MeterNote.NONE
        if self.reason == AccessReason.ALREADY_READ:
            return MeterNote.READ_AGAIN
        if self.reads_left == 0:
            return MeterNote.LAST_FREE_READ
        return MeterNote.READS_LEFT

    @property
    def reads_used(self) -> int | None:
        if self.reads_limit is None or self.reads_left is None:
            return None
        return self.reads_limit - self.reads_left


def decide_article_access(*, article, reader: Reader) -> AccessDecision:
    """Return whether `reader` may read `article` in full, and why.

    Pure: reads only `article.pk` and `article.access` (an `Access` level),
    never the database. An unknown access level is treated as subscribers only.
    """
    registered = not reader.is_anonymous
    if article.access == Access.FREE:
        return AccessDecision(True, AccessReason.FREE, reader_is_registered=registered)
    if reader.is_staff:
        return AccessDecision(True, AccessReason.STAFF, reader_is_registered=registered)
    if reader.has_entitling_subscription:
        return AccessDecision(True, AccessReason.SUBSCRIBER, reader_is_registered=registered)
    if article.pk in reader.gifted_article_ids:
        return AccessDecision(True, AccessReason.GIFT, reader_is_registered=registered)
    if article.access != Access.METERED:
        return AccessDecision(False, AccessReason.SUBSCRIBERS_ONLY, reader_is_registered=registered)
    meter = {"reads_limit": reader.reads_limit, "reader_is_registered": registered}
    if article.pk in reader.read_article_ids:
        return AccessDecision(
            True, AccessReason.ALREADY_READ, reads_left=reader.reads_left, **meter
        )
    if not reader.may_consume_reads:
        # The meter is frozen: a read this request may not spend is not granted.
        return AccessDecision(
            False, AccessReason.UNCOUNTED_REQUEST, reader_is_registered=registered
        )
    if reader.reads_left > 0:
        return AccessDecision(
            True,
            AccessReason.METER_ALLOWANCE,
            reads_left=reader.reads_left - 1,
            consumes_read=True,
            **meter,
        )
    return AccessDecision(False, AccessReason.METER_EXHAUSTED, reads_left=0, **meter)


def request_may_consume_reads(request: HttpRequest) -> bool:
    """Return False for HEAD requests, prefetches and crawlers, which never consume a read."""
    return request.method == "GET" and request_is_a_readers(request)


def request_is_a_readers(request: HttpRequest) -> bool:
    """Return False for prefetches, prerenders and crawlers: what no reader asked to see."""
    meta = request.META  # not request.headers, which copies every header on every page
    purpose = " ".join(meta.get(name, "") for name in PURPOSE_HEADERS).lower()
    if "prefetch" in purpose or "preview" in purpose:
        return False
    return not CRAWLER_USER_AGENT.search(meta.get("HTTP_USER_AGENT", ""))


def build_reader(
    request: HttpRequest,
    *,
    at: datetime | None = None,
    gift: GiftLink | None = None,
    fetched: Fetched | None = None,
) -> Reader:
    """Return the `Reader` behind `request`: the one place a Reader is built.

    No query for an anonymous reader (the meter is in a signed cookie); for a logged-in one at
    most two (the entitling subscription, then this month's metered reads), the user itself
    being loaded by the authentication middleware. A request that may not consume reads (HEAD,
    prefetch, prerender, a crawler's User-Agent) is still this reader, whoever sends it: a
    subscriber's prefetch gets the full text; the meter is only frozen, so it never gets more
    than the same reader would.

    `fetched`: what the page fetched from the cache in its one round trip
    (`subscriptions.readers.fetch_page_and_reader`), for the reader's kept entitlement and reads.

    `gift` is the `GiftLink` a request came through (`subscriptions.gifts.gift_lookup`, the one
    query a gift costs): while it is valid, its article is gifted to this reader. A request
    through a gift link never consumes a read, valid or not: the recipient's meter is untouched,
    and an expired or withdrawn gift shows the preview (or what the reader's meter already
    granted this month).
    """
    period = meter_period(at=at)  # before `at` defaults: now's month is kept (foundation.clock)
    at = at or timezone.now()
    may_consume_reads = gift is None and request_may_consume_reads(request)
    gifted = (
        frozenset({gift.article_id}) if gift is not None and gift.is_valid(at=at) else frozenset()
    )
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        read_article_ids, visitor = anonymous_meter(request=request, period=period)
        return Reader(
            read_article_ids=read_article_ids,
            visitor=visitor,
            reads_limit=settings.NEWSROOM_METER_ANONYMOUS,
            period=period,
            may_consume_reads=may_consume_reads,
            gifted_article_ids=gifted,
        )
    return build_reader_for_user(
        user=user,
        at=at,
        may_consume_reads=may_consume_reads,
        gifted_article_ids=gifted,
        fetched=fetched,
    )


def build_reader_for_user(
    *,
    user,
    at: datetime | None = None,
    may_consume_reads: bool = False,
    gifted_article_ids: frozenset[int] = frozenset(),
    fetched: Fetched | None = None,
) -> Reader:
    """Return the `Reader` that the registered reader `user` is at `at`, with no request: the
    rules `build_reader` follows for a logged-in reader (it calls this), for channels that
    serve a reader without a session, such as their private feed.

    At most two queries (the entitling subscription, then this month's metered reads), none
    when they are kept (`fetched`, or the cache). Such a channel never spends a read, so by
    default the meter is frozen: the reader gets what they would get without spending anything.
    """
    period = meter_period(at=at)
    at = at or timezone.now()
    registered = {
        "user_id": user.pk,
        "reads_limit": settings.NEWSROOM_METER_REGISTERED,
        "period": period,
        "may_consume_reads": may_consume_reads,
        "gifted_article_ids": gifted_article_ids,
    }
    if user.is_staff:
        return Reader(is_staff=True, **registered)
    if reader_is_entitled(user_id=user.pk, at=at, fetched=fetched):
        return Reader(has_entitling_subscription=True, **registered)
    reads = kept_registered_reads(user_id=user.pk, period=period, fetched=fetched)
    return Reader(read_article_ids=reads, **registered)


def build_reader_for_address(*, at: datetime | None = None) -> Reader:
    """Return the `Reader` behind an email address that has no account (a newsletter's
    recipient), with no request: anonymous, with no meter (no cookie comes with an address)
    and none to spend, so it gets free articles in full and previews of the rest."""
    return Reader(
        reads_limit=settings.NEWSROOM_METER_ANONYMOUS,
        period=meter_period(at=at),
        may_consume_reads=False,
    )


def build_readers_for_users(*, users, article_ids, at: datetime | None = None) -> dict[int, Reader]:
    """Return {user id: `Reader`} for each of `users` at `at`, by `build_reader_for_user`'s rules
    and in two queries for them all (the entitling subscriptions, and the reads among
    `article_ids` this month): for channels that serve many readers at once without a request,
    such as a newsletter's recipients. The meter is frozen, as it is for every such channel.

    Each reader's `read_article_ids` holds only their reads among `article_ids`: all that a
    decision about those articles looks at (their `reads_left` says nothing, and no email shows
    it). `users` need `pk` and `is_staff`.
    """
    at = at or timezone.now()
    period = meter_period(at=at)
    users = list(users)
    ids = [user.pk for user in users]
    entitled = users_with_entitling_subscription(user_ids=ids, at=at)
    reads = (
        registered_reads_among(user_ids=ids, period=period, article_ids=article_ids)
        if article_ids
        else {}
    )
    readers = {}
    for user in users:
        registered = {
            "user_id": user.pk,
            "reads_limit": settings.NEWSROOM_METER_REGISTERED,
            "period": period,
            "may_consume_reads": False,
        }
        if user.is_staff:
            readers[user.pk] = Reader(is_staff=True, **registered)
        elif user.pk in entitled:
            readers[user.pk] = Reader(has_entitling_subscription=True, **registered)
        else:
            readers[user.pk] = Reader(
                read_article_ids=frozenset(reads.get(user.pk, ())), **registered
            )
    return readers


class ReaderPersona(StrEnum):
    """A kind of reader whom staff may preview an article as (`persona_reader`)."""

    SUBSCRIBER = "subscriber", "a subscriber"
    READS_LEFT = "reads-left", "an anonymous reader with free reads left"
    OUT_OF_READS = "out-of-reads", "an anonymous reader out of free reads"
    REGISTERED_OUT_OF_READS = "registered-out-of-reads", "a registered reader out of free reads"

    def __new__(cls, value, label):
        member = str.__new__(cls, value)
        member._value_ = value
        member.label = label
        return member


# A registered reader who is nobody in particular: previews never look anyone up.
SOMEONE = 0
# Articles that no reader can have read (ids are positive): what a used-up meter holds.
_READ_ELSEWHERE = -1


def persona_reader(*, persona: ReaderPersona, at: datetime | None = None) -> Reader:
    """Return a `Reader` such as `persona` describes, this month, for a preview.

    Its meter is the one the settings give such a reader: untouched (reads left) or used up on
    other articles. Nothing is looked up and nothing may be recorded for it: a preview never
    calls `meter_record_read`.
    """
    period = meter_period(at=at)
    anonymous = persona in (ReaderPersona.READS_LEFT, ReaderPersona.OUT_OF_READS)
    limit = settings.NEWSROOM_METER_ANONYMOUS if anonymous else settings.NEWSROOM_METER_REGISTERED
    used_up = persona in (ReaderPersona.OUT_OF_READS, ReaderPersona.REGISTERED_OUT_OF_READS)
    return Reader(
        user_id=None if anonymous else SOMEONE,
        has_entitling_subscription=persona == ReaderPersona.SUBSCRIBER,
        read_article_ids=frozenset(range(_READ_ELSEWHERE, _READ_ELSEWHERE - limit, -1))
        if used_up
        else frozenset(),
        reads_limit=limit,
        period=period,
    )


def meter_record_read(
    *, request: HttpRequest, reader: Reader, article, decision: AccessDecision
) -> AccessDecision:
    """Count the read `decision` grants on the meter allowance, and return the final decision.

    Any other decision is returned unchanged. For a registered reader the count is race-safe:
    concurrent requests are serialised on the reader's row, and under that lock the reader's
    reads are fetched again and `decide_article_access` asked again, so the meter's rule is
    written once. If the allowance was used up meanwhile, the returned decision is
    `meter_exhausted` (show the preview). For an anonymous reader the new cookie is staged on
    the request for `meter_apply_to_response`.
    """
    if not decision.consumes_read:
        return decision
    period = reader.period or meter_period()
    if reader.is_anonymous:
        meter_stage_anonymous_read(
            request=request,
            period=period,
            read_article_ids=reader.read_article_ids,
            article_id=article.pk,
            visitor=reader.visitor,
        )
        return decision
    with meter_lock(user_id=reader.user_id):
        current = dataclasses.replace(
            reader, read_article_ids=registered_reads(user_id=reader.user_id, period=period)
        )
        decision = decide_article_access(article=article, reader=current)
        if decision.consumes_read:
            meter_record_registered_read(
                user_id=reader.user_id, article_id=article.pk, period=period
            )
    return dataclasses.replace(decision, consumes_read=False)
