"""Writes with rules for articles: publishing, and the figures derived from the body."""

from django.contrib.admin.models import CHANGE, LogEntry
from django.core.exceptions import PermissionDenied
from django.utils import timezone
from django.utils.html import strip_tags

from .blocks import BlockSummary, block_kind_of
from .body import article_blocks, render_body
from .events import ArticleChange, announce_article_change
from .models import Article, TextBlock


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


def _require_publish_permission(user) -> None:
    if user is None or not user.has_perm(PUBLISH_PERMISSION):
        raise PermissionDenied("You may not publish, schedule or unpublish articles.")


def _log(*, article: Article, by, message: str) -> None:
    LogEntry.objects.log_actions(
        user_id=by.pk,
        queryset=[article],
        action_flag=CHANGE,
        change_message=message,
        single_object=True,
    )


def article_publish(*, article: Article, by, at=None) -> Article:
    """Publish the article now, or at `at` (a future time schedules it).

    Raise `PermissionDenied` unless `by` may publish. Readers see the change once the
    transaction commits (`articles.events`).
    """
    _require_publish_permission(by)
    article.status = Article.Status.PUBLISHED
    article.published_at = at or article.published_at or timezone.now()
    article.save()
    scheduled = article.published_at > timezone.now()
    _log(article=article, by=by, message="Scheduled" if scheduled else "Published")
    announce_article_change(
        article_id=article.pk,
        change=ArticleChange.SCHEDULED if scheduled else ArticleChange.PUBLISHED,
        by=by,
    )
    return article


def article_unpublish(*, article: Article, by) -> Article:
    """Take the article off the site (back to a draft). Raise `PermissionDenied` unless allowed."""
    _require_publish_permission(by)
    article.status = Article.Status.DRAFT
    article.save(update_fields=["status", "updated_at"])
    _log(article=article, by=by, message="Unpublished")
    announce_article_change(article_id=article.pk, change=ArticleChange.UNPUBLISHED, by=by)
    return article
