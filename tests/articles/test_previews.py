"""Previews: an article as each kind of reader gets it, and share links for people without an
account. Neither ever counts against a meter, and neither is cached or indexed."""

from datetime import timedelta

import pytest
from django.contrib.admin.models import LogEntry
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from articles.models import Article, PreviewLink
from articles.previews import preview_link_create, preview_link_revoke
from articles.revisions import article_prepare_changes
from subscriptions.meter import METER_COOKIE
from subscriptions.models import MeteredRead
from tests.factories import make_article, make_staff, paragraphs
from tests.subscriptions.factories import make_reader

pytestmark = pytest.mark.django_db

PROMPT = "You're reading a preview, subscribe to read more."
BEYOND = "Beyond the cut, for entitled readers."
PERSONAS = ["subscriber", "reads-left", "out-of-reads", "registered-out-of-reads"]


@pytest.fixture(autouse=True)
def meters(settings):
    settings.NEWSROOM_METER_ANONYMOUS = 3
    settings.NEWSROOM_METER_REGISTERED = 5


def paywalled(**fields):
    return make_article(
        blocks=[("text", paragraphs(3)), ("break",), ("text", f"<p>{BEYOND}</p>")], **fields
    )


def preview_url(article, persona):
    return reverse("admin:articles_article_preview", args=[article.pk, persona])


@pytest.fixture
def editor_client(client, staff_user):
    client.force_login(staff_user)
    return client


# Preview as any reader ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "status", [Article.Status.DRAFT, "scheduled", Article.Status.PUBLISHED], ids=str
)
def test_each_persona_gets_what_that_reader_would(editor_client, status):
    fields = {"status": status, "published_at": None}
    if status == "scheduled":
        fields = {
            "status": Article.Status.PUBLISHED,
            "published_at": timezone.now() + timedelta(days=1),
        }
    elif status == Article.Status.PUBLISHED:
        fields = {}
    article = paywalled(**fields)
    pages = {
        persona: editor_client.get(preview_url(article, persona)).content.decode()
        for persona in PERSONAS
    }

    subscriber = pages["subscriber"]
    assert BEYOND in subscriber and PROMPT not in subscriber
    assert "free article" not in subscriber
    assert "Preview — as a subscriber" in subscriber

    reads_left = pages["reads-left"]
    assert BEYOND in reads_left and PROMPT not in reads_left
    assert "2 of 3 free articles left this month." in reads_left
    assert "Preview — as an anonymous reader with free reads left" in reads_left

    out = pages["out-of-reads"]
    assert BEYOND not in out and PROMPT in out
    assert "You have read your 3 free articles this month." in out
    assert "create a free account" in out and "Already a subscriber? Log in" in out
    assert "Preview — as an anonymous reader out of free reads" in out

    registered = pages["registered-out-of-reads"]
    assert BEYOND not in registered and PROMPT in registered
    assert "You have read your 5 free articles this month." in registered
    assert "create a free account" not in registered and "Log in" not in registered.split(PROMPT)[1]

    for persona, page in pages.items():
        # Each page links to the others and back to the admin, and is not the staff view.
        others = [other for other in PERSONAS if other != persona]
        assert all(f'href="{preview_url(article, other)}"' in page for other in others)
        assert reverse("admin:articles_article_change", args=[article.pk]) in page
        assert "Readers without access stop here" not in page
        assert '<meta name="robots" content="noindex">' in page


def test_a_subscribers_only_article_is_a_preview_even_with_reads_left(editor_client):
    article = paywalled(access=Article.Access.SUBSCRIBERS)
    page = editor_client.get(preview_url(article, "reads-left")).content.decode()
    assert BEYOND not in page and "This article is for subscribers." in page
    assert BEYOND in editor_client.get(preview_url(article, "subscriber")).content.decode()


def test_a_free_article_is_whole_for_everyone(editor_client):
    article = paywalled(access=Article.Access.FREE)
    for persona in PERSONAS:
        page = editor_client.get(preview_url(article, persona)).content.decode()
        assert BEYOND in page and PROMPT not in page


def test_an_anonymous_persona_sees_the_masthead_of_someone_logged_out(editor_client):
    article = paywalled()
    page = editor_client.get(preview_url(article, "out-of-reads")).content.decode()
    assert "Your account" not in page.split("</header>")[0]


def test_a_preview_shows_what_was_saved_a_moment_ago(editor_client):
    article = paywalled()
    editor_client.get(article.get_absolute_url())  # the page's parts are now cached
    Article.objects.filter(pk=article.pk).update(headline="Saved a moment ago")
    page = editor_client.get(preview_url(article, "subscriber")).content.decode()
    assert "Saved a moment ago" in page


def test_a_preview_of_changes_to_a_live_article_says_readers_have_the_live_version(
    editor_client, staff_user
):
    live = make_article(headline="Ferry fares frozen")
    draft = article_prepare_changes(article=live, by=staff_user)

    page = editor_client.get(preview_url(draft, "subscriber")).content.decode()

    assert "Changes to “Ferry fares frozen”, not published: readers see the live version" in page
    assert "A draft: not on the site." not in page


def test_previews_never_count_on_a_meter_and_are_never_kept(editor_client):
    article = paywalled()
    for persona in PERSONAS:
        response = editor_client.get(preview_url(article, persona))
        assert response.status_code == 200
        assert METER_COOKIE not in response.cookies
        assert "private" in response["Cache-Control"] and "no-store" in response["Cache-Control"]
        assert response["X-Robots-Tag"] == "noindex"
    assert not MeteredRead.objects.exists()


def test_an_unknown_persona_or_article_is_a_404(editor_client):
    article = paywalled()
    assert editor_client.get(preview_url(article, "crawler")).status_code == 404
    missing = reverse("admin:articles_article_preview", args=[article.pk + 100, "subscriber"])
    assert editor_client.get(missing).status_code == 404


def test_readers_and_staff_without_view_permission_get_no_preview(client):
    article = paywalled(status=Article.Status.DRAFT, published_at=None)
    client.force_login(make_reader())
    response = client.get(preview_url(article, "subscriber"))
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    client.force_login(make_staff())
    assert client.get(preview_url(article, "subscriber")).status_code == 403
    client.force_login(make_staff("articles.view_article"))
    assert client.get(preview_url(article, "subscriber")).status_code == 200


def test_the_change_form_links_to_a_preview_as_each_kind_of_reader(editor_client):
    article = make_article(status="draft", published_at=None)
    html = editor_client.get(
        reverse("admin:articles_article_change", args=[article.pk])
    ).content.decode()
    for persona in ["subscriber", "reads-left", "out-of-reads", "registered-out-of-reads"]:
        assert (
            f'href="{reverse("admin:articles_article_preview", args=[article.pk, persona])}"'
            in html
        )
    assert "?as=public" not in html
    assert reverse("admin:articles_article_share_links", args=[article.pk]) in html


# Share links ---------------------------------------------------------------------------------


@pytest.fixture
def draft():
    return paywalled(status=Article.Status.DRAFT, published_at=None, headline="Inquiry draft")


def link_url(link):
    return reverse("article_preview_link", args=[link.token])


def test_a_share_link_shows_the_draft_in_full_to_someone_without_an_account(
    client, staff_user, draft
):
    link = preview_link_create(article=draft, by=staff_user)
    response = client.get(link_url(link))
    page = response.content.decode()
    assert response.status_code == 200
    assert "Inquiry draft" in page and BEYOND in page and PROMPT not in page
    assert "Preview, not published" in page
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]
    assert response["X-Robots-Tag"] == "noindex"
    assert not response.cookies  # no meter, no session
    assert not MeteredRead.objects.exists()
    assert len(link.token) >= 43  # secrets.token_urlsafe(32)


def test_a_share_link_works_for_the_hours_the_setting_gives(client, staff_user, draft, settings):
    settings.NEWSROOM_PREVIEW_LINK_HOURS = 6
    link = preview_link_create(article=draft, by=staff_user)
    assert link.expires_at - link.created_at == timedelta(hours=6)
    PreviewLink.objects.filter(pk=link.pk).update(expires_at=timezone.now())
    assert client.get(link_url(link)).status_code == 404


def test_a_revoked_or_wrong_link_is_a_404(client, staff_user, draft):
    link = preview_link_create(article=draft, by=staff_user)
    preview_link_revoke(link=link, by=staff_user)
    assert client.get(link_url(link)).status_code == 404
    assert client.get(reverse("article_preview_link", args=["x" * 43])).status_code == 404


def test_once_published_a_share_link_leads_to_the_article(client, staff_user, draft):
    link = preview_link_create(article=draft, by=staff_user)
    Article.objects.filter(pk=draft.pk).update(
        status=Article.Status.PUBLISHED, published_at=timezone.now()
    )
    response = client.get(link_url(link))
    assert response.status_code == 302
    assert response["Location"] == draft.get_absolute_url()


def test_only_those_who_may_change_articles_share_them(draft):
    journalist = make_staff("articles.change_article")
    link = preview_link_create(article=draft, by=journalist)
    for nobody in (make_staff("articles.view_article"), make_reader()):
        with pytest.raises(PermissionDenied):
            preview_link_create(article=draft, by=nobody)
        with pytest.raises(PermissionDenied):
            preview_link_revoke(link=link, by=nobody)
    assert PreviewLink.objects.get().revoked_at is None


def test_share_links_are_made_and_revoked_from_the_article(editor_client, draft):
    change = editor_client.get(
        reverse("admin:articles_article_change", args=[draft.pk])
    ).content.decode()
    links_page = reverse("admin:articles_article_share_links", args=[draft.pk])
    assert links_page in change and "none working" in change

    response = editor_client.post(links_page, follow=True)
    link = PreviewLink.objects.get()
    page = response.content.decode()
    assert "A new share link is ready" in page
    assert f"http://testserver{link_url(link)}" in page
    assert timezone.localtime(link.expires_at).strftime("%-d %B %Y, %H:%M") in page
    change = editor_client.get(
        reverse("admin:articles_article_change", args=[draft.pk])
    ).content.decode()
    assert "1 working" in change

    revoke = reverse("admin:articles_article_share_link_revoke", args=[draft.pk, link.pk])
    assert editor_client.get(revoke).status_code == 405
    editor_client.post(revoke)
    link.refresh_from_db()
    assert link.revoked_at is not None
    assert LogEntry.objects.filter(object_id=str(draft.pk)).count() == 2


def test_share_link_buttons_need_the_csrf_token(client, staff_user, draft):
    from django.test import Client

    forger = Client(enforce_csrf_checks=True)
    forger.force_login(staff_user)
    links_page = reverse("admin:articles_article_share_links", args=[draft.pk])
    assert forger.post(links_page).status_code == 403
    assert not PreviewLink.objects.exists()


def test_staff_who_may_only_view_cannot_make_or_revoke_share_links(client, staff_user, draft):
    link = preview_link_create(article=draft, by=staff_user)
    client.force_login(make_staff("articles.view_article"))
    links_page = reverse("admin:articles_article_share_links", args=[draft.pk])
    page = client.get(links_page).content.decode()
    assert "Create a share link" not in page and "Revoke</button>" not in page
    assert client.post(links_page).status_code == 403
    revoke = reverse("admin:articles_article_share_link_revoke", args=[draft.pk, link.pk])
    assert client.post(revoke).status_code == 403
    assert PreviewLink.objects.count() == 1 and PreviewLink.objects.get().revoked_at is None
