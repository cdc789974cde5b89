"""What happened to an article, announced once the write that did it has committed.

Services announce; listeners (newsletters and webhooks later) react. A listener never decides
anything about access: it only follows what the database now says. Everything one transaction
did to an article is one announcement (an admin save that edits, changes the access and
publishes says so once, with the three changes); outside a transaction, at once.
"""

from enum import StrEnum

from django.dispatch import Signal

from foundation.transactions import collect

# Sent with: article_id (int), changes (a tuple of ArticleChange, in the order they were made),
# by (the acting user, or None: the scheduler, carrying out a publish or unpublish time).
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


def _announce(pending: dict) -> None:
    for article_id, (changes, by) in pending.items():
        article_changed.send(sender=ArticleChange, article_id=article_id, changes=changes, by=by)


def announce_article_change(*, article_id: int, change: ArticleChange, by=None) -> None:
    """Announce `change` with whatever else the current transaction does to the article, once it
    commits (at once outside a transaction)."""

    def merged(known):
        changes, known_by = known or ((), None)
        return (changes if change in changes else (*changes, change)), by or known_by

    collect("articles.events", article_id, merged, _announce)
