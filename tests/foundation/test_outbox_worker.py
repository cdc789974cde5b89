"""The outbox on real workers (`manage.py run_worker` in child processes) and a stand-in mail
server, with a worker killed with SIGKILL in the middle of handing a message over.

- Killed before the server accepted the message (the server holds its answer to the end of
  the data; the client vanishes): the server never took it, and the worker started again
  sends it, once.
- Killed after the server accepted it and before the outbox said so (the worker's "sent" is
  held back: on PostgreSQL in a proxy in front of the database, whose held bytes never arrive;
  on SQLite behind this test's write lock): the one window the outbox leaves. The
  next worker sends it again with the same Message-ID, which a deduplicating provider or mail
  client recognises; the test shows both copies carry it.
- The server refusing for a few seconds: every message is sent once it accepts again.
"""

import time

import pytest
from django.db import connection, transaction

from foundation.models import OutboxMessage
from foundation.outbox import email_queue, message_id_for
from tests.fault_services import (
    DatabaseProxy,
    Worker,
    environment,
    served_database_url,
    wait_until,
)
from tests.smtp_stand_in import SMTPStandIn

pytestmark = [
    pytest.mark.faults,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def mail_server():
    server = SMTPStandIn().start()
    yield server
    server.stop()


@pytest.fixture
def workers(settings, tmp_path, mail_server):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    started = []

    def start(database_url=None, **overrides):
        env = environment(
            DATABASE_URL=database_url or served_database_url(),
            EMAIL_URL=f"smtp://127.0.0.1:{mail_server.port}",
            EMAIL_TIMEOUT="10",
            **overrides,
        )
        worker = Worker(env, tmp_path / f"worker-{len(started)}.log").start()
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()


def queue(number=1):
    return email_queue(
        to=f"reader{number}@example.com",
        subject=f"Your gift {number}",
        text="Someone sent you an article.",
        event_key=f"gift:{number}:received",
    )


def status(message):
    message.refresh_from_db()
    return message.status


def test_killed_before_the_server_took_it_the_message_is_sent_once(workers, mail_server):
    mail_server.hold()
    first = workers()
    message = queue()
    assert mail_server.message_held.wait(15), "the worker never reached the end of the data"
    assert status(message) == "sending"

    first.kill()
    wait_until(lambda: mail_server.dropped == 1, what="the server noticing the client gone")
    mail_server.release()
    workers()

    wait_until(lambda: status(message) == "sent", timeout=30, what="the message sent again")
    assert mail_server.message_ids() == [message_id_for("gift:1:received")]  # once
    message.refresh_from_db()
    assert message.attempts == 2 and message.text == ""


def test_killed_after_the_server_took_it_the_copy_sent_again_has_the_same_message_id(
    workers, mail_server
):
    mail_server.hold()
    if connection.vendor == "postgresql":
        proxy = DatabaseProxy()
        proxy.start()
        url = served_database_url().replace(":5432/", f":{proxy.port}/")
        first = workers(database_url=url)
        message = queue()
        assert mail_server.message_held.wait(15)
        proxy.freeze()  # what the worker says to the database from now on is held
        mail_server.release()
        wait_until(lambda: len(mail_server.accepted) == 1, what="the server taking it")
        time.sleep(0.5)  # the worker's "sent" is in the proxy
        first.kill()
        proxy.stop()  # and never arrives
    else:
        first = workers()
        message = queue()
        assert mail_server.message_held.wait(15)
        with transaction.atomic():
            # A write lock on the database: the worker's "sent" waits behind it.
            OutboxMessage.objects.filter(pk=message.pk).update(last_error="")
            mail_server.release()
            wait_until(lambda: len(mail_server.accepted) == 1, what="the server taking it")
            time.sleep(0.5)  # the worker is now waiting to write "sent"
            first.kill()
            transaction.set_rollback(True)

    assert status(message) == "sending"
    workers()

    wait_until(lambda: status(message) == "sent", timeout=30, what="the message sent again")
    assert mail_server.message_ids() == [message_id_for("gift:1:received")] * 2


def test_none_is_lost_while_the_server_refuses_and_each_goes_once(workers, mail_server):
    mail_server.refuse()
    workers(NEWSROOM_EMAIL_RETRY_SECONDS="0.5")
    workers(NEWSROOM_EMAIL_RETRY_SECONDS="0.5")
    messages = [queue(number) for number in range(1, 9)]
    wait_until(lambda: mail_server.refused >= 8, what="the first refusals")

    time.sleep(3)
    mail_server.accept()

    wait_until(
        lambda: all(status(message) == "sent" for message in messages),
        timeout=30,
        what="every message sent",
    )
    assert sorted(mail_server.message_ids()) == sorted(
        message_id_for(f"gift:{number}:received") for number in range(1, 9)
    )
