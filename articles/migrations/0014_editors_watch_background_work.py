"""Editors see the background work (tasks, the outbox, the workers) and run failed work again.

Journalists do not: a failed task's arguments and an email's address are readers' business.
"""

from django.apps import apps as global_apps
from django.contrib.auth.management import create_permissions
from django.db import migrations

EDITORS_MAY = [
    "view_backgroundtask",
    "retry_backgroundtask",
    "view_outboxmessage",
    "retry_outboxmessage",
    "view_taskworker",
]


def grant(apps, schema_editor):
    db = schema_editor.connection.alias
    # Django makes permissions after all migrations have run; the group needs them now.
    create_permissions(global_apps.get_app_config("foundation"), verbosity=0, using=db, apps=apps)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    permissions = list(
        Permission.objects.using(db).filter(
            content_type__app_label="foundation", codename__in=EDITORS_MAY
        )
    )
    if len(permissions) != len(EDITORS_MAY):
        raise RuntimeError("Some permissions of the background work do not exist.")
    editors, _ = Group.objects.using(db).get_or_create(name="Editor")
    editors.permissions.add(*permissions)


def take_back(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    editors = Group.objects.using(schema_editor.connection.alias).filter(name="Editor").first()
    if editors is not None:
        editors.permissions.remove(
            *Permission.objects.filter(
                content_type__app_label="foundation", codename__in=EDITORS_MAY
            )
        )


class Migration(migrations.Migration):
    dependencies = [
        ("articles", "0013_search_vector"),
        ("foundation", "0002_task_engine_and_outbox"),
    ]

    operations = [migrations.RunPython(grant, take_back)]
