from datetime import timedelta

import pytest
from django.contrib.admin.models import LogEntry
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from articles import revisions
from articles.models import Article, ArticleRevision, TextBlock
from articles.services import article_unpublish
from tests.articles.admin.posting import change_form_data, change_url, form_data_of, member_of
from tests.factories import make_article, make_author, make_tag
from tests.readers import logged_in

pytestmark = pytest.mark.django_db


def revisions_url(article):
    return reverse("admin:articles_article_revisions", args=[article.pk])


def compare_url(article, earlier, later):
    url = reverse("admin:articles_article_revision_compare", args=[article.pk])
    return f"{url}?a={earlier.pk}&b={later.pk}"


def restore_url(revision):
    return reverse(
        "admin:articles_article_revision_restore", args=[revision.article_id, revision.pk]
    )


def text_of(article):
    return list(TextBlock.objects.filter(parent=article).values_list("text", flat=True))


@pytest.fixture
def editor():
    return member_of("Editor", name="Ann Editor")


@pytest.fixture
def ferry():
    return make_article(
        headline="Ferry fares frozen",
        access=Article.Access.FREE,
        blocks=[("text", "<p>The council froze fares today.</p>")],
    )


def test_every_save_keeps_a_revision_with_its_blocks(editor, ferry):
    client = logged_in(editor)
    data = change_form_data(
        client,
        ferry,
        headline="Ferry fares frozen for a year",
        **{"articles_textblock_set-0-text": "<p>The council froze fares for a year.</p>"},
    )

    assert client.post(change_url(ferry), data).status_code == 302

    kept = list(ArticleRevision.objects.filter(article=ferry))  # newest first
    assert [revision.note for revision in kept] == [
        "Changed Headline. Changed Text for text “The council froze fares for a year.”.",
        "As it was before revisions were kept",
    ]
    assert kept[0].created_by == editor
    assert kept[0].snapshot["headline"] == "Ferry fares frozen for a year"
    assert kept[0].snapshot["blocks"][0]["text"] == "<p>The council froze fares for a year.</p>"
    assert kept[1].snapshot["blocks"][0]["text"] == "<p>The council froze fares today.</p>"
    page = client.get(change_url(ferry)).content.decode()
    assert f'href="{revisions_url(ferry)}"' in page  # next to History


def test_the_history_compares_any_two_revisions_headline_and_blocks(editor, ferry):
    client = logged_in(editor)
    first = revisions.revision_record(article=ferry, by=editor)
    data = change_form_data(
        client,
        ferry,
        headline="Ferry fares frozen for a year",
        **{"articles_textblock_set-0-text": "<p>The council froze fares for a year.</p>"},
    )
    client.post(change_url(ferry), data)
    latest = ArticleRevision.objects.filter(article=ferry).first()

    history = client.get(revisions_url(ferry)).content.decode()
    comparison = client.get(compare_url(ferry, first, latest))

    assert history.count('type="radio" name="a"') == 2
    assert "Ann Editor" in history
    assert comparison.status_code == 200
    page = comparison.content.decode()
    assert "Ferry fares frozen<ins> for a year</ins>" in page
    assert "Block 1: Text" in page
    assert "froze fares <del>today.</del><ins>for a year.</ins>" in page
    assert "Unchanged: Standfirst, Access, Section, Byline" in page
    assert "Restore this revision" in page


def rewritten(client, article):
    """Keep the article as it is now as a revision, then save it rewritten; return the revision."""
    first = revisions.revision_record(article=article, by=None)
    data = change_form_data(
        client, article, **{"articles_textblock_set-0-text": "<p>Rewritten entirely.</p>"}
    )
    assert client.post(change_url(article), data).status_code == 302
    return first


def restored_entries(article):
    return [
        entry.get_change_message()
        for entry in LogEntry.objects.filter(object_id=str(article.pk))
        if entry.get_change_message().startswith("Restored")
    ]


def test_restoring_a_revision_of_a_live_article_asks_first_then_restores_and_logs_it(editor, ferry):
    client = logged_in(editor)
    first = rewritten(client, ferry)
    kept = ArticleRevision.objects.filter(article=ferry).count()
    comparison = client.get(compare_url(ferry, first, ArticleRevision.objects.first()))
    assert f'href="{restore_url(first)}"' in comparison.content.decode()

    asked = client.get(restore_url(first))

    assert asked.status_code == 200
    page = asked.content.decode()
    assert "“Ferry fares frozen” is live: readers will see the restored version at once." in page
    assert "<ins>council froze fares today.</ins>" in page  # what changes
    assert 'name="confirm"' in page
    assert text_of(ferry) == ["<p>Rewritten entirely.</p>"]  # nothing restored by asking
    assert ArticleRevision.objects.filter(article=ferry).count() == kept
    assert restored_entries(ferry) == []

    response = client.post(restore_url(first), {"confirm": "1"}, follow=True)

    assert response.redirect_chain[-1][0] == change_url(ferry)
    assert "readers see it now" in response.content.decode()
    assert text_of(ferry) == ["<p>The council froze fares today.</p>"]
    assert "froze fares today" in Client().get(ferry.get_absolute_url()).content.decode()
    when = timezone.localtime(first.created_at)
    said = f"Restored the revision of {when:%-d %b %Y, %H:%M:%S}"
    assert restored_entries(ferry) == [said]  # the admin log (History)
    newest = ArticleRevision.objects.filter(article=ferry).first()
    assert newest.note == said and newest.created_by == editor
    assert said in client.get(revisions_url(ferry)).content.decode()  # the revision list


def test_a_restore_posted_without_the_confirmation_only_asks(editor, ferry):
    client = logged_in(editor)
    first = rewritten(client, ferry)

    response = client.post(restore_url(first))  # an old comparison page's button, a script

    assert response.status_code == 200
    assert "readers will see the restored version at once" in response.content.decode()
    assert text_of(ferry) == ["<p>Rewritten entirely.</p>"]
    assert restored_entries(ferry) == []


def test_restoring_a_draft_says_readers_see_nothing_until_it_is_published(editor):
    draft = make_article(status=Article.Status.DRAFT, blocks=[("text", "<p>The first words.</p>")])
    client = logged_in(editor)
    first = rewritten(client, draft)

    page = client.get(restore_url(first)).content.decode()

    assert "It is not on the site: readers see nothing of it until it is published." in page
    assert "readers will see the restored version at once" not in page


def test_restoring_says_when_access_changes_with_it(editor, ferry):
    client = logged_in(editor)
    first = rewritten(client, ferry)
    Article.objects.filter(pk=ferry.pk).update(access=Article.Access.SUBSCRIBERS)

    page = client.get(restore_url(first)).content.decode()

    assert "Access changes from Subscribers only to Free." in page
    client.post(restore_url(first), {"confirm": "1"})
    ferry.refresh_from_db()
    assert ferry.access == Article.Access.FREE
    newest = ArticleRevision.objects.filter(article=ferry).first()
    assert newest.note.startswith("Restored the revision of ")
    assert newest.note.endswith(". Access changed to Free.")


def test_a_journalist_sees_no_restore_button_and_a_forged_restore_is_refused(ferry):
    journalist = member_of("Journalist")
    first = revisions.revision_record(article=ferry, by=None)
    TextBlock.objects.filter(parent=ferry).update(text="<p>Later words.</p>")
    later = revisions.revision_record(article=ferry, by=None)
    client = logged_in(journalist)

    comparison = client.get(compare_url(ferry, first, later))
    forged = client.post(restore_url(first), {"confirm": "1"})

    assert (
        comparison.status_code == 200 and "Restore this revision" not in comparison.content.decode()
    )
    assert forged.status_code == 403
    assert text_of(ferry) == ["<p>Later words.</p>"]
    assert ArticleRevision.objects.filter(article=ferry).count() == 2


def test_a_revision_using_what_was_deleted_since_is_not_offered_to_restore(editor, ferry):
    tag = make_tag(name="Ferries")
    ferry.tags.add(tag)
    revision = revisions.revision_record(article=ferry, by=editor)
    tag.delete()

    page = logged_in(editor).get(restore_url(revision)).content.decode()

    assert "This version cannot be brought back: it uses what has been deleted since" in page
    assert 'name="confirm"' not in page


def test_opening_the_restore_page_restores_nothing(editor, ferry):
    """Restoring is a POST with the confirmation; a GET only asks."""
    revision = revisions.revision_record(article=ferry, by=editor)
    TextBlock.objects.filter(parent=ferry).update(text="<p>Later words.</p>")

    assert logged_in(editor).get(restore_url(revision)).status_code == 200
    assert text_of(ferry) == ["<p>Later words.</p>"]
    assert ArticleRevision.objects.filter(article=ferry).count() == 1


def test_a_journalist_is_not_even_asked(ferry):
    revision = revisions.revision_record(article=ferry, by=None)

    assert logged_in(member_of("Journalist")).get(restore_url(revision)).status_code == 403


def test_a_revision_of_another_article_is_not_found(editor, ferry):
    other = make_article()
    revision = revisions.revision_record(article=other, by=editor)
    url = reverse("admin:articles_article_revision_restore", args=[ferry.pk, revision.pk])

    assert logged_in(editor).post(url, {"confirm": "1"}).status_code == 404
    compare = reverse("admin:articles_article_revision_compare", args=[ferry.pk])
    assert logged_in(editor).get(f"{compare}?a={revision.pk}&b=x").status_code == 404


def test_an_editor_prepares_changes_while_readers_see_the_live_article_then_publishes(
    editor, ferry, django_capture_on_commit_callbacks
):
    client = logged_in(editor)
    reader = Client()
    prepare = reverse("admin:articles_article_prepare_changes", args=[ferry.pk])
    assert f'action="{prepare}"' in client.get(change_url(ferry)).content.decode()

    opened = client.post(prepare, follow=True)

    draft = Article.objects.get(draft_of=ferry)
    assert opened.redirect_chain[-1][0] == change_url(draft)
    page = opened.content.decode()
    assert "Changes to" in page and "Ferry fares frozen</a>" in page
    assert "readers see the live version until you publish these changes" in page
    live_form = client.get(change_url(ferry)).content.decode()
    assert "Changes are being prepared by Ann Editor" in live_form

    data = change_form_data(
        client,
        draft,
        headline="Ferry fares frozen for a year",
        **{"articles_textblock_set-0-text": "<p>The council froze fares for a year.</p>"},
    )
    assert client.post(change_url(draft), data).status_code == 302
    seen = reader.get(ferry.get_absolute_url()).content.decode()
    assert "froze fares today" in seen and "for a year" not in seen

    ready = change_form_data(client, draft, _publish_changes="1")
    with django_capture_on_commit_callbacks(execute=True):
        published = client.post(change_url(draft), ready)

    assert published.status_code == 302 and published["Location"] == change_url(ferry)
    seen = reader.get(ferry.get_absolute_url()).content.decode()
    assert "Ferry fares frozen for a year" in seen and "froze fares for a year" in seen
    assert not Article.objects.filter(pk=draft.pk).exists()
    ferry.refresh_from_db()
    assert ferry.is_live and ferry.slug != draft.slug


def test_a_journalist_prepares_changes_to_their_article_but_cannot_publish_them(ferry):
    journalist = member_of("Journalist", name="Jo Writer")
    ferry.bylines.create(author=make_author(user=journalist), order=1)
    client = logged_in(journalist)
    prepare = reverse("admin:articles_article_prepare_changes", args=[ferry.pk])

    client.post(prepare)
    draft = Article.objects.get(draft_of=ferry)
    form = client.get(change_url(draft)).content.decode()
    data = change_form_data(client, draft, headline="Ferry fares frozen for a year")
    forged = client.post(change_url(draft), {**data, "_publish_changes": "1"})

    assert "Save and publish these changes" not in form
    assert "they go live only when an editor publishes them" in form
    assert forged.status_code == 403
    ferry.refresh_from_db()
    assert ferry.headline == "Ferry fares frozen"
    assert Article.objects.filter(pk=draft.pk).exists()


def test_a_journalist_may_not_prepare_changes_to_someone_elses_article(ferry):
    client = logged_in(member_of("Journalist"))
    prepare = reverse("admin:articles_article_prepare_changes", args=[ferry.pk])

    assert client.post(prepare).status_code == 403
    assert not Article.objects.filter(draft_of=ferry).exists()


def test_a_save_from_a_stale_form_is_refused_naming_who_saved_and_keeping_what_was_typed(
    editor, ferry
):
    ann = logged_in(editor)
    bob = logged_in(member_of("Editor", name="Bob Desk"))
    mine = change_form_data(
        ann,
        ferry,
        headline="Ann's headline",
        **{"articles_textblock_set-0-text": "<p>Ann typed this paragraph.</p>"},
    )
    theirs = change_form_data(bob, ferry, standfirst="Bob's standfirst.")
    assert bob.post(change_url(ferry), theirs).status_code == 302

    refused = ann.post(change_url(ferry), mine)

    assert refused.status_code == 409
    page = refused.content.decode()
    assert "Bob Desk saved this article at" in page and "after you opened it" in page
    assert 'value="Ann&#x27;s headline"' in page
    assert "Ann typed this paragraph." in page
    assert "See what they changed" in page
    ferry.refresh_from_db()
    assert (ferry.headline, ferry.standfirst) == ("Ferry fares frozen", "Bob's standfirst.")
    assert text_of(ferry) == ["<p>The council froze fares today.</p>"]

    # Saving the form sent back is a choice made knowing theirs: hers replaces it.
    assert ann.post(change_url(ferry), form_data_of(page)).status_code == 302
    ferry.refresh_from_db()
    assert (ferry.headline, ferry.standfirst) == ("Ann's headline", mine["standfirst"][0])
    assert text_of(ferry) == ["<p>Ann typed this paragraph.</p>"]


def test_a_save_after_publishing_by_someone_else_is_refused_too(editor, ferry):
    ann = logged_in(editor)
    mine = change_form_data(ann, ferry, headline="Ann's headline")
    bob = member_of("Editor", name="Bob Desk")
    article_unpublish(article=ferry, by=bob)

    refused = ann.post(change_url(ferry), mine)

    assert refused.status_code == 409
    assert "Bob Desk saved this article" in refused.content.decode()
    ferry.refresh_from_db()
    assert ferry.status == Article.Status.DRAFT and ferry.headline == "Ferry fares frozen"


def test_prepared_changes_warn_when_the_live_article_was_saved_since(editor, ferry):
    client = logged_in(editor)
    draft = revisions.article_prepare_changes(article=ferry, by=editor)
    bob = logged_in(member_of("Editor", name="Bob Desk"))
    bob.post(change_url(ferry), change_form_data(bob, ferry, standfirst="A fix on the live one."))

    page = client.get(change_url(draft)).content.decode()

    assert "Bob Desk saved the live article on" in page
    assert "publishing them replaces that version" in page


# What each save did, in the revision list ----------------------------------------------------


def saved(client, article, **changes):
    data = change_form_data(client, article, **changes)
    for button in ("_send_back", "_publish", "_submit_for_review"):
        if button in changes:
            data.pop("_save")
    response = client.post(change_url(article), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    return ArticleRevision.objects.filter(article=article).first().note


def test_the_revision_list_says_what_each_save_did(editor):
    client = logged_in(editor)
    later = timezone.localtime() + timedelta(days=2)
    story = make_article(status=Article.Status.DRAFT, headline="Ferry fares rise")
    Article.objects.filter(pk=story.pk).update(status=Article.Status.REVIEW)

    notes = [
        saved(client, story, _send_back="1", send_back_note="Needs the council's reply."),
        saved(
            client,
            story,
            headline="Ferry fares rise by a fifth",
            status="published",
            published_at_0=later.strftime("%Y-%m-%d"),
            published_at_1="09:00:00",
        ),
        saved(client, story, status="draft"),
        saved(client, story, _publish="1", published_at_0="", published_at_1=""),
        saved(client, story, access="subscribers"),
    ]

    assert notes == [
        "Sent back to the journalist: Needs the council's reply.",
        f"Changed Headline. Scheduled for {later:%Y-%m-%d} 09:00.",
        "Unpublished.",
        "Published.",
        "Access changed to Subscribers only.",
    ]
    history = client.get(revisions_url(story)).content.decode()
    for note in notes:
        assert escape(note) in history
    assert "<td>Saved</td>" not in history


def test_a_save_that_changes_nothing_is_still_saved(editor, ferry):
    client = logged_in(editor)

    assert saved(client, ferry) == "Saved"
