import itertools
import json
import re
from html.parser import HTMLParser

import PIL.features
import pytest
from django.conf import settings
from django.core.files.storage import default_storage
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from PIL import Image as PillowImage

from articles.models import Article
from articles.site import pages
from foundation import kept
from tests.factories import (
    make_article,
    make_author,
    make_image,
    make_section,
    make_staff,
    make_tag,
    paragraphs,
)
from tests.media.factories import focal_point_of, picture_with_subject, shows_subject

pytestmark = pytest.mark.django_db


def json_ld_of(html):
    match = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    assert match, "no JSON-LD on the page"
    return json.loads(match.group(1))


@pytest.fixture
def story():
    section = make_section(name="Politics", slug="politics")
    lead = make_image(caption="Crowds outside the town hall", credit="Herald/Ann Lee")
    inline = make_image(caption="The mayor at the Kremlin", credit="Agency/Photographer")
    return make_article(
        headline="Council votes to rebuild the harbour",
        standfirst="A narrow vote ends a decade of argument.",
        section=section,
        authors=[make_author(name="Ann Lee"), make_author(name="Bo Ng")],
        tags=[make_tag(name="Harbour")],
        lead_image=lead,
        access=Article.Access.FREE,
        blocks=[
            ("text", paragraphs(3)),
            ("image", inline),
            ("quote", "We waited ten years for this.", "A fisherman"),
            ("text", "<h2>What happens next</h2>" + paragraphs(3, prefix="Later")),
        ],
    )


def test_article_page_has_the_anatomy_of_an_article(client, story):
    others = [make_article(section=story.section) for _ in range(4)]
    response = client.get(story.get_absolute_url())
    html = response.content.decode()
    assert response.status_code == 200
    assert '<h1 class="article__headline">Council votes to rebuild the harbour</h1>' in html
    assert "A narrow vote ends a decade of argument." in html
    assert re.search(r"By <a[^>]*>Ann Lee</a> and <a[^>]*>Bo Ng</a>", html)
    assert "1 min read" in html
    assert f'<time datetime="{story.published_at.isoformat()}">' in html
    # Lead figure: caption, then "Source: CREDIT"; not lazy.
    lead_figure = re.search(r'<figure class="figure figure--lead".*?</figure>', html, re.S).group()
    assert "Crowds outside the town hall" in lead_figure
    assert "Source: Herald/Ann Lee" in lead_figure
    assert 'loading="lazy"' not in lead_figure
    # Inline figure: caption then the credit in parentheses.
    assert re.search(
        r"The mayor at the Kremlin\s*<span class=\"credit\">\(Agency/Photographer\)</span>", html
    )
    assert "We waited ten years for this." in html and "A fisherman" in html
    assert "<h2>What happens next</h2>" in html
    # More from the publication: read time, headline and excerpt of other articles.
    more = html.split("More from The Daily Newsroom", 1)[1]
    assert any(other.headline in more for other in others)
    assert "min read" in more
    assert any(other.standfirst in more for other in others)


def test_article_page_head_describes_the_article(client, story):
    html = client.get(story.get_absolute_url()).content.decode()
    assert "<title>Council votes to rebuild the harbour · The Daily Newsroom</title>" in html
    assert '<meta name="description" content="A narrow vote ends a decade of argument.">' in html
    assert f'<link rel="canonical" href="http://testserver{story.get_absolute_url()}">' in html
    assert '<meta property="og:image" content="http://testserver/uploads/' in html
    data = json_ld_of(html)
    assert data["@type"] == "NewsArticle"
    assert data["headline"] == story.headline
    assert [author["name"] for author in data["author"]] == ["Ann Lee", "Bo Ng"]
    assert data["isAccessibleForFree"] is True


def test_headline_caption_and_credit_are_escaped_everywhere(client):
    nasty = '</script><script>alert("x")</script>'
    image = make_image(
        caption=f"Caption {nasty}", credit=f'Credit "{nasty}', alt_text=f"Alt {nasty}"
    )
    article = make_article(
        headline=f"Headline {nasty}",
        standfirst=f"Standfirst {nasty}",
        lead_image=image,
        blocks=[("text", paragraphs(3)), ("image", image)],
        access=Article.Access.FREE,
    )
    html = client.get(article.get_absolute_url()).content.decode()
    assert "<script>alert" not in html
    assert "Caption &lt;/script&gt;&lt;script&gt;alert(&quot;x&quot;)" in html  # figcaption
    assert 'alt="Alt &lt;/script&gt;' in html  # attribute
    data = json_ld_of(html)  # still valid JSON, and nothing broke out of the script element
    assert data["headline"] == f"Headline {nasty}"
    # The JSON-LD, and the free page's script that says it was seen: nothing broke out.
    assert html.count("<script") == 2 and html.count('<script src="/static/newsroom/seen.js"') == 1
    assert 'content="Standfirst &lt;/script&gt;' in html


@pytest.mark.parametrize("state", ["draft", "scheduled"])
def test_drafts_and_scheduled_articles_are_404_and_unlisted(client, state):
    section = make_section()
    author = make_author()
    tag = make_tag()
    hidden = make_article(
        headline="Hidden story",
        section=section,
        authors=[author],
        tags=[tag],
        status=Article.Status.DRAFT if state == "draft" else Article.Status.PUBLISHED,
        published_at=timezone.now() + timezone.timedelta(days=2) if state == "scheduled" else None,
    )
    make_article(section=section, authors=[author], tags=[tag])
    assert client.get(hidden.get_absolute_url()).status_code == 404
    for url in [
        reverse("home"),
        section.get_absolute_url(),
        author.get_absolute_url(),
        tag.get_absolute_url(),
    ]:
        response = client.get(url)
        assert response.status_code == 200
        assert "Hidden story" not in response.content.decode(), url


def test_staff_preview_drafts_with_a_note(client, staff_user):
    draft = make_article(headline="Work in progress", status=Article.Status.DRAFT)
    client.force_login(staff_user)
    response = client.get(draft.get_absolute_url())
    assert response.status_code == 200
    assert "only staff can see this page" in response.content.decode()


def test_listing_pages_show_cards(client):
    section = make_section(name="Climate", slug="climate", description="Heat and weather.")
    article = make_article(section=section, lead_image=make_image(), headline="Floods recede")
    for url in [reverse("home"), section.get_absolute_url()]:
        html = client.get(url).content.decode()
        assert "Floods recede" in html
        assert article.standfirst in html
        assert "1 min read" in html


def pagination_of(html):
    """Return the page's pagination: its links by rel, and what it says of the page."""
    nav = re.search(r'<nav class="pagination" aria-label="Pages">(.*?)</nav>', html, re.S)
    if nav is None:
        return None
    links = dict(re.findall(r'<a rel="(prev|next)" href="([^"]*)">', nav.group(1)))
    return links, re.search(r"<span>(.*?)</span>", nav.group(1)).group(1)


@pytest.mark.parametrize("n", [5, 6])
def test_section_pages_go_newer_and_older_without_counting(client, settings, n):
    """Pages of 2: the last page (full or not) has no older page, the one after it is 404."""
    settings.NEWSROOM_ARTICLES_PER_PAGE = 2
    section = make_section()
    articles = [make_article(section=section) for _ in range(n)]  # each older than the last
    url = section.get_absolute_url()
    assert pagination_of(client.get(url).text) == ({"next": "?page=2"}, "Page 1")
    assert pagination_of(client.get(url + "?page=2").text) == (
        {"prev": "?page=1", "next": "?page=3"},
        "Page 2",
    )
    last = client.get(url + "?page=3").text
    assert pagination_of(last) == ({"prev": "?page=2"}, "Page 3")
    assert articles[-1].headline in last and articles[3].headline not in last
    assert client.get(url + "?page=4").status_code == 404


def test_a_section_of_one_page_shows_no_pagination_and_an_empty_one_says_so(client, settings):
    settings.NEWSROOM_ARTICLES_PER_PAGE = 2
    section, empty = make_section(), make_section()
    make_article(section=section)
    make_article(section=section)
    assert pagination_of(client.get(section.get_absolute_url()).text) is None
    page = client.get(empty.get_absolute_url())
    assert page.status_code == 200 and "Nothing published here yet." in page.text
    assert client.get(empty.get_absolute_url() + "?page=2").status_code == 404


def test_listings_never_count_the_archive(client, settings):
    """A count of a section's, author's or tag's articles (or of the corrections) reads more
    rows as the archive grows: the pages know an older page follows by one row more."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from articles.corrections import correction_save
    from articles.models import Correction
    from tests.articles.admin.posting import member_of

    settings.NEWSROOM_ARTICLES_PER_PAGE = 2
    section, tag, author = make_section(), make_tag(), make_author()
    articles = [make_article(section=section, tags=[tag], authors=[author]) for _ in range(5)]
    editor = member_of("Editor")
    for article in articles:
        correction_save(correction=Correction(article=article, text="A date."), by=editor)
    pages = [
        section.get_absolute_url(),
        author.get_absolute_url() + "?page=2",
        tag.get_absolute_url() + "?page=3",
        reverse("corrections") + "?page=2",
    ]
    for path in pages:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(path)
        assert response.status_code == 200, path
        assert "Older" in response.text or "Newer" in response.text, path
        assert not any("COUNT(" in query["sql"].upper() for query in queries), path


@pytest.mark.parametrize("page", ["oops", "0", "4", "99999999", "1%00", "١"])
def test_a_page_number_that_is_not_a_page_is_refused_and_caches_nothing(client, settings, page):
    """Cached lists are keyed by the page number: nothing else may make a key."""
    from django.core.cache import cache

    settings.NEWSROOM_ARTICLES_PER_PAGE = 2
    section = make_section()
    for _ in range(5):
        make_article(section=section)
    client.get(section.get_absolute_url())
    shows_keys = isinstance(cache._cache if hasattr(cache, "_cache") else None, dict)
    keys_before = set(cache._cache) if shows_keys else set()
    # A NUL is refused before any view reads it (newsroom.request_input): 400, not 404.
    expected = 400 if "%00" in page else 404
    assert client.get(section.get_absolute_url() + f"?page={page}").status_code == expected
    if shows_keys:  # the local-memory cache shows its keys; on Redis the status is checked
        assert set(cache._cache) == keys_before


def test_unknown_pages_are_404_with_the_site_layout(client):
    response = client.get("/articles/no-such-thing/")
    assert response.status_code == 404
    assert "We can’t find that page" in response.content.decode()


def _populate(n, section, tag):
    authors = [make_author(), make_author()]
    for _ in range(n):
        image = make_image()
        make_article(
            section=section,
            authors=authors,
            tags=[tag],
            lead_image=image,
            blocks=[("text", paragraphs(4)), ("image", image), ("text", paragraphs(4))],
        )


@pytest.mark.parametrize("n", [2, 12])
def test_query_counts_do_not_grow_with_the_site(client, django_assert_max_num_queries, n):
    section = make_section()
    tag = make_tag()
    _populate(n, section, tag)
    article = Article.objects.latest_first().first()
    with django_assert_max_num_queries(8):
        client.get(reverse("home"))
    with django_assert_max_num_queries(8):
        client.get(section.get_absolute_url())
    with django_assert_max_num_queries(8):
        client.get(tag.get_absolute_url())
    # The article page, first with its body (and its corrections) not yet rendered, then from
    # the cache. Its related articles cost a query for the section and one for each of its
    # tags (here one), each bounded by an index (`articles.site.pages._related_articles`); its
    # head, what a card shows of it (byline and tags: lists move only when that changes) and
    # its slug's pointer are loaded once, then kept.
    with django_assert_max_num_queries(24):
        client.get(article.get_absolute_url())
    with django_assert_max_num_queries(12):
        client.get(article.get_absolute_url())


def test_server_errors_get_a_page_that_needs_nothing_from_the_database(client, settings):
    from django.template.loader import render_to_string

    html = render_to_string("500.html")  # rendered without a request, as Django's handler does
    assert "Something went wrong on our side" in html and 'href="/"' in html


def test_the_front_page_ranks_sections_among_a_bounded_slice_of_the_newest(client, monkeypatch):
    """The cost of the front page must not grow with the archive."""
    from articles.site import views

    monkeypatch.setattr(views, "HOME_LATEST", 1)
    monkeypatch.setattr(views, "HOME_CANDIDATES", 3)
    old_section = make_section(name="Archive desk")
    make_article(section=old_section, published_at=timezone.now() - timezone.timedelta(days=90))
    for hours in range(3):  # newer, whatever the factory's running count has reached
        make_article(published_at=timezone.now() - timezone.timedelta(hours=hours))
    page = client.get(reverse("home")).content.decode()
    assert "Archive desk" not in page.split("<main")[1]


def _queries_of_every_page(client, subscriber_client, *, section, tag, author, articles):
    """Return the SQL queries of each public page, on a cold cache and then a warm one."""
    from django.core.cache import cache
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    newest = articles.latest_first()
    metered = newest.filter(access=Article.Access.METERED).first()
    subscribers_only = newest.filter(access=Article.Access.SUBSCRIBERS).first()
    pages = {
        "home": (client, reverse("home")),
        "section": (client, section.get_absolute_url()),
        "section page 2": (client, section.get_absolute_url() + "?page=2"),
        "author": (client, author.get_absolute_url()),
        "tag": (client, tag.get_absolute_url()),
        "preview": (client, subscribers_only.get_absolute_url()),
        "metered, first visit": (client, metered.get_absolute_url()),
        "subscriber": (subscriber_client, subscribers_only.get_absolute_url()),
        "feed": (client, reverse("feed")),
        "atom feed": (client, reverse("feed_atom")),
        "section feed": (client, reverse("section_feed", args=[section.slug])),
        "sitemap index": (client, reverse("sitemap")),
        "sitemap of articles": (client, reverse("sitemap_section", args=["articles"])),
        "sitemap of pages": (client, reverse("sitemap_section", args=["pages"])),
        "news sitemap": (client, reverse("news_sitemap")),
        "search": (client, reverse("search") + "?q=harbour"),
    }
    counts = {}
    for warmth in ("cold", "warm"):
        if warmth == "cold":
            cache.clear()
        for name, (reader, path) in pages.items():
            with CaptureQueriesContext(connection) as queries:
                response = reader.get(path)
            assert response.status_code == 200, (name, response.status_code)
            counts[f"{name}, {warmth}"] = len(queries)
    return counts


def test_no_page_makes_more_queries_for_a_bigger_site(client, settings):
    """Every public page costs as many queries with 30 articles as with 10 (pagination, cards,
    bylines, tags, feeds, sitemaps and search alike), whether its parts are cached or not.

    10, not fewer: below that some lists are empty, and an empty list skips the queries that
    fetch its cards' bylines and pictures."""
    from django.test import Client

    from tests.subscriptions.factories import make_reader, make_subscription

    settings.NEWSROOM_ARTICLES_PER_PAGE = 4  # a second page of 10 articles
    section, tag = make_section(), make_tag()
    authors = [make_author(), make_author()]
    image = make_image()
    subscriber = make_reader()
    make_subscription(user=subscriber)
    subscriber_client = Client()
    subscriber_client.force_login(subscriber)

    def add(n):
        for number in range(n):
            make_article(
                headline=f"Harbour story {number}",
                section=section,
                authors=authors,
                tags=[tag],
                lead_image=image,
                access=[Article.Access.METERED, Article.Access.SUBSCRIBERS][number % 2],
                blocks=[("text", paragraphs(3)), ("image", image), ("text", paragraphs(3))],
            )

    add(10)
    measure = {
        "section": section,
        "tag": tag,
        "author": authors[0],
        "articles": Article.objects.published(),
    }
    few = _queries_of_every_page(client, subscriber_client, **measure)
    add(20)
    many = _queries_of_every_page(client, subscriber_client, **measure)
    assert many == few


def test_the_sitemap_index_is_made_once_per_change_to_what_is_published(
    client, django_assert_num_queries
):
    make_article()
    first = client.get(reverse("sitemap"))
    assert first.status_code == 200 and b"sitemap-articles.xml" in first.content
    with django_assert_num_queries(0):
        again = client.get(reverse("sitemap"))
    assert again.content == first.content
    assert again["X-Robots-Tag"] == first["X-Robots-Tag"]
    make_article(published_at=timezone.now())  # newer than every other: a new lastmod
    changed = client.get(reverse("sitemap"))
    assert changed.content != first.content


# Listing pages: headings in order, dated cards, the front page's lead picture ----------------


class Outline(HTMLParser):
    """The levels of a page's headings, in the order they come."""

    def __init__(self):
        super().__init__()
        self.levels = []

    def handle_starttag(self, tag, attrs):
        if re.fullmatch(r"h[1-6]", tag):
            self.levels.append(int(tag[1]))


EARLIER = timezone.timedelta(days=10)


def heading_levels(html):
    outline = Outline()
    outline.feed(html)
    return outline.levels


@pytest.fixture
def listed(story):
    """A live article in a section, by an author, with a tag and a correction, and older ones
    enough for the front page to show section blocks under its latest stories."""
    from articles.corrections import correction_save
    from articles.models import Correction

    sport, picture = make_section(name="Sport", slug="sport"), make_image()
    for _ in range(8):
        make_article(section=sport, lead_image=picture, published_at=timezone.now() - EARLIER)
    correction_save(
        correction=Correction(article=story, text="The vote was 7 to 6."),
        by=make_staff(is_superuser=True),
    )
    return story


def listing_urls(story):
    return [
        reverse("home"),
        story.section.get_absolute_url(),
        story.bylines.first().author.get_absolute_url(),
        story.tags.first().get_absolute_url(),
        reverse("search") + "?q=harbour",
        reverse("corrections"),
    ]


def test_listing_pages_never_skip_a_heading_level(client, listed):
    for url in listing_urls(listed):
        html = client.get(url).content.decode()
        levels = heading_levels(html)
        assert levels[0] == 1, url
        assert levels.count(1) == 1, url
        skips = [(a, b) for a, b in itertools.pairwise(levels) if b > a + 1]
        assert not skips, f"{url} goes from h{skips[0][0]} to h{skips[0][1]}: {levels}"
        assert "Council votes to rebuild the harbour" in html, url


def test_cards_show_the_articles_date(client, listed):
    date = f'<time datetime="{listed.published_at.isoformat()}">'
    for url in listing_urls(listed)[:-1]:  # the corrections list dates its corrections
        html = client.get(url).content.decode()
        cards = re.findall(r'<article class="card[^"]*">.*?</article>', html, re.S)
        (card,) = [card for card in cards if "Council votes" in card]
        assert date in card, url


def test_the_front_pages_lead_picture_loads_at_once(client, listed):
    html = client.get(reverse("home")).content.decode()
    lead = re.search(r'<article class="card card--lead">.*?</article>', html, re.S).group()
    img = re.search(r"<img [^>]*>", lead).group()
    assert 'fetchpriority="high"' in img and 'loading="lazy"' not in img
    # Every other picture on the page still waits until it is near the screen.
    others = re.findall(r"<img [^>]*>", html.replace(lead, ""))
    assert others and all('loading="lazy"' in other for other in others)


# Pictures cropped around their focal point: the card's and the shared link's.

PICTURE, SUBJECT = (2000, 800), (1850, 0, 2000, 150)  # a crimson square in the top-right corner


def meta_tags(html):
    return dict(re.findall(r'<meta (?:property|name)="([^"]+)" content="([^"]*)">', html))


def stored_picture(url):
    """Open the stored file behind a picture's address on the site."""
    name = re.sub(r"^(https?://testserver)?" + re.escape(settings.MEDIA_URL), "", url)
    with default_storage.open(name) as stored:
        picture = PillowImage.open(stored)
        picture.load()
    return picture


def card_picture(html, headline):
    (card,) = [
        card
        for card in re.findall(r'<article class="card[^"]*">.*?</article>', html, re.S)
        if headline in card
    ]
    return re.search(r'<img src="([^"]+)"', card).group(1)


def test_a_shared_link_shows_the_crop_around_the_focal_point(client, django_user_model):
    image = make_image(
        data=picture_with_subject(size=PICTURE, subject=SUBJECT), alt_text="A kite over the dunes"
    )
    article = make_article(headline="Kites return", lead_image=image, access=Article.Access.FREE)
    other = make_article(
        headline="Ferry timetable", lead_image=make_image(), access=Article.Access.FREE
    )
    other_page = client.get(other.get_absolute_url()).content.decode()
    other_version = kept.read(pages.HEAD, other.pk).version

    tags = meta_tags(client.get(article.get_absolute_url()).content.decode())
    assert tags["twitter:card"] == "summary_large_image"
    assert tags["og:image"].startswith("http://testserver/")
    assert tags["twitter:image"] == tags["og:image"]
    assert (tags["og:image:width"], tags["og:image:height"]) == ("1200", "630")
    assert tags["og:image:alt"] == tags["twitter:image:alt"] == "A kite over the dunes"
    shared = stored_picture(tags["og:image"])
    assert shared.size == (1200, 630)
    assert not shows_subject(shared)  # around the centre, the kite is cut off
    assert not shows_subject(
        stored_picture(card_picture(client.get("/").content.decode(), "Kites"))
    )

    # A journalist clicks on the kite in the picture's page, and saves.
    editor = django_user_model.objects.create_superuser(email="ed@example.com", password="pw")
    desk = Client()
    desk.force_login(editor)
    x, y = focal_point_of(SUBJECT, PICTURE)
    response = desk.post(
        reverse("admin:media_image_change", args=[image.pk]),
        {
            "alt_text": image.alt_text,
            "caption": image.caption,
            "credit": image.credit,
            "focal_x": f"{x:.3f}",
            "focal_y": f"{y:.3f}",
        },
    )
    assert response.status_code == 302

    # Readers see the new crop at once, in the shared link and on the cards.
    after = meta_tags(client.get(article.get_absolute_url()).content.decode())
    assert after["og:image"] != tags["og:image"]
    assert (after["og:image:width"], after["og:image:height"]) == ("1200", "630")
    assert shows_subject(stored_picture(after["og:image"]))
    assert shows_subject(stored_picture(card_picture(client.get("/").content.decode(), "Kites")))
    # The page of an article that does not show the picture was not made again.
    assert kept.read(pages.HEAD, other.pk).version == other_version
    assert client.get(other.get_absolute_url()).content.decode() == other_page


def test_cards_draw_the_3_by_2_crop_with_its_sources(client, avif):
    image = make_image(data=picture_with_subject(size=PICTURE, subject=SUBJECT))
    make_article(headline="Kites return", lead_image=image, access=Article.Access.FREE)
    card = image.renditions.filter(crop="card")

    html = client.get("/").content.decode()

    lead = re.search(r'<article class="card card--lead">.*?</article>', html, re.S).group()
    assert card.get(width=1200, format="jpeg").file.url in lead
    for tag in re.findall(r"<(?:img|source) [^>]*srcset=[^>]*>", lead):
        assert 'sizes="' in tag
        assert all("-card-" in url for url in re.findall(r"(\S+) \d+w", tag))
    # AVIF first where this Pillow writes it, then WebP, then the JPEG of the <img>.
    types = re.findall(r'<source type="([^"]+)"', lead)
    assert types == (["image/avif"] if PIL.features.check("avif") else []) + ["image/webp"]


def test_every_picture_with_a_srcset_says_its_sizes_and_the_largest_paint_is_not_lazy(
    client, story
):
    html = client.get(story.get_absolute_url()).content.decode()

    tags = re.findall(r"<(?:img|source) [^>]*srcset=[^>]*>", html)
    assert tags and all('sizes="' in tag for tag in tags)
    lead = re.search(r'<figure class="figure figure--lead">.*?</figure>', html, re.S).group()
    img = re.search(r"<img [^>]*>", lead).group()
    assert 'fetchpriority="high"' in img and 'loading="lazy"' not in img
