"""RSS and Atom feeds, and each reader's private feed.

The public feeds carry the headline and the standfirst only, never body text. A reader's
private feed (`private_feed`) carries each article's body as the paywall gives it to that
reader at the time of the request: in full, or the public part, the cut and an invitation.

Feed readers render an item's description (RSS) and summary (Atom, `type="html"`) as HTML,
so every text that goes there is escaped first: what a journalist typed arrives as text.
"""

import re

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.core.cache import caches
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.utils.feedgenerator import Atom1Feed, Rss201rev2Feed
from django.utils.html import escape
from django.utils.http import urlencode

from articles.models import Article, Section
from foundation import kept, rates
from subscriptions.paywall import build_reader_for_user, decide_article_access
from subscriptions.private_feeds import private_feed_lookup
from subscriptions.readers import reader_keys

from .pages import article_parts, article_variants, feed_entries, page_keys

FEED_LENGTH = 30


def _feed_items(articles):
    return (
        articles.published()
        .select_related("section")
        .prefetch_related("bylines__author")
        .latest_first()[:FEED_LENGTH]
    )


class LatestArticlesFeed(Feed):
    def title(self):
        return settings.NEWSROOM_PUBLICATION_NAME

    def link(self):
        return reverse("home")

    def description(self):
        return escape(f"The latest from {settings.NEWSROOM_PUBLICATION_NAME}.")

    def items(self):
        return _feed_items(Article.objects.all())

    def item_title(self, item):
        return item.headline

    def item_description(self, item):
        return escape(item.standfirst)

    def item_pubdate(self, item):
        return item.published_at

    def item_updateddate(self, item):
        return item.updated_at

    def item_author_name(self, item):
        return ", ".join(author.name for author in item.byline_authors) or None

    def item_categories(self, item):
        return [item.section.name] if item.section_id else []


class LatestArticlesAtomFeed(LatestArticlesFeed):
    feed_type = Atom1Feed
    subtitle = LatestArticlesFeed.description


class SectionFeed(LatestArticlesFeed):
    def get_object(self, request, slug):
        return get_object_or_404(Section, slug=slug)

    def title(self, section):
        return f"{section.name} · {settings.NEWSROOM_PUBLICATION_NAME}"

    def link(self, section):
        return section.get_absolute_url()

    def description(self, section):
        return escape(section.description or f"The latest {section.name} articles.")

    def items(self, section):
        return _feed_items(Article.objects.in_section(section))


class SectionAtomFeed(SectionFeed):
    feed_type = Atom1Feed
    subtitle = SectionFeed.description


# A reader's private feed ---------------------------------------------------------------------

# How often feed readers are asked to look again, in minutes (RSS `ttl`).
PRIVATE_FEED_TTL = 30
HOUR = 60 * 60


class FullTextRssFeed(Rss201rev2Feed):
    """RSS 2.0 with each item's body in `content:encoded` (the RSS content module), where feed
    readers look for an article's text; the description keeps the standfirst."""

    def rss_attributes(self):
        return super().rss_attributes() | {
            "xmlns:content": "http://purl.org/rss/1.0/modules/content/"
        }

    def add_item_elements(self, handler, item):
        super().add_item_elements(handler, item)
        handler.addQuickElement("content:encoded", item["content_encoded"])


SITE_URL = re.compile(r'\b(src|href)="(/(?!/)[^"]*)"')
SRCSET = re.compile(r'\bsrcset="([^"]*)"')


def absolute_urls(html: str, *, base: str) -> str:
    """Return `html` with the site's own addresses (links, pictures and their sources) made
    absolute from `base` (scheme and host): a feed reader resolves a relative address against
    the feed's, or not at all."""

    def candidate(text):
        text = text.strip()
        return base + text if text.startswith("/") and not text.startswith("//") else text

    html = SITE_URL.sub(lambda match: f'{match[1]}="{base}{match[2]}"', html)
    return SRCSET.sub(
        lambda match: 'srcset="' + ", ".join(map(candidate, match[1].split(","))) + '"', html
    )


def _private(response):
    """Keep a private feed's answer from shared caches, search engines and referrers: the
    address is the key to a reader's feed."""
    patch_cache_control(response, private=True, max_age=0)
    response["X-Robots-Tag"] = "noindex"
    response["Referrer-Policy"] = "no-referrer"
    return response


def _plain(text, *, status, retry_after=None):
    # Plain text, not the site's pages: those link to log-in with the address they were
    # asked for, which would put it in another request's address.
    response = HttpResponse(text, status=status, content_type="text/plain; charset=utf-8")
    if retry_after:
        response["Retry-After"] = str(retry_after)
    return _private(response)


def private_feed(request, token):
    """Serve a reader's private feed: the newest articles as the paywall gives them to its owner
    now, in full while they are entitled, otherwise the public part, the cut and an invitation.

    It never spends a read, no shared cache keeps it and nothing indexes it or passes its
    address on. An address that finds no feed (never made, or made anew since) is a 404 that
    says no more; each feed is fetched at most `NEWSROOM_PRIVATE_FEED_FETCHES_PER_HOUR` times an
    hour, and a client finds no feed at most `NEWSROOM_PRIVATE_FEED_MISSES_PER_HOUR` times.
    """
    feed = private_feed_lookup(token=token)
    if feed is None:
        limit = settings.NEWSROOM_PRIVATE_FEED_MISSES_PER_HOUR
        over = rates.address_over_rate(
            request, name="private-feed-miss", limit=limit, per_seconds=HOUR
        )
        return _too_many() if over else _plain("No feed at this address.\n", status=404)
    # Counted under the address's hash: the cache never holds the token.
    key = f"newsroom:rate:private-feed:{feed.token_hash[:32]}"
    limit = settings.NEWSROOM_PRIVATE_FEED_FETCHES_PER_HOUR
    if rates.count(key, HOUR, caches["throttles"]) > limit:
        return _too_many()
    # The page's keys and the owner's in one round trip to the cache.
    fetched = kept.fetch([*page_keys(), *reader_keys(feed.user_id)])
    reader = build_reader_for_user(user=feed.user, fetched=fetched)
    entries = feed_entries(request, limit=FEED_LENGTH, fetched=fetched)
    variants = [
        _variant(decide_article_access(article=entry.head, reader=reader)) for entry in entries
    ]
    bodies = article_variants(
        request,
        [(entry.head, variant) for entry, variant in zip(entries, variants, strict=True)],
        lambda head, variant: _entry_body(request, head, variant),
    )
    response = HttpResponse(content_type=FullTextRssFeed.content_type)
    _private_rss(request, entries, bodies).write(response, "utf-8")
    return _private(response)


def _too_many():
    return _plain("Too many requests. Try again later.\n", status=429, retry_after=HOUR)


def _private_rss(request, entries, bodies) -> FullTextRssFeed:
    """Return the feed of `entries`, each with its body as its reader may read it."""
    rss = FullTextRssFeed(
        title=f"{settings.NEWSROOM_PUBLICATION_NAME}: your private feed",
        link=request.build_absolute_uri(reverse("home")),
        description=escape(
            f"The latest from {settings.NEWSROOM_PUBLICATION_NAME}, as you may read it on the site."
        ),
        language=settings.LANGUAGE_CODE,
        ttl=PRIVATE_FEED_TTL,
    )
    for entry, body in zip(entries, bodies, strict=True):
        url = request.build_absolute_uri(reverse("article", kwargs={"slug": entry.head.slug}))
        rss.add_item(
            title=entry.head.headline,
            link=url,
            unique_id=url,
            unique_id_is_permalink=True,
            description=escape(entry.standfirst),
            content_encoded=body,
            pubdate=entry.head.published_at,
            updateddate=entry.head.updated_at,
            author_name=", ".join(entry.authors) or None,
            categories=[entry.section] if entry.section else [],
        )
    return rss


def _variant(decision) -> str:
    """Name what an entry shows a reader with `decision`: the whole body, or the preview with
    the invitation that goes with the decision's reason."""
    return "full" if decision.granted else f"preview-{decision.reason}"


def _entry_body(request, head, variant) -> str:
    """Return the HTML of the article `head` as its `variant` shows it, from the article page's
    own cached parts: the rest of the body only in the "full" variant."""
    parts = article_parts(request, head)
    article_url = reverse("article", kwargs={"slug": head.slug})
    if variant == "full":
        html = parts["preview"] + parts["rest"]
    else:
        context = {
            "reason": variant.removeprefix("preview-"),
            "article_url": article_url,
            "subscribe_url": f"{reverse('subscribe')}?{urlencode({'next': article_url})}",
            "publication_name": settings.NEWSROOM_PUBLICATION_NAME,
        }
        invitation = render_to_string("articles/includes/feed_invitation.html", context)
        html = parts["preview"] + invitation
    return absolute_urls(html, base=request.build_absolute_uri("/").rstrip("/"))
