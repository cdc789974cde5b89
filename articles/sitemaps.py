from datetime import timedelta

from django.contrib.sitemaps import Sitemap
from django.db.models import Exists, OuterRef
from django.urls import reverse
from django.utils import timezone

from .models import Article, Author, Section, Tag


class ArticleSitemap(Sitemap):
    limit = 5000

    def items(self):
        return Article.objects.published().only("slug", "updated_at").latest_first()

    def lastmod(self, article):
        return article.updated_at

    def get_latest_lastmod(self):
        """Return the newest change, by the (status, -updated_at) index: Django's default
        would load every item of every page to find it."""
        return self.items().order_by("-updated_at").values_list("updated_at", flat=True).first()


class NewsSitemap(ArticleSitemap):
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
        # Exists, not a join: each author or tag stops at its first live article, whatever
        # the size of the archive.
        live = Article.objects.published()
        authors = Author.objects.filter(Exists(live.filter(bylines__author=OuterRef("pk"))))
        tags = Tag.objects.filter(Exists(live.filter(tags=OuterRef("pk"))))
        return [
            reverse("home"),
            *(section.get_absolute_url() for section in Section.objects.all()),
            *(author.get_absolute_url() for author in authors),
            *(tag.get_absolute_url() for tag in tags),
        ]

    def location(self, path):
        return path


SITEMAPS = {"articles": ArticleSitemap, "pages": ListingSitemap}
