from functools import cache as once

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse

from .models import Section
from .pages import site_part

SITE_URL_NAMES = ["home", "search", "account", "logout", "login", "subscribe", "feed"]


@once
def site_urls():
    """Return the addresses every page links to, reversed once per process."""
    return {name: reverse(name) for name in SITE_URL_NAMES}


def _render_section_nav():
    sections = list(Section.objects.all())
    return render_to_string("includes/section_nav.html", {"sections": sections})


def publication(request):
    """Give every template the publication's name, its section navigation and common links."""
    section_nav = site_part(request, "section-nav", _render_section_nav)
    return {
        "publication_name": settings.NEWSROOM_PUBLICATION_NAME,
        "section_nav": section_nav,
        "site_urls": site_urls(),
    }
