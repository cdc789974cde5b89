"""Review: an article's owner (`created_by`), the "in review" status and the editor's note.

Articles from before this migration get as owner whoever added them in the admin (its log's
"Added" entry), so journalists keep their drafts; the others have none, and only editors
change them.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


ADDITION = 1  # django.contrib.admin.models.ADDITION


def owners_from_the_admin_log(apps, schema_editor):
    db = schema_editor.connection.alias
    Article = apps.get_model("articles", "Article")
    LogEntry = apps.get_model("admin", "LogEntry")
    ContentType = apps.get_model("contenttypes", "ContentType")
    content_type = ContentType.objects.using(db).filter(app_label="articles", model="article")
    added = LogEntry.objects.using(db).filter(
        content_type__in=content_type, action_flag=ADDITION, user__isnull=False
    )
    # The first "Added" entry of each article names who added it.
    owners = {}
    for object_id, user_id in added.order_by("-action_time").values_list("object_id", "user_id"):
        owners[object_id] = user_id
    for object_id, user_id in owners.items():
        if object_id.isdigit():
            Article.objects.using(db).filter(pk=int(object_id), created_by__isnull=True).update(
                created_by_id=user_id
            )


class Migration(migrations.Migration):
    dependencies = [
        ("articles", "0008_schedule"),
        ("admin", "0003_logentry_add_action_flag_choices"),
        ("contenttypes", "0002_remove_content_type_name"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="article",
            name="created_by",
            field=models.ForeignKey(
                blank=True,
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddField(
            model_name="article",
            name="review_note",
            field=models.TextField(blank=True, editable=False, verbose_name="note from the editor"),
        ),
        migrations.AddField(
            model_name="article",
            name="review_note_at",
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name="article",
            name="review_note_by",
            field=models.ForeignKey(
                blank=True,
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AlterField(
            model_name="article",
            name="status",
            field=models.CharField(
                choices=[("draft", "Draft"), ("review", "In review"), ("published", "Published")],
                default="draft",
                max_length=10,
            ),
        ),
        migrations.RunPython(owners_from_the_admin_log, migrations.RunPython.noop),
    ]
