"""The engine's own records: dead workers' tasks queued again, or failed after three deaths;
a failed task run again by whoever may; a task queued with its event."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from foundation.engine import dead_after, retry_delay, task_enqueue, task_retry, tasks_reap
from foundation.models import TaskWorker
from tests.foundation.engine_tasks import take_too_long

pytestmark = pytest.mark.django_db

DATABASE_BACKEND = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def running(*, workers, started_ago=timedelta(minutes=5)):
    return DBTaskResult.objects.create(
        args_kwargs={"args": [0], "kwargs": {}},
        task_path="tests.foundation.engine_tasks.take_too_long",
        backend_name="default",
        status=TaskResultStatus.RUNNING,
        started_at=timezone.now() - started_ago,
        worker_ids=workers,
    )


def worker(worker_id, *, silent_for=timedelta(0)):
    return TaskWorker.objects.create(
        worker_id=worker_id, host="here", pid=1, beat_at=timezone.now() - silent_for
    )


def test_the_task_of_a_silent_worker_is_queued_again_and_a_live_ones_is_left():
    worker("alive")
    worker("dead", silent_for=dead_after() + timedelta(seconds=1))
    kept = running(workers=["alive"])
    orphaned = running(workers=["dead"])
    never_seen = running(workers=["a-plain-db_worker"])
    just_started = running(workers=["dead"], started_ago=timedelta(0))

    reaped = tasks_reap()

    assert sorted(reaped) == sorted([str(orphaned.pk), str(never_seen.pk)])
    statuses = dict(DBTaskResult.objects.values_list("pk", "status"))
    assert statuses[kept.pk] == statuses[just_started.pk] == TaskResultStatus.RUNNING
    assert statuses[orphaned.pk] == TaskResultStatus.READY


def test_a_task_whose_workers_died_under_it_three_times_fails_saying_so():
    task = running(workers=["dead-1", "dead-2", "dead-3"])

    tasks_reap()

    task.refresh_from_db()
    assert task.status == TaskResultStatus.FAILED
    assert task.exception_class_path == "foundation.engine.WorkerLost"
    assert "died 3 times" in task.traceback


def test_a_failed_task_is_run_again_only_by_whoever_may(django_user_model):
    failed = running(workers=["w1"])
    DBTaskResult.objects.filter(pk=failed.pk).update(status=TaskResultStatus.FAILED)
    succeeded = running(workers=["w1"])
    DBTaskResult.objects.filter(pk=succeeded.pk).update(status=TaskResultStatus.SUCCESSFUL)
    nobody = django_user_model.objects.create_user(email="j@example.com", password="x")
    editor = django_user_model.objects.create_user(email="e@example.com", password="x")
    editor.user_permissions.add(Permission.objects.get(codename="retry_backgroundtask"))
    editor = django_user_model.objects.get(pk=editor.pk)

    with pytest.raises(PermissionDenied):
        task_retry(task_ids=[failed.pk], by=nobody)
    retried = task_retry(task_ids=[failed.pk, succeeded.pk], by=editor)

    assert retried == [str(failed.pk)]
    failed.refresh_from_db()
    assert (failed.status, failed.worker_ids) == (TaskResultStatus.READY, [])


def test_a_task_is_queued_with_its_event_on_the_database_backend(settings):
    settings.TASKS = DATABASE_BACKEND

    with pytest.raises(RuntimeError), transaction.atomic():
        task_enqueue(take_too_long, 1)
        raise RuntimeError("the event failed")
    assert not DBTaskResult.objects.exists()

    with transaction.atomic():
        task_enqueue(take_too_long, 1, run_after=timezone.now() + timedelta(minutes=1))
        assert DBTaskResult.objects.count() == 1  # written in the event's transaction
    assert not DBTaskResult.objects.ready().exists()  # not before its time


def test_retries_wait_twice_as_long_each_time_up_to_an_hour():
    waits = [retry_delay(attempt=n, first=30).total_seconds() for n in range(1, 10)]
    assert waits == [30, 60, 120, 240, 480, 960, 1920, 3600, 3600]
