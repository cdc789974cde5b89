"""Pictures have keywords, and the chooser's search finds them: the stored text search vector
takes them in. PostgreSQL cannot change a generated column's expression, so the vector is
removed and added again (written again for every row, in this migration), and its GIN index,
which went with the column, is made again (PostgreSQL only, as in 0003).

On SQLite the column stays as it is: it is NULL before and after (`TextSearchVector`), and
SQLite refuses to add a stored generated column to a table that has rows."""

import django.contrib.postgres.search
import django.db.models.functions.text
from django.contrib.postgres.indexes import GinIndex
from django.db import migrations, models

import foundation.search
from foundation.migration_operations import AddIndexesOnPostgreSQL, RemoveIndexesOnPostgreSQL


class OnPostgreSQL(migrations.SeparateDatabaseAndState):
    """The operations' state on every database; their changes to the database on PostgreSQL."""

    def __init__(self, *operations):
        super().__init__(database_operations=operations, state_operations=operations)

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)


SEARCH_INDEX = GinIndex(fields=["search_vector"], name="image_search")  # as 0003 made it


class Migration(migrations.Migration):
    dependencies = [
        ("media", "0003_chooser_search"),
    ]

    operations = [
        migrations.AddField(
            model_name="image",
            name="keywords",
            field=models.CharField(
                blank=True,
                help_text="Words to find the picture by, separated by commas, e.g. “harbour, "
                "boats, sunset”.",
                max_length=500,
            ),
        ),
        # Dropped before the column, so that going back finds it where 0003 left it.
        RemoveIndexesOnPostgreSQL("image", [SEARCH_INDEX]),
        OnPostgreSQL(
            migrations.RemoveField(model_name="image", name="search_vector"),
            migrations.AddField(
                model_name="image",
                name="search_vector",
                field=models.GeneratedField(
                    db_persist=True,
                    expression=foundation.search.TextSearchVector(
                        django.contrib.postgres.search.CombinedSearchVector(
                            django.contrib.postgres.search.CombinedSearchVector(
                                django.contrib.postgres.search.CombinedSearchVector(
                                    django.contrib.postgres.search.CombinedSearchVector(
                                        django.contrib.postgres.search.SearchVector(
                                            "caption", config="english", weight="A"
                                        ),
                                        "||",
                                        django.contrib.postgres.search.SearchVector(
                                            "alt_text", config="english", weight="B"
                                        ),
                                        django.contrib.postgres.search.SearchConfig("english"),
                                    ),
                                    "||",
                                    django.contrib.postgres.search.SearchVector(
                                        django.db.models.functions.text.Replace(
                                            "credit", models.Value("/"), models.Value(" ")
                                        ),
                                        config="english",
                                        weight="C",
                                    ),
                                    django.contrib.postgres.search.SearchConfig("english"),
                                ),
                                "||",
                                django.contrib.postgres.search.SearchVector(
                                    "copyright_holder", config="english", weight="C"
                                ),
                                django.contrib.postgres.search.SearchConfig("english"),
                            ),
                            "||",
                            django.contrib.postgres.search.SearchVector(
                                "keywords", config="english", weight="B"
                            ),
                            django.contrib.postgres.search.SearchConfig("english"),
                        )
                    ),
                    null=True,
                    output_field=django.contrib.postgres.search.SearchVectorField(null=True),
                ),
            ),
        ),
        AddIndexesOnPostgreSQL("image", [SEARCH_INDEX]),
    ]
