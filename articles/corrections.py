"""Corrections and clarifications of articles: written by editors, shown to every reader.

A correction is public text (it goes on the article's page, its JSON-LD and /corrections/,
whether or not the reader may read on). Saving or deleting one is a change of the article:
its `updated_at` moves and the change is announced after commit, so the article's cached
page parts and shared page variants are rendered again at once.
"""

from django.contrib.admin.models import CHANGE, LogEntry
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from .events import ArticleChange, announce_article_change
from .models import Article, Correction
from .services import PUBLISH_PERMISSION


def may_correct(user) -> bool:
    """Return whether `user` may add, change or delete corrections: editors only."""
    return user is not None and user.has_perm(PUBLISH_PERMISSION)


def _require_correct_permission(user) -> None:
    if not may_correct(user):
        raise PermissionDenied("Only editors may correct articles.")


def _article_changed(*, article_id: int, by, message: str) -> None:
    Article.objects.filter(pk=article_id).update(updated_at=timezone.now())
    LogEntry.objects.log_actions(
        user_id=by.pk,
        queryset=Article.objects.filter(pk=article_id),
        action_flag=CHANGE,
        change_message=message,
        single_object=True,
    )
    announce_article_change(article_id=article_id, change=ArticleChange.EDITED, by=by)


def correction_save(*, correction: Correction, by) -> Correction:
    """Save a new or changed correction of its article, and mark the article updated.

    Raise `PermissionDenied` unless `by` may publish (editors).
    """
    _require_correct_permission(by)
    adding = correction.pk is None
    if adding:
        correction.created_by = by
    correction.save()
    verb = "added" if adding else "changed"
    _article_changed(
        article_id=correction.article_id,
        by=by,
        message=f"{correction.get_kind_display()} {verb}",
    )
    return correction


def correction_delete(*, correction: Correction, by) -> None:
    """Delete a correction (one made in error). Raise `PermissionDenied` unless `by` is an
    editor."""
    _require_correct_permission(by)
    article_id = correction.article_id
    kind = correction.get_kind_display()
    correction.delete()
    _article_changed(article_id=article_id, by=by, message=f"{kind} deleted")


def corrections_published():
    """Return the corrections of live articles, newest first, with their articles."""
    return (
        Correction.objects.filter(article__in=Article.objects.published())
        .select_related("article")
        .order_by("-published_at", "-pk")
    )
