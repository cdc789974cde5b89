"""The paywall decision, table-driven and without a database, and how a Reader is built."""

from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import HttpResponse
from django.utils import timezone

from subscriptions.meter import (
    METER_COOKIE,
    meter_apply_to_response,
    meter_period,
)
from subscriptions.models import MeteredRead, Subscription
from subscriptions.paywall import (
    AccessDecision,
    AccessReason,
    MeterNote,
    PaywallPrompt,
    Reader,
    ReaderPersona,
    build_reader,
    build_reader_for_user,
    decide_article_access,
    meter_record_read,
    persona_reader,
    request_may_consume_reads,
)
from tests.factories import make_article
from tests.subscriptions.factories import article_request, make_reader, make_subscription

ARTICLE_ID = 100
ANONYMOUS_LIMIT = 3
REGISTERED_LIMIT = 5

# What each meter state has read this month (never the article asked for, except already_read).
METER_STATES = {
    "anonymous": {
        "fresh": set(),
        "partway": {1},
        "exhausted": {1, 2, 3},
        "already_read": {1, 2, ARTICLE_ID},
    },
    "registered": {
        "fresh": set(),
        "partway": {1, 2, 3},
        "exhausted": {1, 2, 3, 4, 5},
        "already_read": {1, 2, 3, 4, ARTICLE_ID},
    },
}


def make_reader_of_kind(kind, meter_state):
    """Return the Reader `build_reader` makes for this kind of reader and meter state."""
    if kind in ("anonymous", "uncounted"):
        read = METER_STATES["anonymous"][meter_state]
        return Reader(
            read_article_ids=frozenset(read),
            reads_limit=ANONYMOUS_LIMIT,
            may_consume_reads=kind == "anonymous",
        )
    registered = {
        "user_id": 7,
        "read_article_ids": frozenset(METER_STATES["registered"][meter_state]),
        "reads_limit": REGISTERED_LIMIT,
    }
    if kind == "staff":
        return Reader(is_staff=True, **registered)
    if kind == "subscriber":
        return Reader(has_entitling_subscription=True, **registered)
    if kind == "uncounted_subscriber":  # a subscriber's prefetch, or an in-app browser
        return Reader(has_entitling_subscription=True, may_consume_reads=False, **registered)
    return Reader(**registered)


# "uncounted" is a HEAD request, a prefetch or a crawler: it may not consume a read, but it is
# still its reader (a subscriber's prefetch reads in full; a read made earlier is not lost).
DECISIONS = """
access      reader     meter        granted reason            left limit prompt              spends
free        anonymous  fresh        yes     free              -    -     none                no
free        anonymous  exhausted    yes     free              -    -     none                no
free        registered exhausted    yes     free              -    -     none                no
free        subscriber fresh        yes     free              -    -     none                no
free        staff      fresh        yes     free              -    -     none                no
free        uncounted  fresh        yes     free              -    -     none                no
free        uncounted  exhausted    yes     free              -    -     none                no
metered     anonymous  fresh        yes     meter_allowance   2    3     none                yes
metered     anonymous  partway      yes     meter_allowance   1    3     none                yes
metered     anonymous  exhausted    no      meter_exhausted   0    3     subscribe_or_log_in no
metered     anonymous  already_read yes     already_read      0    3     none                no
metered     registered fresh        yes     meter_allowance   4    5     none                yes
metered     registered partway      yes     meter_allowance   1    5     none                yes
metered     registered exhausted    no      meter_exhausted   0    5     subscribe           no
metered     registered already_read yes     already_read      0    5     none                no
metered     subscriber fresh        yes     subscriber        -    -     none                no
metered     subscriber partway      yes     subscriber        -    -     none                no
metered     subscriber exhausted    yes     subscriber        -    -     none                no
metered     subscriber already_read yes     subscriber        -    -     none                no
metered     staff      fresh        yes     staff             -    -     none                no
metered     staff      partway      yes     staff             -    -     none                no
metered     staff      exhausted    yes     staff             -    -     none                no
metered     staff      already_read yes     staff             -    -     none                no
metered     uncounted  fresh        no      uncounted_request -    -     subscribe_or_log_in no
metered     uncounted  partway      no      uncounted_request -    -     subscribe_or_log_in no
metered     uncounted  exhausted    no      uncounted_request -    -     subscribe_or_log_in no
metered     uncounted  already_read yes     already_read      0    3     none                no
metered     uncounted_subscriber fresh yes subscriber     -    -     none                no
subscribers anonymous  fresh        no      subscribers_only  -    -     subscribe_or_log_in no
subscribers anonymous  partway      no      subscribers_only  -    -     subscribe_or_log_in no
subscribers anonymous  exhausted    no      subscribers_only  -    -     subscribe_or_log_in no
subscribers anonymous  already_read no      subscribers_only  -    -     subscribe_or_log_in no
subscribers registered fresh        no      subscribers_only  -    -     subscribe           no
subscribers registered partway      no      subscribers_only  -    -     subscribe           no
subscribers registered exhausted    no      subscribers_only  -    -     subscribe           no
subscribers registered already_read no      subscribers_only  -    -     subscribe           no
subscribers subscriber fresh        yes     subscriber        -    -     none                no
subscribers subscriber exhausted    yes     subscriber        -    -     none                no
subscribers staff      fresh        yes     staff             -    -     none                no
subscribers staff      exhausted    yes     staff             -    -     none                no
subscribers uncounted  fresh        no      subscribers_only  -    -     subscribe_or_log_in no
subscribers uncounted  already_read no      subscribers_only  -    -     subscribe_or_log_in no
unknown     anonymous  fresh        no      subscribers_only  -    -     subscribe_or_log_in no
unknown     registered fresh        no      subscribers_only  -    -     subscribe           no
unknown     subscriber fresh        yes     subscriber        -    -     none                no
"""


def parse_table(table):
    header, *rows = [line.split() for line in table.strip().splitlines()]
    return [dict(zip(header, row, strict=True)) for row in rows]


def optional_int(cell):
    return None if cell == "-" else int(cell)


@pytest.mark.parametrize(
    "row", parse_table(DECISIONS), ids=lambda row: "-".join(list(row.values())[:3])
)
def test_decision_table(row):
    article = SimpleNamespace(pk=ARTICLE_ID, access=row["access"])
    reader = make_reader_of_kind(row["reader"], row["meter"])

    decision = decide_article_access(article=article, reader=reader)

    assert decision.granted is (row["granted"] == "yes")
    assert decision.reason == AccessReason(row["reason"])
    assert decision.reads_left == optional_int(row["left"])
    assert decision.reads_limit == optional_int(row["limit"])
    assert decision.prompt == PaywallPrompt(row["prompt"])
    assert decision.consumes_read is (row["spends"] == "yes")


def test_the_table_covers_every_access_level_reader_kind_and_meter_state():
    covered = {(row["access"], row["reader"]) for row in parse_table(DECISIONS)}
    for access in ("free", "metered", "subscribers"):
        for kind in ("anonymous", "registered", "subscriber", "staff", "uncounted"):
            assert (access, kind) in covered
    metered = {(row["reader"], row["meter"]) for row in parse_table(DECISIONS)}
    for kind in ("anonymous", "registered", "subscriber", "staff", "uncounted"):
        for state in ("fresh", "partway", "exhausted", "already_read"):
            assert (kind, state) in metered


NOW = timezone.now()
PERIOD = {"current_period_start": NOW - timedelta(days=20)}

# A registered reader whose meter is used up, with a subscription in each state.
SUBSCRIPTIONS = [
    ("trialing", False, NOW + timedelta(days=3), True),
    ("trialing", False, NOW - timedelta(seconds=1), False),
    ("active", False, NOW + timedelta(days=10), True),
    ("active", False, NOW - timedelta(hours=1), True),  # renewal grace
    ("active", True, NOW - timedelta(hours=1), False),
    ("past_due", False, NOW - timedelta(days=3), True),
    ("past_due", False, NOW - timedelta(days=8), False),
    ("canceled", True, NOW + timedelta(days=1), True),
    ("canceled", True, NOW - timedelta(seconds=1), False),
    ("expired", False, NOW + timedelta(days=10), False),
]


@pytest.mark.parametrize("access", ["metered", "subscribers"])
@pytest.mark.parametrize(("status", "cancel", "end", "entitled"), SUBSCRIPTIONS)
def test_decision_by_subscription_status(access, status, cancel, end, entitled):
    subscription = Subscription(
        status=status, cancel_at_period_end=cancel, current_period_end=end, **PERIOD
    )
    reader = Reader(
        user_id=7,
        has_entitling_subscription=subscription.entitles(at=NOW),
        read_article_ids=frozenset(METER_STATES["registered"]["exhausted"]),
        reads_limit=REGISTERED_LIMIT,
    )

    decision = decide_article_access(
        article=SimpleNamespace(pk=ARTICLE_ID, access=access), reader=reader
    )

    assert decision.granted is entitled
    if entitled:
        assert decision.reason == AccessReason.SUBSCRIBER
    else:
        assert decision.reason in {AccessReason.METER_EXHAUSTED, AccessReason.SUBSCRIBERS_ONLY}
        assert decision.prompt == PaywallPrompt.SUBSCRIBE


def test_gift_reads_an_article_in_full_without_the_meter():
    reader = Reader(gifted_article_ids=frozenset({ARTICLE_ID}), reads_limit=ANONYMOUS_LIMIT)
    for access in ("metered", "subscribers"):
        article = SimpleNamespace(pk=ARTICLE_ID, access=access)
        decision = decide_article_access(article=article, reader=reader)
        assert (decision.granted, decision.reason) == (True, AccessReason.GIFT)
        assert not decision.consumes_read


@pytest.mark.parametrize(
    ("reason", "reads_left", "note"),
    [
        (AccessReason.METER_ALLOWANCE, 2, MeterNote.READS_LEFT),
        (AccessReason.METER_ALLOWANCE, 0, MeterNote.LAST_FREE_READ),
        (AccessReason.ALREADY_READ, 2, MeterNote.READ_AGAIN),
        # Re-reading with the allowance used up: not "your last free article".
        (AccessReason.ALREADY_READ, 0, MeterNote.READ_AGAIN),
    ],
)
def test_meter_note_says_what_this_read_cost(reason, reads_left, note):
    decision = AccessDecision(True, reason, reads_left=reads_left, reads_limit=3)
    assert decision.meter_note == note


def test_no_meter_note_without_a_read_on_the_meter():
    assert AccessDecision(True, AccessReason.SUBSCRIBER).meter_note == MeterNote.NONE
    exhausted = AccessDecision(False, AccessReason.METER_EXHAUSTED, 0, 3)
    assert exhausted.meter_note == MeterNote.NONE


def test_meter_note_shows_for_reads_on_the_meter_only():
    on_meter = AccessDecision(True, AccessReason.METER_ALLOWANCE, reads_left=2, reads_limit=3)
    assert on_meter.shows_meter_note
    assert on_meter.reads_used == 1
    assert not AccessDecision(True, AccessReason.SUBSCRIBER).shows_meter_note
    assert not AccessDecision(False, AccessReason.METER_EXHAUSTED, 0, 3).shows_meter_note


# Which requests may consume a read ------------------------------------------------------------

CHROME = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0 Safari/537.36"
)


@pytest.mark.parametrize(
    ("method", "headers", "may_consume"),
    [
        ("get", {"HTTP_USER_AGENT": CHROME}, True),
        ("get", {"HTTP_USER_AGENT": CHROME.replace("Chrome", "HeadlessChrome")}, True),
        ("get", {}, True),
        ("head", {"HTTP_USER_AGENT": CHROME}, False),
        ("post", {"HTTP_USER_AGENT": CHROME}, False),
        ("get", {"HTTP_USER_AGENT": CHROME, "HTTP_SEC_PURPOSE": "prefetch"}, False),
        ("get", {"HTTP_USER_AGENT": CHROME, "HTTP_SEC_PURPOSE": "prefetch;prerender"}, False),
        ("get", {"HTTP_USER_AGENT": CHROME, "HTTP_PURPOSE": "prefetch"}, False),
        ("get", {"HTTP_USER_AGENT": CHROME, "HTTP_X_MOZ": "prefetch"}, False),
        ("get", {"HTTP_USER_AGENT": CHROME, "HTTP_X_PURPOSE": "preview"}, False),
        (
            "get",
            {
                "HTTP_USER_AGENT": "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
            },
            False,
        ),
        ("get", {"HTTP_USER_AGENT": "Mozilla/5.0 (compatible; bingbot/2.0)"}, False),
        ("get", {"HTTP_USER_AGENT": "facebookexternalhit/1.1"}, False),
        ("get", {"HTTP_USER_AGENT": "Mozilla/5.0 (compatible; GPTBot/1.0)"}, False),
        ("get", {"HTTP_USER_AGENT": "Twitterbot/1.0"}, False),
        ("get", {"HTTP_USER_AGENT": "Mozilla/5.0 (compatible; Bytespider)"}, False),
    ],
)
def test_request_may_consume_reads(method, headers, may_consume):
    assert request_may_consume_reads(article_request(method=method, **headers)) is may_consume


# Building the reader -------------------------------------------------------------------------


def cookie_with_reads(*article_ids):
    request = article_request()
    reader = build_reader(request)
    for article_id in article_ids:
        article = SimpleNamespace(pk=article_id, access="metered")
        decision = decide_article_access(article=article, reader=reader)
        meter_record_read(request=request, reader=reader, article=article, decision=decision)
    response = meter_apply_to_response(request=request, response=HttpResponse())
    return {METER_COOKIE: response.cookies[METER_COOKIE].value}


def test_anonymous_reader_comes_from_the_cookie_without_the_database():
    # No django_db mark: any query here would fail the test.
    reader = build_reader(article_request(cookies=cookie_with_reads(11, 12)))

    assert reader.is_anonymous
    assert reader.read_article_ids == {11, 12}
    assert (reader.reads_limit, reader.reads_left) == (ANONYMOUS_LIMIT, 1)
    assert reader.period == meter_period()
    assert reader.may_consume_reads


@pytest.mark.parametrize(
    "headers",
    [
        {"method": "head"},
        {"HTTP_SEC_PURPOSE": "prefetch"},
        {"HTTP_USER_AGENT": "Mozilla/5.0 (compatible; Googlebot/2.1)"},
    ],
)
def test_uncounted_requests_are_their_reader_with_the_meter_frozen(headers):
    # Staff whose browser prefetches, or who read in an in-app browser, stay staff.
    logged_in = SimpleNamespace(is_authenticated=True, is_staff=True, pk=1)
    request = article_request(user=logged_in, cookies=cookie_with_reads(11), **headers)

    reader = build_reader(request)

    assert reader.is_staff and reader.user_id == 1 and not reader.may_consume_reads
    anonymous = build_reader(article_request(cookies=cookie_with_reads(11), **headers))
    assert anonymous.read_article_ids == {11} and not anonymous.may_consume_reads


@pytest.mark.django_db
def test_registered_reader_costs_two_queries_then_none(django_assert_num_queries):
    from django.core.cache import cache

    user = make_reader()
    read = make_article()
    MeteredRead.objects.create(user=user, article_id=read.pk, period=meter_period())
    cache.clear()  # as if nothing about this reader were known yet

    with django_assert_num_queries(2):
        reader = build_reader(article_request(user=user))
    with django_assert_num_queries(0):
        again = build_reader(article_request(user=user))

    assert again.read_article_ids == reader.read_article_ids

    assert (reader.user_id, reader.is_staff, reader.has_entitling_subscription) == (
        user.pk,
        False,
        False,
    )
    assert reader.read_article_ids == {read.pk}
    assert reader.reads_limit == REGISTERED_LIMIT


@pytest.mark.django_db
def test_a_subscriber_costs_one_query_then_none(django_assert_num_queries):
    from django.core.cache import cache

    user = make_reader()
    make_subscription(user=user)
    cache.clear()  # as if nothing about this reader were known yet

    with django_assert_num_queries(1):
        reader = build_reader(article_request(user=user))
    with django_assert_num_queries(0):
        again = build_reader(article_request(user=user))

    assert reader.has_entitling_subscription and again.has_entitling_subscription
    assert reader.read_article_ids == frozenset()


@pytest.mark.django_db
def test_a_subscription_that_stops_entitling_is_seen_on_the_next_page():
    user = make_reader()
    subscription = make_subscription(user=user)
    assert build_reader(article_request(user=user)).has_entitling_subscription

    subscription.status = Subscription.Status.EXPIRED
    subscription.save()

    assert not build_reader(article_request(user=user)).has_entitling_subscription


@pytest.mark.django_db
def test_a_kept_entitlement_ends_with_its_period_without_any_write():
    from datetime import timedelta

    from django.utils import timezone

    user = make_reader()
    now = timezone.now()
    make_subscription(
        user=user,
        status=Subscription.Status.CANCELED,
        current_period_start=now - timedelta(days=30),
        current_period_end=now + timedelta(minutes=5),
    )
    assert build_reader(article_request(user=user), at=now).has_entitling_subscription
    later = now + timedelta(minutes=6)
    assert not build_reader(article_request(user=user), at=later).has_entitling_subscription


@pytest.mark.django_db
def test_expired_subscriber_is_a_registered_reader():
    user = make_reader()
    make_subscription(user=user, status=Subscription.Status.EXPIRED)

    assert not build_reader(article_request(user=user)).has_entitling_subscription


@pytest.mark.django_db
def test_staff_costs_no_query(django_assert_num_queries):
    user = make_reader(is_staff=True)

    with django_assert_num_queries(0):
        reader = build_reader(article_request(user=user))

    assert reader.is_staff


@pytest.mark.django_db
@pytest.mark.parametrize("kind", ["staff", "subscriber", "lapsed", "on the meter"])
def test_a_reader_without_a_request_is_who_their_head_request_would_be(kind):
    """A channel with no session (a private feed) builds its owner by `build_reader`'s rules:
    the reader a HEAD request of theirs would be, the meter frozen."""
    user = make_reader(is_staff=kind == "staff")
    if kind == "subscriber":
        make_subscription(user=user)
    if kind == "lapsed":
        make_subscription(user=user, status=Subscription.Status.EXPIRED, days_left=-3)
    read = make_article()
    MeteredRead.objects.create(user=user, article_id=read.pk, period=meter_period())
    now = timezone.now()

    reader = build_reader_for_user(user=user, at=now)

    assert reader == build_reader(article_request(user=user, method="head"), at=now)
    assert not reader.may_consume_reads
    assert reader.is_staff == (kind == "staff")
    assert reader.has_entitling_subscription == (kind == "subscriber")


@pytest.mark.django_db
def test_a_reader_without_a_request_reads_again_but_spends_nothing():
    user = make_reader()
    read, unread = make_article(), make_article()
    MeteredRead.objects.create(user=user, article_id=read.pk, period=meter_period())
    reader = build_reader_for_user(user=user)

    again = decide_article_access(article=read, reader=reader)
    new = decide_article_access(article=unread, reader=reader)

    assert (again.granted, again.reason) == (True, AccessReason.ALREADY_READ)
    assert (new.granted, new.reason) == (False, AccessReason.UNCOUNTED_REQUEST)
    assert not new.consumes_read


def test_anonymous_user_object_is_anonymous():
    assert build_reader(article_request(user=AnonymousUser())).is_anonymous


# The readers staff preview an article as: (granted, reason, reads left, prompt) per access level.
PERSONA_DECISIONS = {
    ReaderPersona.SUBSCRIBER: {
        "free": (True, AccessReason.FREE, None, PaywallPrompt.NONE),
        "metered": (True, AccessReason.SUBSCRIBER, None, PaywallPrompt.NONE),
        "subscribers": (True, AccessReason.SUBSCRIBER, None, PaywallPrompt.NONE),
    },
    ReaderPersona.READS_LEFT: {
        "free": (True, AccessReason.FREE, None, PaywallPrompt.NONE),
        "metered": (True, AccessReason.METER_ALLOWANCE, 2, PaywallPrompt.NONE),
        "subscribers": (
            False,
            AccessReason.SUBSCRIBERS_ONLY,
            None,
            PaywallPrompt.SUBSCRIBE_OR_LOG_IN,
        ),
    },
    ReaderPersona.OUT_OF_READS: {
        "free": (True, AccessReason.FREE, None, PaywallPrompt.NONE),
        "metered": (False, AccessReason.METER_EXHAUSTED, 0, PaywallPrompt.SUBSCRIBE_OR_LOG_IN),
        "subscribers": (
            False,
            AccessReason.SUBSCRIBERS_ONLY,
            None,
            PaywallPrompt.SUBSCRIBE_OR_LOG_IN,
        ),
    },
    ReaderPersona.REGISTERED_OUT_OF_READS: {
        "free": (True, AccessReason.FREE, None, PaywallPrompt.NONE),
        "metered": (False, AccessReason.METER_EXHAUSTED, 0, PaywallPrompt.SUBSCRIBE),
        "subscribers": (False, AccessReason.SUBSCRIBERS_ONLY, None, PaywallPrompt.SUBSCRIBE),
    },
}


@pytest.mark.parametrize("persona", list(ReaderPersona))
@pytest.mark.parametrize("access", ["free", "metered", "subscribers"])
def test_each_persona_is_decided_as_that_reader_would_be(settings, persona, access):
    settings.NEWSROOM_METER_ANONYMOUS = ANONYMOUS_LIMIT
    settings.NEWSROOM_METER_REGISTERED = REGISTERED_LIMIT
    reader = persona_reader(persona=persona)
    decision = decide_article_access(
        article=SimpleNamespace(pk=ARTICLE_ID, access=access), reader=reader
    )
    granted, reason, reads_left, prompt = PERSONA_DECISIONS[persona][access]
    assert (decision.granted, decision.reason, decision.prompt) == (granted, reason, prompt)
    assert decision.reads_left == reads_left
    if decision.reason == AccessReason.METER_EXHAUSTED:
        # "You have read your N free articles": N is the reader's own limit, never 0.
        limit = ANONYMOUS_LIMIT if reader.is_anonymous else REGISTERED_LIMIT
        assert decision.reads_limit == limit
