"""Sitemaps of every live article and listing page, at a cost that does not grow with the archive.

Articles are listed in blocks of `ArticleSitemap.limit` consecutive ids, newest block first:
`sitemap-articles.xml?p=1` is the block of the newest id, `?p=2` the one before, and so on
down to the block of the oldest live article. A block holds at most `limit` articles, every
live article is in exactly one, and the database finds a block's articles by the primary
key's index. So the index needs only the lowest and highest live ids (no count of the
archive), and a deep page costs what the first one does (no OFFSET). A block may hold fewer
articles than `limit`, or none, where ids went to drafts or to articles since deleted.
"""

import math
from datetime import timedelta

from django.contrib.sitemaps import Sitemap
from django.contrib.sites.shortcuts import get_current_site
from django.core.paginator import EmptyPage, Page, PageNotAnInteger
from django.db.models import Max, Min, OuterRef, Subquery
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.html import escape

from articles.models import Article, Author, Section, Tag


class IdBlockPaginator:
    """Pages of `items` by blocks of `per_page` consecutive ids, the newest block first.

    What Django's sitemap views ask of a paginator (`num_pages`, `page(number)`), without
    counting the items or skipping any with OFFSET.
    """

    def __init__(self, items, per_page):
        self.items = items
        self.per_page = per_page

    @cached_property
    def _blocks(self):
        """Return the blocks of the highest and the lowest id (None, None: no items)."""
        ids = self.items.order_by().aggregate(low=Min("pk"), high=Max("pk"))
        if ids["high"] is None:
            return None, None
        return self._block_of(ids["high"]), self._block_of(ids["low"])

    def _block_of(self, pk):
        return math.ceil(pk / self.per_page)

    @property
    def num_pages(self):
        newest, oldest = self._blocks
        return 1 if newest is None else newest - oldest + 1

    def page(self, number):
        try:
            number = int(number)
        except (TypeError, ValueError) as error:
            raise PageNotAnInteger("That page number is not an integer") from error
        if number < 1 or number > self.num_pages:
            raise EmptyPage("That page contains no results")
        newest, _oldest = self._blocks
        if newest is None:
            return Page([], number, self)  # no live article: an empty first page, as Django's
        block = newest - number + 1
        first_id = (block - 1) * self.per_page + 1
        articles = self.items.filter(pk__gte=first_id, pk__lt=first_id + self.per_page)
        return Page(list(articles.order_by("-pk")), number, self)


class PublishedArticleSitemap(Sitemap):
    def items(self):
        return Article.objects.published().only("slug", "updated_at").latest_first()

    def lastmod(self, article):
        return article.updated_at

    def get_latest_lastmod(self):
        """Return the newest change, by the (status, -updated_at) index: Django's default
        would load every item of every page to find it."""
        return self.items().order_by("-updated_at").values_list("updated_at", flat=True).first()


class ArticleSitemap(PublishedArticleSitemap):
    """Every live article, in blocks of ids (see the module's docstring). In the index, each
    block's lastmod is the newest change of any live article: never older than its own."""

    # Yoast's default: a page is cheap to make and to fetch; Google takes up to 50,000.
    limit = 1000

    @cached_property
    def paginator(self):
        return IdBlockPaginator(self.items(), self.limit)

    @cached_property
    def _address_before_slug(self):
        return reverse("article", kwargs={"slug": "-"}).removesuffix("-/")

    def location(self, article):
        # The article's address (`Article.get_absolute_url`) without a reverse() for each
        # article: that was a third of the time of a sitemap of a thousand.
        return f"{self._address_before_slug}{article.slug}/"


class NewsSitemap(PublishedArticleSitemap):
    """Google News: the articles of the last two days, with their publication date and title."""

    limit = 1000

    def items(self):
        since = timezone.now() - timedelta(days=2)
        return (
            Article.objects.published()
            .filter(published_at__gte=since)
            .only("slug", "headline", "published_at", "updated_at")
            .latest_first()
        )


class ListingSitemap(Sitemap):
    changefreq = "hourly"

    def items(self):
        live = Article.objects.published()
        return [
            reverse("home"),
            *(section.get_absolute_url() for section in Section.objects.all()),
            *(author.get_absolute_url() for author in _with_a_live_article(Author, live)),
            *(tag.get_absolute_url() for tag in _with_a_live_article(Tag, live)),
        ]

    def location(self, path):
        return path


def _with_a_live_article(model, live):
    """Return the authors or tags with a live article among `live`.

    A subquery that stops at its first live article for each, by the index of bylines or tags
    (Exists() let PostgreSQL join every live article of the archive instead).
    """
    through = {Author: "bylines__author", Tag: "tags"}[model]
    first_live = live.filter(**{through: OuterRef("pk")}).order_by().values("pk")[:1]
    return model.objects.alias(a_live_article=Subquery(first_live)).filter(
        a_live_article__isnull=False
    )


SITEMAPS = {"articles": ArticleSitemap, "pages": ListingSitemap}


def sitemap_index_xml(request, sitemaps=SITEMAPS) -> str:
    """Return the index of `sitemaps`: an entry for each page of each, with its lastmod.

    What Django's `sitemaps.views.index` writes, without its template: the entries grow with
    the archive (a thousand for a million articles), and the template engine spent more on
    a hundred of them than the index's queries cost.
    """
    domain = f"{request.scheme}://{get_current_site(request).domain}"
    entries = []
    for section, sitemap_class in sitemaps.items():
        sitemap = sitemap_class()
        address = domain + reverse("sitemap_section", kwargs={"section": section})
        lastmod = sitemap.get_latest_lastmod()
        lastmod = f"<lastmod>{lastmod.isoformat()}</lastmod>" if lastmod else ""
        for page in range(1, sitemap.paginator.num_pages + 1):
            location = escape(address if page == 1 else f"{address}?p={page}")
            entries.append(f"<sitemap><loc>{location}</loc>{lastmod}</sitemap>\n")
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
        f"{''.join(entries)}</sitemapindex>\n"
    )
