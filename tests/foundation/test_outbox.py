"""The outbox (`foundation.outbox`): one row per message, queued with its event, sent by a task
through Django's email backend, tried again while the server refuses.

Sending goes to the stand-in mail server (tests/smtp_stand_in.py) through Django's SMTP backend,
or to Django's in-memory backend where what matters is only what was sent. Tasks run at once
after the commit; a retry runs when the test moves the clock past its time (tests/engine.py).
"""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from foundation.models import OutboxMessage
from foundation.outbox import email_queue, message_id_for, outbox_retry
from tests.engine import deferred_tasks, run_due
from tests.smtp_stand_in import SMTPStandIn

pytestmark = pytest.mark.django_db


@pytest.fixture
def mail_server(settings):
    server = SMTPStandIn().start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", server.port
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 5
    yield server
    server.stop()


def queue(number=1, **fields):
    return email_queue(
        **{
            "to": f"reader{number}@example.com",
            "subject": f"Message {number}",
            "text": f"Hello reader {number}.",
            "event_key": f"test:{number}",
            **fields,
        }
    )


def statuses():
    return sorted(OutboxMessage.objects.values_list("status", flat=True))


def test_a_message_is_sent_after_its_event_commits_with_its_headers_and_html():
    with transaction.atomic():
        message = queue(
            html="<p>Hello <strong>reader</strong>.</p>",
            headers={"List-Unsubscribe": "<https://example.com/u/1>"},
        )
        assert mail.outbox == []  # not before the event is committed

    (sent,) = mail.outbox
    assert (sent.to, sent.subject, sent.body) == (
        ["reader1@example.com"],
        "Message 1",
        "Hello reader 1.",
    )
    assert sent.alternatives[0].content == "<p>Hello <strong>reader</strong>.</p>"
    assert sent.extra_headers["List-Unsubscribe"] == "<https://example.com/u/1>"
    assert sent.extra_headers["Message-ID"] == message_id_for("test:1")
    message.refresh_from_db()
    assert (message.status, message.attempts) == ("sent", 1)
    assert message.sent_at is not None
    # A reset link is not kept once it is on its way; what and to whom is.
    assert (message.text, message.html, message.subject) == ("", "", "Message 1")


def test_an_event_rolled_back_queues_nothing():
    with pytest.raises(RuntimeError), transaction.atomic():
        queue()
        raise RuntimeError("the event failed")

    assert not OutboxMessage.objects.exists() and mail.outbox == []


def test_an_event_is_queued_and_sent_once_however_often_it_asks():
    first = queue()
    again = queue(subject="Another subject")

    assert again.pk == first.pk and OutboxMessage.objects.count() == 1
    assert len(mail.outbox) == 1 and mail.outbox[0].subject == "Message 1"


def test_the_message_id_is_stable_per_event_and_different_between_events(settings):
    settings.DEFAULT_FROM_EMAIL = "The Herald <news@herald.example>"
    assert message_id_for("gift:1:received") == message_id_for("gift:1:received")
    assert message_id_for("gift:1:received") != message_id_for("gift:2:received")
    assert message_id_for("gift:1:received").endswith("@herald.example>")


@pytest.mark.parametrize("address", ["", "a@example.com, b@example.com", "a@example.com\nBcc: x"])
def test_one_address_or_nothing_is_queued(address):
    with pytest.raises(ValueError, match="Not one email address"):
        queue(to=address)
    assert not OutboxMessage.objects.exists()


def test_none_is_lost_while_the_mail_server_refuses_for_a_minute(mail_server, time_machine):
    time_machine.move_to(timezone.now(), tick=False)
    started = timezone.now()
    mail_server.refuse()

    queued = [queue(number) for number in range(1, 6)]

    assert mail_server.accepted == [] and mail_server.refused == 5
    assert statuses() == ["queued"] * 5
    first = OutboxMessage.objects.first()
    assert first.next_attempt_at == started + timedelta(seconds=30)
    assert "451" in first.last_error and first.attempts == 1

    # Half a minute on, the server still refuses: each is put off for twice as long.
    time_machine.move_to(started + timedelta(seconds=30))
    assert run_due() == 5
    assert mail_server.accepted == [] and statuses() == ["queued"] * 5
    assert OutboxMessage.objects.first().next_attempt_at == started + timedelta(seconds=90)

    # A minute after it began refusing, it takes mail again; the next attempts are due later.
    time_machine.move_to(started + timedelta(seconds=60))
    mail_server.accept()
    assert run_due() == 0
    time_machine.move_to(started + timedelta(seconds=90))
    assert run_due() == 5

    assert statuses() == ["sent"] * 5 and deferred_tasks() == []
    assert sorted(mail_server.message_ids()) == sorted(
        message_id_for(message.event_key) for message in queued
    )
    assert [m["To"] for m in mail_server.messages()] == [
        f"reader{n}@example.com" for n in range(1, 6)
    ]


def test_a_server_that_does_not_answer_at_all_is_tried_again_too(settings, time_machine):
    time_machine.move_to(timezone.now(), tick=False)
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", 9  # nothing listens: refused
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False

    message = queue()

    message.refresh_from_db()
    assert message.status == "queued" and "ConnectionRefusedError" in message.last_error
    assert len(deferred_tasks()) == 1


def test_a_message_refused_outright_fails_at_once(mail_server):
    mail_server.refuse(550)  # no such mailbox: trying again would not help

    message = queue()

    message.refresh_from_db()
    assert (message.status, message.attempts) == ("failed", 1)
    assert "550" in message.last_error and deferred_tasks() == []


def editor_who_may_retry(django_user_model):
    editor = django_user_model.objects.create_user(
        email="editor@example.com", password="x", is_staff=True
    )
    editor.user_permissions.add(Permission.objects.get(codename="retry_outboxmessage"))
    return django_user_model.objects.get(pk=editor.pk)


def test_after_its_last_attempt_a_message_fails_and_an_editor_may_send_it_again(
    mail_server, settings, time_machine, django_user_model
):
    time_machine.move_to(timezone.now(), tick=False)
    settings.NEWSROOM_EMAIL_ATTEMPTS = 2
    mail_server.refuse()
    message = queue()
    time_machine.move_to(timezone.now() + timedelta(seconds=30))
    run_due()

    message.refresh_from_db()
    assert (message.status, message.attempts) == ("failed", 2)
    assert deferred_tasks() == []  # not tried again by itself

    journalist = django_user_model.objects.create_user(
        email="journalist@example.com", password="x", is_staff=True
    )
    with pytest.raises(PermissionDenied):
        outbox_retry(message_ids=[message.pk], by=journalist)
    editor = editor_who_may_retry(django_user_model)
    mail_server.accept()

    assert outbox_retry(message_ids=[message.pk], by=editor) == [message.pk]

    message.refresh_from_db()
    assert message.status == "sent" and len(mail_server.accepted) == 1
    assert outbox_retry(message_ids=[message.pk], by=editor) == []  # only failed ones


def test_a_message_in_the_hands_of_a_live_task_is_left_to_it_and_a_dead_ones_is_sent(settings):
    from django_tasks_db.models import DBTaskResult

    from foundation.outbox import outbox_send

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    message = queue()
    (first,) = DBTaskResult.objects.all()
    first.claim("worker-1")
    outbox_send.call(_context(first), message.pk)  # it hands the message over
    message.refresh_from_db()
    assert message.status == "sent"

    other = queue(2)
    OutboxMessage.objects.filter(pk=other.pk).update(status="sending", task_id=str(first.pk))
    DBTaskResult.objects.filter(pk=first.pk).update(status="RUNNING")
    duplicate = DBTaskResult.objects.exclude(pk=first.pk).get()

    # Another task finds it being handed over by a task that is still running: leaves it.
    assert outbox_send.call(_context(duplicate), other.pk) == "Nothing to send."
    # That task's worker died and it failed: the message is sent by whoever comes next.
    DBTaskResult.objects.filter(pk=first.pk).update(status="FAILED")
    assert outbox_send.call(_context(duplicate), other.pk) == "Sent."
    assert [m.to for m in mail.outbox] == [["reader1@example.com"], ["reader2@example.com"]]


def _context(result):
    from django_tasks import TaskContext

    return TaskContext(task_result=result.task_result)
