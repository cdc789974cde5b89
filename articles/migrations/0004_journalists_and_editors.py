"""The Journalist and Editor groups and what each may do, present after `migrate`.

Journalists write: articles, their bodies and bylines, and pictures; they neither publish nor
delete articles or pictures. Removing a block or a byline row is part of editing an article
(the admin offers it only with the delete permission on that row), so that is granted.
Editors do everything with articles, sections, authors, tags and pictures, publish, and see
readers and their subscriptions.

Running it again puts each group's permissions back to exactly these.
"""

from django.apps import apps as global_apps
from django.contrib.auth.management import create_permissions
from django.db import migrations
from django.db.models import Q

ALL = ("add", "change", "delete", "view")
BODY_AND_BYLINE = ("textblock", "imageblock", "quoteblock", "paywallbreak", "byline")

GROUPS = {
    # group: {(app label, model): actions}, plus custom permissions as (app label, codename)
    "Journalist": (
        {
            ("articles", "article"): ("add", "change", "view"),
            **{("articles", model): ALL for model in BODY_AND_BYLINE},
            ("articles", "section"): ("view",),
            ("articles", "author"): ("view",),
            ("articles", "tag"): ("view",),
            ("media", "image"): ("add", "change", "view"),
        },
        (),
    ),
    "Editor": (
        {
            **{
                ("articles", model): ALL
                for model in ("article", *BODY_AND_BYLINE, "section", "author", "tag")
            },
            ("media", "image"): ALL,
            ("accounts", "user"): ("view",),
            ("subscriptions", "subscription"): ("view",),
        },
        (("articles", "publish_article"),),
    ),
}


def create_groups(apps, schema_editor):
    db = schema_editor.connection.alias
    # Django makes permissions after all migrations have run; these groups need them now.
    for app_label in {app_label for models, _ in GROUPS.values() for app_label, _ in models}:
        create_permissions(global_apps.get_app_config(app_label), verbosity=0, using=db, apps=apps)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, (models, custom) in GROUPS.items():
        wanted = [
            Q(content_type__app_label=app_label, codename=f"{action}_{model}")
            for (app_label, model), actions in models.items()
            for action in actions
        ] + [
            Q(content_type__app_label=app_label, codename=codename)
            for app_label, codename in custom
        ]
        permissions = list(Permission.objects.using(db).filter(_any(wanted)))
        if len(permissions) != len(wanted):
            raise RuntimeError(f"Some permissions for the {name} group do not exist.")
        group, _ = Group.objects.using(db).get_or_create(name=name)
        group.permissions.set(permissions)


def _any(conditions):
    combined = Q(pk__in=[])
    for condition in conditions:
        combined |= condition
    return combined


class Migration(migrations.Migration):
    dependencies = [
        ("articles", "0003_preview_text_paragraphs"),
        ("media", "0001_initial"),
        ("accounts", "0001_initial"),
        ("subscriptions", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    # Going back leaves the groups alone: people may belong to them.
    operations = [migrations.RunPython(create_groups, migrations.RunPython.noop)]
