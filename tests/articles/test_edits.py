"""An editor's save cools nothing it did not change: one refresh, one announcement, one move of
the lists at most, in a bounded number of queries."""

import pytest
from django.urls import reverse

from articles.events import article_changed
from articles.site.pages import HEAD, LISTINGS
from foundation.kept import refreshed
from tests.articles.admin.posting import change_form_data, change_url
from tests.factories import make_article, make_tag, paragraphs

pytestmark = pytest.mark.django_db


@pytest.fixture
def editor_client(client, staff_user):
    client.force_login(staff_user)
    return client


@pytest.fixture
def counted():
    """Count the kept values set (by kind and ident) and the announcements (by article)."""
    refreshes, announcements = [], []

    def on_refresh(sender, kind, ident, **kwargs):
        refreshes.append((kind.name, ident))

    def on_announcement(sender, article_id, changes, **kwargs):
        announcements.append((article_id, changes))

    refreshed.connect(on_refresh)
    article_changed.connect(on_announcement)
    yield refreshes, announcements
    refreshed.disconnect(on_refresh)
    article_changed.disconnect(on_announcement)


def live_story():
    return make_article(
        tags=[make_tag(), make_tag()],
        blocks=[("text", paragraphs(3)), ("break",), ("text", paragraphs(3)), ("quote", "A", "B")],
    )


def test_one_admin_save_of_a_live_article_is_one_refresh_and_one_announcement(
    editor_client, counted, django_assert_max_num_queries
):
    article = live_story()
    editor_client.get(article.get_absolute_url())
    # Saved once in the admin already: its first revision, of what it was before, is kept.
    editor_client.post(change_url(article), change_form_data(editor_client, article))
    data = change_form_data(editor_client, article, headline="Ferry fares frozen", access="free")
    refreshes, announcements = counted
    refreshes.clear()
    announcements.clear()

    # The form's own rows, the revision, the publishing check (once), the body's preview and
    # word count, the head set and checked again after the commit, and the lists' next change.
    with django_assert_max_num_queries(66):
        response = editor_client.post(change_url(article), data)

    assert response.status_code == 302
    assert refreshes.count((HEAD.name, article.pk)) == 1
    assert refreshes.count((LISTINGS.name, "all")) == 1  # the card's headline changed
    assert len(announcements) == 1
    ((announced_id, changes),) = announcements
    assert announced_id == article.pk and "access_changed" in changes


def test_a_body_edit_in_the_admin_moves_no_list(editor_client, counted):
    article = live_story()
    editor_client.get(reverse("home"))
    editor_client.get(article.get_absolute_url())  # read, so its head is kept: lists know it
    data = change_form_data(editor_client, article)
    text_field = next(key for key in data if key.endswith("-text") and "textblock" in key.lower())
    data[text_field] = [value.replace("Paragraph 1", "Paragraph one") for value in data[text_field]]
    refreshes, _announcements = counted
    refreshes.clear()

    response = editor_client.post(change_url(article), data)

    assert response.status_code == 302
    assert refreshes.count((HEAD.name, article.pk)) == 1
    assert (LISTINGS.name, "all") not in refreshes
    assert "Paragraph one" in editor_client.get(article.get_absolute_url()).content.decode()
