from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("articles", "0011_scale"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="article",
            index=models.Index(
                fields=["section", "status", "-published_at", "-id"],
                name="article_section_newest",
            ),
        ),
    ]
