"""Writes with rules for articles: publishing, and the figures derived from the body.

Publishing validates the article as saved in the database, never a form's data: the admin saves
what was typed first, then asks these services, which check permission, write the admin log and
announce the change once the transaction commits (`articles.events`).
"""

from dataclasses import dataclass
from datetime import datetime

from django.contrib.admin.models import CHANGE, LogEntry
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from django.utils.html import strip_tags

from subscriptions.access import Access

from .blocks import BlockSummary, block_kind_of
from .body import article_blocks, render_body
from .events import ArticleChange, announce_article_change
from .models import Article, Byline, TextBlock


def article_publish_problems(
    *,
    headline: str,
    section_chosen: bool,
    author_count: int,
    blocks: list[BlockSummary],
) -> list[str]:
    """Return what an article still lacks before it may be published, each piece by name."""
    problems = []
    if not headline.strip():
        problems.append("a headline")
    if not section_chosen:
        problems.append("a section")
    if author_count < 1:
        problems.append("at least one author in the byline")
    if not any(block.has_text for block in blocks):
        problems.append("at least one text block with some text")
    problems.extend(missing for block in blocks for missing in block.missing)
    return problems


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


def article_block_summaries(*, article: Article) -> list[BlockSummary]:
    """Return a summary of each saved body block, in order, for the publishing checks."""
    return [block_kind_of(block).summarise(block) for block in article_blocks(article)]


def article_count_words(*, article: Article) -> int:
    """Return the number of words in the article's text blocks."""
    texts = TextBlock.objects.filter(parent=article).values_list("text", flat=True)
    return sum(len(strip_tags(text).split()) for text in texts)


def article_recompute_preview(*, article: Article) -> bool:
    """Cut the article's searchable preview text with the settings in force; return whether it
    changed. The caller saves it (`article_body_changed`, `manage.py recompute_previews`)."""
    body = render_body(article)
    changed = (article.preview_text, article.preview_text_paragraphs) != (
        body.preview_text,
        body.cut_by_paragraphs,
    )
    article.preview_text = body.preview_text
    article.preview_text_paragraphs = body.cut_by_paragraphs
    return changed


def article_body_changed(*, article: Article) -> None:
    """Record that the body was saved: its word count, its searchable preview, a new version."""
    article.word_count = article_count_words(article=article)
    article_recompute_preview(article=article)
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

    missing: tuple[str, ...]  # pieces it lacks, each by name ("a section")
    body_problems: tuple[str, ...]  # what is wrong with the shape of its body, as sentences

    @property
    def passed(self) -> bool:
        return not (self.missing or self.body_problems)

    def describe(self) -> str:
        """Return one message naming every problem, for the person who tried to publish."""
        parts = []
        if self.missing:
            parts.append("To publish, it still needs: " + "; ".join(self.missing) + ".")
        return " ".join([*parts, *self.body_problems])


class PublishRefused(ValidationError):
    """The saved article may not be published yet; the message names every missing piece."""

    def __init__(self, *, article: Article, check: PublishCheck):
        self.check = check
        name = f"“{article.headline}”" if article.headline.strip() else "This article"
        super().__init__(f"{name} was not published. {check.describe()}", code="incomplete")


def article_check_for_publishing(*, article: Article) -> PublishCheck:
    """Return what the article as saved in the database lacks before it may be published."""
    saved = Article.objects.filter(pk=article.pk).values("headline", "section_id").get()
    blocks = article_block_summaries(article=article)
    missing = article_publish_problems(
        headline=saved["headline"],
        section_chosen=saved["section_id"] is not None,
        author_count=Byline.objects.filter(article=article).count(),
        blocks=blocks,
    )
    return PublishCheck(
        missing=tuple(missing), body_problems=tuple(article_body_problems(blocks=blocks))
    )


def _require_publish_permission(user) -> None:
    if user is None or not user.has_perm(PUBLISH_PERMISSION):
        raise PermissionDenied("You may not publish, schedule or unpublish articles.")


def _refuse_unless_ready(article: Article) -> None:
    if article.draft_of_id is not None:
        # Changes to a live article go onto it (`revisions.article_publish_changes`), never out
        # as a second article under another address.
        raise ValidationError(
            "These are changes to a live article: publish them onto it with “Publish changes”.",
            code="changes",
        )
    check = article_check_for_publishing(article=article)
    if not check.passed:
        raise PublishRefused(article=article, check=check)


def _log(*, article: Article, by, message: str) -> None:
    LogEntry.objects.log_actions(
        user_id=by.pk,
        queryset=[article],
        action_flag=CHANGE,
        change_message=message,
        single_object=True,
    )


def article_publish(*, article: Article, by, at: datetime | None = None) -> Article:
    """Put the saved article on the site now, dated `at` (a past time back-dates it).

    Without `at`, a re-published article keeps its first publish time. A future `at` schedules
    it (`article_schedule`). Raise `PermissionDenied` unless `by` may publish, and
    `PublishRefused` naming every missing piece unless the article as saved is complete; the
    article is then left as it was. Readers see the change once the transaction commits.
    """
    _require_publish_permission(by)
    now = timezone.now()
    if at is not None and at > now:
        return article_schedule(article=article, by=by, at=at)
    _refuse_unless_ready(article)
    if at is None:
        kept = article.published_at
        at = kept if kept is not None and kept <= now else now
    article.status = Article.Status.PUBLISHED
    article.published_at = at
    article.save(update_fields=["status", "published_at", "updated_at"])
    _log(article=article, by=by, message="Published")
    announce_article_change(article_id=article.pk, change=ArticleChange.PUBLISHED, by=by)
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
    _refuse_unless_ready(article)
    article.status = Article.Status.PUBLISHED
    article.published_at = at
    article.save(update_fields=["status", "published_at", "updated_at"])
    _log(article=article, by=by, message=f"Scheduled for {timezone.localtime(at):%Y-%m-%d %H:%M}")
    announce_article_change(article_id=article.pk, change=ArticleChange.SCHEDULED, by=by)
    return article


def article_unpublish(*, article: Article, by) -> Article:
    """Take the article off the site (back to a draft). Raise `PermissionDenied` unless allowed."""
    _require_publish_permission(by)
    article.status = Article.Status.DRAFT
    article.save(update_fields=["status", "updated_at"])
    _log(article=article, by=by, message="Unpublished")
    announce_article_change(article_id=article.pk, change=ArticleChange.UNPUBLISHED, by=by)
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
    _log(article=article, by=by, message=f"Access changed to {access.label}")
    announce_article_change(article_id=article.pk, change=ArticleChange.ACCESS_CHANGED, by=by)
    return article
