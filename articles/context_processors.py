from functools import cache as once

from django.conf import settings
from django.core.cache import cache
from django.template.loader import render_to_string
from django.urls import reverse

from .models import Section

NAV_SECTIONS_KEY = "nav-sections"
SITE_URL_NAMES = ["home", "search", "account", "logout", "login", "subscribe", "feed"]


@once
def site_urls():
    """Return the addresses every page links to, reversed once per process."""
    return {name: reverse(name) for name in SITE_URL_NAMES}


def publication(request):
    """Give every template the publication's name, its section navigation and common links."""
    section_nav = cache.get(NAV_SECTIONS_KEY)
    if section_nav is None:
        sections = list(Section.objects.all())
        section_nav = render_to_string("includes/section_nav.html", {"sections": sections})
        cache.set(NAV_SECTIONS_KEY, section_nav, timeout=300)
    return {
        "publication_name": settings.NEWSROOM_PUBLICATION_NAME,
        "section_nav": section_nav,
        "site_urls": site_urls(),
    }
