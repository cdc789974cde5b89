from functools import cache as once

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse

from articles.models import Section

from .pages import site_part

SITE_URL_NAMES = [
    "home",
    "search",
    "account",
    "logout",
    "login",
    "subscribe",
    "feed",
    "corrections",
]
# Google News wants an ISO 639 code; Chinese alone keeps its script ("zh-cn", "zh-tw").
NEWS_LANGUAGES_WITH_REGION = {"zh-cn", "zh-tw"}


def news_language(language_code):
    """Return the Google News language for a Django `LANGUAGE_CODE` ("en-gb" -> "en")."""
    code = language_code.lower()
    return code if code in NEWS_LANGUAGES_WITH_REGION else code.split("-")[0]


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
        "news_language": news_language(settings.LANGUAGE_CODE),
    }
