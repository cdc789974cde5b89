"""The insight's work on the task engine (`foundation.engine`): the hourly roll-up.

`insight_roll_up` is queued every hour by the scheduler (`foundation.periodic`, registered in
`insight.apps`), a quarter past, so that yesterday's figures are made soon after midnight. It is
safe to run again, and twice at once (`insight.rollups`). Each of its steps is short (a day's
roll-up, a month's demand, a batch of retention: seconds at a busy site's size, see
benchmarks/RESULTS.md); it begins none after `SHARE` of the task's time limit, and when work is
left (a backlog after the workers were down) it queues itself again to go on.
"""

import logging

from django.conf import settings
from django_tasks import task

from foundation.engine import task_enqueue
from insight.rollups import insight_roll_up_run

logger = logging.getLogger(__name__)

# The share of NEWSROOM_TASK_TIME_LIMIT after which no step begins: the longest step (a
# month's meter demand) must fit in the rest.
SHARE = 0.6


@task()
def insight_roll_up() -> str:
    """Roll up the finished days, make the meter demand, forget readers, delete old events."""
    run = insight_roll_up_run(seconds=settings.NEWSROOM_TASK_TIME_LIMIT * SHARE)
    if not run.finished:
        task_enqueue(insight_roll_up)
        logger.info("Insight roll-up: %s; queued again to go on", run)
    return str(run)
