"""Review: the buttons on the change form (submit, publish, send back with a note) and the
list's actions, for journalists and editors."""

from datetime import timedelta

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.models import LogEntry
from django.urls import reverse
from django.utils import timezone

from articles.models import Article
from tests.articles.admin.posting import (
    ADD_URL,
    CHANGELIST_URL,
    article_form_data,
    change_form_data,
    change_url,
    in_review,
    member_of,
)
from tests.factories import make_article, make_author, make_section, make_staff

pytestmark = pytest.mark.django_db


def test_a_journalist_submits_from_the_form_and_the_editors_have_it(client):
    journalist = member_of("Journalist")
    article = make_article(status="draft", created_by=journalist, headline="Harbour reopens")
    client.force_login(journalist)
    form = client.get(change_url(article)).content.decode()
    assert 'name="_submit_for_review"' in form

    data = change_form_data(client, article, standfirst="Boats are back.")
    data.pop("_save")
    response = client.post(change_url(article), {**data, "_submit_for_review": "1"}, follow=True)

    html = response.content.decode()
    assert "“Harbour reopens” is saved and submitted for review" in html
    article.refresh_from_db()
    assert article.status == "review" and article.standfirst == "Boats are back."
    # Now the editors': read-only for its journalist, who is told why.
    form = client.get(change_url(article)).content.decode()
    assert 'name="_save"' not in form and 'name="_submit_for_review"' not in form
    assert "You can read it but not change it until an editor publishes it" in form


def test_an_incomplete_draft_submitted_from_the_form_is_kept_and_what_it_lacks_named(client):
    journalist = member_of("Journalist")
    article = make_article(status="draft", created_by=journalist, authors=[])
    client.force_login(journalist)
    data = change_form_data(client, article, headline="Levy on empty homes")
    data.pop("_save")

    response = client.post(change_url(article), {**data, "_submit_for_review": "1"}, follow=True)

    assert response.redirect_chain[-1][0] == change_url(article)  # back to the form
    html = response.content.decode()
    assert "“Levy on empty homes” was not submitted for review" in html
    assert "at least one author in the byline" in html and "Everything you typed is saved" in html
    article.refresh_from_db()
    assert article.status == "draft" and article.headline == "Levy on empty homes"


def test_a_journalist_adds_an_article_it_is_theirs_and_may_go_straight_to_review(client):
    journalist = member_of("Journalist")
    client.force_login(journalist)
    assert 'name="_submit_for_review"' in client.get(ADD_URL).content.decode()
    data = article_form_data(
        section=make_section(), author=make_author(), texts=[(10, "<p>The ferry is back.</p>")]
    )
    for name in ["status", "access", "published_at_0", "published_at_1"]:
        data.pop(name)

    response = client.post(ADD_URL, {**data, "_submit_for_review": "1"}, follow=True)

    assert "is saved and submitted for review" in response.content.decode()
    article = Article.objects.get()
    assert article.created_by == journalist and article.status == "review"


def test_an_editor_publishes_an_article_in_review_with_one_button(client, staff_user):
    journalist = member_of("Journalist")
    article = make_article(status="draft", created_by=journalist, headline="Harbour reopens")
    Article.objects.filter(pk=article.pk).update(status="review")
    client.force_login(staff_user)
    assert 'name="_publish"' in client.get(change_url(article)).content.decode()

    data = change_form_data(client, article, standfirst="Boats are back at last.")
    data.pop("_save")
    response = client.post(change_url(article), {**data, "_publish": "1"}, follow=True)

    article.refresh_from_db()
    assert article.status == "published" and article.is_live
    assert article.standfirst == "Boats are back at last."
    assert "is published: readers see it now" in response.content.decode()


def test_save_and_publish_with_a_future_time_schedules(client, staff_user):
    article = make_article(status="draft", headline="Harbour reopens")
    client.force_login(staff_user)
    later = timezone.localtime() + timedelta(days=2)
    data = change_form_data(
        client,
        article,
        published_at_0=later.strftime("%Y-%m-%d"),
        published_at_1=later.strftime("%H:%M:%S"),
    )
    data.pop("_save")

    client.post(change_url(article), {**data, "_publish": "1"})

    article.refresh_from_db()
    assert article.is_scheduled and not article.is_live


def test_scheduling_says_when_the_article_goes_live_and_the_form_keeps_saying_it(client):
    editor = member_of("Editor")
    article = make_article(status="review", created_by=member_of("Journalist"))
    at = timezone.localtime() + timedelta(days=1)
    client.force_login(editor)
    data = change_form_data(
        client,
        article,
        status="published",
        published_at_0=at.strftime("%Y-%m-%d"),
        published_at_1="09:00:00",
    )

    response = client.post(change_url(article), data, follow=True)

    article.refresh_from_db()
    assert article.is_scheduled
    said = f"goes live on {at:%A} {at.day} {at:%B %Y}, 09:00 Europe/London"
    assert f"“{article.headline}” is scheduled: it {said}" in response.content.decode()
    form = client.get(change_url(article)).content.decode()
    assert f"<strong>Scheduled</strong>: it {said}" in form


def test_a_journalist_cannot_publish_with_the_editors_button(client):
    journalist = member_of("Journalist")
    article = make_article(status="draft", created_by=journalist, headline="Harbour reopens")
    client.force_login(journalist)
    form = client.get(change_url(article)).content.decode()
    assert 'name="_publish"' not in form

    data = change_form_data(client, article, headline="Published by a forged button")
    data.pop("_save")
    response = client.post(change_url(article), {**data, "_publish": "1"})

    assert response.status_code == 403
    article.refresh_from_db()
    assert article.status == "draft" and article.headline == "Harbour reopens"


def test_the_journalist_sees_the_editors_note_on_the_form_and_in_the_list(client):
    journalist, editor = member_of("Journalist"), member_of("Editor")
    editor.name = "Nadia Brookfield"
    editor.save()
    article = in_review(journalist)
    client.force_login(editor)
    form = client.get(change_url(article)).content.decode()
    assert 'name="_send_back"' in form and 'name="send_back_note"' in form

    data = change_form_data(client, article, send_back_note="Needs the council's reply.")
    data.pop("_save")
    response = client.post(change_url(article), {**data, "_send_back": "1"}, follow=True)
    assert "is saved and sent back to" in response.content.decode()

    client.force_login(journalist)
    form = client.get(change_url(article)).content.decode()
    assert "Sent back by Nadia Brookfield" in form
    assert "Needs the council&#x27;s reply." in form
    assert 'name="_save"' in form and 'name="_submit_for_review"' in form  # theirs again
    listing = client.get(CHANGELIST_URL + "?state=sent-back").content.decode()
    assert ">Ferry fares rise</a>" in listing
    assert "Sent back" in listing and "Needs the council&#x27;s reply." in listing


def test_sending_back_without_a_note_is_a_form_error_that_keeps_what_was_typed(client):
    article = in_review(member_of("Journalist"))
    client.force_login(member_of("Editor"))
    data = change_form_data(client, article, headline="Ferry fares rise by a fifth")
    data.pop("_save")

    response = client.post(change_url(article), {**data, "_send_back": "1", "send_back_note": " "})

    assert response.status_code == 400
    html = response.content.decode()
    assert "Write a note for the journalist" in html
    assert 'value="Ferry fares rise by a fifth"' in html
    article.refresh_from_db()
    assert article.status == "review" and article.headline == "Ferry fares rise"
    assert not LogEntry.objects.exists()


def test_an_editor_cannot_take_an_article_out_of_review_without_a_note(client):
    article = in_review(member_of("Journalist"))
    client.force_login(member_of("Editor"))

    response = client.post(change_url(article), change_form_data(client, article, status="draft"))

    assert response.status_code == 400
    assert "write a note under “Send back to the journalist”" in response.content.decode()
    article.refresh_from_db()
    assert article.status == "review"


def test_a_journalist_reading_their_live_article_is_told_how_to_change_it(client):
    journalist = member_of("Journalist")
    article = make_article(created_by=journalist)
    client.force_login(journalist)

    page = client.get(change_url(article)).content.decode()

    assert "To change it, use “Prepare changes”" in page
    colleague = make_article(created_by=member_of("Journalist"))
    assert "Prepare changes" not in client.get(change_url(colleague)).content.decode()


def test_a_journalist_writes_but_cannot_publish_and_an_editor_can(client):
    journalist = member_of("Journalist")
    article = make_article(status="draft", headline="Harbour reopens", created_by=journalist)
    publish = {"action": "publish_now", ACTION_CHECKBOX_NAME: [article.pk], "index": "0"}

    client.force_login(journalist)
    data = change_form_data(client, article, standfirst="Boats are back.")
    assert client.post(change_url(article), data).status_code == 302
    client.post(CHANGELIST_URL, publish)
    forged = change_form_data(client, article, status="published")
    assert client.post(change_url(article), forged).status_code == 403
    article.refresh_from_db()
    assert article.standfirst == "Boats are back." and article.status == "draft"

    client.force_login(member_of("Editor"))
    response = client.post(CHANGELIST_URL, publish, follow=True)
    assert "Published 1 article(s)." in response.content.decode()
    article.refresh_from_db()
    assert article.is_live


def test_publish_now_action_refuses_an_incomplete_draft(editor_client):
    incomplete = make_article(status="draft", authors=[], published_at=None)
    response = editor_client.post(
        reverse("admin:articles_article_changelist"),
        {"action": "publish_now", "_selected_action": [incomplete.pk]},
        follow=True,
    )
    assert "was not published" in response.content.decode()
    incomplete.refresh_from_db()
    assert incomplete.status == "draft"


@pytest.mark.parametrize(
    "permissions",
    [["articles.view_article"], ["articles.view_article", "articles.change_article"]],
    ids=["view-only", "may-edit-but-not-publish"],
)
@pytest.mark.parametrize(
    ("action", "status"), [("publish_now", "draft"), ("unpublish", "published")]
)
def test_staff_who_may_not_publish_can_neither_publish_nor_unpublish(
    client, permissions, action, status
):
    article = make_article(status=status)
    client.force_login(make_staff(*permissions))

    changelist = client.get(CHANGELIST_URL).content.decode()
    forged = client.post(
        CHANGELIST_URL, {"action": action, ACTION_CHECKBOX_NAME: [article.pk], "index": "0"}
    )

    assert f'value="{action}"' not in changelist  # not offered
    # Django runs only the actions this account may run: the forged one is not one of them
    # (with no action of its own the list is shown again; else "No action selected").
    assert forged.status_code in (200, 302)
    article.refresh_from_db()
    assert article.status == status
    assert not LogEntry.objects.exists()


def test_an_editor_unpublishes_from_the_list_and_it_is_logged(client):
    editor = make_staff("articles.view_article", "articles.publish_article")
    article = make_article(headline="Pulled story")
    client.force_login(editor)

    response = client.post(
        CHANGELIST_URL,
        {"action": "unpublish", ACTION_CHECKBOX_NAME: [article.pk], "index": "0"},
        follow=True,
    )

    assert "1 article(s) are drafts again." in response.content.decode()
    article.refresh_from_db()
    assert article.status == "draft"
    assert LogEntry.objects.get().get_change_message() == "Unpublished"
