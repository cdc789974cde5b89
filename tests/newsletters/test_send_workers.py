"""A send on real workers (`manage.py run_worker` in child processes) through django-anymail to
the stand-in Resend, with workers killed with SIGKILL at random points and started again.

However the kills fall (freezing, claiming, between the provider's answer and the row's mark),
every recipient is delivered exactly once: the rows are frozen once, a killed worker's task is
run again with the rows it had claimed, and a message posted again carries the same idempotency
key, which the provider recognises. Then a bounce and a complaint arrive through the signed
webhook and a worker applies them within the minute.
"""

import random
import time

import pytest
from django.test import Client

from newsletters.models import NewsletterSend, Suppression
from newsletters.sending import send_counts, send_start
from tests.factories import make_article, make_staff
from tests.fault_services import Worker, environment, served_database_url, wait_until
from tests.newsletters.factories import make_newsletter, make_send, subscribe
from tests.newsletters.resend_stand_in import API_KEY, SIGNING_SECRET, ResendStandIn

pytestmark = [
    pytest.mark.faults,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

RECIPIENTS = 600
BATCH = 25


@pytest.fixture
def stand_in():
    provider = ResendStandIn().start()
    yield provider
    provider.stop()


@pytest.fixture
def workers(settings, tmp_path, stand_in):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.ANYMAIL = {"RESEND_SIGNING_SECRET": SIGNING_SECRET}
    started = []

    def start():
        env = environment(
            DATABASE_URL=served_database_url(),
            EMAIL_BACKEND="foundation.email_providers.ResendEmailBackend",
            ANYMAIL_RESEND_API_KEY=API_KEY,
            ANYMAIL_RESEND_API_URL=stand_in.url,
            ANYMAIL_REQUESTS_TIMEOUT="5",
            NEWSROOM_NEWSLETTER_BATCH_SIZE=str(BATCH),
            NEWSROOM_NEWSLETTER_RATE_PER_SECOND="0",
            NEWSROOM_EMAIL_RETRY_SECONDS="0.5",
        )
        worker = Worker(env, tmp_path / f"worker-{len(started)}.log").start()
        started.append(worker)
        return worker

    yield start, started
    for worker in started:
        worker.stop()


def _status(send):
    return NewsletterSend.objects.values_list("status", flat=True).get(pk=send.pk)


def test_workers_killed_at_random_points_deliver_every_recipient_exactly_once(workers, stand_in):
    start, _started = workers
    seed = random.randrange(10**6)
    chance = random.Random(seed)
    newsletter = make_newsletter()
    for n in range(RECIPIENTS):
        subscribe(newsletter, email=f"reader{n}@example.com")
    send = make_send(newsletter, article=make_article(access="free"))
    stand_in.delay(0.004)  # a provider that takes a few milliseconds, as a real one does
    alive = [start(), start()]
    send_start(send=send, by=make_staff("newsletters.send_newslettersend"))

    kills = 0
    deadline = time.monotonic() + 120
    while _status(send) != NewsletterSend.Status.SENT and time.monotonic() < deadline:
        if kills < 3:
            time.sleep(chance.uniform(0.3, 1.5))
            victim = alive.pop(chance.randrange(len(alive)))
            victim.kill()
            kills += 1
            if kills == 2:
                stand_in.refuse(503)  # and the provider refuses for a moment
                time.sleep(0.5)
                stand_in.accept()
            alive.append(start())
        else:
            time.sleep(0.2)

    assert _status(send) == NewsletterSend.Status.SENT, f"not sent (seed {seed})"
    assert kills == 3, f"the send ended before the third kill (seed {seed}): make it longer"
    delivered = stand_in.recipients()
    assert delivered == {f"reader{n}@example.com": 1 for n in range(RECIPIENTS)}, seed
    counts = send_counts(send)
    assert counts["prepared"] == RECIPIENTS == counts["handed_over"], (counts, seed)
    assert counts["suppressed"] == counts["failed"] == 0

    # A bounce and a complaint arrive; a worker applies them within the minute.
    arrived = time.monotonic()
    for kind, email in (
        ("email.bounced", "reader7@example.com"),
        ("email.complained", "reader9@example.com"),
    ):
        extra = {"bounce": {"message": "hard bounce message"}} if kind == "email.bounced" else {}
        body, headers = stand_in.signed_event(kind, email, **extra)
        response = Client().post(
            "/anymail/resend/tracking/", data=body, content_type="application/json", headers=headers
        )
        assert response.status_code == 200
    wait_until(lambda: Suppression.objects.count() == 2, timeout=60, what="the events applied")
    assert time.monotonic() - arrived < 60
    assert dict(Suppression.objects.values_list("email", "reason")) == {
        "reader7@example.com": "hard_bounce",
        "reader9@example.com": "complaint",
    }
