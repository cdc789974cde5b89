from django.conf import settings
from django.core.cache import cache

from .models import Section

NAV_SECTIONS_KEY = "nav-sections"


def publication(request):
    """Give every template the publication's name and its sections for the navigation."""
    sections = cache.get(NAV_SECTIONS_KEY)
    if sections is None:
        sections = list(Section.objects.all())
        cache.set(NAV_SECTIONS_KEY, sections, timeout=300)
    return {"publication_name": settings.NEWSROOM_PUBLICATION_NAME, "nav_sections": sections}
