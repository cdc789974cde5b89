"""Carry out publish and unpublish times as they come (`articles.scheduler`), repair the
kept values whose write the shared cache missed (`foundation.kept.repair`), queue again the
tasks of workers that died (`foundation.engine.tasks_reap`: each worker does too, so that no
task waits for the scheduler, nor for a worker), and queue the periodic tasks the apps
registered when they are due (`foundation.periodic`: the insight's hourly roll-up).

Run one of these beside the web processes (`make run` starts one in development, production
one under the same supervisor as gunicorn). With `--once` it runs once and stops (for cron,
tests and a look by hand).
"""

import logging
import time

from django.core.management.base import BaseCommand
from django.db import close_old_connections

from articles.scheduler import INTERVAL, scheduler_run
from foundation.engine import tasks_reap
from foundation.kept import REPAIR_AFTER, repair
from foundation.periodic import periodic_run

# Kept values are repaired this often: within a second of the cache answering again.
REPAIR_EVERY = 0.5

logger = logging.getLogger("articles.scheduler")


class Command(BaseCommand):
    help = (
        "Unpublish articles whose unpublish time has come, announce scheduled go-lives, "
        "repair the kept values the cache missed, and queue the periodic tasks that are due."
    )

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="Run once, then stop.")
        parser.add_argument(
            "--interval",
            type=float,
            default=INTERVAL.total_seconds(),
            help="Seconds between runs (default %(default)s).",
        )

    def handle(self, *args, once=False, interval=15.0, **options):
        if once:
            repair()
            self._report(scheduler_run())
            tasks_reap()
            self._report_periodic(periodic_run())
            return
        self.stdout.write(
            f"The scheduler looks at publish and unpublish times every {interval:g} s, and "
            f"for kept values to repair every {REPAIR_EVERY:g} s."
        )
        next_run = time.monotonic()
        while True:
            started = time.monotonic()
            close_old_connections()  # as a request would: never a broken or stale one
            self._attempt(repair, "repair of kept values", older_than=REPAIR_AFTER)
            if started >= next_run:
                next_run = started + interval
                self._attempt(lambda: self._report(scheduler_run()), "run")
                self._attempt(tasks_reap, "look for dead workers' tasks")
                self._attempt(lambda: self._report_periodic(periodic_run()), "periodic tasks")
            time.sleep(max(0.0, REPAIR_EVERY - (time.monotonic() - started)))

    def _attempt(self, work, what, **kwargs):
        try:
            work(**kwargs)
        except Exception:
            # A database away for a while must not stop the schedule: try again next time.
            logger.exception("The scheduler's %s failed; it tries again shortly", what)

    def _report_periodic(self, queued):
        for name in queued:
            self.stdout.write(f"Queued the periodic task {name}.")

    def _report(self, run):
        for article_id in run.unpublished:
            self.stdout.write(f"Unpublished article {article_id} at its scheduled time.")
        for article_id in run.went_live:
            self.stdout.write(f"Article {article_id} went live at its scheduled time.")
