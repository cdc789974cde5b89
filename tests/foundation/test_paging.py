"""Admin lists count no further than they must (`foundation.paging`)."""

import pytest
from django.db import connection

from articles.models import Article
from foundation.paging import ArchivePaginator, estimated_rows
from tests.factories import make_article

pytestmark = pytest.mark.django_db


def test_the_count_stops_a_few_pages_beyond_the_page_shown_and_says_so():
    for _ in range(20):
        make_article()
    articles = Article.objects.order_by("-pk")

    first = ArchivePaginator(articles, 2, number=1)
    assert (first.count, first.more_than, first.count_is_estimate) == (6, True, True)
    assert len(first.page(9).object_list) == 2  # beyond the count: the pages go on

    deep = ArchivePaginator(articles, 2, number=9)
    assert (deep.count, deep.more_than) == (20, False)  # counted to the end from there
    assert deep.num_pages == 10


def test_a_whole_table_is_estimated_only_on_postgresql_and_only_when_large():
    for _ in range(30):
        make_article()
    paginator = ArchivePaginator(Article.objects.all(), 10, whole_table=True)

    assert paginator.count == 30  # small: counted exactly, everywhere
    assert not paginator.count_is_estimate
    if connection.vendor != "postgresql":
        assert estimated_rows(Article.objects.all()) is None
        return
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE articles_article")
    assert estimated_rows(Article.objects.all()) == 30
