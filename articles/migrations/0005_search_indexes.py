"""GIN indexes for full-text search on PostgreSQL (nothing elsewhere).

A query used them only when it repeated their expressions exactly. 0012 replaces them with a
stored vector (`Article.search_vector`) and one index on it.
"""

from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVector
from django.db import migrations

from foundation.migration_operations import AddIndexesOnPostgreSQL

CONFIG = "english"


def indexes():
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


class Migration(migrations.Migration):
    dependencies = [("articles", "0004_journalists_and_editors")]

    operations = [AddIndexesOnPostgreSQL("article", indexes())]
