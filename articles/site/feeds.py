"""RSS and Atom feeds. They carry the headline and the standfirst only, never body text.

Feed readers render an item's description (RSS) and summary (Atom, `type="html"`) as HTML,
so every text that goes there is escaped first: what a journalist typed arrives as text.
"""

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.html import escape

from articles.models import Article, Section

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
