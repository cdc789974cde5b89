"""Site search: public text only, best matches first on PostgreSQL, and cheap."""

import html
import re

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from articles.models import Article
from articles.search import search_matches
from articles.services import article_publish, article_unpublish
from tests.factories import (
    make_article,
    make_author,
    make_image,
    make_section,
    make_staff,
    paragraphs,
)

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


def test_postgresql_search_reads_stored_vectors_through_one_gin_index(
    client, django_assert_max_num_queries
):
    """Search matches and ranks by `Article.search_vector`, which the database keeps: no query
    of a search makes a text search vector, whatever the number of matches."""
    if connection.vendor != "postgresql":
        pytest.skip("text search vectors are PostgreSQL's")
    from django.test.utils import CaptureQueriesContext

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname FROM pg_indexes WHERE tablename = 'articles_article' "
            "AND indexdef LIKE '%%USING gin%%'"
        )
        assert [row[0] for row in cursor.fetchall()] == ["article_search"]
    for n in range(3):
        make_article(headline=f"Harbour story {n}", blocks=[("text", paragraphs(4))])
    with CaptureQueriesContext(connection) as queries:
        assert "Harbour story 2" in results(client, "harbour")
    sql = " ".join(query["sql"] for query in queries.captured_queries)
    assert "search_vector" in sql and "to_tsvector" not in sql


def test_an_edited_headline_is_found_at_once_and_the_old_one_no_longer():
    """The stored vector follows every write of the row, whatever the code path."""
    article = make_article(headline="Ferries return to the estuary")
    Article.objects.filter(pk=article.pk).update(headline="Bridge reopens to traffic")
    published = Article.objects.published()
    assert search_matches(published, "bridge") == [article.pk]
    assert search_matches(published, "ferries") == []


@pytest.mark.parametrize("query", ["ferry", "ferry & | !", "'", "a" * 200, "-", '"unclosed'])
def test_any_query_answers_200_with_public_text_only(client, query):
    make_article(headline="Ferry news")
    response = client.get(reverse("search"), {"q": query})
    assert response.status_code == 200


def test_search_costs_a_fixed_number_of_queries_and_a_repeated_one_none(
    client, django_assert_num_queries, settings
):
    """The matches, the page's cards, their bylines and their pictures: four queries with 10 or
    40 matches; then the page of results comes from the cache until something is published."""
    settings.NEWSROOM_ARTICLES_PER_PAGE = 5
    same = {"lead_image": make_image(), "section": make_section(), "authors": [make_author()]}
    for n in range(10):
        make_article(headline=f"Harbour story {n}", **same)
    client.get(reverse("search"))  # the section navigation, which every page shows
    with django_assert_num_queries(4):
        assert "10 results" in results(client, "harbour")
    for n in range(10, 40):
        make_article(headline=f"Harbour story {n}", **same)
    with django_assert_num_queries(4):
        assert "40 results" in results(client, "harbour")
    with django_assert_num_queries(0):
        assert "40 results" in results(client, "harbour")
    with django_assert_num_queries(0):  # the same results for another reader
        page = Client().get(reverse("search"), {"q": "harbour"}, REMOTE_ADDR="10.0.0.3")
    assert "40 results" in page.content.decode()


def test_every_page_of_results_links_to_the_next_with_the_query(client, settings):
    settings.NEWSROOM_ARTICLES_PER_PAGE = 4
    for n in range(6):
        make_article(headline=f"Harbour story {n}")
    make_article(headline="Something else")
    first = results(client, "harbour")
    assert "6 results" in first and "Page 1 of 2" in first
    link = re.search(r'<a rel="next" href="([^"]+)"', first).group(1)
    second = client.get(reverse("search") + html.unescape(link))
    assert second.status_code == 200
    page = second.content.decode()
    assert "Page 2 of 2" in page and page.count('class="card"') == 2
    assert "Something else" not in first + page
    back = re.search(r'<a rel="prev" href="([^"]+)"', page).group(1)
    assert "Harbour story" in client.get(reverse("search") + html.unescape(back)).content.decode()
    assert client.get(reverse("search"), {"q": "harbour", "page": 3}).status_code == 404


def test_cached_results_follow_publishing_and_unpublishing_at_once(client):
    editor = make_staff("articles.view_article", "articles.publish_article")
    first = make_article(headline="Ferry timetable changes")
    draft = make_article(headline="Ferry strike called off", status=Article.Status.DRAFT)
    assert "Ferry timetable" in results(client, "ferry")
    assert "Ferry strike" not in results(client, "ferry")  # a draft is never found

    article_publish(article=draft, by=editor)
    assert "Ferry strike" in results(client, "ferry")

    article_unpublish(article=first, by=editor)  # back to a draft
    page = results(client, "ferry")
    assert "Ferry timetable" not in page and "Ferry strike" in page and "1 result " in page


def test_results_cached_under_another_cut_are_not_shown_after_it_changes(client, settings):
    """The cut in force is part of what cached results depend on: lowering it hides the
    words now beyond it from the next search, even one asked before."""
    settings.NEWSROOM_PREVIEW_PARAGRAPHS = 3
    words = ["alpha", "bravo", "quixotic", "delta", "echo", "foxtrot", "golf", "hotel"]
    body = "".join(f"<p>Paragraph about {word} and more words.</p>" for word in words)
    make_article(headline="Harbour news", blocks=[("text", body)])
    assert "Harbour news" in results(client, "quixotic")
    settings.NEWSROOM_PREVIEW_PARAGRAPHS = 2
    assert "Harbour news" not in results(client, "quixotic")


def test_a_preview_cut_with_another_length_decides_nothing_until_it_is_cut_again(client, settings):
    """Not even a word the query excludes: an article whose stored preview reaches beyond
    today's cut is found, and ranked, by its headline and standfirst alone."""
    if connection.vendor != "postgresql":
        pytest.skip("excluding a word is PostgreSQL's (websearch syntax)")
    settings.NEWSROOM_PREVIEW_PARAGRAPHS = 3
    words = ["alpha", "bravo", "quixotic", "delta", "echo", "foxtrot", "golf", "hotel"]
    body = "".join(f"<p>Paragraph about {word} and more words.</p>" for word in words)
    make_article(headline="Harbour news", blocks=[("text", body)])
    assert "Harbour news" not in results(client, "harbour -quixotic")  # within the cut: excluded
    settings.NEWSROOM_PREVIEW_PARAGRAPHS = 2
    assert "Harbour news" not in results(client, "quixotic")
    assert "Harbour news" in results(client, "harbour -quixotic")  # beyond it: no say
    assert "Harbour news" not in results(client, "bravo")  # until it is cut again


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
