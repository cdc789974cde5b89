"""The access vocabulary: how much of an article a publication gives away.

An article carries one of these levels; `subscriptions.paywall` decides what it means for a
reader. The content apps use this vocabulary and never compare string literals.
"""

from django.db import models


class Access(models.TextChoices):
    FREE = "free", "Free"
    METERED = "metered", "Metered"
    SUBSCRIBERS = "subscribers", "Subscribers only"

    @property
    def may_be_shared(self) -> bool:
        """Whether a cookieless response for this level may be kept by a shared cache (a CDN).

        A free article is the same for everyone, and so is the preview of a subscribers-only
        one. A metered article is not: a crawler's or a prefetch's preview of it, served by a
        CDN to the next human, would hide the free read that reader is owed.
        """
        return self is not Access.METERED
