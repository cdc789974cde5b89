"""Gift links as services: who may gift, how many a month, withdrawing, and the funnel
(gift → sign-up → subscription) that the newsroom sees in the admin."""

from datetime import datetime, timedelta
from types import SimpleNamespace

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from subscriptions.access import Access
from subscriptions.gifts import (
    GiftError,
    GiftLimitReached,
    gift_attribute_subscription,
    gift_create,
    gift_record_open,
    gift_record_signup,
    gift_revoke,
    gifts_left_this_month,
)
from subscriptions.models import GiftLink, GiftSignup, Subscription
from subscriptions.paywall import AccessReason, build_reader, decide_article_access
from subscriptions.services import subscription_grant_complimentary, subscription_start
from tests.factories import make_staff
from tests.subscriptions.factories import (
    article_request,
    make_plan,
    make_reader,
    make_subscription,
)

pytestmark = pytest.mark.django_db


def article(pk=7, access=Access.METERED, headline="Ferry timetable changes"):
    return SimpleNamespace(pk=pk, access=access, headline=headline)


@pytest.fixture
def subscriber():
    reader = make_reader(name="Ann Lee")
    # Entitled over every date these tests use.
    make_subscription(user=reader, current_period_start=local(2020, 1, 1), days_left=3650)
    return reader


def local(*args):
    return timezone.make_aware(datetime(*args), timezone.get_default_timezone())


def test_a_gift_is_an_unguessable_link_to_one_article_valid_for_the_set_days(subscriber, settings):
    settings.NEWSROOM_GIFT_LINK_DAYS = 14
    now = timezone.now()
    gift = gift_create(sender=subscriber, article=article(pk=7), at=now)
    other = gift_create(sender=subscriber, article=article(pk=7), at=now)
    assert gift.article_id == 7 and gift.sender == subscriber
    assert len(gift.token) >= 43 and gift.token != other.token
    assert gift.expires_at == now + timedelta(days=14)
    assert gift.is_valid(at=now + timedelta(days=13, hours=23))
    assert not gift.is_valid(at=now + timedelta(days=14))


def test_the_monthly_limit_counts_the_meters_month_and_refuses_clearly(subscriber, settings):
    settings.NEWSROOM_GIFTS_PER_MONTH = 2
    in_may = local(2026, 5, 31, 23, 30)
    for _ in range(2):
        gift_create(sender=subscriber, article=article(), at=in_may)
    assert gifts_left_this_month(user=subscriber, at=in_may) == 0
    with pytest.raises(GiftLimitReached, match=r"all 2 gifts for this month\..*from 1 June"):
        gift_create(sender=subscriber, article=article(), at=in_may)
    assert GiftLink.objects.count() == 2
    in_june = local(2026, 6, 1, 0, 0)
    assert gifts_left_this_month(user=subscriber, at=in_june) == 2
    gift_create(sender=subscriber, article=article(), at=in_june)


def test_only_subscribers_and_staff_may_gift(subscriber):
    with pytest.raises(PermissionDenied):
        gift_create(sender=make_reader(), article=article())
    lapsed = make_reader()
    make_subscription(user=lapsed, status=Subscription.Status.EXPIRED)
    with pytest.raises(PermissionDenied):
        gift_create(sender=lapsed, article=article())
    assert gift_create(sender=make_staff(), article=article())
    assert not GiftLink.objects.filter(sender=lapsed).exists()


def test_a_free_article_is_not_gifted(subscriber):
    with pytest.raises(GiftError, match="free for everyone"):
        gift_create(sender=subscriber, article=article(access=Access.FREE))
    assert not GiftLink.objects.exists()


def test_a_recipient_gets_a_gift_received_email_without_the_senders_address(
    subscriber, mailoutbox, settings
):
    settings.NEWSROOM_SITE_URL = "https://news.example.com"
    gift = gift_create(sender=subscriber, article=article(), recipient_email="friend@example.com")
    [email] = mailoutbox
    assert email.to == ["friend@example.com"]
    assert "Ann Lee gifted you an article" in email.subject
    assert "Ferry timetable changes" in email.body
    assert f"https://news.example.com{reverse('article_gift', args=[gift.token])}" in email.body
    assert subscriber.email not in email.body
    gift_create(sender=subscriber, article=article())
    assert len(mailoutbox) == 1  # no address, no email


@pytest.mark.parametrize(
    "stored",
    [
        "Win a prize at http://evil.example",
        "Ann\nBcc: victim@example.com",
        "ann@evil.example",
        "A" * 61,
    ],
)
def test_a_gift_email_subject_never_carries_a_name_that_a_form_would_refuse(
    subscriber, mailoutbox, stored
):
    """Names stored before the rule, or by a way round the forms, stay out of the subject."""
    type(subscriber).objects.filter(pk=subscriber.pk).update(name=stored)
    subscriber.refresh_from_db()
    gift_create(sender=subscriber, article=article(), recipient_email="friend@example.com")
    [email] = mailoutbox
    assert email.subject == "A subscriber gifted you an article from The Daily Newsroom"
    assert stored not in email.body


def test_a_gift_email_subject_shows_a_name_as_typed(subscriber, mailoutbox):
    type(subscriber).objects.filter(pk=subscriber.pk).update(name="Siobhán O'Brien & Co")
    subscriber.refresh_from_db()
    gift_create(sender=subscriber, article=article(), recipient_email="friend@example.com")
    [email] = mailoutbox
    assert email.subject.startswith("Siobhán O'Brien & Co gifted you an article")


def test_only_the_sender_withdraws_a_gift_and_the_first_time_is_kept(subscriber):
    gift = gift_create(sender=subscriber, article=article())
    with pytest.raises(PermissionDenied):
        gift_revoke(gift=gift, by=make_reader())
    first = timezone.now()
    gift_revoke(gift=gift, by=subscriber, at=first)
    gift_revoke(gift=gift, by=subscriber, at=first + timedelta(hours=1))
    gift.refresh_from_db()
    assert gift.revoked_at == first and not gift.is_valid(at=first)


def test_opens_are_counted_in_the_database(subscriber):
    gift = gift_create(sender=subscriber, article=article())
    stale = GiftLink.objects.get(pk=gift.pk)
    gift_record_open(gift=gift)
    gift_record_open(gift=stale)  # an old copy still adds one: F(), not a read-modify-write
    gift.refresh_from_db()
    assert gift.open_count == 2 and gift.last_opened_at is not None


def test_build_reader_gifts_the_one_article_while_the_gift_is_valid(subscriber):
    now = timezone.now()
    gift = gift_create(sender=subscriber, article=article(pk=7), at=now)
    reader = build_reader(article_request(), gift=gift, at=now)
    assert reader.gifted_article_ids == {7} and not reader.may_consume_reads
    granted = decide_article_access(article=article(pk=7), reader=reader)
    assert granted.granted and granted.reason == AccessReason.GIFT and not granted.consumes_read
    other = decide_article_access(article=article(pk=8), reader=reader)
    assert not other.granted  # the meter is frozen on a gift page: nothing else opens
    later = build_reader(article_request(), gift=gift, at=gift.expires_at)
    assert later.gifted_article_ids == frozenset()
    gift_revoke(gift=gift, by=subscriber, at=now)
    assert build_reader(article_request(), gift=gift, at=now).gifted_article_ids == frozenset()


def test_build_reader_without_a_gift_asks_the_database_nothing(django_assert_num_queries):
    with django_assert_num_queries(0):
        assert build_reader(article_request()).gifted_article_ids == frozenset()


def test_a_subscription_after_a_gift_sign_up_is_attributed_to_the_gift(subscriber):
    gift = gift_create(sender=subscriber, article=article())
    newcomer = make_reader()
    gift_record_signup(gift_id=gift.pk, user=newcomer)
    subscription = subscription_start(user=newcomer, plan=make_plan())
    assert subscription.attributed_gift == gift
    assert Subscription.objects.get(pk=subscription.pk).attributed_gift == gift
    # Counted once: a later subscription of the same reader is not a second conversion.
    again = make_subscription(user=newcomer, status=Subscription.Status.EXPIRED)
    assert gift_attribute_subscription(subscription=again).attributed_gift is None


def test_complimentary_access_and_readers_without_a_gift_are_not_attributed(subscriber):
    gift = gift_create(sender=subscriber, article=article())
    newcomer = make_reader()
    gift_record_signup(gift_id=gift.pk, user=newcomer)
    comp = subscription_grant_complimentary(user=newcomer, months=1, granted_by=None)
    assert gift_attribute_subscription(subscription=comp).attributed_gift is None
    stranger = make_reader()
    assert subscription_start(user=stranger, plan=make_plan()).attributed_gift is None


def test_a_sign_up_is_recorded_once_and_only_for_a_gift_that_exists(subscriber):
    gift = gift_create(sender=subscriber, article=article())
    newcomer = make_reader()
    assert gift_record_signup(gift_id=gift.pk + 1000, user=newcomer) is None
    gift_record_signup(gift_id=gift.pk, user=newcomer)
    gift_record_signup(gift_id=gift.pk, user=newcomer)
    assert GiftSignup.objects.filter(user=newcomer, gift=gift).count() == 1


def test_the_admin_shows_gifts_opens_sign_ups_and_subscriptions_view_only(
    client, subscriber, staff_user
):
    gift = gift_create(sender=subscriber, article=article(pk=7))
    quiet = gift_create(sender=subscriber, article=article(pk=8))
    gift_record_open(gift=gift)
    gift_record_open(gift=gift)
    for _ in range(2):
        newcomer = make_reader()
        gift_record_signup(gift_id=gift.pk, user=newcomer)
    subscription_start(user=newcomer, plan=make_plan())
    client.force_login(staff_user)
    page = client.get(reverse("admin:subscriptions_giftlink_changelist"))
    assert page.status_code == 200
    text = page.content.decode()
    assert "Shown:</strong> 2 gifts · 2 opens · 2 sign-ups · 1 subscription" in text
    rows = page.context["cl"].result_list
    counts = {row.pk: (row.open_count, row.signup_count, row.subscription_count) for row in rows}
    assert counts == {gift.pk: (2, 2, 1), quiet.pk: (0, 0, 0)}
    assert gift.token not in text  # the link is the sender's to share
    assert "Add gift link" not in text
    change = client.get(reverse("admin:subscriptions_giftlink_change", args=[gift.pk]))
    assert change.status_code == 200 and gift.token not in change.content.decode()
    assert 'name="_save"' not in change.content.decode()


def test_the_admin_totals_follow_the_month_shown(client, subscriber, staff_user):
    gift_create(sender=subscriber, article=article(), at=local(2026, 4, 20, 12, 0))
    gift_create(sender=subscriber, article=article(), at=local(2026, 5, 2, 12, 0))
    gift_create(sender=subscriber, article=article(), at=local(2026, 5, 3, 12, 0))
    client.force_login(staff_user)
    url = reverse("admin:subscriptions_giftlink_changelist")
    may = client.get(url, {"created_at__year": 2026, "created_at__month": 5}).content.decode()
    assert "Shown:</strong> 2 gifts · 0 opens" in may
