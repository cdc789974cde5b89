"""The newsletter offered on articles, for the article page and the paywall prompt."""

from django.core.cache import cache
from django.utils.functional import SimpleLazyObject

from .models import Newsletter

OFFER_KEY = "newsletters:offered-on-articles:v1"
OFFER_SECONDS = 60 * 60  # a safety net: saving a newsletter forgets it (`receivers`)
NONE = "none"


def offered_newsletter() -> dict | None:
    """Return the newsletter offered on articles (name, slug, description, audience), or None:
    kept in the cache, forgotten when a newsletter is saved."""
    offer = cache.get(OFFER_KEY)
    if offer is None:
        newsletter = Newsletter.objects.filter(offered_on_articles=True, is_active=True).first()
        offer = NONE
        if newsletter is not None:
            offer = {
                "name": newsletter.name,
                "slug": newsletter.slug,
                "description": newsletter.description,
                "audience": newsletter.audience,
            }
        cache.set(OFFER_KEY, offer, OFFER_SECONDS)
    return None if offer == NONE else offer


def newsletter_offer(request):
    """Give templates `newsletter_offer`, looked up only if a template shows it."""
    return {"newsletter_offer": SimpleLazyObject(lambda: offered_newsletter() or {})}
