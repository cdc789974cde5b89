"""Publishing services: permission first, the saved article validated, logged, announced."""

from datetime import timedelta

import pytest
from django.contrib.admin.models import LogEntry
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from articles.events import ArticleChange
from articles.models import Article, Byline
from articles.services import (
    PublishRefused,
    SubmitRefused,
    article_change_access,
    article_editable_by,
    article_publish,
    article_schedule,
    article_schedule_unpublish,
    article_send_back,
    article_submit_for_review,
    article_unpublish,
)
from media.models import Image
from tests.factories import make_article, make_image, make_staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def editor():
    return make_staff("articles.view_article", "articles.publish_article")


@pytest.fixture
def journalist():
    return make_staff("articles.view_article", "articles.add_article", "articles.change_article")


def draft(**fields):
    return make_article(status=Article.Status.DRAFT, **fields)


def log_messages(article):
    return [entry.get_change_message() for entry in LogEntry.objects.filter(object_id=article.pk)]


@pytest.mark.parametrize(
    "write",
    [
        lambda article, by: article_publish(article=article, by=by),
        lambda article, by: article_schedule(
            article=article, by=by, at=timezone.now() + timedelta(days=1)
        ),
        lambda article, by: article_unpublish(article=article, by=by),
        lambda article, by: article_change_access(
            article=article, by=by, access=Article.Access.FREE
        ),
    ],
    ids=["publish", "schedule", "unpublish", "change access"],
)
def test_nobody_without_publish_permission_publishes_or_changes_access(journalist, write):
    article = draft(access=Article.Access.SUBSCRIBERS)

    with pytest.raises(PermissionDenied):
        write(Article.objects.get(pk=article.pk), journalist)

    article.refresh_from_db()
    assert (article.status, article.access) == ("draft", "subscribers")
    assert not LogEntry.objects.exists()


def test_publishing_names_every_missing_piece_and_leaves_a_draft(
    editor, announced, django_capture_on_commit_callbacks
):
    no_alt = make_image(caption="Harbour at dawn")
    Image.objects.filter(pk=no_alt.pk).update(alt_text="")
    article = draft(authors=[], blocks=[("break",), ("image", Image.objects.get(pk=no_alt.pk))])
    Article.objects.filter(pk=article.pk).update(section=None)

    announced.clear()
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(PublishRefused) as refused:
        article_publish(article=article, by=editor)

    message = refused.value.messages[0]
    assert isinstance(refused.value, ValidationError)
    for piece in [
        "a section",
        "at least one author in the byline",
        "at least one text block with some text",
        "alt text for the image block “Harbour at dawn”",
        "The paywall break cannot be the first block",
    ]:
        assert piece in message
    article.refresh_from_db()
    assert article.status == "draft"
    assert announced == [] and not LogEntry.objects.exists()


def test_publishing_checks_the_saved_article_not_the_one_in_memory(editor):
    article = draft()
    Byline.objects.filter(article=article).delete()

    with pytest.raises(PublishRefused, match="at least one author"):
        article_publish(article=article, by=editor)  # its bylines in memory are stale

    assert Article.objects.get(pk=article.pk).status == "draft"


def test_at_most_one_paywall_break_before_publishing(editor):
    article = draft(
        blocks=[("text", "<p>One.</p>"), ("break",), ("text", "<p>Two.</p>"), ("break",)]
    )

    with pytest.raises(PublishRefused, match="at most one paywall break"):
        article_publish(article=article, by=editor)


def test_publish_now_logs_and_announces_after_commit(
    editor, announced, django_capture_on_commit_callbacks
):
    article = draft()

    announced.clear()
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        article_publish(article=article, by=editor)
        assert announced == []  # not before the transaction commits

    article.refresh_from_db()
    assert article.is_live
    assert log_messages(article) == ["Published"]
    assert announced == [(article.pk, ArticleChange.PUBLISHED)]


def test_republishing_keeps_the_first_publish_time(editor):
    first = timezone.now() - timedelta(days=3)
    article = make_article(published_at=first)
    article_unpublish(article=article, by=editor)

    article_publish(article=article, by=editor)

    article.refresh_from_db()
    assert article.is_live and article.published_at == first


def test_schedule_for_a_future_time(editor, announced, django_capture_on_commit_callbacks):
    article = draft()
    at = timezone.now() + timedelta(hours=5)

    announced.clear()
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        article_schedule(article=article, by=editor, at=at)
        assert announced == []  # not before the transaction commits

    article.refresh_from_db()
    assert article.is_scheduled and not article.is_live
    assert article.published_at == at
    assert log_messages(article)[0].startswith("Scheduled for ")
    assert announced == [(article.pk, ArticleChange.SCHEDULED)]


def test_a_past_time_cannot_be_scheduled(editor):
    article = draft()

    with pytest.raises(ValidationError, match="must be in the future"):
        article_schedule(article=article, by=editor, at=timezone.now() - timedelta(minutes=1))

    article.refresh_from_db()
    assert article.status == "draft" and article.published_at is None


def test_an_incomplete_article_cannot_be_scheduled_either(editor):
    article = draft(authors=[])

    with pytest.raises(PublishRefused, match="at least one author"):
        article_schedule(article=article, by=editor, at=timezone.now() + timedelta(days=1))

    assert Article.objects.get(pk=article.pk).status == "draft"


def test_unpublish_logs_and_announces(editor, announced, django_capture_on_commit_callbacks):
    article = make_article()

    announced.clear()
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        article_unpublish(article=article, by=editor)
        assert announced == []  # not before the transaction commits

    assert Article.objects.get(pk=article.pk).status == "draft"
    assert log_messages(article) == ["Unpublished"]
    assert announced == [(article.pk, ArticleChange.UNPUBLISHED)]


def test_change_access_logs_and_announces_once(
    editor, announced, django_capture_on_commit_callbacks
):
    article = make_article(access=Article.Access.FREE)

    announced.clear()
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        article_change_access(article=article, by=editor, access=Article.Access.SUBSCRIBERS)
        article_change_access(article=article, by=editor, access=Article.Access.SUBSCRIBERS)
        assert announced == []  # not before the transaction commits

    assert Article.objects.get(pk=article.pk).access == "subscribers"
    assert log_messages(article) == ["Access changed to Subscribers only"]
    assert announced == [(article.pk, ArticleChange.ACCESS_CHANGED)]


# Editorial checks: each refusal names the problem.


def refusal_of(article, editor):
    with pytest.raises(PublishRefused) as refused:
        article_publish(article=article, by=editor)
    assert Article.objects.get(pk=article.pk).status == "draft"
    return refused.value.messages[0]


def test_publishing_refuses_an_article_without_a_standfirst(editor):
    assert "a standfirst" in refusal_of(draft(standfirst=" "), editor)


def test_publishing_refuses_a_picture_without_a_credit_naming_the_block(editor):
    uncredited = make_image(caption="Harbour at dawn", credit="")

    message = refusal_of(draft(blocks=[("text", "<p>One.</p>" * 4), ("image", uncredited)]), editor)

    assert "a credit for the image block “Harbour at dawn”" in message


def test_an_image_blocks_own_alt_text_and_credit_stand_in_for_the_pictures(editor):
    bare = make_image(caption="Harbour at dawn", credit="")
    Image.objects.filter(pk=bare.pk).update(alt_text="")
    blocks = [
        ("text", "<p>One.</p>" * 4),
        ("image", Image.objects.get(pk=bare.pk), {"alt_text": "Boats", "credit": "Herald"}),
    ]

    assert article_publish(article=draft(blocks=blocks), by=editor).is_live


def test_publishing_refuses_a_lead_image_without_alt_text_or_credit(editor):
    lead = make_image(caption="Quay at night", credit="")
    Image.objects.filter(pk=lead.pk).update(alt_text="")

    message = refusal_of(draft(lead_image=lead), editor)

    assert "alt text for the lead image “Quay at night”" in message
    assert "a credit for the lead image “Quay at night”" in message
    fixed = draft(lead_image=lead, lead_alt_text="The quay, lit", lead_credit="Herald")
    assert article_publish(article=fixed, by=editor).is_live


def test_publishing_and_scheduling_refuse_pictures_whose_rights_have_expired(editor):
    yesterday = timezone.localdate() - timedelta(days=1)
    expired = make_image(caption="Old regatta", rights_expire_on=yesterday)
    article = draft(lead_image=expired)

    message = refusal_of(article, editor)
    with pytest.raises(PublishRefused) as scheduling:
        article_schedule(article=article, by=editor, at=timezone.now() + timedelta(days=1))

    for refused in (message, scheduling.value.messages[0]):
        assert "another picture for the lead image “Old regatta”" in refused
        assert f"expired after {yesterday.day} {yesterday:%B %Y}" in refused
    today = make_image(rights_expire_on=timezone.localdate())  # still theirs today
    assert article_publish(article=draft(lead_image=today), by=editor).is_live


def test_publishing_refuses_a_preview_that_gives_the_whole_article_away(editor):
    blocks = [("text", "<p>Everything.</p><p>All of it.</p>"), ("break",)]

    message = refusal_of(draft(blocks=blocks, access=Article.Access.METERED), editor)

    assert "the preview would give away the whole article" in message
    free = draft(blocks=blocks, access=Article.Access.FREE)  # free: nothing is held back
    assert article_publish(article=free, by=editor).is_live


# Unpublish times.


def test_only_editors_set_an_unpublish_time(journalist):
    article = make_article()

    with pytest.raises(PermissionDenied):
        article_schedule_unpublish(
            article=article, by=journalist, at=timezone.now() + timedelta(days=1)
        )

    assert Article.objects.get(pk=article.pk).unpublish_at is None


def test_an_unpublish_time_is_logged_in_the_sites_zone_and_utc(editor, settings):
    settings.TIME_ZONE = "Europe/London"
    article = make_article()
    at = timezone.make_aware(timezone.datetime(2030, 7, 4, 9, 0))  # summer: UTC+1

    article_schedule_unpublish(article=article, by=editor, at=at)
    article_schedule_unpublish(article=article, by=editor, at=None)

    assert log_messages(article)[::-1] == [  # newest first
        "Unpublish scheduled for Thursday 4 July 2030, 09:00 Europe/London (08:00 UTC)",
        "Unpublish time cleared",
    ]


def test_an_unpublish_time_must_be_in_the_future_and_after_the_publish_time(editor):
    article = make_article(status=Article.Status.DRAFT)
    article_schedule(article=article, by=editor, at=timezone.now() + timedelta(days=2))

    with pytest.raises(ValidationError, match="must be in the future"):
        article_schedule_unpublish(
            article=article, by=editor, at=timezone.now() - timedelta(minutes=1)
        )
    with pytest.raises(ValidationError, match="must be after the publish time"):
        article_schedule_unpublish(
            article=article, by=editor, at=timezone.now() + timedelta(days=1)
        )
    assert Article.objects.get(pk=article.pk).unpublish_at is None


def test_scheduling_refuses_to_go_live_after_the_article_would_come_down(editor):
    article = draft()
    article_schedule_unpublish(article=article, by=editor, at=timezone.now() + timedelta(days=1))

    with pytest.raises(PublishRefused, match=r"Its unpublish time .* is not after it would go"):
        article_schedule(article=article, by=editor, at=timezone.now() + timedelta(days=2))

    assert Article.objects.get(pk=article.pk).status == "draft"
    assert article_publish(article=article, by=editor).is_live  # now is before it comes down


def test_scheduling_refuses_a_picture_whose_rights_end_before_it_goes_live(editor):
    ends = timezone.localdate() + timedelta(days=2)
    article = draft(lead_image=make_image(caption="Regatta", rights_expire_on=ends))

    with pytest.raises(PublishRefused) as refused:
        article_schedule(article=article, by=editor, at=timezone.now() + timedelta(days=5))

    assert (
        f"The rights to the picture “Regatta” end after {ends.day} {ends:%B %Y}, before it "
        "would go live" in refused.value.messages[0]
    )
    assert article_schedule(article=article, by=editor, at=timezone.now() + timedelta(days=1))


# Review: draft -> in review -> published or scheduled, or back to a draft with a note.


@pytest.fixture
def desk_editor():
    """An editor who also edits: the Editor group's article permissions."""
    return make_staff(
        "articles.view_article", "articles.change_article", "articles.publish_article"
    )


def test_a_journalist_submits_their_draft_and_can_no_longer_change_it(journalist, announced):
    article = draft(created_by=journalist)
    assert article_editable_by(article=article, user=journalist)

    article_submit_for_review(article=article, by=journalist)

    article.refresh_from_db()
    assert article.status == Article.Status.REVIEW
    assert not article_editable_by(article=article, user=journalist)
    assert log_messages(article) == ["Submitted for review"]
    assert (article.pk, ArticleChange.SUBMITTED_FOR_REVIEW) in announced
    assert not Article.objects.published().filter(pk=article.pk).exists()  # still off the site


def test_an_incomplete_draft_is_not_submitted_and_every_missing_piece_is_named(journalist):
    article = draft(created_by=journalist, authors=[], section=None)
    Article.objects.filter(pk=article.pk).update(section=None)
    article.refresh_from_db()

    with pytest.raises(SubmitRefused) as refused:
        article_submit_for_review(article=article, by=journalist)

    message = refused.value.message
    assert "was not submitted for review" in message
    assert "a section" in message and "at least one author in the byline" in message
    article.refresh_from_db()
    assert article.status == Article.Status.DRAFT and not LogEntry.objects.exists()


@pytest.mark.parametrize(
    "whose", ["someone else's draft", "nobody's draft"], ids=["other", "unowned"]
)
def test_a_journalist_may_not_submit_a_draft_that_is_not_theirs(journalist, whose):
    owner = make_staff("articles.change_article") if whose == "someone else's draft" else None
    article = draft(created_by=owner)

    with pytest.raises(PermissionDenied):
        article_submit_for_review(article=article, by=journalist)

    article.refresh_from_db()
    assert article.status == Article.Status.DRAFT and not LogEntry.objects.exists()


def test_only_a_draft_can_be_submitted(desk_editor):
    article = make_article()  # published
    with pytest.raises(ValidationError, match="this one is published"):
        article_submit_for_review(article=article, by=desk_editor)


def test_an_editor_sends_it_back_with_a_note_the_journalist_sees(
    journalist, desk_editor, announced
):
    article = draft(created_by=journalist)
    article_submit_for_review(article=article, by=journalist)

    article_send_back(article=article, by=desk_editor, note="  Needs a second source.  ")

    article.refresh_from_db()
    assert article.status == Article.Status.DRAFT and article.is_sent_back
    assert article.review_note == "Needs a second source."
    assert article.review_note_by == desk_editor and article.review_note_at is not None
    assert article_editable_by(article=article, user=journalist)  # theirs to change again
    assert log_messages(article)[0] == "Sent back to the journalist: Needs a second source."
    assert (article.pk, ArticleChange.SENT_BACK) in announced

    # Submitted again, the note has been answered; the log keeps it.
    article_submit_for_review(article=article, by=journalist)
    article.refresh_from_db()
    assert article.status == Article.Status.REVIEW and article.review_note == ""
    assert not article.is_sent_back


@pytest.mark.parametrize("note", ["", "   \n "], ids=["empty", "blank"])
def test_sending_back_needs_a_note(journalist, desk_editor, note):
    article = draft(created_by=journalist)
    article_submit_for_review(article=article, by=journalist)

    with pytest.raises(ValidationError, match="Write a note for the journalist"):
        article_send_back(article=article, by=desk_editor, note=note)

    article.refresh_from_db()
    assert article.status == Article.Status.REVIEW


def test_only_an_editor_sends_back_and_only_what_is_in_review(journalist, desk_editor):
    article = draft(created_by=journalist)
    with pytest.raises(ValidationError, match="this one is draft"):
        article_send_back(article=article, by=desk_editor, note="Shorter, please.")
    article_submit_for_review(article=article, by=journalist)
    with pytest.raises(PermissionDenied):
        article_send_back(article=article, by=journalist, note="I take it back myself.")
    article.refresh_from_db()
    assert article.status == Article.Status.REVIEW


@pytest.mark.parametrize("when", ["now", "later"])
def test_an_editor_publishes_or_schedules_an_article_in_review(
    journalist, desk_editor, announced, when
):
    article = draft(created_by=journalist)
    article_submit_for_review(article=article, by=journalist)

    if when == "now":
        article_publish(article=article, by=desk_editor)
    else:
        article_schedule(article=article, by=desk_editor, at=timezone.now() + timedelta(hours=3))

    article.refresh_from_db()
    assert article.is_live if when == "now" else article.is_scheduled
    assert not article_editable_by(article=article, user=journalist)
    change = ArticleChange.PUBLISHED if when == "now" else ArticleChange.SCHEDULED
    assert (article.pk, change) in announced


def test_publishing_a_sent_back_draft_clears_the_note(journalist, desk_editor):
    article = draft(created_by=journalist)
    article_submit_for_review(article=article, by=journalist)
    article_send_back(article=article, by=desk_editor, note="Check the figures.")

    article_publish(article=article, by=desk_editor)

    article.refresh_from_db()
    assert article.is_live and article.review_note == "" and article.review_note_by is None


def test_who_may_change_an_article_in_each_state(journalist, desk_editor):
    other = make_staff("articles.change_article")
    cases = {
        "draft": draft(created_by=journalist),
        "review": draft(created_by=journalist),
        "scheduled": draft(created_by=journalist),
        "published": make_article(created_by=journalist),
        "other's draft": draft(created_by=other),
    }
    Article.objects.filter(pk=cases["review"].pk).update(status=Article.Status.REVIEW)
    Article.objects.filter(pk=cases["scheduled"].pk).update(
        status=Article.Status.PUBLISHED, published_at=timezone.now() + timedelta(days=1)
    )
    may = {
        name: (
            article_editable_by(article=Article.objects.get(pk=a.pk), user=journalist),
            article_editable_by(article=Article.objects.get(pk=a.pk), user=desk_editor),
        )
        for name, a in cases.items()
    }
    assert may == {
        "draft": (True, True),
        "review": (False, True),
        "scheduled": (False, True),
        "published": (False, True),
        "other's draft": (False, True),
    }


def test_the_word_count_counts_every_paragraph_and_list_item_apart():
    # Five words in three paragraphs' worth of blocks: the tags between them separate words
    # (the count was 2: "two" and "three" ran together, as did the list's items).
    article = make_article(
        blocks=[("text", "<p>One two</p><p>three</p><ul><li>four</li><li>five</li></ul>")]
    )
    assert article.word_count == 5
