import threading
import time

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from articles import revisions
from articles.blocks import block_kind
from articles.events import ArticleChange
from articles.models import Article, ArticleRevision, ImageBlock, QuoteBlock, TextBlock
from articles.services import article_publish
from tests.factories import make_article, make_author, make_image, make_staff, make_tag

pytestmark = pytest.mark.django_db


def member_of(group_name, **fields):
    user = make_staff(**fields)
    user.groups.add(Group.objects.get(name=group_name))
    return user


def body_of(article):
    """The article's blocks as (kind, text) in order, the way a reader meets them."""
    snapshot = revisions.article_snapshot(article)
    return [(block["kind"], block.get("text", "")) for block in snapshot["blocks"]]


def public_page(article):
    return Client().get(article.get_absolute_url())


def test_a_snapshot_keeps_every_field_the_byline_tags_and_each_kind_of_block():
    picture = make_image()
    first, second = make_author(), make_author()
    tag = make_tag()
    article = make_article(
        authors=[second, first],
        tags=[tag],
        lead_image=picture,
        lead_credit="Agency",
        blocks=[
            ("text", "<p>One.</p>"),
            ("image", picture, {"caption": "Quay"}),
            ("quote", "We stay.", "A fisher"),
            ("break",),
            ("text", "<p>Two.</p>"),
        ],
    )

    snapshot = revisions.article_snapshot(article)

    assert snapshot["headline"] == article.headline
    assert snapshot["lead_image"] == picture.pk and snapshot["lead_credit"] == "Agency"
    assert snapshot["byline"] == [second.pk, first.pk]
    assert snapshot["tags"] == [tag.pk]
    assert [block["kind"] for block in snapshot["blocks"]] == [
        "text",
        "image",
        "quote",
        "break",
        "text",
    ]
    assert snapshot["blocks"][1] | {"ordering": 0} == {
        "kind": "image",
        "region": "body",
        "ordering": 0,
        "image": picture.pk,
        "caption": "Quay",
        "credit": "",
        "alt_text": "",
        "layout": "standard",
    }
    assert snapshot["blocks"][2]["attribution"] == "A fisher"


def test_applying_a_snapshot_brings_back_fields_byline_and_blocks_but_not_the_address():
    article = make_article(headline="Before", blocks=[("text", "<p>Old text.</p>")])
    kept = revisions.article_snapshot(article)
    TextBlock.objects.filter(parent=article).delete()
    block_kind("quote").add_to(article, ordering=5, text="New quote")
    article.headline = "After"
    article.slug = "after"
    article.save()
    article.bylines.all().delete()

    revisions.article_apply_snapshot(article=article, snapshot=kept)

    article.refresh_from_db()
    assert article.headline == "Before" and article.slug == "after"
    assert body_of(article) == [("text", "<p>Old text.</p>")]
    assert not QuoteBlock.objects.filter(parent=article).exists()
    assert list(article.bylines.values_list("author_id", flat=True)) == kept["byline"]
    assert "Old text." in article.preview_text or article.word_count == 2


def test_a_snapshot_using_a_picture_deleted_since_is_refused_and_changes_nothing():
    picture = make_image()
    article = make_article(blocks=[("text", "<p>Words.</p>"), ("image", picture)])
    kept = revisions.article_snapshot(article)
    ImageBlock.objects.filter(parent=article).delete()
    picture.delete()
    block_kind("text").add_to(article, ordering=99, text="<p>Added later.</p>")

    with pytest.raises(ValidationError, match="deleted since"):
        revisions.article_apply_snapshot(article=article, snapshot=kept)

    assert body_of(article)[-1] == ("text", "<p>Added later.</p>")


def test_an_editor_restores_a_revision_which_becomes_a_new_revision(
    announced, django_capture_on_commit_callbacks
):
    editor = member_of("Editor")
    article = make_article(headline="First words", blocks=[("text", "<p>Draft one.</p>")])
    first = revisions.revision_record(article=article, by=editor)
    TextBlock.objects.filter(parent=article).update(text="<p>Draft two.</p>")
    Article.objects.filter(pk=article.pk).update(headline="Second words")
    article.refresh_from_db()
    revisions.revision_record(article=article, by=editor)

    assert "Second words" in public_page(article).content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        restored = revisions.revision_restore(revision=first, by=editor)

    article.refresh_from_db()
    assert article.headline == "First words"
    assert body_of(article) == [("text", "<p>Draft one.</p>")]
    assert ArticleRevision.objects.filter(article=article).count() == 3
    assert restored.snapshot["headline"] == "First words" and restored.created_by == editor
    assert "Restored the revision of" in restored.note
    assert (article.pk, ArticleChange.EDITED) in announced
    assert "First words" in public_page(article).content.decode()


def test_a_journalist_may_not_restore_a_revision():
    article = make_article(headline="Kept")
    revision = revisions.revision_record(article=article, by=None)
    Article.objects.filter(pk=article.pk).update(headline="Changed")

    with pytest.raises(PermissionDenied):
        revisions.revision_restore(revision=revision, by=member_of("Journalist"))

    article.refresh_from_db()
    assert article.headline == "Changed"


def test_restoring_brings_back_access_through_the_access_service():
    editor = member_of("Editor")
    article = make_article(access=Article.Access.FREE)
    revision = revisions.revision_record(article=article, by=editor)
    Article.objects.filter(pk=article.pk).update(access=Article.Access.SUBSCRIBERS)

    revisions.revision_restore(revision=revision, by=editor)

    article.refresh_from_db()
    assert article.access == Article.Access.FREE


def test_changes_to_a_live_article_stay_apart_until_published(
    announced, django_capture_on_commit_callbacks
):
    editor = member_of("Editor")
    live = make_article(
        headline="Ferry fares frozen",
        slug="ferry-fares",
        access=Article.Access.FREE,
        blocks=[("text", "<p>The council froze fares today.</p>")],
    )
    published_at = live.published_at

    draft = revisions.article_prepare_changes(article=live, by=editor)
    Article.objects.filter(pk=draft.pk).update(headline="Ferry fares frozen for a year")
    TextBlock.objects.filter(parent=draft).update(text="<p>The council froze fares for a year.</p>")

    assert draft.draft_of == live and draft.status == Article.Status.DRAFT
    assert draft.slug == "ferry-fares--changes"
    assert revisions.article_prepare_changes(article=live, by=editor) == draft  # one at a time
    page = public_page(live).content.decode()
    assert "froze fares today" in page and "for a year" not in page
    assert public_page(draft).status_code == 404  # never shown to readers

    with django_capture_on_commit_callbacks(execute=True):
        revisions.article_publish_changes(draft=draft, by=editor)

    live.refresh_from_db()
    assert (live.headline, live.slug, live.published_at) == (
        "Ferry fares frozen for a year",
        "ferry-fares",
        published_at,
    )
    assert live.is_live
    page = public_page(live).content.decode()
    assert "froze fares for a year" in page and "froze fares today" not in page
    assert not Article.objects.filter(pk=draft.pk).exists()
    latest = ArticleRevision.objects.filter(article=live).first()
    assert latest.note == "Published the prepared changes" and latest.created_by == editor
    assert (live.pk, ArticleChange.EDITED) in announced


def test_only_editors_publish_prepared_changes():
    live = make_article(headline="Live words")
    journalist = member_of("Journalist")
    live.bylines.create(author=make_author(user=journalist), order=1)
    draft = revisions.article_prepare_changes(article=live, by=journalist)
    Article.objects.filter(pk=draft.pk).update(headline="Journalist's words")

    with pytest.raises(PermissionDenied):
        revisions.article_publish_changes(draft=draft, by=journalist)

    live.refresh_from_db()
    assert live.headline == "Live words" and Article.objects.filter(pk=draft.pk).exists()


def test_a_journalist_prepares_changes_only_to_an_article_of_their_own():
    journalist = member_of("Journalist")
    theirs = make_article()
    theirs.bylines.create(author=make_author(user=journalist), order=1)
    someone_elses = make_article()

    assert revisions.may_prepare_changes(journalist, theirs)
    assert not revisions.may_prepare_changes(journalist, someone_elses)
    with pytest.raises(PermissionDenied):
        revisions.article_prepare_changes(article=someone_elses, by=journalist)
    assert not Article.objects.filter(draft_of=someone_elses).exists()


def test_prepared_changes_cannot_be_published_as_an_article_of_their_own():
    editor = member_of("Editor")
    draft = revisions.article_prepare_changes(article=make_article(), by=editor)

    with pytest.raises(ValidationError, match="Publish changes"):
        article_publish(article=draft, by=editor)

    draft.refresh_from_db()
    assert draft.status == Article.Status.DRAFT


def test_the_comparison_reads_field_by_field_and_block_by_block_with_markup_escaped():
    before = make_article(
        headline="Fares frozen",
        blocks=[("text", "<p>The council met.</p>"), ("quote", "We wait.", "A commuter")],
    )
    earlier = revisions.article_snapshot(before)
    added = {"kind": "quote", "region": "body", "ordering": 5, "text": "New first."}
    later = {
        **earlier,
        "headline": "Fares frozen <script>",
        "blocks": [
            added,
            {**earlier["blocks"][0], "text": "<p>The council met at noon.</p>"},
            earlier["blocks"][1],
        ],
    }

    rows = {row.label: row for row in revisions.revision_compare(before=earlier, after=later)}

    assert str(rows["Headline"].diff) == "Fares frozen<ins> &lt;script&gt;</ins>"
    assert rows["Block 1: Quote (added)"].after == "New first."
    assert str(rows["Block 2: Text"].diff) == "The council <del>met.</del><ins>met at noon.</ins>"
    assert not rows["Block 3: Quote"].changed
    assert not rows["Standfirst"].changed


def test_prepared_changes_appear_on_no_public_list_feed_sitemap_or_search(client):
    editor = member_of("Editor")
    live = make_article(headline="Harbour reopens", access=Article.Access.FREE)
    draft = revisions.article_prepare_changes(article=live, by=editor)
    Article.objects.filter(pk=draft.pk).update(headline="Harbour reopens zebracrossing")

    for url in [
        "/",
        live.section.get_absolute_url(),
        "/search/?q=zebracrossing",
        "/search/?q=Harbour",
        "/feed.rss",
        "/feed.atom",
        "/sitemap-articles.xml",
        "/news-sitemap.xml",
    ]:
        page = client.get(url).content.decode()
        assert "Harbour reopens zebracrossing" not in page and draft.slug not in page, url
    assert live.slug in client.get("/sitemap-articles.xml").content.decode()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_saves_from_forms_of_one_version_cannot_both_pass():
    """The second save's check waits for the first one's lock, then sees what it wrote."""
    article = make_article()
    version = article.updated_at
    first_holds_the_lock = threading.Event()
    answers = {}

    def first():
        try:
            with transaction.atomic():
                answers["first"] = revisions.article_changed_since(
                    article_id=article.pk, version=version
                )
                first_holds_the_lock.set()
                time.sleep(0.5)  # the second check starts meanwhile, and must wait
                Article.objects.filter(pk=article.pk).update(updated_at=timezone.now())
        finally:
            connection.close()

    def second():
        try:
            first_holds_the_lock.wait(timeout=10)
            with transaction.atomic():
                answers["second"] = revisions.article_changed_since(
                    article_id=article.pk, version=version
                )
        finally:
            connection.close()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert answers["first"] is None
    assert answers["second"] is not None


def test_changes_that_leave_the_article_incomplete_are_not_published():
    editor = member_of("Editor")
    live = make_article(headline="Harbour reopens")
    draft = revisions.article_prepare_changes(article=live, by=editor)
    draft.bylines.all().delete()

    with pytest.raises(ValidationError, match="at least one author in the byline"):
        revisions.article_publish_changes(draft=draft, by=editor)

    assert live.bylines.exists() and Article.objects.filter(pk=draft.pk).exists()


def test_the_preview_of_prepared_changes_does_not_offer_the_live_article_as_related(client):
    editor = member_of("Editor")
    section = make_article(headline="Other harbour news").section
    live = make_article(headline="Ferry fares frozen", slug="ferry-fares", section=section)
    draft = revisions.article_prepare_changes(article=live, by=editor)
    client.force_login(editor)

    preview = client.get(reverse("admin:articles_article_preview", args=[draft.pk, "subscriber"]))

    html = preview.content.decode()
    assert "Other harbour news" in html  # the related cards are there
    assert f'href="{live.get_absolute_url()}"' not in html  # but not the story itself
