"""The parts of public pages that are the same for every reader, rendered once and reused.

Caches follow versions, never time, and never decide anything:

- An article's *head* (id, slug, headline, access level, status, its times, a version, and what
  a card shows of it) is what the access decision and the 404 rule read: a kept value
  (`foundation.kept`, `HEAD`), set from the committed rows after every change to the article or one
  of its parts, and repaired if the cache missed it. A slug's kept value (`SLUG`) only points
  to an article; the head it points to must carry that slug.
- An article's own parts (head tags, header, body halves, tags) are keyed by its version, so
  they never need expiring; "More from" and related cards by the listing generation.
- The listing generation moves only when what a list or card shows of an article changes
  (`ArticleHead.card`: headline, standfirst, picture, section, byline, tags, times, access, and
  whether it is listed) and when the next scheduled change comes (an article's publish time, or
  its unpublish time): the listing state carries that time, so a scheduled article joins the
  lists, and a taken-down one leaves them, at its minute whoever asks first. A body edit
  renders that article's page again and nothing else.
- Sections, authors and tags appear on every page: changing one moves the site generation.

The CDN's lifetime (`NEWSROOM_PUBLIC_CACHE_SECONDS`) is a separate knob, applied in
`newsroom.middleware`, which never lets it run past the next scheduled change a page knows of
(`note_page_changes_at`): the listing state's next change, an article's own times.
"""

import dataclasses
import hashlib
import logging
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import wraps
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.core.paginator import EmptyPage, PageNotAnInteger
from django.db.models import F, IntegerField, Prefetch, Value
from django.http import Http404
from django.middleware.csrf import get_token
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import SafeString

from articles.body import render_body
from articles.models import Article, Byline, is_live_at, is_past, read_minutes
from foundation import kept
from foundation.cache import CacheUnavailable
from foundation.clock import local_today
from media.renditions import SharedPicture, shared_picture
from subscriptions.access import Access

from .structured_data import article_json_ld, json_ld_script

logger = logging.getLogger(__name__)
# A safety net, not a lifetime: heads follow every commit, and are repaired if the cache missed
# one (`foundation.kept`).
HEAD_TIMEOUT = 24 * 60 * 60
PART_TIMEOUT = 24 * 60 * 60  # parts are keyed by version: this only frees memory
# Search results are keyed by generation too; readers' queries are many and most are asked once.
SEARCH_RESULTS_TIMEOUT = 10 * 60
ALL = "all"  # the one site generation and the one listing state

# Parts this process fetched lately, so that a busy page is not unpickled from a shared cache on
# every request. Keys carry versions and generations read from the shared cache on every
# request, so an entry is never used once what it shows has changed anywhere.
_recent_parts = {}
RECENT_PARTS_LIMIT = 1000
# Which article each slug was when this process last served it: only a guess of which head to
# fetch in the page's round trip (the slug's kept value decides). Per process.
_slug_ids: dict[str, int] = {}
SLUG_IDS_LIMIT = 10_000


def _rendering() -> str:
    """Return a digest of what renders the parts (the templates, and the code that fills them):
    a release that changes how a page looks renders it anew, whatever the versions say."""
    base = Path(settings.BASE_DIR)
    sources = sorted((base / "templates").rglob("*.html"))
    sources += [base / "articles" / "body.py", base / "media" / "templatetags" / "media_tags.py"]
    sources += [base / "media" / "renditions.py"]  # which files a picture's sources list
    sources += sorted((base / "articles" / "site").glob("*.py"))
    digest = hashlib.sha256()
    for source in sources:
        digest.update(source.read_bytes())
    return digest.hexdigest()[:12]


RENDERING = _rendering()


def _new_generation():
    # Random, so that a cleared cache never brings back a generation that parts still use.
    return secrets.randbelow(2**62) + 1


@dataclass(frozen=True)
class ArticleHead:
    """What the access decision and the 404 rule need, the version of the article's parts, and
    what a card or list shows of it (`card`: lists move only when that changes)."""

    pk: int
    slug: str
    headline: str
    access: Access
    status: str
    published_at: datetime | None
    updated_at: datetime
    version: str
    unpublish_at: datetime | None = None
    section_id: int | None = None
    card: tuple = ()

    def __reduce__(self):
        # Kept in Redis and read on every article page: as plain values, with its times as POSIX
        # microseconds and its access as text, which unpickle in a fraction of the time that
        # datetime and enum objects take (`benchmarks/RESULTS.md`, 7 December).
        return (
            _head_from_kept,
            (
                self.pk,
                self.slug,
                self.headline,
                self.access.value,
                self.status,
                _to_microseconds(self.published_at),
                _to_microseconds(self.updated_at),
                self.version,
                _to_microseconds(self.unpublish_at),
                self.section_id,
                self.card,
            ),
        )

    @property
    def is_live(self) -> bool:
        # The times are part of the head, so the page goes at its unpublish minute whether or
        # not the scheduler has made the row a draft yet (or this process heard of it).
        return is_live_at(self, timezone.now())

    @property
    def is_scheduled(self) -> bool:
        return self.status == Article.Status.PUBLISHED and not is_past(self.published_at)

    @property
    def is_past_unpublish_time(self) -> bool:
        return self.status == Article.Status.PUBLISHED and is_past(self.unpublish_at)

    @property
    def is_listed(self) -> bool:
        """Whether lists show it now or will at its time (published or scheduled)."""
        return self.status == Article.Status.PUBLISHED


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)


def _to_microseconds(moment: datetime | None) -> int | None:
    return None if moment is None else (moment - EPOCH) // MICROSECOND


def _from_microseconds(microseconds: int | None) -> datetime | None:
    return None if microseconds is None else EPOCH + microseconds * MICROSECOND


def _head_from_kept(
    pk, slug, headline, access, status, published, updated, version, unpublish, section_id, card
) -> ArticleHead:
    """Return the head `ArticleHead.__reduce__` kept."""
    return ArticleHead(
        pk,
        slug,
        headline,
        Access(access),
        status,
        _from_microseconds(published),
        _from_microseconds(updated),
        version,
        _from_microseconds(unpublish),
        section_id,
        card,
    )


HEAD_FIELDS = [
    "pk",
    "slug",
    "headline",
    "access",
    "status",
    "published_at",
    "unpublish_at",
    "updated_at",
]
# What a card shows beyond the head's own fields, and what decides which lists it is on.
CARD_FIELDS = ["standfirst", "lead_image_id", "section_id", "word_count"]


def _load_head(**lookup) -> ArticleHead | None:
    row = Article.objects.filter(**lookup).values(*HEAD_FIELDS, *CARD_FIELDS).first()
    if row is None:
        return None
    card_values = tuple(row.pop(name) for name in CARD_FIELDS)
    row["section_id"] = card_values[CARD_FIELDS.index("section_id")]
    card_values = (*card_values[:-1], read_minutes(card_values[-1]))  # as cards round it
    authors, tags = _byline_and_tags(row["pk"])
    row["access"] = Access(row["access"])
    # Only ever compared with another load's (`_head_changed`): its times are to the second, as
    # lists show them (an admin form sends them back to the second), and as plain values.
    card = (
        *(_card_value(row[name]) for name in HEAD_FIELDS if name not in ("pk", "updated_at")),
        *card_values,
        authors,
        tags,
    )
    return ArticleHead(**row, version=secrets.token_hex(8), card=card)


def _byline_and_tags(article_id) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Return the ids of the article's authors in byline order, and of its tags in order, in
    one query: a head is loaded twice after every save (`kept.refresh` converges), and on
    every miss."""
    number = IntegerField()
    authors = (
        Byline.objects.filter(article_id=article_id)
        .order_by()
        .annotate(part=Value(0, number), ident=F("author_id"), place=F("order"), tie=F("pk"))
        .values_list("part", "ident", "place", "tie")
    )
    tags = (
        Article.tags.through.objects.filter(article_id=article_id)
        .order_by()
        .annotate(part=Value(1, number), ident=F("tag_id"), place=Value(0, number), tie=F("tag_id"))
        .values_list("part", "ident", "place", "tie")
    )
    rows = list(authors.union(tags, all=True).order_by("part", "place", "tie"))
    return (
        tuple(ident for part, ident, _place, _tie in rows if part == 0),
        tuple(ident for part, ident, _place, _tie in rows if part == 1),
    )


def _card_value(value):
    if isinstance(value, datetime):
        return _to_microseconds(value) // 1_000_000
    return value.value if isinstance(value, Access) else value


def _same_head(one, other) -> bool:
    """Whether two loads of a head say the same (each load has a version of its own)."""
    if one is None or other is None:
        return one is other
    return dataclasses.replace(one, version="") == dataclasses.replace(other, version="")


def _head_changed(article_id, before, after) -> None:
    """Move the lists when what they show of the article changed, or whether they show it."""
    if before is kept.UNKNOWN:
        moved = True  # what lists showed of it is not known: they may have shown it
    elif before is None or after is None:
        moved = (before is not None and before.is_listed) or (after is not None and after.is_listed)
    else:
        moved = before.card != after.card and (before.is_listed or after.is_listed)
    if moved:
        listings_changed()


HEAD = kept.kind(
    "article-head",
    load=lambda article_id: _load_head(pk=article_id),
    timeout=HEAD_TIMEOUT,
    same=_same_head,
    on_change=_head_changed,
)
# Which article a slug is: only a pointer, checked against the head it points to.
SLUG = kept.kind(
    "article-slug",
    load=lambda slug: Article.objects.filter(slug=slug).values_list("pk", flat=True).first(),
    timeout=HEAD_TIMEOUT,
    parse=str,
    grants_access=False,
)


def _next_scheduled(field: str, now: datetime) -> datetime | None:
    """Return the soonest time still to come in `field` among published articles (indexed)."""
    return (
        Article.objects.filter(status=Article.Status.PUBLISHED, **{f"{field}__gt": now})
        .order_by(field)
        .values_list(field, flat=True)
        .first()
    )


def _new_listing_state() -> dict:
    """Return a new listing state: a new generation, and the next time lists change by
    themselves (a scheduled article goes live, or one comes down at its unpublish time)."""
    now = timezone.now()
    changes = [
        moment
        for moment in (_next_scheduled("published_at", now), _next_scheduled("unpublish_at", now))
        if moment is not None
    ]
    return {"generation": _new_generation(), "next_change": min(changes, default=None)}


# What every page shows (sections, authors, tags): moves every generation.
SITE = kept.kind(
    "site-generation",
    load=lambda _all: _new_generation(),
    timeout=None,
    parse=str,
    converges=False,
    grants_access=False,
)
# What lists and cards show; a list may show an article's card only while it is listed.
LISTINGS = kept.kind(
    "listing-state",
    load=lambda _all: _new_listing_state(),
    timeout=None,
    parse=str,
    converges=False,
)


def article_changed(article_id: int, *, slug: str | None = None, created: bool = False) -> None:
    """Say that the article (or one of its parts) changed in this transaction: its head, and the
    lists that show it, follow once it commits (`foundation.kept`). `slug`: its slug, if it may have
    moved; `created`: the article is new (no list showed it before)."""
    (kept.created if created else kept.changed)(HEAD, article_id)
    if slug is not None:
        kept.changed(SLUG, slug)


def listings_changed() -> None:
    """Move the listing generation: lists and cards are rendered again on their next request."""
    kept.changed(LISTINGS, ALL)


def site_changed() -> None:
    """Move every generation: something every page shows (a section, author or tag) changed."""
    kept.changed(SITE, ALL)
    listings_changed()


def page_keys(slug: str | None = None) -> list[str]:
    """Return the cache keys a page reads (an article's too, given its `slug`), for one round
    trip (`foundation.kept.fetch`)."""
    keys = [SITE.key(ALL), LISTINGS.key(ALL)]
    if slug is not None:
        keys.append(SLUG.key(slug))
        if slug in _slug_ids:
            keys.append(HEAD.key(_slug_ids[slug]))
    return keys


def _current_listing_state(state) -> dict:
    """Return `state`, or a new one if a scheduled change is now due."""
    if state is not None and not (state["next_change"] and state["next_change"] <= timezone.now()):
        return state
    try:
        return kept.refresh(LISTINGS, ALL)
    except CacheUnavailable:
        return _new_listing_state()


def _generations(request, fetched: kept.Fetched | None = None) -> tuple[int, int]:
    """Return the site generation and the listing generation, once per request (with `fetched`:
    from the page's one round trip). Moves the listing generation if a scheduled change is due.
    """
    known = getattr(request, "page_generations", None)
    if known is not None:
        return known
    if fetched is None:
        fetched = kept.fetch(page_keys())
    site = kept.read(SITE, ALL, fetched=fetched)
    state = _current_listing_state(kept.read(LISTINGS, ALL, fetched=fetched))
    request.page_generations = (site, state["generation"])
    note_page_changes_at(request, state["next_change"])
    return request.page_generations


def note_page_changes_at(request, moment: datetime | None) -> None:
    """Record that the page changes by itself at `moment` (if it is to come), so that no
    shared cache keeps it past then (`newsroom.middleware`); the earliest time wins."""
    if moment is None or moment <= timezone.now():
        return
    known = getattr(request, "page_changes_at", None)
    request.page_changes_at = moment if known is None else min(known, moment)


def follows_the_schedule(view):
    """Wrap a view that reads published articles itself (feeds, sitemaps), so that shared
    caches keep it no later than the next scheduled change too (one cache round trip)."""

    @wraps(view)
    def view_following_the_schedule(request, *args, **kwargs):
        _generations(request)
        return view(request, *args, **kwargs)

    return view_following_the_schedule


def cached_page_part(request, key, build, *, keep_here=True, timeout=PART_TIMEOUT):
    """Return `build()`, cached under `key` (which must name every version it depends on).

    `keep_here`: also keep it in this process (`_recent_parts`), for parts that many requests
    share; `timeout` frees the shared cache's memory, it is not a lifetime.
    """
    key = _part_key(request, key)
    recent = _recent_part(key) if keep_here else None
    if recent is not None:
        return recent
    value = cache.get(key)
    if value is None:
        value = build()
        cache.set(key, value, timeout=timeout)
    if keep_here:
        _keep_here(key, value)
    return value


def cached_page_parts(request, builds: dict) -> dict:
    """Return `{key: build()}` for every `key: build` of `builds`, each cached as
    `cached_page_part` does (and kept in this process), in one round trip to the shared cache
    for those this process does not have: a page made of many articles' parts (a feed)."""
    keys = {key: _part_key(request, key) for key in builds}
    found = {}
    for key, full_key in keys.items():
        recent = _recent_part(full_key)
        if recent is not None:
            found[key] = recent
    missing = [full_key for key, full_key in keys.items() if key not in found]
    shared = cache.get_many(missing) if missing else {}
    built = {}
    for key, build in builds.items():
        if key in found:
            continue
        value = shared.get(keys[key])
        if value is None:
            value = built[keys[key]] = build()
        found[key] = value
        _keep_here(keys[key], value)
    if built:
        cache.set_many(built, timeout=PART_TIMEOUT)
    return found


def _part_key(request, key) -> str:
    prefix = getattr(request, "page_part_prefix", None)
    if prefix is None:  # once per request: checking the host against ALLOWED_HOSTS costs
        prefix = request.page_part_prefix = (
            f"pages:part:{RENDERING}:{request.scheme}:{request.get_host()}:"
            f"{settings.NEWSROOM_PREVIEW_PARAGRAPHS}:"
        )
    return prefix + key


def _recent_part(key):
    recent = _recent_parts.get(key)
    return recent[1] if recent is not None and recent[0] > time.monotonic() else None


def _keep_here(key, value) -> None:
    if not kept.trusting():
        # The shared cache is away or not trusted (foundation.kept): every request then has new
        # generations and keys, so keeping its parts here would only fill the memory.
        return
    if len(_recent_parts) >= RECENT_PARTS_LIMIT:
        _recent_parts.clear()
    _recent_parts[key] = (time.monotonic() + PART_TIMEOUT, value)


def listing_part(request, name, build):
    """Return `build()` for a list (front page, section, author, tag), cached per generation."""
    site, listing = _generations(request)
    return cached_page_part(request, f"list:{site}:{listing}:{name}", build)


def search_part(request, query, number, build):
    """Return `build()` for page `number` of the results of `query`, cached per generation like
    a list, but in the shared cache only and for `SEARCH_RESULTS_TIMEOUT`: there are as many
    keys as queries readers type, and they must not push the pages every reader asks for out of
    this process's `_recent_parts`."""
    site, listing = _generations(request)
    digest = hashlib.sha256(query.encode()).hexdigest()
    key = f"search:{site}:{listing}:{digest}:{number}"
    return cached_page_part(request, key, build, keep_here=False, timeout=SEARCH_RESULTS_TIMEOUT)


def site_part(request, name, build):
    """Return `build()` for something every page shows (the section navigation)."""
    site, _listing = _generations(request)
    return cached_page_part(request, f"site:{site}:{name}", build)


def page_number(request) -> int:
    """Return the page number asked for; 404 for anything but a plain positive number.

    Cached lists are keyed by it, so nothing else from the query string may reach a key.
    """
    value = request.GET.get("page", "1")
    if not value.isascii() or not value.isdigit() or len(value) > 6 or int(value) < 1:
        raise Http404("No such page.")
    return int(value)


def paginated(paginator, number):
    """Return page `number` of `paginator`, or 404 (an empty page is never cached)."""
    try:
        return paginator.page(number)
    except (EmptyPage, PageNotAnInteger) as error:
        raise Http404("No such page.") from error


@dataclass(frozen=True)
class ListPage:
    """A page of a list that was not counted: whether an older page follows is all it knows.

    Says what Django's `Page` says to the templates, but has no `paginator` (nor total).
    """

    object_list: list
    number: int
    has_next: bool

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    def has_other_pages(self) -> bool:
        return self.has_previous or self.has_next

    def next_page_number(self) -> int:
        return self.number + 1

    def previous_page_number(self) -> int:
        return self.number - 1


def page_of(items, number, *, per_page) -> ListPage:
    """Return page `number` of the ordered queryset `items` without counting it, or 404 past
    its end (page 1 may be empty): one row more than a page says whether an older one follows.

    A count of a section's articles grows with the archive; this costs the page's own rows
    (and the OFFSET of the pages before it), whatever the size of the archive.
    """
    start = (number - 1) * per_page
    rows = list(items[start : start + per_page + 1])
    if not rows and number > 1:
        raise Http404("No such page.")
    return ListPage(object_list=rows[:per_page], number=number, has_next=len(rows) > per_page)


@dataclass(frozen=True)
class ArticlePage:
    """An article's head and its page's parts; `rest` must reach only entitled readers."""

    head: ArticleHead
    meta: SafeString
    json_ld_full: SafeString
    json_ld_preview: SafeString
    header: SafeString
    preview: SafeString
    rest: SafeString
    tags: SafeString
    corrections: SafeString
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
            # Corrections are public whatever the reader may read (editors write them so).
            "corrections": self.corrections,
            "asides": self.asides,
        }


def _itself(article) -> list[int]:
    """The article, and the live one it holds prepared changes to: not related to itself."""
    return [pk for pk in (article.pk, article.draft_of_id) if pk is not None]


def _related_articles(article, *, limit):
    """Return the newest `limit` other live articles from the same section or with a tag in
    common, newest first.

    One query for the section and one for each of the article's tags, each reading its newest
    `limit` by an index, then the cards of the newest of them: a single query over the section
    OR the tags needed DISTINCT over the join, which read every match in the archive.
    """
    live = Article.objects.published().exclude(pk__in=_itself(article)).latest_first()
    sources = [live.filter(section=article.section_id)] if article.section_id else []
    sources += [live.filter(tags=tag.pk) for tag in article.tags.all()]
    candidates = {
        row for source in sources for row in source.values_list("published_at", "pk")[:limit]
    }
    newest = [pk for _published_at, pk in sorted(candidates, reverse=True)[:limit]]
    cards = Article.objects.filter(pk__in=newest).for_listing().in_bulk()
    return [cards[pk] for pk in newest if pk in cards]


def _fetch_article(pk, *, corrections=False):
    article = (
        Article.objects.select_related("section", "lead_image")
        .prefetch_related(
            Prefetch("bylines", queryset=Byline.objects.select_related("author")),
            "tags",
            "lead_image__renditions",
            *(["corrections"] if corrections else []),
        )
        .filter(pk=pk)
        .first()
    )
    if article is None:
        raise Http404("No article here.")
    return article


def _build_article_parts(request, pk) -> dict:
    article = _fetch_article(pk, corrections=True)
    body = render_body(article)
    share_image = None
    if article.lead_image:
        # The 1200×630 crop around the picture's focal point, at an absolute address.
        shared = shared_picture(image=article.lead_image)
        share_image = SharedPicture(
            url=request.build_absolute_uri(shared.url), width=shared.width, height=shared.height
        )
    corrections = list(article.corrections.all())
    context = {
        "article": article,
        "publication_name": settings.NEWSROOM_PUBLICATION_NAME,
        "canonical_url": request.build_absolute_uri(article.get_absolute_url()),
        "share_image": share_image,
        "corrections": corrections,
        # Corrected, or changed noticeably after it went out: readers are told when.
        "updated_at": article.updated_at if article.was_updated or corrections else None,
    }
    return {
        "meta": render_to_string("articles/includes/article_meta.html", context),
        "json_ld_full": json_ld_script(
            article_json_ld(article=article, request=request, full_text=True)
        ),
        "json_ld_preview": json_ld_script(
            article_json_ld(article=article, request=request, full_text=False)
        ),
        "header": render_to_string("articles/includes/article_header.html", context),
        "preview": body.preview,
        "rest": body.rest,
        "tags": render_to_string("articles/includes/article_tags.html", context),
        "corrections": render_to_string("articles/includes/article_corrections.html", context),
    }


def _build_asides(request, pk) -> SafeString:
    article = _fetch_article(pk)
    related = _related_articles(article, limit=3)
    more = list(
        Article.objects.published()
        .exclude(pk__in=[*_itself(article), *(other.pk for other in related)])
        .for_listing(images=False)
        .latest_first()[:4]
    )
    context = {
        "publication_name": settings.NEWSROOM_PUBLICATION_NAME,
        "more": more,
        "related": related,
    }
    return render_to_string("articles/includes/article_asides.html", context)


def page_variant(request, page: ArticlePage, variant: tuple, build) -> bytes:
    """Return `build()`, the whole HTML of one variant of `page` that many readers share,
    cached for this version of the article and of everything around it, as the bytes a
    response sends (encoded once, not on every request)."""
    return cached_page_part(request, _variant_key(request, page, variant), lambda: build().encode())


def _variant_key(request, page: ArticlePage, variant: tuple) -> str:
    site, listing = _generations(request)
    year = local_today().year  # the footer's copyright line
    variant = "-".join(str(value) for value in variant)
    return f"variant:{page.head.pk}:{page.head.version}:{site}:{listing}:{year}:{variant}"


def article_page_as_saved(request, pk) -> ArticlePage:
    """Return the article `pk` (drafts too) with its page's parts built afresh from the
    database: for previews, which must show what was saved a moment ago, and which no cache
    should keep. Raise Http404 when there is no such article."""
    head = _load_head(pk=pk)
    if head is None:
        raise Http404("No article here.")
    parts = _build_article_parts(request, pk)
    return ArticlePage(head=head, asides=_build_asides(request, pk), **parts)


def reader_page_variant(request, page: ArticlePage, variant: tuple, build) -> bytes:
    """Return the whole HTML of one variant of `page` that many logged-in readers share, with
    this reader's CSRF token in it: `build(csrf_token)` renders the page with a stand-in token,
    once per version, and the stand-in is replaced for each request.

    The token is the only thing of the reader's own on such a page (the log-out form and the
    gift form): the caller shares it only between readers whose decision is the same.
    """

    def build_with_stand_in():
        stand_in = f"csrf-stand-in-{secrets.token_urlsafe(24)}"  # new for each rendering
        return stand_in.encode(), build(stand_in).encode()

    key = _variant_key(request, page, ("logged-in", *variant))
    stand_in, html = cached_page_part(request, key, build_with_stand_in)
    return html.replace(stand_in, get_token(request).encode())


def article_head(slug, *, fetched: kept.Fetched | None = None) -> ArticleHead | None:
    """Return the head of the article at `slug` (drafts too), or None; from `fetched` when the
    page fetched its keys, else from the cache (the database when not kept)."""
    article_id = kept.read(SLUG, slug, fetched=fetched)
    head = kept.read(HEAD, article_id, fetched=fetched) if article_id is not None else None
    if head is None or head.slug != slug:
        # The slug's kept pointer is to an article that has moved on: ask the database.
        return _load_head(slug=slug)
    if _slug_ids.get(slug) != head.pk:
        if len(_slug_ids) >= SLUG_IDS_LIMIT:
            _slug_ids.clear()
        _slug_ids[slug] = head.pk
    return head


def article_page(request, slug, *, fetched: kept.Fetched | None = None) -> ArticlePage:
    """Return the article at `slug` with its page's parts (drafts too: the view decides), reading
    its keys from `fetched` (`page_keys(slug)`, fetched in the page's one round trip).

    Raise Http404 when there is no such article.
    """
    if fetched is None:
        fetched = kept.fetch(page_keys(slug))
    site, listing = _generations(request, fetched)
    head = article_head(slug, fetched=fetched)
    if head is None:
        raise Http404("No article here.")
    note_page_changes_at(request, head.published_at)  # going live, or coming down
    note_page_changes_at(request, head.unpublish_at)
    parts = article_parts(request, head)
    asides = cached_page_part(
        request,
        f"asides:{head.pk}:{site}:{listing}",
        lambda: _build_asides(request, head.pk),
    )
    return ArticlePage(head=head, asides=asides, **parts)


def article_parts(request, head: ArticleHead) -> dict:
    """Return the parts of the page of the article `head` names (header, the body's preview and
    rest, ...), cached for its version: what the article page shows, and the private feed
    carries (`articles.site.feeds`)."""
    site, _listing = _generations(request)
    return cached_page_part(
        request,
        f"article:{head.pk}:{head.version}:{site}",
        lambda: _build_article_parts(request, head.pk),
    )


@dataclass(frozen=True)
class FeedEntry:
    """A live article in a feed: its head (the decision's input, and the version of its parts)
    and what its entry shows besides the head's own fields."""

    head: ArticleHead
    standfirst: str
    authors: tuple[str, ...]
    section: str | None


def _feed_listing(limit: int) -> list[tuple]:
    articles = (
        Article.objects.published()
        .select_related("section")
        .only("standfirst", "section", "section__name")
        .prefetch_related(Prefetch("bylines", queryset=Byline.objects.select_related("author")))
        .latest_first()[:limit]
    )
    return [
        (
            article.pk,
            article.standfirst,
            tuple(byline.author.name for byline in article.bylines.all()),
            article.section.name if article.section_id else None,
        )
        for article in articles
    ]


def feed_entries(request, *, limit: int, fetched: kept.Fetched | None = None) -> list[FeedEntry]:
    """Return the newest `limit` live articles for a feed that carries their bodies, reading the
    generations from `fetched` (`page_keys()`, fetched with the reader's keys) if given.

    Which articles, with their standfirsts, bylines and sections, is a list kept per listing
    generation (what it shows moves that generation); their heads, whose versions key their
    parts, come in one round trip. No query once these are kept.
    """
    _generations(request, fetched)
    listing = listing_part(request, f"feed-entries:{limit}", lambda: _feed_listing(limit))
    fetched = kept.fetch(HEAD.key(row[0]) for row in listing)
    entries = []
    for pk, standfirst, authors, section in listing:
        head = kept.read(HEAD, pk, fetched=fetched)
        if head is not None and head.is_live:
            entries.append(FeedEntry(head, standfirst, authors, section))
    return entries


def article_variants(request, wanted: list[tuple[ArticleHead, str]], build) -> list:
    """Return `build(head, variant)` for each `(head, variant)` of `wanted`, in order, each
    cached for that version of the article (and of the site), in one round trip: the pieces of a
    page made of many articles, such as a feed's entries as each kind of reader gets them."""
    site, _listing = _generations(request)
    keys = [f"variant-of:{head.pk}:{head.version}:{site}:{variant}" for head, variant in wanted]
    builds = {
        key: (lambda head=head, variant=variant: build(head, variant))
        for key, (head, variant) in zip(keys, wanted, strict=True)
    }
    found = cached_page_parts(request, builds)
    return [found[key] for key in keys]
