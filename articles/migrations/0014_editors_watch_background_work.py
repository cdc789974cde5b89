"""Editors see the background work (tasks, the outbox, the workers) and run failed work again.

Journalists do not: a failed task's arguments and an email's address are readers' business.
"""

from django.db import migrations

from foundation.groups import group_grant

EDITORS_MAY = [
    "view_backgroundtask",
    "retry_backgroundtask",
    "view_outboxmessage",
    "retry_outboxmessage",
    "view_taskworker",
]


grant, take_back = group_grant("Editor", "foundation", EDITORS_MAY)


class Migration(migrations.Migration):
    dependencies = [
        ("articles", "0013_search_vector"),
        ("foundation", "0002_task_engine_and_outbox"),
    ]

    operations = [migrations.RunPython(grant, take_back)]
