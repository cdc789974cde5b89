"""Search reads a stored text search vector instead of making one for every row it looks at.

`Article.search_vector` is a generated column: the database writes it with the row, on every
insert and update, whatever the code path. On PostgreSQL one GIN index serves it, and the two
expression indexes of 0005 go: a query that repeated their expressions made the vectors of
every row it filtered or ranked again (the cost of a search). The partial index finds the
articles whose preview was cut with another length than the one in force, which search may
match only by headline and standfirst (`articles.search`).
"""

import django.contrib.postgres.search
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVector
from django.db import migrations, models

import articles.search
from foundation.migration_operations import AddStoredGeneratedField

CONFIG = "english"


def old_indexes():
    """The expression indexes of 0005."""
    return [
        GinIndex(
            SearchVector("headline", weight="A", config=CONFIG)
            + SearchVector("standfirst", weight="B", config=CONFIG),
            name="article_public_search",
        ),
        GinIndex(
            SearchVector("preview_text", weight="C", config=CONFIG),
            name="article_preview_search",
        ),
    ]


def new_index():
    return GinIndex(fields=["search_vector"], name="article_search")


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    article = apps.get_model("articles", "Article")
    for index in old_indexes():
        schema_editor.remove_index(article, index)
    schema_editor.add_index(article, new_index())
    # The planner's statistics of the new column (its common words), for its first searches.
    schema_editor.execute("ANALYZE articles_article")


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    article = apps.get_model("articles", "Article")
    schema_editor.remove_index(article, new_index())
    for index in old_indexes():
        schema_editor.add_index(article, index)


class Migration(migrations.Migration):
    dependencies = [("articles", "0012_section_listing")]

    operations = [
        AddStoredGeneratedField(
            model_name="article",
            name="search_vector",
            field=models.GeneratedField(
                db_persist=True,
                expression=articles.search.TextSearchVector(
                    django.contrib.postgres.search.CombinedSearchVector(
                        django.contrib.postgres.search.CombinedSearchVector(
                            django.contrib.postgres.search.SearchVector(
                                "headline", config="english", weight="A"
                            ),
                            "||",
                            django.contrib.postgres.search.SearchVector(
                                "standfirst", config="english", weight="B"
                            ),
                            django.contrib.postgres.search.SearchConfig("english"),
                        ),
                        "||",
                        django.contrib.postgres.search.SearchVector(
                            "preview_text", config="english", weight="C"
                        ),
                        django.contrib.postgres.search.SearchConfig("english"),
                    )
                ),
                null=True,
                output_field=django.contrib.postgres.search.SearchVectorField(null=True),
            ),
        ),
        migrations.AddIndex(
            model_name="article",
            index=models.Index(
                condition=models.Q(preview_text_paragraphs__isnull=False),
                fields=["preview_text_paragraphs"],
                name="article_cut_by_paragraphs",
            ),
        ),
        migrations.RunPython(forwards, backwards),
    ]
