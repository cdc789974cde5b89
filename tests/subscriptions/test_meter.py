"""The meter: the anonymous cookie, registered reads, carry-over, and races on PostgreSQL."""

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime

import pytest
from django.core import signing
from django.db import connection
from django.http import HttpResponse
from django.test import Client
from django.urls import reverse

from accounts.models import User
from articles.models import Article
from newsroom.middleware import ResponsePolicyMiddleware
from subscriptions.meter import (
    JSON_METER_SALT,
    METER_COOKIE,
    METER_SALT,
    anonymous_reads,
    meter_apply_to_response,
    meter_carry_over,
    meter_cookie_payload,
    meter_period,
    period_end,
)
from subscriptions.models import MeteredRead
from subscriptions.paywall import (
    AccessReason,
    build_reader,
    decide_article_access,
    meter_record_read,
)
from tests.factories import make_article
from tests.readers import reads_in_full
from tests.subscriptions.factories import PASSWORD, article_request, make_reader, make_subscription

pytestmark = pytest.mark.django_db


def read_article(article, *, user=None, cookies=None, **headers):
    """Do what an article view and the middleware do; return the final decision and the
    response."""
    request = article_request(user=user, cookies=cookies, **headers)
    reader = build_reader(request)
    decision = decide_article_access(article=article, reader=reader)
    decision = meter_record_read(request=request, reader=reader, article=article, decision=decision)
    response = ResponsePolicyMiddleware(lambda request: HttpResponse("page"))(request)
    return decision, response


class Browser:
    """An anonymous reader's cookie jar across article requests."""

    def __init__(self, cookies=None):
        self.cookies = dict(cookies or {})

    def read(self, article, **headers):
        decision, response = read_article(article, cookies=self.cookies, **headers)
        if METER_COOKIE in response.cookies:
            self.cookies[METER_COOKIE] = response.cookies[METER_COOKIE].value
        return decision, response


# The month -------------------------------------------------------------------------------------


def test_period_is_the_calendar_month_in_the_site_time_zone(settings):
    settings.TIME_ZONE = "Pacific/Auckland"
    # 31 January 12:00 UTC is already 1 February in Auckland (UTC+13).
    assert meter_period(at=datetime(2026, 1, 31, 12, tzinfo=UTC)) == date(2026, 2, 1)
    settings.TIME_ZONE = "America/New_York"
    assert meter_period(at=datetime(2026, 2, 1, 3, tzinfo=UTC)) == date(2026, 1, 1)


def test_period_end_is_local_midnight_starting_next_month(settings):
    settings.TIME_ZONE = "Europe/London"
    assert period_end(date(2026, 12, 1)) == datetime(2027, 1, 1, tzinfo=UTC)
    assert period_end(date(2026, 6, 1)) == datetime(2026, 6, 30, 23, tzinfo=UTC)  # BST


# Anonymous readers -----------------------------------------------------------------------------


def test_anonymous_quota_then_preview_and_rereads_are_free(settings):
    settings.NEWSROOM_METER_ANONYMOUS = 3
    first, second, third, fourth = (make_article() for _ in range(4))
    browser = Browser()

    lefts = [browser.read(article)[0].reads_left for article in (first, second, third)]
    decision, response = browser.read(fourth)

    assert lefts == [2, 1, 0]
    assert (decision.granted, decision.reason) == (False, AccessReason.METER_EXHAUSTED)
    assert METER_COOKIE not in response.cookies  # nothing changed
    decision, response = browser.read(second)
    assert (decision.granted, decision.reason, decision.reads_left) == (
        True,
        AccessReason.ALREADY_READ,
        0,
    )
    assert METER_COOKIE not in response.cookies


def test_meter_cookie_is_signed_httponly_lax_private_and_ends_with_the_month():
    article = make_article()
    decision, response = read_article(article)

    cookie = response.cookies[METER_COOKIE]
    assert decision.reason == AccessReason.METER_ALLOWANCE
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"
    assert cookie["path"] == "/"
    expires = datetime.strptime(cookie["expires"], "%a, %d %b %Y %H:%M:%S GMT")
    assert expires.replace(tzinfo=UTC) == period_end(meter_period())
    payload = meter_cookie_payload(cookie.value)
    assert payload == {"p": meter_period().isoformat(), "a": [article.pk], "r": payload["r"]}
    assert cookie.value.startswith(f"{meter_period().isoformat()}.{payload['r']}.{article.pk}:")
    assert "private" in response["Cache-Control"]
    assert "Cookie" in response["Vary"]


def test_the_meter_cookie_carries_one_random_id_for_the_reader_from_read_to_read(client):
    """The id the paywall's insight counts an anonymous reader by: random, kept from one read
    to the next, never the same for two readers, and nothing else about them."""
    first, second = make_article(), make_article()
    client.get(first.get_absolute_url())
    visitor = meter_cookie_payload(client.cookies[METER_COOKIE].value)["r"]
    client.get(second.get_absolute_url())
    payload = meter_cookie_payload(client.cookies[METER_COOKIE].value)
    assert payload["r"] == visitor and len(visitor) == 16
    assert sorted(payload["a"]) == sorted([first.pk, second.pk])

    other = Client()
    other.get(first.get_absolute_url())
    assert meter_cookie_payload(other.cookies[METER_COOKIE].value)["r"] != visitor


def signed(text, *, salt=METER_SALT, key=None):
    """A meter cookie holding `text` (`period.visitor.id-id-…`), signed as the site signs it."""
    return signing.Signer(key=key, salt=salt).sign(text)


def this_month():
    return meter_period().isoformat()


BAD_COOKIES = {
    "garbage": lambda: "not a signed value",
    "empty": lambda: "",
    "bad-signature": lambda: signed(f"{this_month()}.visitor.1-2-3")[:-4] + "AAAA",
    "old-period": lambda: signed("2020-01-01.visitor.1-2-3"),
    "other-salt": lambda: signed(f"{this_month()}.visitor.1-2-3", salt="another.purpose"),
    "other-key": lambda: signed(f"{this_month()}.visitor.1-2-3", key="another-secret"),
    "not-its-parts": lambda: signed(f"{this_month()}-1-2-3"),
    "ids-not-numbers": lambda: signed(f"{this_month()}.visitor.one-two-three"),
    "no-ids": lambda: signed(f"{this_month()}.visitor."),
    "earlier-format-other-key": lambda: signing.dumps(
        {"p": this_month(), "a": [1, 2, 3]}, salt=JSON_METER_SALT, key="another-secret"
    ),
    "earlier-format-not-a-dict": lambda: signing.dumps([this_month(), 1], salt=JSON_METER_SALT),
}


@pytest.mark.parametrize("defect", BAD_COOKIES)
def test_a_bad_meter_cookie_is_a_fresh_reader(settings, defect):
    settings.NEWSROOM_METER_ANONYMOUS = 3

    decision, response = read_article(make_article(), cookies={METER_COOKIE: BAD_COOKIES[defect]()})

    assert (decision.granted, decision.reason, decision.reads_left) == (
        True,
        AccessReason.METER_ALLOWANCE,
        2,
    )
    assert response.status_code == 200


def test_a_tampered_cookie_is_a_fresh_reader_whose_next_read_replaces_it(settings):
    settings.NEWSROOM_METER_ANONYMOUS = 3
    browser = Browser()
    for _ in range(3):
        browser.read(make_article())
    # Swap in a payload claiming no reads, keeping the genuine signature.
    signature = browser.cookies[METER_COOKIE].rsplit(":", 1)[1]
    forged = signed(f"{this_month()}.visitor.").rsplit(":", 1)[0]
    browser.cookies[METER_COOKIE] = f"{forged}:{signature}"

    decision, response = browser.read(make_article())

    assert response.status_code == 200
    assert (decision.reason, decision.reads_left) == (AccessReason.METER_ALLOWANCE, 2)
    assert meter_cookie_payload(browser.cookies[METER_COOKIE])["a"] == [
        max(Article.objects.values_list("pk", flat=True))
    ]


def test_a_cookie_of_the_earlier_format_keeps_its_reads_until_its_month_ends(settings):
    """Cookies were JSON (`signing.dumps`) until December 2026: a reader's reads of the month
    still count, and the next read writes the cookie in the new format."""
    settings.NEWSROOM_METER_ANONYMOUS = 3
    read = [make_article(), make_article()]
    earlier = {"p": this_month(), "a": [article.pk for article in read], "r": "visitor"}
    browser = Browser({METER_COOKIE: signing.dumps(earlier, salt=JSON_METER_SALT)})

    again, _response = browser.read(read[0])
    assert again.reason == AccessReason.ALREADY_READ
    third, _response = browser.read(make_article())
    assert (third.granted, third.reads_left) == (True, 0)
    assert meter_cookie_payload(browser.cookies[METER_COOKIE])["r"] == "visitor"
    assert browser.cookies[METER_COOKIE].startswith(f"{this_month()}.visitor.")


def test_cookie_ids_are_bounded_and_must_be_positive_integers():
    period = meter_period().isoformat()
    cookies = {METER_COOKIE: signed(f"{period}.visitor.5-0-x-²-3.0-+7- 9--8")}
    request = article_request(cookies=cookies)
    assert anonymous_reads(request=request, period=meter_period()) == {5, 8}
    numbers = "-".join(str(number) for number in range(1, 500))
    many = {METER_COOKIE: signed(f"{period}.visitor.{numbers}")}
    assert len(anonymous_reads(request=article_request(cookies=many), period=meter_period())) == 50


@pytest.mark.parametrize(
    "access", [Article.Access.SUBSCRIBERS, Article.Access.FREE, Article.Access.METERED]
)
@pytest.mark.parametrize(
    "headers", [{}, {"HTTP_SEC_PURPOSE": "prefetch"}], ids=["browser", "prefetch"]
)
def test_a_reader_without_cookies_who_gets_no_read_gets_no_cookie(access, headers):
    decision, response = read_article(make_article(access=access), **headers)

    if access == Article.Access.METERED and not headers:
        assert decision.reason == AccessReason.METER_ALLOWANCE  # the one case that sets it
        assert METER_COOKIE in response.cookies
    else:
        assert not decision.consumes_read
        assert not response.cookies
        assert (
            "public" in response["Cache-Control"]
        )  # nothing of the reader's: shared caches may keep it


@pytest.mark.parametrize(
    "headers",
    [
        {"method": "head"},
        {"HTTP_SEC_PURPOSE": "prefetch"},
        {"HTTP_PURPOSE": "prefetch"},
        {"HTTP_USER_AGENT": "Mozilla/5.0 (compatible; Googlebot/2.1)"},
    ],
    ids=["head", "sec-purpose", "purpose", "crawler"],
)
def test_head_prefetch_and_crawlers_never_consume_a_read(headers):
    article, earlier = make_article(), make_article()
    browser = Browser()
    browser.read(earlier)
    cookie_before = browser.cookies[METER_COOKIE]
    user = make_reader()

    anonymous, response = browser.read(article, **headers)
    registered, _ = read_article(article, user=user, **headers)

    assert (anonymous.granted, anonymous.reason) == (False, AccessReason.UNCOUNTED_REQUEST)
    assert METER_COOKIE not in response.cookies
    assert browser.cookies[METER_COOKIE] == cookie_before
    assert (registered.granted, registered.reason) == (False, AccessReason.UNCOUNTED_REQUEST)
    assert not MeteredRead.objects.exists()
    # The meter is frozen, not forgotten: an article read earlier this month is still theirs.
    again, response = browser.read(earlier, **headers)
    assert (again.granted, again.reason) == (True, AccessReason.ALREADY_READ)
    assert METER_COOKIE not in response.cookies


def test_meter_apply_to_response_is_idempotent():
    request = article_request()
    article = make_article()
    reader = build_reader(request)
    decision = decide_article_access(article=article, reader=reader)
    meter_record_read(request=request, reader=reader, article=article, decision=decision)

    first = meter_apply_to_response(request=request, response=HttpResponse())
    second = meter_apply_to_response(request=request, response=HttpResponse())

    assert METER_COOKIE in first.cookies
    assert not second.cookies


# Registered readers ---------------------------------------------------------------------------


def test_registered_quota_then_preview_and_rereads_are_free(settings):
    settings.NEWSROOM_METER_REGISTERED = 5
    user = make_reader()
    articles = [make_article() for _ in range(6)]

    lefts = [read_article(article, user=user)[0].reads_left for article in articles[:5]]
    decision, response = read_article(articles[5], user=user)
    reread, _ = read_article(articles[0], user=user)

    assert lefts == [4, 3, 2, 1, 0]
    assert (decision.granted, decision.reason) == (False, AccessReason.METER_EXHAUSTED)
    assert decision.prompt == "subscribe"
    assert (reread.granted, reread.reason) == (True, AccessReason.ALREADY_READ)
    assert MeteredRead.objects.filter(user=user, period=meter_period()).count() == 5
    assert not response.cookies


def test_last_months_reads_do_not_count():
    user = make_reader()
    article = make_article()
    MeteredRead.objects.create(user=user, article_id=article.pk, period=date(2020, 1, 1))

    decision, _ = read_article(article, user=user)

    assert decision.reason == AccessReason.METER_ALLOWANCE


def test_subscribers_and_staff_spend_no_reads():
    subscriber, editor = make_reader(), make_reader(is_staff=True)
    make_subscription(user=subscriber)
    article = make_article()

    assert read_article(article, user=subscriber)[0].reason == AccessReason.SUBSCRIBER
    assert read_article(article, user=editor)[0].reason == AccessReason.STAFF
    assert not MeteredRead.objects.exists()


def test_quota_taken_between_decision_and_record_gives_the_preview(settings):
    settings.NEWSROOM_METER_REGISTERED = 2
    user = make_reader()
    first, second, third = make_article(), make_article(), make_article()
    MeteredRead.objects.create(user=user, article_id=first.pk, period=meter_period())
    request = article_request(user=user)
    reader = build_reader(request)
    decision = decide_article_access(article=third, reader=reader)
    MeteredRead.objects.create(user=user, article_id=second.pk, period=meter_period())  # elsewhere

    final = meter_record_read(request=request, reader=reader, article=third, decision=decision)

    assert decision.granted
    assert (final.granted, final.reason, final.reads_left) == (
        False,
        AccessReason.METER_EXHAUSTED,
        0,
    )
    assert MeteredRead.objects.filter(user=user).count() == 2


def test_same_article_recorded_meanwhile_counts_once():
    user = make_reader()
    article = make_article()
    request = article_request(user=user)
    reader = build_reader(request)
    decision = decide_article_access(article=article, reader=reader)
    MeteredRead.objects.create(user=user, article_id=article.pk, period=meter_period())

    final = meter_record_read(request=request, reader=reader, article=article, decision=decision)

    assert (final.granted, final.reason, final.reads_left) == (True, AccessReason.ALREADY_READ, 4)
    assert MeteredRead.objects.filter(user=user).count() == 1


# Carry-over on log-in and sign-up --------------------------------------------------------------


def anonymous_cookie_after_reading(*articles):
    browser = Browser()
    for article in articles:
        browser.read(article)
    return browser.cookies


def test_carry_over_moves_this_months_reads_and_clears_the_cookie():
    user = make_reader()
    articles = [make_article() for _ in range(2)]
    request = article_request(user=user, cookies=anonymous_cookie_after_reading(*articles))

    carried = meter_carry_over(request=request, user=user)
    response = meter_apply_to_response(request=request, response=HttpResponse())

    assert carried == 2
    assert set(MeteredRead.objects.filter(user=user).values_list("article_id", flat=True)) == {
        a.pk for a in articles
    }
    assert response.cookies[METER_COOKIE].value == ""
    assert response.cookies[METER_COOKIE]["max-age"] == 0


def test_carry_over_never_exceeds_the_registered_allowance(settings):
    settings.NEWSROOM_METER_ANONYMOUS = 3
    settings.NEWSROOM_METER_REGISTERED = 5
    user = make_reader()
    earlier = [make_article() for _ in range(4)]
    for article in earlier:
        MeteredRead.objects.create(user=user, article_id=article.pk, period=meter_period())
    cookies = anonymous_cookie_after_reading(earlier[0], make_article(), make_article())

    carried = meter_carry_over(request=article_request(user=user, cookies=cookies), user=user)

    assert carried == 1
    assert MeteredRead.objects.filter(user=user).count() == 5


def test_carry_over_skips_old_cookies():
    user = make_reader()
    first, second = make_article(), make_article()
    cookies = anonymous_cookie_after_reading(first, second)

    assert meter_carry_over(request=article_request(cookies=cookies), user=user) == 2
    kept = first
    old = {METER_COOKIE: signed(f"2020-01-01.visitor.{kept.pk}")}
    other = make_reader()
    assert meter_carry_over(request=article_request(cookies=old), user=other) == 0
    assert not MeteredRead.objects.filter(user=other).exists()


def test_log_in_carries_reads_over_and_clears_the_cookie(client):
    user = make_reader(email="carry@example.com")
    articles = [make_article() for _ in range(3)]
    client.cookies[METER_COOKIE] = anonymous_cookie_after_reading(*articles)[METER_COOKIE]

    response = client.post(reverse("login"), {"username": user.email, "password": PASSWORD})

    assert response.status_code == 302
    assert MeteredRead.objects.filter(user=user, period=meter_period()).count() == 3
    assert response.cookies[METER_COOKIE].value == ""
    assert response.cookies[METER_COOKIE]["max-age"] == 0


def test_sign_up_carries_reads_over(client):
    articles = [make_article() for _ in range(2)]
    client.cookies[METER_COOKIE] = anonymous_cookie_after_reading(*articles)[METER_COOKIE]

    response = client.post(
        reverse("signup"),
        {"email": "new@example.com", "password1": PASSWORD, "password2": PASSWORD},
    )

    assert response.status_code == 302
    user = User.objects.get(email="new@example.com")
    assert MeteredRead.objects.filter(user=user).count() == 2
    assert response.cookies[METER_COOKIE]["max-age"] == 0


def test_log_in_without_a_meter_cookie_sets_none(client):
    user = make_reader()
    response = client.post(reverse("login"), {"username": user.email, "password": PASSWORD})
    assert METER_COOKIE not in response.cookies


# Races, on PostgreSQL only ---------------------------------------------------------------------

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="SQLite serialises writes: races need PostgreSQL"
)


def race(user_pk, articles):
    """Read `articles` at once, one thread and one connection each; return the decisions."""
    barrier = threading.Barrier(len(articles))

    def read(article):
        try:
            request = article_request(user=User.objects.get(pk=user_pk))
            reader = build_reader(request)
            decision = decide_article_access(article=article, reader=reader)
            barrier.wait(timeout=30)  # everyone decided from the same meter; now all record
            return meter_record_read(
                request=request, reader=reader, article=article, decision=decision
            )
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=len(articles)) as pool:
        return list(pool.map(read, articles))


@postgresql_only
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_reads_of_different_articles_never_exceed_the_quota(settings):
    settings.NEWSROOM_METER_REGISTERED = 5
    user = make_reader()
    for _ in range(4):
        MeteredRead.objects.create(user=user, article_id=make_article().pk, period=meter_period())
    articles = [make_article() for _ in range(20)]

    decisions = race(user.pk, articles)

    assert sum(decision.granted for decision in decisions) == 1
    assert {d.reason for d in decisions if not d.granted} == {AccessReason.METER_EXHAUSTED}
    assert MeteredRead.objects.filter(user=user, period=meter_period()).count() == 5


@postgresql_only
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_reads_of_one_article_count_once(settings):
    settings.NEWSROOM_METER_REGISTERED = 5
    user = make_reader()
    for _ in range(4):
        MeteredRead.objects.create(user=user, article_id=make_article().pk, period=meter_period())
    article = make_article()

    decisions = race(user.pk, [article] * 10)

    assert all(decision.granted for decision in decisions)
    assert MeteredRead.objects.filter(user=user, article_id=article.pk).count() == 1
    assert MeteredRead.objects.filter(user=user).count() == 5


# A registered reader's reads kept in the cache for their pages ---------------------------------


def metered_story():
    from tests.factories import paragraphs

    blocks = [("text", paragraphs(3)), ("break",), ("text", "<p>Beyond the cut.</p>")]
    return make_article(access=Article.Access.METERED, blocks=blocks)


def test_a_read_counted_on_one_page_is_counted_by_the_next_in_every_session(client, settings):
    from django.test import Client

    settings.NEWSROOM_METER_REGISTERED = 1
    first, second = metered_story(), metered_story()
    user = make_reader()
    elsewhere = Client()
    elsewhere.force_login(user)
    client.force_login(user)
    for session in (client, elsewhere):  # no read yet, kept as such
        assert not reads_in_full(session, make_article(access=Article.Access.SUBSCRIBERS))

    assert reads_in_full(client, first)

    assert not reads_in_full(client, second)
    assert not reads_in_full(elsewhere, second)
    assert reads_in_full(elsewhere, first)  # re-reading is free, in either session
    assert MeteredRead.objects.filter(user=user).count() == 1


def test_a_read_deleted_in_the_admin_is_given_back_on_the_next_page(
    client, settings, django_capture_on_commit_callbacks
):
    settings.NEWSROOM_METER_REGISTERED = 1
    first, second = metered_story(), metered_story()
    user = make_reader()
    client.force_login(user)
    assert reads_in_full(client, first)
    assert not reads_in_full(client, second)

    with django_capture_on_commit_callbacks(execute=True):  # deletion is atomic: on commit
        MeteredRead.objects.get(user=user, article_id=first.pk).delete()

    assert reads_in_full(client, second)


def test_reads_a_page_loaded_before_a_read_commits_never_replace_the_committed_ones():
    from django.core.cache import caches

    from subscriptions.meter import READS, ReadsOfTheMonth, kept_registered_reads, registered_reads

    user = make_reader()
    article = make_article()
    period = meter_period()
    read_before_the_read = registered_reads(user_id=user.pk, period=period)

    read_article(article, user=user)  # recorded; on commit the kept reads are the new ones
    # What a page that read the rows just before the commit does with them: refused.
    caches["kept"].add(READS.key(ReadsOfTheMonth(user.pk, period)), read_before_the_read, 60)

    assert kept_registered_reads(user_id=user.pk, period=period) == {article.pk}


def test_reads_carried_over_at_log_in_are_kept_at_once(client, settings):
    settings.NEWSROOM_METER_ANONYMOUS = 3
    settings.NEWSROOM_METER_REGISTERED = 1
    first, second = metered_story(), metered_story()
    user = make_reader()
    client.force_login(user)
    # No read yet, kept as such.
    assert not reads_in_full(client, make_article(access=Article.Access.SUBSCRIBERS))
    client.logout()
    assert reads_in_full(client, first)  # anonymously

    response = client.post(reverse("login"), {"username": user.email, "password": PASSWORD})

    assert response.status_code == 302
    assert MeteredRead.objects.filter(user=user, article_id=first.pk).exists()
    assert not reads_in_full(client, second)  # the allowance went on the carried read
