"""The meter: the metered articles a reader has read in full this month.

A month is a calendar month in the site's time zone (`settings.TIME_ZONE`). Anonymous readers
keep their reads in a signed, HttpOnly, SameSite=Lax cookie; registered readers in `MeteredRead`
rows, unique per reader, month and article. Re-reading an article costs nothing.

`meter_record_read` only stages the anonymous cookie on the request; `meter_apply_to_response`
(called by `newsroom.middleware.ResponsePolicyMiddleware`) writes it, and only when it changed,
so a reader without cookies who gets a preview gets no Set-Cookie either.
"""

from __future__ import annotations

import functools
import secrets
from collections.abc import Iterable
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, time

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.db import transaction
from django.http import HttpRequest, HttpResponseBase
from django.utils import timezone
from django.utils.http import http_date

from foundation import kept
from foundation.clock import local_today
from subscriptions.models import MeteredRead

METER_COOKIE = "newsroom_meter"
METER_SALT = "subscriptions.meter.text"
JSON_METER_SALT = "subscriptions.meter"
# Far more than any allowance: a bound on what a cookie may make us parse.
MAX_COOKIE_READS = 50
# The cookie's random id (`meter_visitor`): 16 URL-safe characters, 96 bits.
VISITOR_LENGTH = 16

_STAGED = "_newsroom_meter_cookie"

# A registered reader's reads of a month are a kept value (`foundation.kept`, set from the committed
# rows after every change to them), so that their page makes no query. A safety net, not a
# lifetime: they follow every change.
KEPT_READS_SECONDS = 60 * 60


@dataclass(frozen=True)
class _StagedReads:
    period: date
    article_ids: frozenset[int]
    visitor: str


_CLEAR = object()


def meter_period(*, at: datetime | None = None) -> date:
    """Return the meter's month containing `at` (default: now), as the month's first day."""
    if at is None:
        return local_today().replace(day=1)
    return timezone.localdate(at, timezone.get_default_timezone()).replace(day=1)


def period_end(period: date) -> datetime:
    """Return the moment the meter's month `period` ends: midnight starting the next month."""
    following = date(period.year + period.month // 12, period.month % 12 + 1, 1)
    return datetime.combine(following, time.min, tzinfo=timezone.get_default_timezone())


@functools.lru_cache(maxsize=4)
def _cookie_expires(period: date) -> str:
    """Return the meter cookie's Expires for `period`, formatted once per month: Django formats
    a datetime `expires` anew for every response (20 µs of a first visit's page)."""
    return http_date(period_end(period).timestamp())


def meter_cookie_value(*, period: date, article_ids: Iterable[int], visitor: str) -> str:
    """Return the meter cookie for `period`'s reads of `article_ids` by `visitor`: the text
    `2026-12-01.<visitor>.12-40-41`, signed (`django.core.signing.Signer`, HMAC-SHA256 with the
    site's secret key and `METER_SALT`). No JSON and no timestamp, which cost 25 µs more to
    write and 20 µs more to read on every metered page: the period says when the reads stop
    counting."""
    text = f"{period.isoformat()}.{visitor}.{'-'.join(str(pk) for pk in sorted(article_ids))}"
    return signing.Signer(salt=METER_SALT).sign(text)


def meter_cookie_payload(value: str) -> dict:
    """Return what a meter cookie holds, `{"p": period, "a": ids, "r": visitor}` ({} for none,
    or a tampered or foreign one): its period and visitor unchecked, at most
    `MAX_COOKIE_READS` ids that are digits."""
    if not value:
        return {}
    try:
        period, visitor, ids = signing.Signer(salt=METER_SALT).unsign(value).split(".", 2)
    except (signing.BadSignature, ValueError):
        return _json_cookie_payload(value)
    numbers = ids.split("-", MAX_COOKIE_READS)[:MAX_COOKIE_READS]
    return {
        "p": period,
        "a": [int(number) for number in numbers if number.isascii() and number.isdigit()],
        "r": visitor,
    }


def _json_cookie_payload(value: str) -> dict:
    """What a cookie of the earlier format holds (JSON, `signing.dumps` with `JSON_METER_SALT`):
    those written before this format are read until their month ends."""
    try:
        payload = signing.loads(value, salt=JSON_METER_SALT)
    except (signing.BadSignature, ValueError):
        return {}
    return payload if isinstance(payload, dict) else {}


def _cookie_payload(request: HttpRequest) -> dict:
    return meter_cookie_payload(request.COOKIES.get(METER_COOKIE, ""))


def _visitor_of(payload: dict) -> str:
    visitor = payload.get("r")
    return visitor if isinstance(visitor, str) and 0 < len(visitor) <= VISITOR_LENGTH else ""


def anonymous_meter(*, request: HttpRequest, period: date) -> tuple[frozenset[int], str]:
    """Return the articles read this period according to the request's meter cookie, and the
    cookie's random id (`meter_visitor`), reading the cookie once."""
    payload = _cookie_payload(request)
    return _reads_of(payload, period), _visitor_of(payload)


def anonymous_reads(*, request: HttpRequest, period: date) -> frozenset[int]:
    """Return the articles read this period according to the request's meter cookie.

    A missing, tampered, foreign (signed for another purpose or with another key) or
    old-period cookie gives a fresh reader: an empty set, never an error.
    """
    return _reads_of(_cookie_payload(request), period)


def meter_visitor(request: HttpRequest, *, in_cookie: str | None = None) -> str:
    """Return the random id of the reader's meter cookie ("" without one): what the paywall's
    insight counts an anonymous reader by. The cookie this response will set comes first; then
    `in_cookie`, the id the request's cookie was read for already (`Reader.visitor`)."""
    staged = getattr(request, _STAGED, None)
    if isinstance(staged, _StagedReads):
        return staged.visitor
    return in_cookie if in_cookie is not None else _visitor_of(_cookie_payload(request))


def _reads_of(payload: dict, period: date) -> frozenset[int]:
    if payload.get("p") != period.isoformat():
        return frozenset()
    article_ids = payload.get("a")
    if not isinstance(article_ids, list):
        return frozenset()
    return frozenset(
        article_id
        for article_id in article_ids[:MAX_COOKIE_READS]
        if type(article_id) is int and article_id > 0
    )


def registered_reads(*, user_id: int, period: date) -> frozenset[int]:
    """Return the metered articles a registered reader read this period (one query)."""
    return frozenset(
        MeteredRead.objects.filter(user_id=user_id, period=period).values_list(
            "article_id", flat=True
        )
    )


def registered_reads_among(*, user_ids, period: date, article_ids) -> dict[int, frozenset[int]]:
    """Return {user id: the articles among `article_ids` they read this period} for many
    registered readers at once (one query); readers with none are left out."""
    reads: dict[int, set[int]] = {}
    rows = MeteredRead.objects.filter(
        user_id__in=list(user_ids), period=period, article_id__in=list(article_ids)
    ).values_list("user_id", "article_id")
    for user_id, article_id in rows:
        reads.setdefault(user_id, set()).add(article_id)
    return {user_id: frozenset(read) for user_id, read in reads.items()}


def _reads_ident(ident: str) -> tuple[int, date]:
    user_id, period = ident.split(":")
    return int(user_id), date.fromisoformat(period)


class ReadsOfTheMonth(tuple):
    """A reader and a meter month, as the kept reads name them ("12:2026-12-01")."""

    def __new__(cls, user_id: int, period: date):
        return super().__new__(cls, (user_id, period))

    def __str__(self):
        return f"{self[0]}:{self[1].isoformat()}"


READS = kept.kind(
    "meter-reads",
    load=lambda ident: registered_reads(user_id=ident[0], period=ident[1]),
    timeout=KEPT_READS_SECONDS,
    parse=lambda text: ReadsOfTheMonth(*_reads_ident(text)),
)


def kept_registered_reads(
    *, user_id: int, period: date, fetched: kept.Fetched | None = None
) -> frozenset[int]:
    """Return `registered_reads`, from `fetched` or the cache when kept, else from the database
    (one query). For the paywall's page decision only: counting a read asks the database, under
    the reader's lock (`subscriptions.paywall.meter_record_read`)."""
    return kept.read(READS, ReadsOfTheMonth(user_id, period), fetched=fetched) or frozenset()


def meter_reads_changed(user_id: int, period: date) -> None:
    """The reader's reads of `period` changed: the kept reads follow once the change commits."""
    kept.changed(READS, ReadsOfTheMonth(user_id, period))


def meter_stage_anonymous_read(
    *,
    request: HttpRequest,
    period: date,
    read_article_ids: frozenset[int],
    article_id: int,
    visitor: str = "",
) -> None:
    """Stage the anonymous reader's cookie, `read_article_ids` and `article_id`, for the
    response (on top of anything this request staged already), keeping the cookie's random id
    `visitor` (a new one if it had none)."""
    staged = getattr(request, _STAGED, None)
    if isinstance(staged, _StagedReads):
        read_article_ids, visitor = staged.article_ids, staged.visitor
    visitor = visitor or secrets.token_urlsafe(VISITOR_LENGTH * 3 // 4)
    setattr(request, _STAGED, _StagedReads(period, read_article_ids | {article_id}, visitor))


@contextmanager
def meter_lock(*, user_id: int):
    """Hold one registered reader's meter for the length of a transaction.

    A concurrent request for the same reader waits here until the other commits, then sees
    its read. (SQLite, which has no row locks, serialises writers with immediate
    transactions: see `newsroom.settings`.)
    """
    with transaction.atomic():
        list(
            get_user_model()
            .objects.select_for_update()
            .filter(pk=user_id)
            .values_list("pk", flat=True)
        )
        yield


def meter_record_registered_read(*, user_id: int, article_id: int, period: date) -> None:
    """Record that a registered reader read `article_id` in `period` (once; call under the
    lock: `bulk_create` sends no signal, so the kept reads are told here)."""
    MeteredRead.objects.bulk_create(
        [MeteredRead(user_id=user_id, article_id=article_id, period=period)],
        ignore_conflicts=True,
    )
    meter_reads_changed(user_id, period)


def meter_carry_over(*, request: HttpRequest, user, at: datetime | None = None) -> int:
    """Move this month's anonymous reads from the cookie to `user`, and clear the cookie.

    Called when a reader logs in or signs up. Never takes the reader beyond the registered
    allowance; reads already counted are not counted twice. Return how many reads moved.
    """
    if METER_COOKIE not in request.COOKIES:
        return 0
    setattr(request, _STAGED, _CLEAR)
    period = meter_period(at=at)
    read_anonymously = anonymous_reads(request=request, period=period)
    if not read_anonymously:
        return 0
    with meter_lock(user_id=user.pk):
        already = registered_reads(user_id=user.pk, period=period)
        room = max(0, settings.NEWSROOM_METER_REGISTERED - len(already))
        # The cookie is signed: its ids are reads this site granted.
        carried = sorted(read_anonymously - already)[:room]
        MeteredRead.objects.bulk_create(
            [MeteredRead(user_id=user.pk, article_id=pk, period=period) for pk in carried],
            ignore_conflicts=True,
        )
        if carried:
            meter_reads_changed(user.pk, period)
    return len(carried)


def meter_apply_to_response(
    *, request: HttpRequest, response: HttpResponseBase
) -> HttpResponseBase:
    """Write the meter cookie staged on `request` into `response`; return the response.

    Does nothing when nothing changed, so an unchanged meter sets no cookie. Safe to call more
    than once. `newsroom.middleware.ResponsePolicyMiddleware` calls it, and makes a response
    that sets a cookie private.
    """
    staged = request.__dict__.pop(_STAGED, None)
    if staged is None:
        return response
    if staged is _CLEAR:
        response.delete_cookie(METER_COOKIE, samesite="Lax")
    else:
        response.set_cookie(
            METER_COOKIE,
            meter_cookie_value(
                period=staged.period, article_ids=staged.article_ids, visitor=staged.visitor
            ),
            expires=_cookie_expires(staged.period),
            secure=settings.SESSION_COOKIE_SECURE,
            httponly=True,
            samesite="Lax",
        )
    return response
