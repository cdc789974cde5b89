"""Share links: someone without an account (a lawyer, a source) reads an unpublished article.

A link is an unguessable token (`secrets.token_urlsafe(32)`) tied to one article, valid for
`NEWSROOM_PREVIEW_LINK_HOURS` hours unless revoked first. Whoever may change the article may
make and revoke its links (the admin checks the article, these services the permission again).
The page a link opens (`articles.site.views.article_preview_link`) shows the article as a
subscriber will read it, marked as a preview; a link whose article has gone live sends its
reader to the article's own page, and it never touches anyone's meter.
"""

import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from . import services
from .models import Article, PreviewLink
from .services import PUBLISH_PERMISSION

CHANGE_PERMISSION = "articles.change_article"


def may_share_previews(user) -> bool:
    """Return whether `user` may make and revoke share links of articles they may change."""
    return user is not None and (
        user.has_perm(PUBLISH_PERMISSION) or user.has_perm(CHANGE_PERMISSION)
    )


def _require_share_permission(user) -> None:
    if not may_share_previews(user):
        raise PermissionDenied("You may not share previews of articles.")


def preview_link_create(*, article: Article, by, at: datetime | None = None) -> PreviewLink:
    """Make a share link for `article`, valid for `NEWSROOM_PREVIEW_LINK_HOURS` from `at`.

    Raise `PermissionDenied` unless `by` may change articles.
    """
    _require_share_permission(by)
    at = at or timezone.now()
    link = PreviewLink.objects.create(
        article=article,
        token=secrets.token_urlsafe(32),
        created_by=by,
        created_at=at,
        expires_at=at + timedelta(hours=settings.NEWSROOM_PREVIEW_LINK_HOURS),
    )
    services.article_log(article=article, by=by, message="Share link created")
    return link


def preview_link_revoke(*, link: PreviewLink, by, at: datetime | None = None) -> PreviewLink:
    """Revoke `link` at once (revoking it again changes nothing).

    Raise `PermissionDenied` unless `by` may change articles.
    """
    _require_share_permission(by)
    if link.revoked_at is None:
        link.revoked_at = at or timezone.now()
        link.save(update_fields=["revoked_at"])
        services.article_log(article=link.article, by=by, message="Share link revoked")
    return link


def preview_link_lookup(*, token: str, at: datetime | None = None) -> PreviewLink | None:
    """Return the valid link with `token` (one query), or None: unknown, expired or revoked."""
    if not token or len(token) > 64:
        return None
    link = PreviewLink.objects.filter(token=token).first()
    if link is None or not link.is_valid(at=at or timezone.now()):
        return None
    return link
