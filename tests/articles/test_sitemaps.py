"""The sitemaps: every live article once, in sitemaps the index finds without counting."""

import re
from collections import Counter
from datetime import datetime
from xml.etree import ElementTree

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from articles.models import Article
from tests.factories import make_article, make_author, make_tag

pytestmark = pytest.mark.django_db

PROTOCOL = "http://www.sitemaps.org/schemas/sitemap/0.9"


def locations(xml):
    return re.findall(r"<loc>(.*?)</loc>", xml)


def sitemaps_of_the_index(client):
    """Return each sitemap the index names, as the path a crawler asks for."""
    response = client.get(reverse("sitemap"))
    assert response["Content-Type"] == "application/xml"
    assert response["X-Robots-Tag"] == "noindex, noodp, noarchive"
    index = ElementTree.fromstring(response.content)  # noqa: S314 - our own index
    assert index.tag == f"{{{PROTOCOL}}}sitemapindex"
    return [
        re.sub(r"^https?://[^/]+", "", location.text)
        for location in index.iterfind(f"{{{PROTOCOL}}}sitemap/{{{PROTOCOL}}}loc")
    ]


def articles_listed(client):
    """Return the article addresses of every articles sitemap the index names, with repeats."""
    listed = []
    for path in sitemaps_of_the_index(client):
        if path.startswith("/sitemap-articles.xml"):
            response = client.get(path)
            assert response.status_code == 200, path
            listed += [re.sub(r"^https?://[^/]+", "", url) for url in locations(response.text)]
    return listed


@pytest.fixture
def small_sitemaps(monkeypatch):
    """Sitemaps of 3 articles, as if the archive were large."""
    from articles.site.sitemaps import ArticleSitemap

    monkeypatch.setattr(ArticleSitemap, "limit", 3)


def test_sitemaps_list_live_articles_only(client):
    live = make_article()
    recent = make_article(
        published_at=timezone.now() - timezone.timedelta(hours=1), headline="Fresh news"
    )
    old = make_article(published_at=timezone.now() - timezone.timedelta(days=5))
    draft = make_article(status=Article.Status.DRAFT)
    listed = articles_listed(client)
    assert live.get_absolute_url() in listed and old.get_absolute_url() in listed
    assert draft.get_absolute_url() not in listed
    news = client.get(reverse("news_sitemap")).content.decode()
    assert "<news:title>Fresh news</news:title>" in news
    assert recent.get_absolute_url() in news
    assert old.get_absolute_url() not in news and draft.get_absolute_url() not in news


def test_every_live_article_is_in_exactly_one_sitemap_of_at_most_limit(client, small_sitemaps):
    live = [make_article() for _ in range(4)]
    make_article(status=Article.Status.DRAFT)
    make_article(published_at=timezone.now() + timezone.timedelta(days=1))  # scheduled
    live += [make_article() for _ in range(3)]
    taken_down = make_article()
    Article.objects.filter(pk=taken_down.pk).update(unpublish_at=timezone.now())
    live += [make_article(published_at=timezone.now() - timezone.timedelta(days=900))]

    listed = articles_listed(client)
    assert Counter(listed) == Counter(article.get_absolute_url() for article in live)
    for path in sitemaps_of_the_index(client):
        if path.startswith("/sitemap-articles.xml"):
            assert len(locations(client.get(path).text)) <= 3, path


def test_the_first_sitemap_holds_the_articles_added_last_and_past_the_last_is_404(
    client, small_sitemaps
):
    for _ in range(7):
        added_last = make_article()
    first = client.get("/sitemap-articles.xml").text
    assert added_last.get_absolute_url() in first
    articles = [path for path in sitemaps_of_the_index(client) if "articles" in path]
    assert articles[0] == "/sitemap-articles.xml"
    assert articles[1:] == [f"/sitemap-articles.xml?p={n}" for n in range(2, len(articles) + 1)]
    for page in [len(articles) + 1, 0, "x", "1.5"]:
        assert client.get(f"/sitemap-articles.xml?p={page}").status_code == 404, page


def test_a_site_with_nothing_live_has_an_empty_articles_sitemap(client):
    make_article(status=Article.Status.DRAFT)
    assert sitemaps_of_the_index(client) == ["/sitemap-articles.xml", "/sitemap-pages.xml"]
    response = client.get("/sitemap-articles.xml")
    assert response.status_code == 200 and locations(response.text) == []


def test_the_index_says_when_articles_last_changed(client, small_sitemaps):
    for _ in range(5):
        make_article()
    changed = make_article(published_at=timezone.now() - timezone.timedelta(days=30))
    index = client.get(reverse("sitemap")).text
    lastmods = {datetime.fromisoformat(m) for m in re.findall(r"<lastmod>(.*?)</lastmod>", index)}
    assert lastmods == {changed.updated_at}  # each articles sitemap: the newest change


def test_neither_the_index_nor_a_sitemap_counts_the_archive_or_skips_through_it(
    client, small_sitemaps
):
    """What a COUNT or an OFFSET reads grows with the archive: the index finds its sitemaps by
    the lowest and highest live id, a sitemap its articles by a range of ids."""
    author, tag = make_author(), make_tag()
    for _ in range(10):
        make_article(authors=[author], tags=[tag])
    paths = ["/sitemap.xml", *sitemaps_of_the_index(client)]
    assert "/sitemap-articles.xml?p=3" in paths
    for path in paths:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(path).status_code == 200
        sql = " ".join(query["sql"] for query in queries).upper()
        assert "COUNT(" not in sql and "OFFSET" not in sql, path


def test_the_pages_sitemap_lists_authors_and_tags_with_a_live_article_only(client):
    writing, silent = make_author(name="Writing"), make_author(name="Silent")
    used, unused = make_tag(name="Used"), make_tag(name="Unused")
    make_article(authors=[writing], tags=[used])
    make_article(authors=[silent], tags=[unused], status=Article.Status.DRAFT)
    pages = client.get("/sitemap-pages.xml").text
    assert writing.get_absolute_url() in pages and used.get_absolute_url() in pages
    assert silent.get_absolute_url() not in pages and unused.get_absolute_url() not in pages
