"""Editors define newsletters, write and send them, and keep the suppression list.

Journalists do not: subscribers' addresses are readers' business.
"""

from django.apps import apps as global_apps
from django.contrib.auth.management import create_permissions
from django.db import migrations

EDITORS_MAY = [
    "add_newsletter",
    "change_newsletter",
    "view_newsletter",
    "view_newslettersubscription",
    "add_newslettersend",
    "change_newslettersend",
    "delete_newslettersend",
    "view_newslettersend",
    "send_newslettersend",
    "add_digestitem",
    "change_digestitem",
    "delete_digestitem",
    "view_digestitem",
    "view_sendrecipient",
    "add_suppression",
    "delete_suppression",
    "view_suppression",
    "view_providerevent",
]


def grant(apps, schema_editor):
    db = schema_editor.connection.alias
    # Django makes permissions after all migrations have run; the group needs them now.
    create_permissions(global_apps.get_app_config("newsletters"), verbosity=0, using=db, apps=apps)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    permissions = list(
        Permission.objects.using(db).filter(
            content_type__app_label="newsletters", codename__in=EDITORS_MAY
        )
    )
    if len(permissions) != len(EDITORS_MAY):
        raise RuntimeError("Some permissions of the newsletters do not exist.")
    editors, _ = Group.objects.using(db).get_or_create(name="Editor")
    editors.permissions.add(*permissions)


def take_back(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    editors = Group.objects.using(schema_editor.connection.alias).filter(name="Editor").first()
    if editors is not None:
        editors.permissions.remove(
            *Permission.objects.filter(
                content_type__app_label="newsletters", codename__in=EDITORS_MAY
            )
        )


class Migration(migrations.Migration):
    dependencies = [
        ("newsletters", "0001_newsletters"),
        ("articles", "0014_editors_watch_background_work"),
    ]

    operations = [migrations.RunPython(grant, take_back)]
