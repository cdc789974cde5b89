from django.contrib.sitemaps import views as sitemap_views
from django.urls import path

from . import feeds, views
from .pages import follows_the_schedule
from .sitemaps import SITEMAPS, NewsSitemap

urlpatterns = [
    # First: Django tries the patterns in order, and each one missed costs the busiest page.
    path("articles/<slug:slug>/", views.article_detail, name="article"),
    path("", views.home, name="home"),
    path("articles/<slug:slug>/seen", views.article_seen, name="article_seen"),
    path("search/", views.search, name="search"),
    path("section/<slug:slug>/", views.section_detail, name="section"),
    path(
        "section/<slug:slug>/feed.rss",
        follows_the_schedule(feeds.SectionFeed()),
        name="section_feed",
    ),
    path(
        "section/<slug:slug>/feed.atom",
        follows_the_schedule(feeds.SectionAtomFeed()),
        name="section_feed_atom",
    ),
    path("authors/<slug:slug>/", views.author_detail, name="author"),
    path("tags/<slug:slug>/", views.tag_detail, name="tag"),
    path("articles/<slug:slug>/gift/", views.article_gift_create, name="article_gift_create"),
    path("gift/<slug:token>/", views.article_gift, name="article_gift"),
    path("preview/<slug:token>/", views.article_preview_link, name="article_preview_link"),
    path("corrections/", views.corrections, name="corrections"),
    path("account/gifts/", views.gifts_sent, name="gifts_sent"),
    path("account/gifts/<int:pk>/withdraw/", views.gift_withdraw, name="gift_withdraw"),
    path("feed.rss", follows_the_schedule(feeds.LatestArticlesFeed()), name="feed"),
    path("feed.atom", follows_the_schedule(feeds.LatestArticlesAtomFeed()), name="feed_atom"),
    # A reader's own feed: the token is its key, and is masked in every log (newsroom.request_log).
    path("feed/private/<slug:token>.rss", feeds.private_feed, name="private_feed"),
    # An index of sitemaps, each of at most `limit` addresses: every article of any archive.
    path("sitemap.xml", follows_the_schedule(views.sitemap_index), name="sitemap"),
    path(
        "sitemap-<section>.xml",
        follows_the_schedule(sitemap_views.sitemap),
        {"sitemaps": SITEMAPS, "template_name": "sitemaps/sitemap.xml"},
        name="sitemap_section",
    ),
    path(
        "news-sitemap.xml",
        follows_the_schedule(sitemap_views.sitemap),
        {"sitemaps": {"news": NewsSitemap}, "template_name": "sitemaps/news.xml"},
        name="news_sitemap",
    ),
]
