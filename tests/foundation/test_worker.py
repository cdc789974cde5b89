"""The worker, as production runs it: `manage.py run_worker` in child processes, on the test
database, killed with SIGKILL at points the test chooses.

A worker killed mid-task leaves its task RUNNING; another worker (here, the one started again)
finds its heartbeat silent and runs the task again, and the task, safe to run twice by its own
records, completes once.
"""

import time

import pytest
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from foundation.models import TaskWorker
from tests.fault_services import Worker, environment, served_database_url, wait_until
from tests.foundation.engine_tasks import mark_when_told, take_too_long

pytestmark = [
    pytest.mark.faults,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

DATABASE_BACKEND = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


@pytest.fixture
def workers(settings, tmp_path):
    """Start workers on the test database; this process queues on the same database."""
    settings.TASKS = DATABASE_BACKEND
    started = []

    def start(**overrides):
        env = environment(DATABASE_URL=served_database_url(), **overrides)
        worker = Worker(env, tmp_path / f"worker-{len(started)}.log").start()
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()


def lines(path):
    return path.read_text().split() if path.exists() else []


def result_of(task_result):
    return DBTaskResult.objects.get(pk=task_result.id)


def test_a_task_whose_worker_is_killed_is_run_again_by_the_next_and_completes_once(
    workers, tmp_path
):
    folder = tmp_path / "work"
    folder.mkdir()
    first = workers()
    queued = mark_when_told.enqueue(str(folder))
    wait_until(lambda: str(first.pid) in lines(folder / "started"), what="the first run")

    first.kill()
    # Left as the kill found it: running, by a worker that will never finish it.
    assert result_of(queued).status == TaskResultStatus.RUNNING
    (folder / "go").touch()
    time.sleep(0.5)
    assert not (folder / "done").exists()

    second = workers()
    wait_until(
        lambda: result_of(queued).status == TaskResultStatus.SUCCESSFUL,
        timeout=30,
        what="the task run again",
    )

    assert lines(folder / "started") == [str(first.pid), str(second.pid)]
    assert lines(folder / "done") == [str(second.pid)]  # completed once, by the second worker
    row = result_of(queued)
    assert len(row.worker_ids) == 2 and row.return_value == "Done."
    alive = TaskWorker.objects.filter(pid=second.pid, stopped_at__isnull=True)
    assert alive.exists()


def test_two_workers_share_the_queue_and_run_each_task_once(workers, tmp_path):
    folders = []
    for number in range(6):
        folder = tmp_path / f"work-{number}"
        folder.mkdir()
        (folder / "go").touch()
        folders.append(folder)
    queued = [mark_when_told.enqueue(str(folder)) for folder in folders]
    workers()
    workers()

    wait_until(
        lambda: all(result_of(q).status == TaskResultStatus.SUCCESSFUL for q in queued),
        timeout=30,
        what="six tasks",
    )

    for folder in folders:
        assert len(lines(folder / "started")) == 1 and len(lines(folder / "done")) == 1


def test_a_task_past_its_time_limit_is_stopped_and_recorded_as_failed(workers):
    worker = workers(NEWSROOM_TASK_TIME_LIMIT="1")
    queued = take_too_long.enqueue(30)

    wait_until(
        lambda: result_of(queued).status == TaskResultStatus.FAILED,
        timeout=15,
        what="the time limit",
    )

    row = result_of(queued)
    assert row.exception_class_path == "foundation.engine.TaskTimeLimitExceeded"
    assert "NEWSROOM_TASK_TIME_LIMIT (1 s)" in row.traceback
    assert worker.process.poll() is None  # the worker goes on with the next task
