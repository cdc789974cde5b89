"""Migration 0004 builds the stored search vector again with keywords, and its GIN index."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from tests.factories import make_article, make_image

BEFORE = [("media", "0003_chooser_search")]
AFTER = [("media", "0004_image_keywords")]
# Rows only: with their size given, the historical model never opens their (absent) files.
SIZED = {"width": 640, "height": 400}


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def search_indexes() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexdef FROM pg_indexes WHERE tablename = 'media_image' "
            "AND indexname = 'image_search'"
        )
        return [row[0] for row in cursor.fetchall()]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_search_vector_is_built_again_with_keywords_and_its_index_both_ways():
    try:
        Image = migrate(BEFORE).get_model("media", "Image")
        Image.objects.create(
            **SIZED, file="images/a.jpg", content_hash="a", caption="Harbour at dawn"
        )

        Image = migrate(AFTER).get_model("media", "Image")
        Image.objects.create(
            **SIZED, file="images/b.jpg", content_hash="b", keywords="boats, sunset"
        )
        if connection.vendor != "postgresql":
            return  # SQLite's column is NULL: the rest is PostgreSQL's text search
        assert "gin (search_vector)" in search_indexes()[0]
        found = Image.objects.filter(search_vector="harbour").values_list("content_hash")
        assert list(found) == [("a",)]  # the rows already there, written again
        found = Image.objects.filter(search_vector="sunset").values_list("content_hash")
        assert list(found) == [("b",)]

        migrate(BEFORE)  # and back, with the index where 0003 left it
        assert "gin (search_vector)" in search_indexes()[0]
    finally:
        migrate(AFTER)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_database_with_articles_and_pictures_from_before_the_search_vectors_migrates():
    # A development database from an earlier `make run` holds the demo's rows: SQLite refuses
    # to add a stored generated column to a table that has rows.
    make_article(headline="Harbour reopens", lead_image=make_image(caption="The harbour"))
    leaves = MigrationExecutor(connection).loader.graph.leaf_nodes()
    try:
        migrate([("articles", "0012_section_listing"), ("media", "0002_focal_point_and_crops")])

        apps = migrate(leaves)
    finally:
        migrate(leaves)

    article = apps.get_model("articles", "Article").objects.get()
    assert (article.headline, article.lead_image.caption) == ("Harbour reopens", "The harbour")
