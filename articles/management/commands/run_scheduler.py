"""Carry out publish and unpublish times as they come (`articles.scheduler`).

Run one of these beside the web processes (`make run` starts one in development). With
`--once` it runs once and stops (for cron, tests and a look by hand).
"""

import logging
import time

from django.core.management.base import BaseCommand
from django.db import close_old_connections

from articles.scheduler import INTERVAL, scheduler_run

logger = logging.getLogger("articles.scheduler")


class Command(BaseCommand):
    help = "Unpublish articles whose unpublish time has come and announce scheduled go-lives."

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
            self._report(scheduler_run())
            return
        self.stdout.write(
            f"The scheduler looks at publish and unpublish times every {interval:g} s."
        )
        while True:
            started = time.monotonic()
            close_old_connections()  # as a request would: never a broken or stale one
            try:
                self._report(scheduler_run())
            except Exception:
                # A database away for a while must not stop the schedule: try again next time.
                logger.exception("The scheduler's run failed; it tries again in %g s", interval)
            time.sleep(max(0.0, interval - (time.monotonic() - started)))

    def _report(self, run):
        for article_id in run.unpublished:
            self.stdout.write(f"Unpublished article {article_id} at its scheduled time.")
        for article_id in run.went_live:
            self.stdout.write(f"Article {article_id} went live at its scheduled time.")
