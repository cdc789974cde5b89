"""Editors define newsletters, write and send them, and keep the suppression list.

Journalists do not: subscribers' addresses are readers' business.
"""

from django.db import migrations

from foundation.groups import group_grant

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


grant, take_back = group_grant("Editor", "newsletters", EDITORS_MAY)


class Migration(migrations.Migration):
    dependencies = [
        ("newsletters", "0001_newsletters"),
        ("articles", "0014_editors_watch_background_work"),
    ]

    operations = [migrations.RunPython(grant, take_back)]
