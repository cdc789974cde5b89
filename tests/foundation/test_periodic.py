from datetime import date, datetime, time, timedelta
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone

from foundation import periodic
from insight.models import RolledUpDay
from tests.insight.factories import local, make_event

pytestmark = pytest.mark.django_db

DAY = date(2026, 6, 10)


def run_scheduler_once(at: datetime) -> str:
    """Return what `manage.py run_scheduler --once` said, run at `at` (a new process each
    time: only the database remembers)."""
    out = StringIO()
    with time_machine.travel(at, tick=False):
        call_command("run_scheduler", "--once", stdout=out)
    return out.getvalue()


QUEUED = "Queued the periodic task insight_roll_up."


def test_the_scheduler_queues_the_insight_roll_up_each_hour_and_not_again_before():
    make_event(local(DAY, "18:00"))

    assert QUEUED in run_scheduler_once(local(DAY + timedelta(days=1), "00:20"))
    # It ran (tests run tasks at once): yesterday's figures are made soon after midnight.
    assert RolledUpDay.objects.filter(day=DAY).exists()

    assert QUEUED not in run_scheduler_once(local(DAY + timedelta(days=1), "00:50"))
    assert QUEUED not in run_scheduler_once(local(DAY + timedelta(days=1), "01:14"))
    assert QUEUED in run_scheduler_once(local(DAY + timedelta(days=1), "01:15"))


def test_a_scheduler_away_for_hours_queues_a_missed_job_once():
    run_scheduler_once(local(DAY, "09:20"))

    assert QUEUED in run_scheduler_once(local(DAY, "15:40"))
    assert QUEUED not in run_scheduler_once(local(DAY, "15:41"))


def test_a_job_s_times_are_those_of_the_site_s_day():
    job = periodic.Job(name="x", task=None, every=timedelta(hours=6), offset=timedelta(hours=1))
    tz = timezone.get_default_timezone()

    assert job.last_time(datetime.combine(DAY, time(0, 30), tz)) == datetime.combine(
        DAY - timedelta(days=1), time(19), tz
    )
    assert job.last_time(datetime.combine(DAY, time(13), tz)) == datetime.combine(DAY, time(13), tz)


@pytest.mark.parametrize("every", [timedelta(minutes=7), timedelta(days=2), timedelta()])
def test_a_job_whose_times_cannot_fall_on_every_day_alike_is_refused(every):
    with pytest.raises(ValueError, match="must divide a day"):
        periodic.register(name="odd", task=None, every=every)
