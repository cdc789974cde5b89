"""Work that comes round by the clock: each app registers its periodic tasks here, and the
scheduler (`manage.py run_scheduler`) queues the ones that are due, so that no lower app needs
to know the apps above it.

An app registers in its `AppConfig.ready()`::

    periodic.register(name="insight_roll_up", task=insight_roll_up, every=timedelta(hours=1),
                      offset=timedelta(minutes=15))

A job's times are those of the site's day: every `every` from local midnight plus `offset`
(hourly at a quarter past, above). The scheduler calls `periodic_run()` on every pass; a job is
due once one of its times has come since it was last queued. When it was last queued is a row
per job (`PeriodicJob`), taken under its lock, so a scheduler started again neither queues it
at once nor forgets it, and two schedulers do not both queue it. A job missed while no
scheduler ran is queued once, at the next pass, not once per time missed. The tasks are queued
on the task engine (`foundation.engine.task_enqueue`) with the row's update, in one transaction.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.db import transaction
from django.utils import timezone

from foundation.engine import task_enqueue
from foundation.models import PeriodicJob

logger = logging.getLogger(__name__)

DAY = timedelta(days=1)


@dataclass(frozen=True)
class Job:
    name: str
    task: object  # a django-tasks task, queued without arguments
    every: timedelta
    offset: timedelta = timedelta()

    def last_time(self, now: datetime) -> datetime:
        """Return the latest of the job's times at or before `now`."""
        local = timezone.localtime(now)
        start = datetime.combine(local.date(), time.min, tzinfo=local.tzinfo) + self.offset
        if start > local:
            start -= DAY
        return start + self.every * ((local - start) // self.every)


_jobs: dict[str, Job] = {}


def register(*, name: str, task, every: timedelta, offset: timedelta = timedelta()) -> None:
    """Have the scheduler queue `task` every `every` (which must divide a day) from local
    midnight plus `offset`. Registering the same name again replaces the job."""
    if every <= timedelta() or DAY % every or not timedelta() <= offset < every:
        raise ValueError(
            f"Periodic job {name}: `every` must divide a day, and `offset` be shorter than it."
        )
    _jobs[name] = Job(name=name, task=task, every=every, offset=offset)


def jobs() -> list[Job]:
    """Return the registered jobs."""
    return list(_jobs.values())


def periodic_run(*, now: datetime | None = None) -> list[str]:
    """Queue each registered job whose time has come since it was last queued; return the
    names of those queued."""
    now = now or timezone.now()
    queued = []
    for job in _jobs.values():
        due_since = job.last_time(now)
        with transaction.atomic():
            PeriodicJob.objects.get_or_create(
                name=job.name, defaults={"queued_at": due_since - job.every}
            )
            row = PeriodicJob.objects.select_for_update().get(name=job.name)
            if row.queued_at >= due_since:
                continue
            task_enqueue(job.task)
            row.queued_at = now
            row.save(update_fields=["queued_at"])
        logger.info("Queued the periodic job %s", job.name)
        queued.append(job.name)
    return queued
