"""Writes with rules for articles: review, publishing, and the figures derived from the body.

Publishing validates the article as saved in the database, never a form's data: the admin saves
what was typed first, then asks these services, which check permission, write the admin log and
announce the change once the transaction commits (`articles.events`).
"""

import re
from dataclasses import dataclass
from datetime import UTC, datetime

from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.utils import timezone
from django.utils.html import strip_tags
from django.utils.text import Truncator

from media.models import Image
from subscriptions.access import Access

from .blocks import BlockSummary, block_kind_of, picture_problems
from .body import article_blocks, render_blocks, render_body
from .events import ArticleChange, announce_article_change
from .models import Article, Byline, ImageBlock, TextBlock


def article_publish_problems(
    *,
    headline: str,
    standfirst: str,
    section_chosen: bool,
    author_count: int,
    blocks: list[BlockSummary],
    lead_image_problems: tuple[tuple[str, str], ...] = (),
    preview_gives_all_away: bool = False,
) -> list[tuple[str, str]]:
    """Return what an article still lacks before it may be published: (where, what) for each
    piece, where naming the field to put it right (see `PublishCheck.needs`)."""
    problems = []
    if not headline.strip():
        problems.append(("headline", "a headline"))
    if not standfirst.strip():
        problems.append(("standfirst", "a standfirst (the sentence under the headline)"))
    if not section_chosen:
        problems.append(("section", "a section"))
    if author_count < 1:
        problems.append(("bylines", "at least one author in the byline"))
    problems.extend(lead_image_problems)
    if not any(block.has_text for block in blocks):
        problems.append(("body", "at least one text block with some text"))
    problems.extend(
        (block_field(block, field), missing) for block in blocks for field, missing in block.missing
    )
    if preview_gives_all_away:
        problems.append(
            (
                "body",
                "some of the article after the preview cut: the preview would give away the "
                "whole article (move the paywall break up, or make the article free)",
            )
        )
    return problems


def block_field(block: BlockSummary, field: str) -> str:
    """Return where a block's own field is, for `PublishCheck.needs`: "image:12:alt_text"."""
    return f"{block.kind}:{block.pk}:{field}"


def article_lead_image_problems(
    *, article: Article, just_saved: bool = False
) -> tuple[tuple[str, str], ...]:
    """Return what the saved article's lead image lacks (alt text, credit, rights in force).

    `just_saved`: the caller has just saved `article` itself, so it says what is saved.
    """
    saved = article
    if not just_saved:
        saved = (
            Article.objects.select_related("lead_image")
            .only("lead_image", "lead_alt_text", "lead_credit", "lead_caption")
            .get(pk=article.pk)
        )
    if saved.lead_image is None:
        return ()
    label = Truncator(saved.lead_caption or str(saved.lead_image)).chars(60)
    return picture_problems(
        image=saved.lead_image,
        alt_text=saved.lead_alt_text,
        credit=saved.lead_credit,
        where=f"the lead image “{label}”",
        fields="lead_",
    )


def article_preview_gives_all_away(*, article: Article, access: str, blocks=None) -> bool:
    """Whether readers without access would read the whole article in its preview: nothing
    (no text, no picture) is left after the cut of a metered or subscribers-only article.
    `blocks`: its saved body, when the caller has read it already."""
    if access == Access.FREE:
        return False
    rest = (render_body(article) if blocks is None else render_blocks(blocks)).rest
    return not strip_tags(rest).strip() and "<img" not in rest


def article_body_problems(*, blocks: list[BlockSummary]) -> list[str]:
    """Return what is wrong with the shape of a body, whatever the article's status."""
    problems = []
    breaks = [block for block in blocks if block.is_break]
    if len(breaks) > 1:
        problems.append("An article has at most one paywall break; remove the extra ones.")
    if breaks and min(block.ordering for block in blocks) == breaks[0].ordering:
        problems.append(
            "The paywall break cannot be the first block: readers must see something first."
        )
    return problems


def article_block_summaries(*, article: Article, blocks=None) -> list[BlockSummary]:
    """Return a summary of each saved body block, in order, for the publishing checks."""
    blocks = article_blocks(article) if blocks is None else blocks
    return [block_kind_of(block).summarise(block) for block in blocks]


# The start of a tag that ends a line of text: no word runs on across it.
_BLOCK_TAG = re.compile(r"(?=<(?:/?(?:p|li|h[1-6]|blockquote|ul|ol)\b|br\b))", re.IGNORECASE)


def count_words(html: str) -> int:
    """Return the number of words in `html`, as the change form counts them while typing
    (static/newsroom/body_text.js): paragraphs, headings and list items apart."""
    return len(strip_tags(_BLOCK_TAG.sub(" ", html)).split())


def article_count_words(*, article: Article, blocks=None) -> int:
    """Return the number of words in the article's text blocks (`blocks`, if the caller has
    them already)."""
    if blocks is None:
        texts = TextBlock.objects.filter(parent=article).values_list("text", flat=True)
    else:
        texts = [block.text for block in blocks if isinstance(block, TextBlock)]
    return sum(count_words(text) for text in texts)


def article_recompute_preview(*, article: Article, blocks=None) -> bool:
    """Cut the article's searchable preview text with the settings in force; return whether it
    changed. The caller saves it (`article_body_changed`, `manage.py recompute_previews`)."""
    body = render_body(article) if blocks is None else render_blocks(blocks)
    changed = (article.preview_text, article.preview_text_paragraphs) != (
        body.preview_text,
        body.cut_by_paragraphs,
    )
    article.preview_text = body.preview_text
    article.preview_text_paragraphs = body.cut_by_paragraphs
    return changed


def article_body_changed(*, article: Article, blocks=None) -> None:
    """Record that the body was saved: its word count, its searchable preview, a new version.

    `blocks`: the saved body in order (`articles.body.article_blocks`), when the caller has
    read it already: a save reads its body once, however many checks look at it.
    """
    article.word_count = article_count_words(article=article, blocks=blocks)
    article_recompute_preview(article=article, blocks=blocks)
    article.updated_at = timezone.now()
    Article.objects.filter(pk=article.pk).update(
        word_count=article.word_count,
        preview_text=article.preview_text,
        preview_text_paragraphs=article.preview_text_paragraphs,
        updated_at=article.updated_at,
    )
    announce_article_change(article_id=article.pk, change=ArticleChange.EDITED)


PUBLISH_PERMISSION = "articles.publish_article"


@dataclass(frozen=True)
class PublishCheck:
    """What stands between a saved article and publishing it."""

    # Each piece it lacks as (where, what): what by name ("a section"), where as the field to
    # put it right: a field of the article's form ("section", "standfirst"), "bylines" (the
    # byline), "body" (the body as a whole) or one block's field, "<kind>:<pk>:<field>"
    # ("image:12:alt_text", see `block_field`). The change form marks each where it is.
    needs: tuple[tuple[str, str], ...]
    body_problems: tuple[str, ...]  # what is wrong with the shape of its body, as sentences
    # What is wrong with its times (an unpublish time before it would go live), as sentences.
    time_problems: tuple[str, ...] = ()

    @property
    def missing(self) -> tuple[str, ...]:
        """The pieces it lacks, each by name."""
        return tuple(what for _where, what in self.needs)

    @property
    def passed(self) -> bool:
        return not (self.needs or self.body_problems or self.time_problems)

    def describe(self, *, to: str = "publish") -> str:
        """Return one message naming every problem, for the person who tried to publish."""
        parts = []
        if self.missing:
            parts.append(f"To {to}, it still needs: " + "; ".join(self.missing) + ".")
        return " ".join([*parts, *self.body_problems, *self.time_problems])


class PublishRefused(ValidationError):
    """The saved article may not be published yet; the message names every missing piece."""

    outcome = "was not published"
    to = "publish"

    def __init__(self, *, article: Article, check: PublishCheck):
        self.check = check
        name = f"“{article.headline}”" if article.headline.strip() else "This article"
        super().__init__(f"{name} {self.outcome}. {check.describe(to=self.to)}", code="incomplete")


class SubmitRefused(PublishRefused):
    """The saved draft is not ready for an editor: it lacks what publishing would need."""

    outcome = "was not submitted for review"
    to = "submit it"


def article_check_for_publishing(
    *,
    article: Article,
    goes_live_at: datetime | None = None,
    blocks=None,
    author_count: int | None = None,
    just_saved: bool = False,
) -> PublishCheck:
    """Return what the article as saved in the database lacks before it may be published.

    With `goes_live_at`, also check its unpublish time against it: a takedown must come after.
    `blocks`: its saved body, when the caller has read it already (`article_body_changed`);
    `author_count`: how many authors its saved byline has, when the caller has just saved it;
    `just_saved`: the caller has just saved `article` itself (every field, in this transaction),
    so it says what is saved: its fields are not read back.
    """
    fields = ["headline", "standfirst", "section_id", "access", "unpublish_at"]
    if just_saved:
        saved = {name: getattr(article, name) for name in fields}
    else:
        saved = Article.objects.filter(pk=article.pk).values(*fields).get()
    body = blocks
    blocks = article_block_summaries(article=article, blocks=body)
    needs = article_publish_problems(
        headline=saved["headline"],
        standfirst=saved["standfirst"],
        section_chosen=saved["section_id"] is not None,
        author_count=(
            Byline.objects.filter(article=article).count() if author_count is None else author_count
        ),
        blocks=blocks,
        lead_image_problems=article_lead_image_problems(article=article, just_saved=just_saved),
        preview_gives_all_away=article_preview_gives_all_away(
            article=article, access=saved["access"], blocks=body
        ),
    )
    time_problems = ()
    unpublish_at = saved["unpublish_at"]
    if (
        goes_live_at is not None
        and unpublish_at is not None
        and unpublish_at <= max(goes_live_at, timezone.now())
    ):
        time_problems = (
            f"Its unpublish time ({describe_time(unpublish_at)}) is not after it would go "
            "live: set a later one, or clear it.",
        )
    if goes_live_at is not None:
        time_problems += _rights_ending_before(article=article, goes_live_at=goes_live_at)
    return PublishCheck(
        needs=tuple(needs),
        body_problems=tuple(article_body_problems(blocks=blocks)),
        time_problems=time_problems,
    )


CHANGE_PERMISSION = "articles.change_article"


def user_is_editor(user) -> bool:
    """Return whether `user` is an editor: one who may publish (`articles.publish_article`).

    Staff without that permission are journalists.
    """
    return user is not None and user.has_perm(PUBLISH_PERMISSION)


def article_editable_by(*, article: Article, user) -> bool:
    """Return whether `user` may change `article` now.

    Editors change any article. A journalist changes only their own (`created_by`), and only
    while it is a draft: once submitted it is the editors' until they publish it or send it
    back; a published or scheduled one only an editor changes.
    """
    if user is None or not user.has_perm(CHANGE_PERMISSION):
        return False
    if user_is_editor(user):
        return True
    return (
        article.created_by_id is not None
        and article.created_by_id == user.pk
        and article.status == Article.Status.DRAFT
    )


def _rights_ending_before(*, article: Article, goes_live_at: datetime) -> tuple[str, ...]:
    """Name the pictures the article shows whose rights end before the day it goes live (those
    ended already are named with the pictures' other problems)."""
    today, day = timezone.localdate(), timezone.localdate(goes_live_at)
    if day <= today:
        return ()
    in_blocks = ImageBlock.objects.filter(parent=article).values("image_id")
    ending = Image.objects.filter(
        Q(pk__in=in_blocks) | Q(pk__in=Article.objects.filter(pk=article.pk).values("lead_image")),
        rights_expire_on__gte=today,
        rights_expire_on__lt=day,
    )
    return tuple(
        f"The rights to the picture “{Truncator(str(image)).chars(60)}” end after "
        f"{image.rights_expire_on.day} {image.rights_expire_on:%B %Y}, before it would go live: "
        "choose another picture or an earlier time."
        for image in ending
    )


def describe_time(moment: datetime) -> str:
    """Return `moment` for an editor, in the site's time zone and in UTC, e.g.
    "Thursday 4 December 2026, 09:00 Europe/London (08:00 UTC)"."""
    local = timezone.localtime(moment)
    utc = moment.astimezone(UTC)
    zone = timezone.get_current_timezone_name()
    text = f"{local:%A} {local.day} {local:%B %Y, %H:%M} {zone}"
    if local.utcoffset() or zone != "UTC":
        text += f" ({utc:%H:%M} UTC" + (
            "" if utc.date() == local.date() else f" on {utc.day} {utc:%B}"
        )
        text += ")"
    return text


class Scheduler:
    """The schedule itself, carrying out at its time what an editor decided earlier.

    Services take it as `by` (`by=SCHEDULER`) where a person is not acting: its permission was
    checked when the time was set. The admin log records it as an account that cannot log in
    (`scheduler_account`); listeners hear `by=None`.
    """

    def __repr__(self):
        return "SCHEDULER"


SCHEDULER = Scheduler()
SCHEDULER_EMAIL = "scheduler@newsroom.invalid"  # .invalid: never a real address (RFC 2606)


def scheduler_account():
    """Return the account the admin log names for the scheduler's writes (made on first use:
    inactive, with no usable password, so nobody logs in as it)."""
    account, created = get_user_model().objects.get_or_create(
        email=SCHEDULER_EMAIL, defaults={"name": "The scheduler", "is_active": False}
    )
    if created:
        account.set_unusable_password()
        account.save(update_fields=["password"])
    return account


def _require_publish_permission(user) -> None:
    if user is SCHEDULER:
        return
    if not user_is_editor(user):
        raise PermissionDenied("You may not publish, schedule or unpublish articles.")


def _person(by):
    """Who listeners hear acted: the user, or None for the scheduler."""
    return None if by is SCHEDULER else by


def _refuse_changes_to_live(article: Article) -> None:
    if article.draft_of_id is not None:
        # Changes to a live article go onto it (`revisions.article_publish_changes`), never out
        # as a second article under another address.
        raise ValidationError(
            "These are changes to a live article: publish them onto it with “Publish changes”.",
            code="changes",
        )


def _refuse_unless_ready(
    article: Article, *, goes_live_at: datetime | None = None, refusal=PublishRefused
) -> None:
    check = article_check_for_publishing(article=article, goes_live_at=goes_live_at)
    if not check.passed:
        raise refusal(article=article, check=check)


# Cleared when the article is submitted again or published: the admin log keeps every note.
REVIEW_NOTE_FIELDS = ["review_note", "review_note_by", "review_note_at"]


def _clear_review_note(article: Article) -> list[str]:
    article.review_note, article.review_note_by, article.review_note_at = "", None, None
    return REVIEW_NOTE_FIELDS


def article_log(*, article: Article, by, message: str) -> None:
    """Write `message` in the admin log of `article`, as `by` (a user, or the scheduler)."""
    LogEntry.objects.log_actions(
        user_id=scheduler_account().pk if by is SCHEDULER else by.pk,
        queryset=[article],
        action_flag=CHANGE,
        change_message=message,
        single_object=True,
    )


def article_publish(*, article: Article, by, at: datetime | None = None) -> Article:
    """Put the saved article (a draft, one in review, or one already out) on the site now,
    dated `at` (a past time back-dates it).

    Without `at`, a re-published article keeps its first publish time. A future `at` schedules
    it (`article_schedule`). Raise `PermissionDenied` unless `by` may publish, and
    `PublishRefused` naming every missing piece unless the article as saved is complete; the
    article is then left as it was. Readers see the change once the transaction commits.
    """
    _require_publish_permission(by)
    now = timezone.now()
    if at is not None and at > now:
        return article_schedule(article=article, by=by, at=at)
    if at is None:
        kept = article.published_at
        at = kept if kept is not None and kept <= now else now
    _refuse_changes_to_live(article)
    _refuse_unless_ready(article, goes_live_at=at)
    article.status = Article.Status.PUBLISHED
    article.published_at = at
    cleared = _clear_review_note(article)
    article.save(update_fields=["status", "published_at", "updated_at", *cleared])
    article_log(article=article, by=by, message="Published")
    announce_article_change(article_id=article.pk, change=ArticleChange.PUBLISHED, by=_person(by))
    return article


def article_schedule(*, article: Article, by, at: datetime) -> Article:
    """Publish the saved article at `at`, a time in the future; until then it stays off the site.

    Raise `PermissionDenied` unless `by` may publish, `ValidationError` for a time that has
    passed, and `PublishRefused` unless the article as saved is complete (nobody checks again
    when it goes live).
    """
    _require_publish_permission(by)
    if at <= timezone.now():
        raise ValidationError(
            "A scheduled time must be in the future; to publish now, publish without one.",
            code="past",
        )
    _refuse_changes_to_live(article)
    _refuse_unless_ready(article, goes_live_at=at)
    article.status = Article.Status.PUBLISHED
    article.published_at = at
    cleared = _clear_review_note(article)
    article.save(update_fields=["status", "published_at", "updated_at", *cleared])
    article_log(
        article=article, by=by, message=f"Scheduled for {timezone.localtime(at):%Y-%m-%d %H:%M}"
    )
    announce_article_change(article_id=article.pk, change=ArticleChange.SCHEDULED, by=_person(by))
    return article


def article_unpublish(*, article: Article, by) -> Article:
    """Take the article off the site (back to a draft). Raise `PermissionDenied` unless allowed.

    `by=SCHEDULER` is the article's unpublish time come (`articles.scheduler`): that time is
    then cleared, its work done, and the log says so.
    """
    _require_publish_permission(by)
    article.status = Article.Status.DRAFT
    fields = ["status", "updated_at"]
    message = "Unpublished"
    if by is SCHEDULER:
        message = f"Unpublished at its scheduled time ({describe_time(article.unpublish_at)})"
        article.unpublish_at = None
        fields.append("unpublish_at")
    article.save(update_fields=fields)
    article_log(article=article, by=by, message=message)
    announce_article_change(article_id=article.pk, change=ArticleChange.UNPUBLISHED, by=_person(by))
    return article


def article_went_live(*, article: Article) -> None:
    """Log and announce that a scheduled article's publish time has come: the scheduler's
    part (`articles.scheduler`); the article was published when it was scheduled."""
    article_log(article=article, by=SCHEDULER, message="Went live at its scheduled time")
    announce_article_change(article_id=article.pk, change=ArticleChange.PUBLISHED)


def article_schedule_unpublish(*, article: Article, by, at: datetime | None) -> Article:
    """Take the article off the site at `at`, a time in the future (an embargo's end, a
    takedown); `at=None` clears the unpublish time. Until then readers see it as they do; at its
    minute every page, list, feed, sitemap and search leaves it out, and the scheduler
    (`manage.py run_scheduler`) makes it a draft.

    Raise `PermissionDenied` unless `by` may publish, and `ValidationError` for a time that
    has passed or that is not after the article's publish time.
    """
    _require_publish_permission(by)
    if at is not None:
        if at <= timezone.now():
            raise ValidationError(
                "An unpublish time must be in the future; to take it down now, unpublish it.",
                code="past",
            )
        if article.published_at is not None and at <= article.published_at:
            raise ValidationError(
                "The unpublish time must be after the publish time "
                f"({describe_time(article.published_at)}).",
                code="before_publish",
            )
    if article.unpublish_at == at:
        return article
    article.unpublish_at = at
    article.save(update_fields=["unpublish_at", "updated_at"])
    message = f"Unpublish scheduled for {describe_time(at)}" if at else "Unpublish time cleared"
    article_log(article=article, by=by, message=message)
    announce_article_change(
        article_id=article.pk, change=ArticleChange.UNPUBLISH_SCHEDULED, by=_person(by)
    )
    return article


def article_change_access(*, article: Article, by, access: Access) -> Article:
    """Set how much of the article readers get free (`Access`); the paywall decides the rest.

    Raise `PermissionDenied` unless `by` may publish: access is part of what goes out.
    """
    _require_publish_permission(by)
    access = Access(access)
    if article.access == access:
        return article
    article.access = access
    article.save(update_fields=["access", "updated_at"])
    article_log(article=article, by=by, message=f"Access changed to {access.label}")
    announce_article_change(
        article_id=article.pk, change=ArticleChange.ACCESS_CHANGED, by=_person(by)
    )
    return article


def article_submit_for_review(*, article: Article, by) -> Article:
    """Hand the saved draft to the editors; until they publish it or send it back, its
    journalist can no longer change it.

    Raise `PermissionDenied` unless `by` may change the article (`article_editable_by`: a
    journalist their own draft, an editor any), `ValidationError` unless it is a draft, and
    `SubmitRefused` naming every missing piece unless it is as complete as publishing needs;
    the article is then left as it was.
    """
    if not article_editable_by(article=article, user=by):
        raise PermissionDenied("You may submit only your own drafts for review.")
    if article.status != Article.Status.DRAFT:
        raise ValidationError(
            f"Only a draft can be submitted for review; this one is {_state_name(article)}.",
            code="not_draft",
        )
    _refuse_unless_ready(article, refusal=SubmitRefused)
    article.status = Article.Status.REVIEW
    cleared = _clear_review_note(article)
    article.save(update_fields=["status", "updated_at", *cleared])
    article_log(article=article, by=by, message="Submitted for review")
    announce_article_change(article_id=article.pk, change=ArticleChange.SUBMITTED_FOR_REVIEW, by=by)
    return article


def article_send_back(*, article: Article, by, note: str) -> Article:
    """Send an article in review back to its journalist as a draft, with `note` saying what
    to change; the journalist sees the note on the article until it is submitted again.

    Raise `PermissionDenied` unless `by` is an editor, and `ValidationError` for an empty note
    or an article that is not in review.
    """
    if not user_is_editor(by):
        raise PermissionDenied("Only an editor may send an article back.")
    note = note.strip()
    if not note:
        raise ValidationError(
            "Write a note for the journalist: what should change before it is published?",
            code="note_required",
        )
    if article.status != Article.Status.REVIEW:
        raise ValidationError(
            f"Only an article in review can be sent back; this one is {_state_name(article)}.",
            code="not_in_review",
        )
    article.status = Article.Status.DRAFT
    article.review_note = note
    article.review_note_by = by
    article.review_note_at = timezone.now()
    article.save(update_fields=["status", "updated_at", *REVIEW_NOTE_FIELDS])
    article_log(article=article, by=by, message=f"Sent back to the journalist: {note}")
    announce_article_change(article_id=article.pk, change=ArticleChange.SENT_BACK, by=by)
    return article


def _state_name(article: Article) -> str:
    if article.is_scheduled:
        return "scheduled"
    return article.get_status_display().lower()
