from datetime import timedelta

from django.contrib.sitemaps import Sitemap
from django.urls import reverse
from django.utils import timezone

from .models import Article, Author, Section, Tag


class ArticleSitemap(Sitemap):
    limit = 5000

    def items(self):
        return Article.objects.published().only("slug", "updated_at").latest_first()

    def lastmod(self, article):
        return article.updated_at


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
        live = Article.objects.published().values("pk")
        return [
            reverse("home"),
            *(section.get_absolute_url() for section in Section.objects.all()),
            *(
                author.get_absolute_url()
                for author in Author.objects.filter(articles__in=live).distinct()
            ),
            *(tag.get_absolute_url() for tag in Tag.objects.filter(articles__in=live).distinct()),
        ]

    def location(self, path):
        return path


SITEMAPS = {"articles": ArticleSitemap, "pages": ListingSitemap}
