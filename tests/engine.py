"""The task engine in tests: tasks run at once, as django-tasks' ImmediateBackend runs them.

`foundation.engine.task_enqueue` hands a task over when its transaction commits, so a test sees
what production's worker does a moment after the commit. A task queued for later (a retry after
a backoff) is kept until the test asks for the tasks due by then: `run_due(at=...)`, with the
clock moved (time-machine) past their time. The tests of the worker itself run real workers in
child processes on the database backend (tests/foundation/test_worker.py).
"""

from dataclasses import replace

from django.utils import timezone
from django_tasks import task_backends
from django_tasks.backends.immediate import ImmediateBackend as DjangoTasksImmediateBackend


class ImmediateBackend(DjangoTasksImmediateBackend):
    """Run each task at once, except one queued to run after a time still to come."""

    supports_defer = True

    def __init__(self, alias, params):
        super().__init__(alias, params)
        self.deferred = []

    def enqueue(self, task, args, kwargs):
        if task.run_after is not None and task.run_after > timezone.now():
            self.validate_task(task)
            self.deferred.append((task, args, kwargs))
            return None
        return super().enqueue(replace(task, run_after=None), args, kwargs)


def deferred_tasks() -> list:
    """Return the tasks kept for later, as (task, args, kwargs)."""
    return task_backends["default"].deferred


def run_due(*, at=None) -> int:
    """Run the tasks kept for later whose time has come by `at` (now); return how many ran."""
    at = at or timezone.now()
    backend = task_backends["default"]
    due = [entry for entry in backend.deferred if entry[0].run_after <= at]
    backend.deferred[:] = [entry for entry in backend.deferred if entry not in due]
    for task, args, kwargs in due:
        backend.enqueue(replace(task, run_after=None), args, kwargs)
    return len(due)
