"""Page parts rendered once for everyone, and forgotten when content changes."""

import pytest
from django.urls import reverse

from articles.models import Article
from articles.services import article_publish
from tests.factories import make_article, make_section

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
