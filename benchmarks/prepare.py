"""Pick the benchmark's pages and readers, count their queries; print them as JSON.

Run by `benchmarks/run.py` as `manage.py shell -c "from benchmarks.prepare import main; main()"`
in its environment (the bench settings and
database, the same SECRET_KEY as gunicorn), after `seed_demo`. Sessions are made with
`Client.force_login`, the meter cookie by reading articles with the test client: the site's own
code writes both, so nothing here repeats its cookie or session format.
"""

import json
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from articles.models import Article
from articles.site.sitemaps import ArticleSitemap
from subscriptions.meter import meter_period
from subscriptions.models import MeteredRead

HOST = "127.0.0.1"
BACKEND = "subscriptions.backends.ReaderBackend"


def client(cookie: str = "") -> Client:
    """Return a test client for 127.0.0.1 sending `cookie` (a Cookie header)."""
    test_client = Client(HTTP_HOST=HOST)
    for pair in filter(None, cookie.split("; ")):
        name, value = pair.split("=", 1)
        test_client.cookies[name] = value
    return test_client


def cookie_header(test_client: Client) -> str:
    return "; ".join(f"{name}={morsel.value}" for name, morsel in test_client.cookies.items())


def logged_in(email: str, path: str) -> str:
    """Return the Cookie header of `email`'s new session, after one visit to `path`.

    The visit records the read of a metered article (so the next ones re-read it) and gets the
    CSRF cookie a browser would send back.
    """
    test_client = client()
    test_client.force_login(get_user_model().objects.get(email__iexact=email), backend=BACKEND)
    test_client.get(path)
    return cookie_header(test_client)


def used_up_meter(paths: list[str]) -> str:
    """Return the Cookie header of an anonymous reader who has read `paths` in full."""
    test_client = client()
    for path in paths:
        test_client.get(path)
    return cookie_header(test_client)


def count_queries(path: str, cookie: str) -> int:
    """Return the SQL queries of one request, after one that fills the caches."""
    for _ in range(2):
        with CaptureQueriesContext(connection) as queries:
            client(cookie).get(path)
    return len(queries)


def paywalled_article() -> Article | None:
    """Return the subscribers-only article whose preview and full text the benchmark reads."""
    published = Article.objects.published().latest_first()
    return published.filter(access=Article.Access.SUBSCRIBERS).first()


def main() -> None:
    published = Article.objects.published().latest_first()
    subscribers = paywalled_article()
    free = published.filter(access=Article.Access.FREE).first()
    metered = list(published.filter(access=Article.Access.METERED))
    allowance = settings.NEWSROOM_METER_ANONYMOUS
    if not (subscribers and free and len(metered) > allowance):
        raise SystemExit(f"Need a subscribers-only, a free and {allowance + 1} metered articles.")
    reader = get_user_model().objects.get(email__iexact="reader@example.com")
    already = set(
        MeteredRead.objects.filter(user=reader, period=meter_period()).values_list(
            "article_id", flat=True
        )
    )
    reread = next((a for a in metered if a.pk in already), metered[0]).get_absolute_url()
    preview, first = subscribers.get_absolute_url(), metered[0].get_absolute_url()
    used_up = used_up_meter([a.get_absolute_url() for a in metered[:allowance]])
    section = published.exclude(section=None).first().section
    word = max(published.first().headline.split(), key=len).strip(",.:;'\"")
    scenarios = [
        # key, title, path, Cookie header, expected Cache-Control, expected body
        ("fixed", "Fixed string (baseline)", "/bench/fixed/", "", "public", None),
        ("home", "Home page", "/", "", "public", None),
        ("section", "Section page", f"/section/{section.slug}/", "", "public", None),
        ("preview", "Subscribers-only article, preview", preview, "", "public", "prompt"),
        ("meter_used_up", "Metered article, meter used up", metered[allowance].get_absolute_url(),
         used_up, "private", "prompt"),
        ("meter_first", "Metered article, first visit", first, "", "private", "full text"),
        ("free", "Free article, no cookies", free.get_absolute_url(), "", "public", "full text"),
        ("reader", "Metered article, registered reader re-reading", reread,
         logged_in("reader@example.com", reread), "private", "full text"),
        ("subscriber", "Subscribers-only article, subscriber", preview,
         logged_in("subscriber@example.com", preview), "private", "full text"),
        ("feed", "RSS feed", "/feed.rss", "", "public", None),
        ("sitemap", "Sitemap", "/sitemap.xml", "", "public", None),
        ("search", "Search", "/search/?" + urlencode({"q": word}), "", "public", None),
        # A word in a good share of any archive (the demo's and `seed_archive`'s alike).
        ("search_common", "Search, a common word", "/search/?q=harbour", "", "public", None),
    ]  # fmt: skip
    deep = 10  # a page of an archive's section: the tenth, offset by 9 pages of cards
    if published.filter(section=section).count() > deep * settings.NEWSROOM_ARTICLES_PER_PAGE:
        path = f"/section/{section.slug}/?page={deep}"
        scenarios.append(("section_deep", f"Section page {deep}", path, "", "public", None))
    # The deepest sitemap of articles: at least as costly as the first, whatever the archive.
    deepest = ArticleSitemap().paginator.num_pages
    path = "/sitemap-articles.xml" + (f"?p={deepest}" if deepest > 1 else "")
    scenarios.append(("sitemap_deep", "Sitemap of the oldest articles", path, "", "public", None))
    keys = ("key", "title", "path", "cookie", "cache", "body")
    pages = [dict(zip(keys, scenario, strict=True)) for scenario in scenarios]
    for page in pages:
        page["queries"] = count_queries(page["path"], page["cookie"])
    if connection.vendor == "postgresql":
        database = f"PostgreSQL {connection.pg_version // 10000}.{connection.pg_version % 10000}"
    else:
        database = f"{connection.display_name} {connection.Database.sqlite_version}"
    print(json.dumps({"database": database, "scenarios": pages}))
