"""The background work in the admin: failed tasks with their error and "Run again", the outbox
with "Send again", the workers; for editors (the Editor group) and superusers only."""

import pytest
from django.apps import apps
from django.contrib.admin.models import LogEntry
from django.contrib.auth.management import create_permissions
from django.test import Client
from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from foundation.clock import short_time
from foundation.models import MissedWrite, OutboxMessage
from tests.factories import make_staff

pytestmark = pytest.mark.django_db

TASKS = "/admin/foundation/backgroundtask/"
OUTBOX = "/admin/foundation/outboxmessage/"
WORKERS = "/admin/foundation/taskworker/"


def failed_task():
    return DBTaskResult.objects.create(
        args_kwargs={"args": [42], "kwargs": {}},
        task_path="media.services.image_renditions_make",
        backend_name="default",
        status=TaskResultStatus.FAILED,
        started_at=timezone.now(),
        finished_at=timezone.now(),
        worker_ids=["w1"],
        exception_class_path="media.services.StorageUnavailable",
        traceback="Traceback (most recent call last):\n  …\nStorageUnavailable: the storage "
        "did not answer",
    )


def failed_message():
    return OutboxMessage.objects.create(
        event_key="password-reset:7:abc",
        to="ada@example.com",
        subject="Reset your password",
        text="Follow https://example.com/reset/SECRET-TOKEN/ to choose a new password.",
        message_id="<abc@example.com>",
        status=OutboxMessage.Status.FAILED,
        attempts=20,
        last_error="SMTPRecipientsRefused: {'ada@example.com': (451, b'Not now')}",
    )


def client_for(user):
    client = Client()
    client.force_login(user)
    return client


# What the Editor group may do with background work (articles/migrations/0014, checked in
# tests/articles/test_migrations.py), and what the Journalist group may do with pictures and
# articles: permissions, not the groups, which a transactional test elsewhere may have flushed.
EDITOR = [
    "foundation.view_backgroundtask",
    "foundation.retry_backgroundtask",
    "foundation.view_outboxmessage",
    "foundation.retry_outboxmessage",
    "foundation.view_taskworker",
]
JOURNALIST = [
    "articles.add_article",
    "articles.change_article",
    "articles.view_article",
    "media.add_image",
    "media.change_image",
    "media.view_image",
]


def make_editor(**fields):
    """Return a staff account with the Editor group's permissions over background work.

    Django makes permissions after `migrate` (and after a transactional test's flush, though
    not always those of a proxy model): made again here if a flush took them."""
    create_permissions(apps.get_app_config("foundation"), verbosity=0)
    return make_staff(*EDITOR, **fields)


@pytest.fixture
def editor():
    return make_editor()


@pytest.fixture
def journalist():
    return make_staff(*JOURNALIST)


def test_an_editor_sees_failed_tasks_with_their_error_and_runs_them_again(editor):
    task = failed_task()
    done = DBTaskResult.objects.create(
        args_kwargs={"args": [], "kwargs": {}},
        task_path="foundation.outbox.outbox_send",
        backend_name="default",
        status=TaskResultStatus.SUCCESSFUL,
    )
    client = client_for(editor)

    listing = client.get(TASKS + "?status__exact=FAILED").content.decode()
    assert "image renditions make" in listing
    assert short_time(task.enqueued_at) in listing
    assert "StorageUnavailable: the storage did not answer" in listing
    assert "outbox send" not in listing
    detail = client.get(f"{TASKS}{task.pk}/change/").content.decode()
    assert "Traceback (most recent call last)" in detail and "[42]" in detail

    answer = client.post(
        TASKS, {"action": "run_again", "_selected_action": [task.pk, done.pk]}, follow=True
    )

    assert "1 failed task(s) queued again." in answer.content.decode()
    assert "1 task(s) had not failed and were left." in answer.content.decode()
    task.refresh_from_db()
    done.refresh_from_db()
    assert (task.status, done.status) == (TaskResultStatus.READY, TaskResultStatus.SUCCESSFUL)
    entry = LogEntry.objects.get()
    assert entry.user == editor and "StorageUnavailable" in entry.get_change_message()


def test_the_outbox_shows_what_was_sent_to_whom_but_never_the_text(editor):
    message = failed_message()
    client = client_for(editor)

    listing = client.get(OUTBOX).content.decode()
    detail = client.get(f"{OUTBOX}{message.pk}/change/").content.decode()

    assert "Reset your password" in listing and "ada@example.com" in listing
    assert f"queued {short_time(message.queued_at)}" in listing
    assert "451" in listing
    assert "SECRET-TOKEN" not in listing + detail
    assert "password-reset:7:abc" in detail


def test_an_editor_sends_a_failed_email_again(editor, mailoutbox):
    message = failed_message()

    answer = client_for(editor).post(
        OUTBOX, {"action": "send_again", "_selected_action": [message.pk]}, follow=True
    )

    assert "1 failed email(s) queued to be sent again." in answer.content.decode()
    message.refresh_from_db()
    assert message.status == "sent"
    assert [m.subject for m in mailoutbox] == ["Reset your password"]
    # The list's one time column says when it went, in the short form the lists share.
    listing = client_for(editor).get(OUTBOX).content.decode()
    assert f"sent {short_time(message.sent_at)}" in listing


@pytest.mark.parametrize("address", [TASKS, OUTBOX, WORKERS])
def test_journalists_see_none_of_it(journalist, address):
    assert client_for(journalist).get(address).status_code == 403


def test_who_may_only_look_runs_nothing_again(mailoutbox):
    create_permissions(apps.get_app_config("foundation"), verbosity=0)
    looker = make_staff("foundation.view_backgroundtask", "foundation.view_outboxmessage")
    task, message = failed_task(), failed_message()
    client = client_for(looker)

    assert "run_again" not in client.get(TASKS).content.decode()
    client.post(TASKS, {"action": "run_again", "_selected_action": [task.pk]})
    client.post(OUTBOX, {"action": "send_again", "_selected_action": [message.pk]})

    task.refresh_from_db()
    message.refresh_from_db()
    assert (task.status, message.status) == (TaskResultStatus.FAILED, "failed")
    assert mailoutbox == [] and not LogEntry.objects.exists()


def test_nobody_adds_changes_or_deletes_background_work(editor):
    task, message = failed_task(), failed_message()
    client = client_for(editor)

    assert client.get(f"{TASKS}add/").status_code == 403
    assert client.post(f"{TASKS}{task.pk}/delete/", {"post": "yes"}).status_code == 403
    assert client.post(f"{OUTBOX}{message.pk}/delete/", {"post": "yes"}).status_code == 403
    assert DBTaskResult.objects.filter(pk=task.pk).exists()


MISSED = "/admin/foundation/missedwrite/"


def test_the_site_owner_sees_the_kept_values_that_wait_for_their_repair(editor):
    """What the cache did not take (and is read from the database until repaired): only for
    whoever runs the site; nobody changes it by hand."""
    MissedWrite.objects.create(kind="entitlement", ident="42")
    owner = make_staff(is_superuser=True)
    page = client_for(owner).get(MISSED)
    assert page.status_code == 200
    assert "entitlement 42" in page.content.decode()
    assert b"Add missed cache write" not in page.content
    assert client_for(editor).get(MISSED).status_code == 403
