"""Roll up the insight's events now, as the hourly task does (`insight.rollups`), for an
operator: after the workers were down, or with `--days N` to make the last N finished days'
figures again (events written late, or a change to how they are counted)."""

from datetime import timedelta

from django.core.management.base import BaseCommand
from django.utils import timezone

from insight.rollups import day_roll_up, insight_roll_up_run, last_finished_day


class Command(BaseCommand):
    help = (
        "Roll up the finished days, make the meter demand, forget readers after "
        "NEWSROOM_INSIGHT_READER_DAYS and delete events after NEWSROOM_INSIGHT_KEEP_MONTHS."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--days",
            type=int,
            default=0,
            help="Roll up the last N finished days again first (their figures are replaced).",
        )

    def handle(self, *args, days=0, **options):
        now = timezone.now()
        last = last_finished_day(now=now)
        for back in range(days - 1, -1, -1):
            day = last - timedelta(days=back)
            rows = day_roll_up(day=day)
            self.stdout.write(f"{day}: rolled up again, {rows} rows of figures.")
        while True:  # no time limit here: an operator waits for it all
            run = insight_roll_up_run(now=now)
            self.stdout.write(str(run))
            if run.finished:
                return
