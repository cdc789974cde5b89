import pytest
from django.urls import reverse
from django.utils import timezone

from articles.models import Article
from tests.factories import make_article, make_section, paragraphs

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("name", ["feed", "feed_atom"])
def test_feeds_list_live_articles_with_their_standfirst(client, name):
    live = make_article(headline="Bridge reopens", standfirst="Traffic flows again.")
    make_article(headline="Draft piece", status=Article.Status.DRAFT)
    make_article(
        headline="Tomorrow's piece", published_at=timezone.now() + timezone.timedelta(hours=3)
    )
    response = client.get(reverse(name))
    body = response.content.decode()
    assert response.status_code == 200
    assert "Bridge reopens" in body and "Traffic flows again." in body
    assert live.get_absolute_url() in body
    assert "Draft piece" not in body and "Tomorrow" not in body
    assert "Paragraph 1 of the story" not in body  # no body text at all


def test_section_feeds_hold_their_section_only(client):
    climate = make_section(slug="climate")
    make_article(headline="Heatwave", section=climate)
    make_article(headline="Elections", section=make_section())
    for name in ["section_feed", "section_feed_atom"]:
        body = client.get(reverse(name, kwargs={"slug": "climate"})).content.decode()
        assert "Heatwave" in body and "Elections" not in body
    assert client.get(reverse("section_feed", kwargs={"slug": "nope"})).status_code == 404


def test_search_matches_public_text_only(client):
    make_article(
        headline="Harbour dredging begins",
        blocks=[
            ("text", paragraphs(2) + "<p>Visible clue alpha.</p>" + paragraphs(5)),
            ("break",),
            ("text", "<p>Hidden clue omega.</p>"),
        ],
    )
    make_article(headline="Harbour draft", status=Article.Status.DRAFT)
    assert (
        "Harbour dredging begins"
        in client.get(reverse("search"), {"q": "harbour"}).content.decode()
    )
    assert "Harbour draft" not in client.get(reverse("search"), {"q": "harbour"}).content.decode()
    assert "1 result" in client.get(reverse("search"), {"q": "alpha"}).content.decode()
    assert "0 results" in client.get(reverse("search"), {"q": "omega"}).content.decode()
    assert client.get(reverse("search"), {"q": "x" * 5000}).status_code == 200


HOSTILE = '"><script>alert("standfirst")</script><img src=x onerror=alert(1)>'


@pytest.mark.parametrize("name", ["feed", "feed_atom", "section_feed", "section_feed_atom"])
def test_feed_text_is_plain_text_to_a_feed_reader_never_markup(client, name):
    """Feed readers render <description> and <summary type="html"> as HTML: whatever a
    journalist typed must arrive there as text."""
    from xml.etree import ElementTree

    section = make_section(slug="harbour", description=HOSTILE)
    make_article(headline=HOSTILE, standfirst=HOSTILE, section=section)
    kwargs = {"slug": "harbour"} if name.startswith("section") else {}
    response = client.get(reverse(name, kwargs=kwargs))
    feed = ElementTree.fromstring(response.content)  # noqa: S314 - our own feed

    html_fields = [
        element.text or ""
        for element in feed.iter()
        if element.tag.rsplit("}", 1)[-1] in ("description", "summary", "subtitle")
    ]
    assert html_fields, "the feed carries the standfirst"
    for text in html_fields:
        assert "<script" not in text and "<img" not in text, text
    assert any("&lt;script&gt;" in text for text in html_fields)


def test_the_news_sitemap_speaks_the_sites_language(client, settings):
    settings.LANGUAGE_CODE = "de-at"
    make_article(published_at=timezone.now() - timezone.timedelta(hours=1))
    news = client.get(reverse("news_sitemap")).content.decode()
    assert "<news:language>de</news:language>" in news
