"""The chooser finds pictures by their words on a stored text search vector (PostgreSQL, with
one GIN index; NULL on SQLite), and pages the library newest first along an index; the
pictures whose rights end are found by a partial index (the article list's rights notice)."""

from django.contrib.postgres.indexes import GinIndex
import django.contrib.postgres.search
import django.db.models.functions.text
import foundation.search
from foundation.migration_operations import AddIndexesOnPostgreSQL, AddStoredGeneratedField
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('media', '0002_focal_point_and_crops'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        AddStoredGeneratedField(
            model_name='image',
            name='search_vector',
            field=models.GeneratedField(db_persist=True, expression=foundation.search.TextSearchVector(django.contrib.postgres.search.CombinedSearchVector(django.contrib.postgres.search.CombinedSearchVector(django.contrib.postgres.search.CombinedSearchVector(django.contrib.postgres.search.SearchVector('caption', config='english', weight='A'), '||', django.contrib.postgres.search.SearchVector('alt_text', config='english', weight='B'), django.contrib.postgres.search.SearchConfig('english')), '||', django.contrib.postgres.search.SearchVector(django.db.models.functions.text.Replace('credit', models.Value('/'), models.Value(' ')), config='english', weight='C'), django.contrib.postgres.search.SearchConfig('english')), '||', django.contrib.postgres.search.SearchVector('copyright_holder', config='english', weight='C'), django.contrib.postgres.search.SearchConfig('english'))), null=True, output_field=django.contrib.postgres.search.SearchVectorField(null=True)),
        ),
        migrations.AddIndex(
            model_name='image',
            index=models.Index(fields=['-uploaded_at', '-id'], name='image_newest_first'),
        ),
        migrations.AddIndex(
            model_name="image",
            index=models.Index(
                condition=models.Q(("rights_expire_on__isnull", False)),
                fields=["rights_expire_on"],
                name="image_rights_end",
            ),
        ),
        AddIndexesOnPostgreSQL(
            "image", [GinIndex(fields=["search_vector"], name="image_search")]
        ),
    ]
