"""A change that takes access away while Redis is paused holds on every worker once it answers.

The site runs as production runs it: two gunicorn workers and the scheduler beside them, on the
test database and a Redis of the test's own, with the Stripe stand-in behind the webhook. Each
worker is a gunicorn of its own on its own port, so that the test reads on both in turn: two
workers behind one port take requests as the kernel's accept race goes, and on a busy machine
one of them took sixty in a row. The two gunicorns serve the whole module, each master having
loaded the site once (`--preload`): every test has new workers, forked from it, that remember
nothing of the tests before, as the cases where no worker noticed the pause need. The scheduler
is started for each test.
For each change that takes something away (a refund by webhook, an article made subscribers-only
or unpublished, a log-out, a password change, a deactivated account), the test pauses Redis
(SIGSTOP), makes the change, resumes Redis (SIGCONT) and then puts back every key Redis held
before the pause: a paused Redis applies the writes queued on its sockets when it wakes, and
putting the old values back plays what production meets when such writes are lost (a failover,
a partition). Every write the cache missed must then be repaired within 5 s of Redis answering
(`foundation.kept`), after which no request on either worker gets what the change took away.

Each case runs twice: with both workers having noticed the pause (readers kept reading
meanwhile) and with neither (nobody read: the workers' first requests after the pause meet
Redis's old values). A last test replaces the workers while Redis is paused.
"""

import re
import signal
import time

import pytest
import redis
from django.conf import settings as django_settings
from django.test import Client
from django.utils import timezone

from articles.services import article_change_access, article_unpublish
from foundation import cache as breaker
from foundation import kept
from foundation.models import MissedWrite
from subscriptions.access import Access
from subscriptions.models import PaymentCustomer, Subscription
from tests.factories import make_article, paragraphs
from tests.fault_services import (
    RedisServer,
    Scheduler,
    Site,
    caches_on,
    environment,
    served_database_url,
)
from tests.readers import BEYOND
from tests.subscriptions.factories import make_plan, make_reader, make_subscription
from tests.subscriptions.stripe_stand_in import DAY, SECRET_KEY, WEBHOOK_SECRET, signed_event

pytestmark = [
    pytest.mark.faults,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

REPAIRED_WITHIN = 5.0  # seconds after Redis answers again
READS = 8  # requests on each worker after the repair


@pytest.fixture(scope="module")
def redis_server():
    server = RedisServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def site(redis_server, stripe_server, django_db_setup, tmp_path_factory):
    """The site's two gunicorns, on the test database and our Redis, for the whole module:
    each master loads the site once, and each test has workers forked from it afresh."""
    env = environment(
        DATABASE_URL=served_database_url(),
        CACHE_URL=redis_server.url,
        CACHE_CONNECT_TIMEOUT="0.25",
        CACHE_SOCKET_TIMEOUT="0.25",
        CACHE_RETRY_AFTER="1",
        NEWSROOM_PAYMENT_PROVIDER="subscriptions.stripe_provider.StripeProvider",
        NEWSROOM_DEVELOPMENT_CHECKOUT="false",
        STRIPE_SECRET_KEY=SECRET_KEY,
        STRIPE_PUBLISHABLE_KEY="pk_test_stand_in",
        STRIPE_WEBHOOK_SECRET=WEBHOOK_SECRET,
        STRIPE_API_BASE=stripe_server.url,
    )
    folder = tmp_path_factory.mktemp("faults")
    workers = [Site(env, folder / f"gunicorn-{n}.log", threads=2, preload=True) for n in (1, 2)]
    for worker in workers:
        worker.start()
    try:
        yield env, workers
    finally:
        for worker in workers:
            worker.stop()


@pytest.fixture
def house(site, redis_server, stripe_stand_in, settings, tmp_path):
    """The site (two gunicorn workers, new to this test) and the scheduler on the test database
    and an empty Redis; this process, where editors' changes are made, on the same Redis."""
    env, workers = site
    redis.Redis.from_url(redis_server.url).flushall()
    settings.CACHES = caches_on(redis_server.url, breaker_seconds=1)
    breaker.forget_outages()
    kept.forget_outage()
    scheduler = Scheduler(env, tmp_path / "scheduler.log")
    scheduler.start()
    try:
        yield House(workers, scheduler, redis_server, stripe_stand_in)
    finally:
        redis_server.thaw()
        scheduler.stop()
        for worker in workers:
            # Before this test's rows are flushed; the next test's workers have seen nothing.
            worker.replace_worker()
        breaker.forget_outages()
        kept.forget_outage()


class House:
    def __init__(self, workers, scheduler, redis_server, stripe):
        self.workers = workers
        self.site = workers[0]  # where webhooks and forms are posted
        self.scheduler = scheduler
        self.redis_server = redis_server
        self.redis = redis.Redis.from_url(redis_server.url)
        self.stripe = stripe

    def on_both_workers(self, paths_and_cookies):
        """Read the pages on each worker in turn; return every answer."""
        answers = []
        for worker in self.workers:
            for path, cookies in paths_and_cookies:
                status, _headers, body, _seconds = worker.request(path, cookies=cookies)
                answers.append((path, cookies, status, body))
        return answers

    def pause(self):
        """Remember every key Redis holds, then pause it."""
        self.before = {
            key: (self.redis.dump(key), self.redis.pttl(key)) for key in self.redis.scan_iter()
        }
        self.redis_server.freeze()

    def resume_and_lose_the_writes_of_the_pause(self):
        """Resume Redis, and put back what it held before the pause (the writes queued on its
        sockets meanwhile are lost, as in a failover). The scheduler waits meanwhile: a repair
        made before the old values are back would be a repair of writes not yet lost."""
        self.scheduler.process.send_signal(signal.SIGSTOP)
        try:
            self.redis_server.thaw()
            self.redis.ping()
            for key, (dumped, ttl) in self.before.items():
                self.redis.restore(key, max(ttl, 0), dumped, replace=True)
        finally:
            self.scheduler.process.send_signal(signal.SIGCONT)
        self.answering_since = time.monotonic()

    def wait_for_the_repair(self):
        """Return once no missed write is left; fail if that took more than 5 s."""
        while MissedWrite.objects.exists():
            waited = time.monotonic() - self.answering_since
            assert waited < REPAIRED_WITHIN, f"missed writes left after {waited:.1f} s"
            time.sleep(0.05)


def story(access):
    return make_article(
        access=access,
        blocks=[("text", paragraphs(3)), ("break",), ("text", f"<p>{BEYOND}</p>")],
    )


def session_of(user) -> dict:
    client = Client()
    client.force_login(user)
    name = django_settings.SESSION_COOKIE_NAME
    return {name: client.cookies[name].value}


def reads_in_full(answer) -> bool:
    status, body = answer[-2:]
    assert status == 200, body[:300]
    return BEYOND in body


# The cases: each makes its world, reads it, then takes something away during the pause.


def refund_by_webhook(house):
    """A subscriber refunded at Stripe: the subscription ends now."""
    plan = make_plan(name="Monthly", slug="monthly", provider_price_id="price_monthly")
    reader = make_reader()
    PaymentCustomer.objects.create(user=reader, provider_customer_id="cus_refunded")
    remote = house.stripe.add_subscription(
        customer="cus_refunded",
        price_id=plan.provider_price_id,
        start=timezone.now().timestamp() - 10 * DAY,
    )
    delivered = deliver(house, "customer.subscription.created", remote)
    assert delivered == 200 and Subscription.objects.filter(user=reader).exists()
    article = story(Access.SUBSCRIBERS)
    pages = [(article.get_absolute_url(), session_of(reader))]

    def take_away():
        now = int(timezone.now().timestamp())
        ended = house.stripe.change(remote["id"], status="canceled", ended_at=now)
        assert deliver(house, "customer.subscription.deleted", ended) == 200

    return pages, take_away


def deliver(house, event_type, obj):
    body, signature = signed_event(event_type, obj)
    status, *_rest = house.site.request(
        "/payments/webhook/",
        method="POST",
        headers={"Stripe-Signature": signature, "Content-Type": "application/json"},
        body=body,
    )
    return status


def made_subscribers_only(house):
    article = story(Access.FREE)
    editor = editor_account()
    return [(article.get_absolute_url(), None)], lambda: article_change_access(
        article=article, by=editor, access=Access.SUBSCRIBERS
    )


def unpublished(house):
    article = story(Access.FREE)
    editor = editor_account()
    return [(article.get_absolute_url(), None)], lambda: article_unpublish(
        article=article, by=editor
    )


def logged_out(house):
    reader = make_subscription(user=make_reader()).user
    cookies = session_of(reader)
    article = story(Access.SUBSCRIBERS)
    _status, headers, page, _seconds = house.site.request("/account/", cookies=cookies)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    csrf_cookie = re.search(r"csrftoken=([^;]+)", headers["Set-Cookie"]).group(1)

    def take_away():
        status, *_rest = house.site.request(
            "/logout/",
            method="POST",
            cookies={**cookies, "csrftoken": csrf_cookie},
            form={"csrfmiddlewaretoken": token},
        )
        assert status == 302

    # A copy of the session's cookie (the same browser's other tab, or a stolen one).
    return [(article.get_absolute_url(), cookies)], take_away


def password_changed(house):
    reader = make_subscription(user=make_reader()).user
    article = story(Access.SUBSCRIBERS)

    def take_away():
        reader.set_password("a-new-pass-2026")
        reader.save()

    return [(article.get_absolute_url(), session_of(reader))], take_away


def deactivated(house):
    reader = make_subscription(user=make_reader()).user
    article = story(Access.SUBSCRIBERS)

    def take_away():
        reader.is_active = False
        reader.save()

    return [(article.get_absolute_url(), session_of(reader))], take_away


def editor_account():
    return make_reader(is_staff=True, is_superuser=True)


def taken_away(answer) -> bool:
    """Whether the answer no longer gives what the change took: the full text (or the page)."""
    _path, _cookies, status, body = answer
    if status == 404:
        return True
    assert status == 200, body[:300]
    return BEYOND not in body


CASES = [
    refund_by_webhook,
    made_subscribers_only,
    unpublished,
    logged_out,
    password_changed,
    deactivated,
]


@pytest.mark.parametrize("noticed", [True, False], ids=["workers-noticed", "nobody-noticed"])
@pytest.mark.parametrize("case", CASES, ids=[case.__name__ for case in CASES])
def test_what_a_change_takes_away_during_a_pause_stays_away_on_every_worker(house, case, noticed):
    pages, take_away = case(house)
    house.on_both_workers(pages)  # what they read is kept in Redis
    assert all(reads_in_full(answer) for answer in house.on_both_workers(pages))

    house.pause()
    if noticed:
        house.on_both_workers(pages)  # each worker waits once on the paused Redis
    take_away()
    if noticed:
        during = house.on_both_workers(pages)
        assert all(taken_away(answer) for answer in during)  # read from the database
    house.resume_and_lose_the_writes_of_the_pause()

    house.wait_for_the_repair()
    after = house.on_both_workers(pages * READS)
    assert all(taken_away(answer) for answer in after)


def test_workers_replaced_while_redis_is_paused_leave_nothing_unrepaired(house):
    """The record of a missed write is in the database: a worker that dies takes nothing."""
    pages, take_away = made_subscribers_only(house)
    house.on_both_workers(pages)
    house.pause()
    house.on_both_workers(pages)
    take_away()
    for worker in house.workers:
        worker.process.send_signal(signal.SIGHUP)  # gunicorn replaces its worker
    time.sleep(1)
    house.resume_and_lose_the_writes_of_the_pause()

    house.wait_for_the_repair()
    after = house.on_both_workers(pages * READS)
    assert all(taken_away(answer) for answer in after)
