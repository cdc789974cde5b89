"""Autosave over HTTP: what was typed is kept for its author, offered back, shown again in
the form without being saved, and forgotten on saving; nobody else may keep or see it."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse

from articles.models import Article, ArticleAutosave, TextBlock
from tests.articles.admin.posting import ADD_URL, article_form_data, change_form_data, change_url
from tests.factories import make_article, make_staff

pytestmark = pytest.mark.django_db

BODY = "The harbour master kept a diary of every storm since 1987."


def autosave_url(article=None):
    if article is None:
        return reverse("admin:articles_article_autosave_new")
    return reverse("admin:articles_article_autosave", args=[article.pk])


@pytest.fixture
def article():
    return make_article(status="draft", blocks=[("text", "<p>The first paragraph.</p>")])


@pytest.fixture
def editor_client(client, staff_user):
    client.force_login(staff_user)
    return client


def typed(client, article, **changes):
    """What the change form posts after typing `changes`, and a new text block at the end."""
    data = change_form_data(client, article, **changes)
    data.pop("_save")
    prefix = "articles_textblock_set"
    count = int(data[f"{prefix}-TOTAL_FORMS"][0])
    data[f"{prefix}-TOTAL_FORMS"] = [str(count + 1)]
    data |= {
        f"{prefix}-{count}-text": [f"<p>{BODY}</p>"],
        f"{prefix}-{count}-region": ["body"],
        f"{prefix}-{count}-ordering": ["100"],
    }
    return data


def test_an_autosave_is_offered_back_and_restores_every_field_without_saving(
    editor_client, staff_user, article
):
    data = typed(editor_client, article, headline="Storms of the harbour, counted")
    response = editor_client.post(autosave_url(article), data)
    assert response.status_code == 200 and "saved_at" in response.json()

    html = editor_client.get(change_url(article)).content.decode()
    assert "You have unsaved edits from" in html
    assert "?restore=autosave" in html
    assert BODY not in html  # offered, not yet shown

    html = editor_client.get(change_url(article) + "?restore=autosave").content.decode()
    assert "your unsaved edits from" in html and "review them, then save" in html
    assert 'value="Storms of the harbour, counted"' in html
    assert BODY in html  # the new block's text, in its textarea
    assert "The first paragraph." in html  # the block that was there, kept
    article.refresh_from_db()
    assert article.headline != "Storms of the harbour, counted"  # nothing saved by showing it
    assert TextBlock.objects.filter(parent=article).count() == 1

    # Saving the restored form puts it on the article and forgets the autosave.
    saved = typed(editor_client, article, headline="Storms of the harbour, counted")
    saved["_save"] = "Save"
    assert editor_client.post(change_url(article), saved).status_code == 302
    article.refresh_from_db()
    assert article.headline == "Storms of the harbour, counted"
    assert BODY in TextBlock.objects.filter(parent=article).last().text
    assert not ArticleAutosave.objects.exists()
    assert "You have unsaved edits" not in editor_client.get(change_url(article)).content.decode()


def test_an_autosave_replaces_the_last_one_and_belongs_to_its_author(
    editor_client, staff_user, article
):
    editor_client.post(autosave_url(article), typed(editor_client, article, headline="One"))
    editor_client.post(autosave_url(article), typed(editor_client, article, headline="Two"))
    autosave = ArticleAutosave.objects.get()
    assert autosave.user == staff_user and autosave.article == article
    assert autosave.data["headline"] == ["Two"]
    assert "csrfmiddlewaretoken" not in autosave.data

    colleague = Client()
    colleague.force_login(make_staff(email="colleague@example.com", is_superuser=True))
    html = colleague.get(change_url(article) + "?restore=autosave").content.decode()
    assert "unsaved edits" not in html and 'value="Two"' not in html


def test_a_new_articles_autosave_is_restored_in_the_add_form(editor_client):
    data = article_form_data(status="draft", headline="Lighthouse for sale", slug="lighthouse")
    assert editor_client.post(autosave_url(), data).status_code == 200

    html = editor_client.get(ADD_URL).content.decode()
    assert "You have unsaved edits from" in html
    html = editor_client.get(ADD_URL + "?restore=autosave").content.decode()
    assert 'value="Lighthouse for sale"' in html
    assert not Article.objects.exists()

    data["_save"] = "Save"
    assert editor_client.post(ADD_URL, data).status_code == 302
    assert Article.objects.get().headline == "Lighthouse for sale"
    assert not ArticleAutosave.objects.exists()


def test_an_autosave_older_than_the_last_save_says_so(editor_client, article):
    editor_client.post(autosave_url(article), typed(editor_client, article))
    Article.objects.filter(pk=article.pk).update(
        updated_at=ArticleAutosave.objects.get().saved_at + timedelta(minutes=5)
    )
    html = editor_client.get(change_url(article)).content.decode()
    assert "You have unsaved edits from" in html and "the article was saved since" in html


def test_discarding_forgets_the_autosave(editor_client, article):
    editor_client.post(autosave_url(article), typed(editor_client, article))
    response = editor_client.post(autosave_url(article), {"discard": "1"})
    assert response.status_code == 302 and response.url == change_url(article)
    assert not ArticleAutosave.objects.exists()


def test_who_may_not_change_the_article_may_not_autosave_it(client, article):
    data = {"headline": "Not mine"}
    client.force_login(make_staff("articles.view_article"))
    html = client.get(change_url(article)).content.decode()  # read-only: nothing to keep
    assert 'data-autosave-url=""' in html
    assert client.post(autosave_url(article), data).status_code == 403
    assert client.post(autosave_url(), data).status_code == 403  # may not add one either
    client.logout()
    assert client.post(autosave_url(article), data).status_code == 302  # to the log-in
    assert not ArticleAutosave.objects.exists()


def test_an_autosave_needs_the_forms_csrf_token(staff_user, article):
    client = Client(enforce_csrf_checks=True)
    client.force_login(staff_user)
    assert client.post(autosave_url(article), {"headline": "Forged"}).status_code == 403
    assert not ArticleAutosave.objects.exists()


def test_too_large_an_autosave_is_refused_clearly(editor_client, article, settings):
    settings.NEWSROOM_AUTOSAVE_MAX_BYTES = 10_000
    response = editor_client.post(autosave_url(article), {"headline": "x" * 20_000})
    assert response.status_code == 413
    assert "Save button" in response.content.decode()
    assert not ArticleAutosave.objects.exists()


def test_an_autosave_is_posted_not_fetched(editor_client, article):
    assert editor_client.get(autosave_url(article)).status_code == 405
    missing = reverse("admin:articles_article_autosave", args=[article.pk + 100])
    assert editor_client.post(missing, {"headline": "x"}).status_code == 404
