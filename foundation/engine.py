"""The task engine: work that need not hold a request, run by workers beside the site.

A task is Django's Tasks API (django-tasks now, `django.tasks` from Django 6): a module-level
function decorated with `@task()`, whose arguments are JSON (ids, not objects). The backend is
django-tasks-db: a task is a row in the site's own database, and `manage.py run_worker` runs
them, on as many machines as you like. Tests run them at once, after the commit.

Every task this project runs keeps these rules:

1. **Queue it with its event**: `task_enqueue(some_task, ...)` inside the transaction that
   makes the event. On the database backend the task's row is written in that transaction, so
   it exists exactly when the event does (a rollback queues nothing; a process dying after the
   commit loses nothing); on any other backend it is handed over once the transaction commits.
2. **Safe to run again** (idempotent by its own records): a task may run twice, because a
   worker killed mid-task has its task run again by another (below), and an editor may retry a
   failed one. So it reads its own record first and does only what is left: the outbox sends
   a message not yet marked sent, renditions are made only where missing.
3. **Retries are the task's own**: a task that met a passing failure (a mail server that
   refuses, a storage that does not answer) records it on its record and queues itself again
   for later (`task_enqueue(..., run_after=...)`, `retry_delay`); an error it cannot get past
   is raised, and the task is listed as failed in the admin, with a retry action for editors.
4. **Time**: a task may run `NEWSROOM_TASK_TIME_LIMIT` seconds (600); then it is stopped with
   `TaskTimeLimitExceeded` and recorded as failed. Longer work is split into tasks of its own
   (one message, one picture), each queued by the one before or by its event.

Crash safety: each worker (`WorkerPresence`) beats every `NEWSROOM_WORKER_HEARTBEAT_SECONDS`
from a thread of its own and says which task it runs. One silent for `MISSED_BEATS` beats is
dead, and `tasks_reap` (run by every worker's beat and by the scheduler) puts the task it was
running back in the queue, where another worker takes it; a task whose workers died under it
`MAX_CLAIMS` times (it may be what kills them) is marked failed instead.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
import time
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import close_old_connections, connection, transaction
from django.utils import timezone
from django.utils.crypto import get_random_string
from django_tasks.base import TaskResultStatus
from django_tasks.signals import task_finished, task_started
from django_tasks_db import DatabaseBackend
from django_tasks_db.models import DBTaskResult

from foundation.models import TaskWorker

logger = logging.getLogger(__name__)

# A worker silent for this many beats is dead.
MISSED_BEATS = 6
# A task whose worker died under it this many times is failed rather than run again.
MAX_CLAIMS = 3
# A worker whose task is still running this long after its time limit is ended (by its own
# heartbeat thread): a task stuck where the limit's signal cannot reach it.
STUCK_GRACE = 60
# Rows of workers that stopped (or died) this long ago are forgotten.
FORGET_WORKERS_AFTER = timedelta(days=1)
RETRY_PERMISSION = "foundation.retry_backgroundtask"


class TaskTimeLimitExceeded(Exception):
    """A task ran longer than NEWSROOM_TASK_TIME_LIMIT seconds and was stopped."""


class WorkerLost(Exception):
    """The workers running a task died under it MAX_CLAIMS times (recorded, never raised)."""


def task_enqueue(task, *args, run_after: datetime | None = None, **kwargs) -> None:
    """Queue `task(*args, **kwargs)` with the current transaction (at once outside one).

    On the database backend the task's row is written in the transaction, so it is queued if
    and only if the transaction commits; on another backend (tests run tasks at once) it is
    handed over when the transaction commits. `run_after`: not before then.
    """
    if run_after is not None:
        task = task.using(run_after=run_after)
    if isinstance(task.get_backend(), DatabaseBackend):
        task.enqueue(*args, **kwargs)
    else:
        transaction.on_commit(lambda: task.enqueue(*args, **kwargs))


def retry_delay(*, attempt: int, first: float, longest: float = 3600) -> timedelta:
    """Return how long to wait after failed attempt number `attempt` (1, 2, …): `first`
    seconds, then twice as long each time, never more than `longest`."""
    return timedelta(seconds=min(longest, first * 2 ** max(0, attempt - 1)))


def dead_after() -> timedelta:
    """Return how long a worker may be silent before it counts as dead."""
    return timedelta(seconds=settings.NEWSROOM_WORKER_HEARTBEAT_SECONDS * MISSED_BEATS)


def tasks_reap(*, now: datetime | None = None) -> list[str]:
    """Queue again the tasks left running by dead workers; return their ids.

    A task already claimed `MAX_CLAIMS` times is marked failed (`WorkerLost`) instead.
    """
    now = now or timezone.now()
    silent_since = now - dead_after()
    alive = set(
        TaskWorker.objects.filter(stopped_at__isnull=True, beat_at__gte=silent_since).values_list(
            "worker_id", flat=True
        )
    )
    reaped = []
    running = DBTaskResult.objects.running().filter(started_at__lt=silent_since)
    for result in running.only("id", "worker_ids", "started_at", "task_path"):
        if result.worker_ids and result.worker_ids[-1] in alive:
            continue
        claims = len(result.worker_ids)
        fields = {"status": TaskResultStatus.READY}
        if claims >= MAX_CLAIMS:
            fields = {
                "status": TaskResultStatus.FAILED,
                "finished_at": now,
                "exception_class_path": f"{WorkerLost.__module__}.{WorkerLost.__qualname__}",
                "traceback": (
                    f"The worker running this task died {claims} times (killed, out of memory, "
                    "or its machine gone): it is not run again by itself. Look at the workers' "
                    "logs at the times it started, then retry it."
                ),
            }
        # Only if it is still the run we saw: a worker that was merely slow may have finished.
        taken = DBTaskResult.objects.filter(
            pk=result.pk, status=TaskResultStatus.RUNNING, started_at=result.started_at
        ).update(**fields)
        if taken:
            reaped.append(str(result.pk))
            logger.warning(
                "Task %s (%s) was left running by worker %s, silent since before %s: %s",
                result.pk,
                result.task_path,
                result.worker_ids[-1] if result.worker_ids else "?",
                silent_since,
                "failed" if claims >= MAX_CLAIMS else "queued again",
            )
    forgotten = now - FORGET_WORKERS_AFTER
    TaskWorker.objects.filter(beat_at__lt=forgotten).delete()
    return reaped


def task_retry(*, task_ids, by) -> list[str]:
    """Queue the failed tasks among `task_ids` again, as new; return the ids queued.

    Raise PermissionDenied unless `by` may retry background tasks.
    """
    if not by.has_perm(RETRY_PERMISSION):
        raise PermissionDenied("You may not run failed background tasks again.")
    retried = []
    for task_id in task_ids:
        if DBTaskResult.objects.filter(pk=task_id, status=TaskResultStatus.FAILED).update(
            status=TaskResultStatus.READY,
            worker_ids=[],
            started_at=None,
            finished_at=None,
        ):
            retried.append(str(task_id))
    return retried


class WorkerPresence:
    """What a worker process adds to django-tasks-db's worker: its heartbeat, its time limit
    per task, and the reaping of dead workers' tasks. `start()` before the worker runs,
    `stop()` after."""

    def __init__(self):
        host = socket.gethostname()
        self.host = host
        self.worker_id = f"{host[:40]}-{os.getpid()}-{get_random_string(8)}"[-64:]
        self.every = settings.NEWSROOM_WORKER_HEARTBEAT_SECONDS
        self.limit = settings.NEWSROOM_TASK_TIME_LIMIT
        self.stopping = threading.Event()
        self.running_since = None  # monotonic time the current task began, or None
        self.thread = threading.Thread(target=self._beat, name="heartbeat", daemon=True)

    def start(self) -> None:
        TaskWorker.objects.update_or_create(
            worker_id=self.worker_id,
            defaults={"host": self.host, "pid": os.getpid(), "beat_at": timezone.now()},
        )
        tasks_reap()  # what a worker that ran here before left behind, if its time has come
        task_started.connect(self._task_started, dispatch_uid="foundation.engine.started")
        task_finished.connect(self._task_finished, dispatch_uid="foundation.engine.finished")
        signal.signal(signal.SIGALRM, self._time_is_up)
        self.thread.start()
        logger.info(
            "Worker %s beats every %g s; a task may run %d s",
            self.worker_id,
            self.every,
            self.limit,
        )

    def stop(self) -> None:
        self.stopping.set()
        self.thread.join(timeout=self.every + 5)
        task_started.disconnect(dispatch_uid="foundation.engine.started")
        task_finished.disconnect(dispatch_uid="foundation.engine.finished")
        signal.setitimer(signal.ITIMER_REAL, 0)
        TaskWorker.objects.filter(worker_id=self.worker_id).update(
            stopped_at=timezone.now(), task_id="", task_started_at=None
        )

    def _task_started(self, sender, task_result, **kwargs):
        self.running_since = time.monotonic()
        TaskWorker.objects.filter(worker_id=self.worker_id).update(
            task_id=str(task_result.id), task_started_at=timezone.now(), beat_at=timezone.now()
        )
        signal.setitimer(signal.ITIMER_REAL, self.limit)

    def _task_finished(self, sender, task_result, **kwargs):
        signal.setitimer(signal.ITIMER_REAL, 0)
        self.running_since = None
        TaskWorker.objects.filter(worker_id=self.worker_id).update(task_id="", task_started_at=None)

    def _time_is_up(self, signum, frame):
        raise TaskTimeLimitExceeded(
            f"The task ran longer than NEWSROOM_TASK_TIME_LIMIT ({self.limit} s) and was stopped."
        )

    def _beat(self):
        try:
            while not self.stopping.wait(self.every):
                since = self.running_since
                if since is not None and time.monotonic() - since > self.limit + STUCK_GRACE:
                    logger.critical(
                        "Worker %s: its task is stuck past its time limit and cannot be "
                        "stopped; the worker ends itself so that the task runs elsewhere",
                        self.worker_id,
                    )
                    os._exit(70)  # its supervisor starts it again; the reaper requeues the task
                try:
                    close_old_connections()
                    beat = TaskWorker.objects.filter(worker_id=self.worker_id)
                    if not beat.update(beat_at=timezone.now()):
                        TaskWorker.objects.create(
                            worker_id=self.worker_id, host=self.host, pid=os.getpid()
                        )
                    tasks_reap()
                except Exception:
                    logger.exception("Worker %s could not beat; it tries again", self.worker_id)
        finally:
            connection.close()
