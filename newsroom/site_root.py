"""The two files every site answers at its root, which browsers and crawlers ask for unbidden.

Both are the same for every reader and cost no query: `robots.txt` is a few lines of text,
and the icon's bytes are read once per process. A day's `max-age` lets nginx (or a CDN) and
browsers keep them; crawlers read robots.txt about once a day anyway.
"""

from functools import cache

from django.contrib.staticfiles import finders
from django.http import HttpResponse
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_safe

KEEP_SECONDS = 24 * 60 * 60

# What crawlers have no business fetching: the newsroom's admin; share links of unpublished
# articles, gift links, readers' private feeds and sign-in links (each a secret of its own,
# which a crawler could only have found where it leaked; a crawler's visit would also count as
# a gift's "open"); a reader's own account pages; and search results, which are `noindex` and
# cost the database a search each.
CRAWLERS_KEEP_OUT = [
    "/admin/",
    "/preview/",
    "/gift/",
    "/feed/private/",
    "/login/link/",
    "/account/",
    "/search/",
]


def _kept(response):
    patch_cache_control(response, public=True, max_age=KEEP_SECONDS)
    return response


@require_safe
def robots_txt(request):
    """Return robots.txt: which paths crawlers should leave alone, and where the sitemaps are.

    The Sitemap lines must be absolute: they take the scheme and host of the request, as the
    sitemap index's own entries do (`articles.site.sitemaps`).
    """
    lines = ["User-agent: *", *(f"Disallow: {path}" for path in CRAWLERS_KEEP_OUT), ""]
    for name in ("sitemap", "news_sitemap"):
        lines.append(f"Sitemap: {request.build_absolute_uri(reverse(name))}")
    body = "\n".join(lines) + "\n"
    return _kept(HttpResponse(body, content_type="text/plain; charset=utf-8"))


@cache
def _favicon_bytes() -> bytes:
    # static/favicon.ico is static/favicon.svg drawn at 16, 32 and 48 pixels.
    with open(finders.find("favicon.ico"), "rb") as icon:
        return icon.read()


@require_safe
def favicon(request):
    """Return the site's icon at the address browsers ask for without being told."""
    return _kept(HttpResponse(_favicon_bytes(), content_type="image/x-icon"))
