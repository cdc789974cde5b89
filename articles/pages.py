"""The parts of public pages that are the same for every reader, rendered once and reused.

An article page is the same for everyone but for a few things: whether the text beyond the cut
is there, the meter note, the paywall prompt and the masthead's account links. Everything
else (head tags, header, lead figure, the public part of the body, the rest, tags, "More from"
and related cards) is rendered once per content generation and kept in the cache, so a
reader's page costs a cache look-up, the paywall decision and a small template. The
generation moves on whenever content is saved; the parts also expire after
NEWSROOM_PUBLIC_CACHE_SECONDS, so that a scheduled article joins the lists when it goes live.
"""

import secrets
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.db.models import Prefetch, Q
from django.http import Http404
from django.template.loader import render_to_string
from django.utils.safestring import SafeString

from media.renditions import rendition_url

from .body import render_body
from .models import Article, Byline
from .structured_data import article_json_ld, json_ld_script

CONTENT_GENERATION_KEY = "content-generation"


# Parts this process fetched lately, so that a busy page is not unpickled from a shared cache
# on every request: key -> (expiry on the monotonic clock, value). The key holds the content
# generation, which is read from the shared cache on every request, so an entry is never
# used once content has changed anywhere.
_recent_parts = {}
RECENT_PARTS_LIMIT = 1000


def content_generation() -> int:
    """Return the number that moves on whenever published content changes."""
    # Random to begin with, so that a cleared cache never brings back an old generation.
    return cache.get_or_set(
        CONTENT_GENERATION_KEY, lambda: secrets.randbelow(2**62) + 1, timeout=None
    )


def content_changed() -> None:
    """Forget every page part rendered so far (something they show has changed)."""
    try:
        cache.incr(CONTENT_GENERATION_KEY)
    except ValueError:
        content_generation()


def cached_page_part(request, name, build):
    """Return `build()`, cached for this site, content generation and `name`."""
    key = (
        f"page:{content_generation()}:{request.scheme}:{request.get_host()}:"
        f"{settings.NEWSROOM_PREVIEW_PARAGRAPHS}:{name}"
    )
    now = time.monotonic()
    recent = _recent_parts.get(key)
    if recent is not None and recent[0] > now:
        return recent[1]
    value = cache.get(key)
    if value is None:
        value = build()
        cache.set(key, value, timeout=settings.NEWSROOM_PUBLIC_CACHE_SECONDS)
    if len(_recent_parts) >= RECENT_PARTS_LIMIT:
        _recent_parts.clear()
    _recent_parts[key] = (now + settings.NEWSROOM_PUBLIC_CACHE_SECONDS, value)
    return value


@dataclass(frozen=True)
class ArticlePage:
    """An article and its page's parts; `rest` must reach only entitled readers."""

    article: Article
    meta: SafeString
    json_ld_full: SafeString
    json_ld_preview: SafeString
    header: SafeString
    preview: SafeString
    rest: SafeString
    tags: SafeString
    asides: SafeString

    def public_parts(self) -> dict:
        """Return the parts any reader may be sent: everything but the rest of the body."""
        return {
            "meta": self.meta,
            "json_ld_full": self.json_ld_full,
            "json_ld_preview": self.json_ld_preview,
            "header": self.header,
            "preview": self.preview,
            "tags": self.tags,
            "asides": self.asides,
        }


def _related_articles(article, *, limit):
    """Return other live articles from the same section or with a tag in common."""
    tag_ids = [tag.pk for tag in article.tags.all()]
    matches = Q(section=article.section_id) if article.section_id else Q()
    if tag_ids:
        matches |= Q(tags__in=tag_ids)
    if not matches:
        return []
    return list(
        Article.objects.published()
        .filter(matches)
        .exclude(pk=article.pk)
        .distinct()
        .for_listing()
        .latest_first()[:limit]
    )


def _snapshot(article):
    """Return a copy of `article` without its related objects: quicker out of the cache."""
    return Article(
        **{
            field.attname: getattr(article, field.attname)
            for field in article._meta.concrete_fields
        }
    )


def _build_article_page(request, slug) -> ArticlePage:
    article = (
        Article.objects.select_related("section", "lead_image")
        .prefetch_related(
            Prefetch("bylines", queryset=Byline.objects.select_related("author")),
            "tags",
            "lead_image__renditions",
        )
        .filter(slug=slug)
        .first()
    )
    if article is None:
        raise Http404("No article here.")
    body = render_body(article)
    related = _related_articles(article, limit=3)
    more = list(
        Article.objects.published()
        .exclude(pk__in=[article.pk, *(other.pk for other in related)])
        .for_listing(images=False)
        .latest_first()[:4]
    )
    share_image = article.lead_image and request.build_absolute_uri(
        rendition_url(image=article.lead_image, width=1200)
    )
    context = {
        "article": article,
        "publication_name": settings.NEWSROOM_PUBLICATION_NAME,
        "canonical_url": request.build_absolute_uri(article.get_absolute_url()),
        "share_image_url": share_image,
        "more": more,
        "related": related,
    }
    return ArticlePage(
        article=_snapshot(article),
        meta=render_to_string("articles/includes/article_meta.html", context),
        json_ld_full=json_ld_script(
            article_json_ld(article=article, request=request, full_text=True)
        ),
        json_ld_preview=json_ld_script(
            article_json_ld(article=article, request=request, full_text=False)
        ),
        header=render_to_string("articles/includes/article_header.html", context),
        preview=body.preview,
        rest=body.rest,
        tags=render_to_string("articles/includes/article_tags.html", context),
        asides=render_to_string("articles/includes/article_asides.html", context),
    )


def article_page(request, slug) -> ArticlePage:
    """Return the article at `slug` with its page's parts (drafts too: the view decides)."""
    return cached_page_part(request, f"article:{slug}", lambda: _build_article_page(request, slug))
