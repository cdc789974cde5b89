from datetime import date, timedelta
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command

from insight.models import DailyFigures, RolledUpDay
from insight.tasks import insight_roll_up
from tests.insight.factories import local, make_event

pytestmark = pytest.mark.django_db

TODAY = date(2026, 6, 10)


def test_a_roll_up_stopped_by_its_time_limit_queues_itself_to_go_on(settings):
    settings.NEWSROOM_TASK_TIME_LIMIT = 0  # every step stops after its first piece of work
    for back in range(1, 4):
        make_event(local(TODAY - timedelta(days=back)))

    with time_machine.travel(local(TODAY, "01:15"), tick=False):
        insight_roll_up.enqueue()  # tests run it at once, and what it queues

    assert RolledUpDay.objects.count() == 3


def test_the_command_rolls_up_the_last_days_again_for_an_operator():
    make_event(local(TODAY - timedelta(days=1)))
    with time_machine.travel(local(TODAY, "01:15"), tick=False):
        call_command("insight_roll_up", stdout=StringIO())
        make_event(local(TODAY - timedelta(days=1), "23:58"))  # written late
        out = StringIO()
        call_command("insight_roll_up", "--days", "2", stdout=out)

    assert f"{TODAY - timedelta(days=1)}: rolled up again" in out.getvalue()
    assert DailyFigures.objects.get(day=TODAY - timedelta(days=1)).reads == 2
