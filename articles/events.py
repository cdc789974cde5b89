"""What happened to an article, announced once the write that did it has committed.

Services announce; listeners (page caches today, newsletters and webhooks later) react. A
listener never decides anything about access: it only follows what the database now says.
"""

from enum import StrEnum

from django.db import transaction
from django.dispatch import Signal

# Sent with: article_id (int), change (ArticleChange), by (the acting user, or None: the
# scheduler, carrying out a publish or unpublish time).
article_changed = Signal()


class ArticleChange(StrEnum):
    EDITED = "edited"  # headline, body, pictures or anything else readers see
    SUBMITTED_FOR_REVIEW = "submitted_for_review"  # still off the site: the editors have it
    SENT_BACK = "sent_back"  # still off the site: back with its journalist, with a note
    PUBLISHED = "published"
    SCHEDULED = "scheduled"
    UNPUBLISH_SCHEDULED = "unpublish_scheduled"  # an unpublish time set, changed or cleared
    UNPUBLISHED = "unpublished"
    ACCESS_CHANGED = "access_changed"
    DELETED = "deleted"


def announce_article_change(*, article_id: int, change: ArticleChange, by=None) -> None:
    """Send `article_changed` after the current transaction commits (at once outside one)."""
    transaction.on_commit(
        lambda: article_changed.send(
            sender=ArticleChange, article_id=article_id, change=change, by=by
        ),
        robust=True,
    )
