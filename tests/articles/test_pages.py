"""Page parts rendered once for everyone, and forgotten when content changes."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from articles.models import Article
from articles.services import article_publish
from tests.factories import make_article, make_section, make_tag

pytestmark = pytest.mark.django_db


def test_a_cached_article_page_shows_an_edit_at_once(client):
    article = make_article(headline="First headline", access=Article.Access.FREE)
    assert "First headline" in client.get(article.get_absolute_url()).content.decode()
    article.headline = "Corrected headline"
    article.save()
    page = client.get(article.get_absolute_url()).content.decode()
    assert "Corrected headline" in page and "First headline" not in page


def test_publishing_puts_an_article_on_every_list_at_once(client, staff_user):
    section = make_section()
    make_article(section=section)
    client.get(reverse("home"))
    client.get(section.get_absolute_url())
    draft = make_article(headline="Fresh off the press", section=section, status="draft")
    assert "Fresh off the press" not in client.get(reverse("home")).content.decode()
    article_publish(article=draft, by=staff_user)
    assert "Fresh off the press" in client.get(reverse("home")).content.decode()
    assert "Fresh off the press" in client.get(section.get_absolute_url()).content.decode()


def test_unpublishing_takes_an_article_down_at_once(client, staff_user):
    article = make_article(headline="Pulled story")
    assert client.get(article.get_absolute_url()).status_code == 200
    client.force_login(staff_user)
    client.post(
        reverse("admin:articles_article_changelist"),
        {"action": "unpublish", "_selected_action": [article.pk]},
    )
    client.logout()
    assert client.get(article.get_absolute_url()).status_code == 404
    assert "Pulled story" not in client.get(reverse("home")).content.decode()


def test_a_cached_draft_stays_hidden_from_the_public(client, staff_user):
    draft = make_article(status="draft", published_at=None)
    client.force_login(staff_user)
    assert client.get(draft.get_absolute_url()).status_code == 200  # cached for staff
    client.logout()
    assert client.get(draft.get_absolute_url()).status_code == 404


def test_a_new_caption_in_the_library_reaches_the_pages_that_show_the_picture(client):
    from media.services import image_update
    from tests.factories import make_image, paragraphs

    image = make_image(caption="Old caption")
    article = make_article(
        access=Article.Access.FREE, blocks=[("text", paragraphs(3)), ("image", image)]
    )
    assert "Old caption" in client.get(article.get_absolute_url()).content.decode()
    image_update(image=image, caption="New caption")
    assert "New caption" in client.get(article.get_absolute_url()).content.decode()


def related_headlines(client, article):
    """The headlines of the "Related articles" cards on `article`'s page, in order."""
    html = client.get(article.get_absolute_url()).content.decode()
    related = html.split('id="related-title"', 1)[1].split("</section>", 1)[0]
    return re.findall(r"Related: [\w ]+", related)


def test_related_articles_are_the_newest_sharing_the_section_or_a_tag(client):
    home, away = make_section(name="Harbour"), make_section(name="Council")
    ferries, weather = make_tag(name="Ferries"), make_tag(name="Weather")
    now = timezone.now()

    def story(name, *, hours_ago, section=away, tags=(), **fields):
        return make_article(
            headline=f"Related: {name}",
            section=section,
            tags=tags,
            published_at=now - timedelta(hours=hours_ago),
            **fields,
        )

    article = story("the story itself", hours_ago=0, section=home, tags=[ferries, weather])
    story("same section and both tags", hours_ago=1, section=home, tags=[ferries, weather])
    story("a tag in common", hours_ago=2, tags=[weather])
    story("a draft", hours_ago=3, section=home, status=Article.Status.DRAFT)
    story("nothing in common", hours_ago=4)
    story("same section", hours_ago=5, section=home)
    story("older, another tag in common", hours_ago=6, tags=[ferries])

    assert related_headlines(client, article) == [
        "Related: same section and both tags",  # once, though it matches three ways
        "Related: a tag in common",
        "Related: same section",
    ]


def test_related_articles_are_found_without_reading_every_match(client):
    """Each way an article may be related (its section, each tag) reads its newest few by an
    index; one query over the section OR the tags needed DISTINCT over the join, which read
    every match in the archive, so its time grew with the archive on every page's miss."""
    tags = [make_tag(name="Ferries"), make_tag(name="Weather")]
    section = make_section()
    for _ in range(5):
        make_article(section=section, tags=tags)
    article = make_article(section=section, tags=tags)

    with CaptureQueriesContext(connection) as queries:
        client.get(article.get_absolute_url())

    article_queries = [q["sql"] for q in queries if '"articles_article"' in q["sql"]]
    assert article_queries and not [sql for sql in article_queries if "DISTINCT" in sql]
    html = client.get(article.get_absolute_url()).content.decode()
    related = html.split('id="related-title"', 1)[1].split("</section>", 1)[0]
    assert related.count('<article class="card') == 3
