"""Site search: public text only, best matches first on PostgreSQL, and cheap."""

import pytest
from django.db import connection
from django.urls import reverse

from tests.factories import make_article, paragraphs

pytestmark = pytest.mark.django_db


def results(client, query):
    return client.get(reverse("search"), {"q": query}).content.decode()


def test_a_headline_match_ranks_above_a_preview_match_on_postgresql(client):
    if connection.vendor != "postgresql":
        pytest.skip("ranking is PostgreSQL's; SQLite lists matches newest first")
    make_article(
        headline="Council budget approved",
        blocks=[("text", paragraphs(2) + "<p>The ferries were mentioned.</p>" + paragraphs(4))],
    )
    make_article(headline="Ferries return to the estuary")  # older, but the headline matches
    page = results(client, "ferries")
    assert page.index("Ferries return") < page.index("Council budget")


def test_words_are_stemmed_and_combined_on_postgresql(client):
    if connection.vendor != "postgresql":
        pytest.skip("stemming is PostgreSQL's")
    make_article(headline="Ferry operators strike", standfirst="Crossings cancelled.")
    assert "Ferry operators strike" in results(client, "striking ferries")
    assert "Ferry operators strike" not in results(client, "ferries -strike")


def test_postgresql_search_uses_the_gin_indexes():
    if connection.vendor != "postgresql":
        pytest.skip("the indexes exist on PostgreSQL only")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname FROM pg_indexes WHERE tablename = 'articles_article' "
            "AND indexdef LIKE '%%USING gin%%'"
        )
        names = {row[0] for row in cursor.fetchall()}
    assert {"article_public_search", "article_preview_search"} <= names


@pytest.mark.parametrize("query", ["ferry", "ferry & | !", "'", "a" * 200, "-", '"unclosed'])
def test_any_query_answers_200_with_public_text_only(client, query):
    make_article(headline="Ferry news")
    response = client.get(reverse("search"), {"q": query})
    assert response.status_code == 200


def test_search_costs_a_fixed_number_of_queries(client, django_assert_max_num_queries):
    for n in range(15):
        make_article(headline=f"Harbour story {n}")
    with django_assert_max_num_queries(6):
        assert "Harbour story" in results(client, "harbour")


def test_too_many_searches_from_one_address_are_asked_to_wait(client, settings):
    settings.NEWSROOM_SEARCHES_PER_MINUTE = 3
    make_article(headline="Ferry news")
    for _ in range(3):
        assert client.get(reverse("search"), {"q": "ferry"}).status_code == 200
    response = client.get(reverse("search"), {"q": "ferry"})
    assert response.status_code == 429 and response["Retry-After"] == "60"
    assert "wait a minute" in response.content.decode()
    assert "public" not in response["Cache-Control"]
    assert client.get(reverse("search")).status_code == 200  # the empty form costs nothing
    other = client.get(reverse("search"), {"q": "ferry"}, REMOTE_ADDR="10.0.0.2")
    assert other.status_code == 200
