"""Corrections and clarifications: editors add them to live articles, every reader sees them on
the article, in its JSON-LD and on /corrections/."""

import json
import re
from datetime import datetime, timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from articles.corrections import correction_delete, correction_save
from articles.models import Article, Correction
from tests.articles.admin.posting import change_form_data, change_url, member_of
from tests.factories import make_article, paragraphs

pytestmark = pytest.mark.django_db

TEXT = "An earlier version said the ferry leaves at 6. It leaves at 7."


def correct(article, *, by, text=TEXT, **fields):
    return correction_save(correction=Correction(article=article, text=text, **fields), by=by)


def json_ld(page):
    (payload,) = re.findall(r'<script type="application/ld\+json">(.*?)</script>', page, re.S)
    return json.loads(payload)


@pytest.fixture
def editor():
    return member_of("Editor")


def test_the_article_page_shows_a_correction_with_its_date_and_the_update(client, editor):
    article = make_article(blocks=[("text", paragraphs(2)), ("break",), ("text", "<p>Rest.</p>")])
    at = timezone.make_aware(datetime(2026, 11, 25, 9, 30))
    correct(article, by=editor, published_at=at)
    correct(article, by=editor, kind=Correction.Kind.CLARIFICATION, text="The fare is per adult.")
    page = client.get(article.get_absolute_url()).content.decode()
    assert (
        f'Correction, <time datetime="{at.isoformat()}">25 November 2026</time>:</strong> {TEXT}'
        in page
    )
    assert "Clarification, " in page and "The fare is per adult." in page
    assert '<span class="updated">Updated' in page
    assert 'property="article:modified_time"' in page


def test_a_reader_on_the_preview_sees_the_correction_too(client, editor, settings):
    settings.NEWSROOM_METER_ANONYMOUS = 0
    article = make_article(blocks=[("text", paragraphs(2)), ("break",), ("text", "<p>Rest.</p>")])
    correct(article, by=editor)
    page = client.get(article.get_absolute_url()).content.decode()
    assert "subscribe to read more" in page and TEXT in page and "Rest." not in page


def test_json_ld_carries_the_corrections_and_the_time_modified(client, editor):
    article = make_article()
    correction = correct(article, by=editor)
    data = json_ld(client.get(article.get_absolute_url()).content.decode())
    assert data["correction"] == [
        {
            "@type": "CorrectionComment",
            "text": f"Correction: {TEXT}",
            "datePublished": correction.published_at.isoformat(),
        }
    ]
    article.refresh_from_db()
    assert data["dateModified"] == article.updated_at.isoformat()
    assert article.updated_at >= correction.published_at


def test_the_corrections_page_lists_live_articles_newest_first(client, editor, settings):
    settings.NEWSROOM_ARTICLES_PER_PAGE = 2
    now = timezone.now()
    older = make_article(headline="Older story")
    newer = make_article(headline="Newer story")
    correct(older, by=editor, text="First fix.", published_at=now - timedelta(days=2))
    correct(newer, by=editor, text="Second fix.", published_at=now - timedelta(days=1))
    correct(older, by=editor, text="Third fix.", published_at=now - timedelta(hours=1))
    withdrawn = make_article(headline="Withdrawn story")
    correct(withdrawn, by=editor, text="Hidden fix.")
    Article.objects.filter(pk=withdrawn.pk).update(status=Article.Status.DRAFT)

    home = client.get(reverse("home")).content.decode()
    assert f'href="{reverse("corrections")}"' in home.split('class="site-footer"')[1]
    first = client.get(reverse("corrections")).content.decode()
    assert first.index("Third fix.") < first.index("Second fix.")
    assert "First fix." not in first and "Hidden fix." not in first
    assert f'href="{older.get_absolute_url()}#correction-' in first
    second = client.get(reverse("corrections") + "?page=2").content.decode()
    assert "First fix." in second and "Hidden fix." not in second
    assert client.get(reverse("corrections") + "?page=9").status_code == 404


def test_an_editor_adds_a_correction_in_the_admin_and_readers_see_it_at_once(
    client, editor, announced, django_capture_on_commit_callbacks
):
    # Published an hour ago: the factory's default goes back an hour per article made, and
    # after a thousand of them, at night, fell in the hour the clocks went back in October,
    # which the form cannot read back.
    article = make_article(
        access=Article.Access.FREE, published_at=timezone.now() - timedelta(hours=1)
    )
    anonymous = Client()
    assert TEXT not in anonymous.get(article.get_absolute_url()).content.decode()  # cached now

    client.force_login(editor)
    yesterday = timezone.localdate() - timedelta(days=1)
    data = change_form_data(
        client,
        article,
        **{
            "corrections-TOTAL_FORMS": "1",
            "corrections-0-kind": "correction",
            "corrections-0-text": TEXT,
            # Yesterday at noon: "08:00 today" was in the future before eight in the morning.
            "corrections-0-published_at_0": yesterday.isoformat(),
            "corrections-0-published_at_1": "12:00:00",
        },
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(change_url(article), data)
    errors = re.findall(r"errorlist[^>]*>(.*?)</ul>", response.text, re.S)
    assert response.status_code == 302, errors
    assert (article.pk, "edited") in announced
    correction = Correction.objects.get()
    assert correction.created_by == editor and correction.article == article
    assert TEXT in anonymous.get(article.get_absolute_url()).content.decode()
    assert TEXT in anonymous.get(reverse("corrections")).content.decode()


def test_each_input_of_a_corrections_time_is_named_with_its_time_zone(client, editor):
    article = make_article()
    correct(article, by=editor)
    client.force_login(editor)
    page = client.get(change_url(article)).content.decode()
    for part in ("date", "time"):
        index = 1 if part == "time" else 0
        (tag,) = re.findall(rf'<input[^>]*id="id_corrections-0-published_at_{index}"[^>]*>', page)
        assert f'aria-label="Correction {part} (Europe/London)"' in tag
    assert "When the correction was made; not in the future. Type it in Europe/London" in page


def test_a_correction_may_not_be_dated_in_the_future(client, editor):
    article = make_article()
    client.force_login(editor)
    tomorrow = timezone.localdate() + timedelta(days=1)
    data = change_form_data(
        client,
        article,
        **{
            "corrections-TOTAL_FORMS": "1",
            "corrections-0-kind": "correction",
            "corrections-0-text": TEXT,
            "corrections-0-published_at_0": tomorrow.isoformat(),
            "corrections-0-published_at_1": "08:00:00",
        },
    )
    response = client.post(change_url(article), data)
    assert response.status_code == 400
    page = response.content.decode()
    assert "A correction cannot be dated in the future." in page and TEXT in page
    assert not Correction.objects.exists()


def test_journalists_cannot_add_change_or_delete_a_correction(client, editor):
    article = make_article(headline="Ferry story")
    existing = correct(article, by=editor, text="Kept as the editor wrote it.")
    journalist = member_of("Journalist")
    client.force_login(journalist)
    page = client.get(change_url(article)).content.decode()
    assert "Kept as the editor wrote it." in page  # they see it, read-only
    assert 'name="corrections-0-text"' not in page

    forged = change_form_data(
        client,
        article,
        **{
            "corrections-TOTAL_FORMS": "2",
            "corrections-0-id": str(existing.pk),
            "corrections-0-article": str(article.pk),
            "corrections-0-kind": "clarification",
            "corrections-0-text": "Rewritten by a journalist.",
            "corrections-0-published_at_0": "2026-01-01",
            "corrections-0-published_at_1": "08:00:00",
            "corrections-0-DELETE": "on",
            "corrections-1-kind": "correction",
            "corrections-1-text": "Forged correction.",
            "corrections-1-published_at_0": "2026-01-01",
            "corrections-1-published_at_1": "08:00:00",
        },
    )
    client.post(change_url(article), forged)
    assert list(Correction.objects.values_list("text", "kind")) == [
        ("Kept as the editor wrote it.", "correction")
    ]
    for service in (
        lambda: correct(article, by=journalist),
        lambda: correction_delete(correction=existing, by=journalist),
    ):
        with pytest.raises(PermissionDenied):
            service()
    assert Correction.objects.count() == 1


def test_drafts_take_no_corrections(client, editor):
    draft = make_article(status=Article.Status.DRAFT, published_at=None)
    client.force_login(editor)
    assert "corrections-TOTAL_FORMS" not in client.get(change_url(draft)).content.decode()
