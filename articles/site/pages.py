"""The parts of public pages that are the same for every reader, rendered once and reused.

Caches follow versions, never time, and never decide anything:

- An article's *head* (id, slug, headline, access level, status, publish time and a version) is
  what the access decision and the 404 rule read. It is loaded from the database by one indexed
  query when missing, and set afresh from the committed row after every write that touches the
  article (`refresh_article`, run by `transaction.on_commit`). A reader who loaded the old row
  while a write was still in flight may only *add* it, so it can never overwrite what a commit
  set.
- An article's own parts (head tags, header, body halves, tags) are keyed by its version, so
  they never need expiring; "More from" and related cards by the listing generation.
- The listing generation moves only when *published* content changes, and when the next
  scheduled change comes (an article's publish time, or its unpublish time): the listing state
  carries that time, so a scheduled article joins the lists, and a taken-down one leaves them,
  at its minute whoever asks first, without a cache lifetime in the way.
- Sections, authors and tags appear on every page: changing one moves the site generation.

The CDN's lifetime (`NEWSROOM_PUBLIC_CACHE_SECONDS`) is a separate knob, applied in
`newsroom.middleware`, which never lets it run past the next scheduled change a page knows of
(`note_page_changes_at`): the listing state's next change, an article's own times.
"""

import hashlib
import logging
import secrets
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.core.paginator import EmptyPage, PageNotAnInteger
from django.db.models import Prefetch
from django.http import Http404
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import SafeString

from articles.body import render_body
from articles.models import Article, Byline, is_live_at, is_past
from media.renditions import rendition_url
from newsroom import cache_rounds
from newsroom.csrf import page_csrf_token
from subscriptions.access import Access

from .structured_data import article_json_ld, json_ld_script

logger = logging.getLogger(__name__)
SITE_GENERATION_KEY = "pages:site-generation"
LISTING_STATE_KEY = "pages:listing-state:2"  # 2: "next_change" counts takedowns too
# A safety net, not a lifetime: heads are set on every commit; this bounds the damage of a
# process that died between a commit and its cache update.
HEAD_TIMEOUT = 10 * 60
# A head a reader loaded may predate a commit whose update it narrowly missed (a slug change
# that no refresh could find under the old slug): it lives a minute.
LOADED_HEAD_TIMEOUT = 60
PART_TIMEOUT = 24 * 60 * 60  # parts are keyed by version: this only frees memory
# Search results are keyed by generation too; readers' queries are many and most are asked once.
SEARCH_RESULTS_TIMEOUT = 10 * 60
# Look for newly due scheduled articles at least this often, even if none is known to be due.
SCHEDULE_RECHECK = timedelta(minutes=10)

# Parts this process fetched lately, so that a busy page is not unpickled from a shared cache on
# every request. Keys carry versions and generations read from the shared cache on every
# request, so an entry is never used once what it shows has changed anywhere.
_recent_parts = {}
RECENT_PARTS_LIMIT = 1000
# Articles (None: only the generations) whose cache update this process made while the shared
# cache was away: made again, before anything is read from it, once it answers.
_missed_updates = set()


def _head_key(slug):
    return f"pages:article-head:{slug}"


def _slug_key(article_id):
    return f"pages:article-slug:{article_id}"


def _new_generation():
    # Random, so that a cleared cache never brings back a generation that parts still use.
    return secrets.randbelow(2**62) + 1


@dataclass(frozen=True)
class ArticleHead:
    """What the access decision and the 404 rule need, and the version of the article's parts."""

    pk: int
    slug: str
    headline: str
    access: Access
    status: str
    published_at: datetime | None
    updated_at: datetime
    version: str
    # Last, with a default: a head cached by the code before it had one still reads.
    unpublish_at: datetime | None = None

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


def _load_head(**lookup) -> ArticleHead | None:
    row = Article.objects.filter(**lookup).values(*HEAD_FIELDS).first()
    if row is None:
        return None
    row["access"] = Access(row["access"])
    return ArticleHead(**row, version=secrets.token_hex(8))


def refresh_article(article_id: int, *, created: bool = False) -> None:
    """Set the article's head from the committed row; move listings if lists show it now or
    showed it before (unknown before, unless it was just `created`).

    Run after commit (`transaction.on_commit`), never inside the writing transaction.
    """
    head = _load_head(pk=article_id)
    old_slug = cache.get(_slug_key(article_id))
    old = cache.get(_head_key(old_slug)) if old_slug else None
    if old_slug and (head is None or head.slug != old_slug):
        cache.delete(_head_key(old_slug))
    if head is None:
        cache.delete(_slug_key(article_id))
    elif old is not None and old.pk == head.pk and old.updated_at > head.updated_at:
        return  # a later commit has set a newer row already
    else:
        cache.set_many({_head_key(head.slug): head, _slug_key(head.pk): head.slug}, HEAD_TIMEOUT)
    listed_before = old.is_listed if old is not None else not created
    if listed_before or (head is not None and head.is_listed):
        listings_changed()
    if not _cache_answering():
        # The shared cache is away (newsroom.resilient_cache) and may still hold the old head
        # when it answers again: update it then (`_replay_missed_updates`).
        _missed_updates.add(article_id)
        logger.error(
            "The page cache missed the update of article %s: it is made again when the cache "
            "answers (if this process dies first, the cache may show the old state for up "
            "to %s s; clearing the cache ends that)",
            article_id,
            HEAD_TIMEOUT,
        )


def _cache_answering() -> bool:
    """Return False while the shared cache is away (`newsroom.resilient_cache`)."""
    return getattr(cache, "answering", lambda: True)()


def _replay_missed_updates() -> None:
    """Make the head updates and generation moves that the shared cache missed while away."""
    missed = set()
    while _missed_updates:  # pop, not clear: another thread may be adding to it
        missed.add(_missed_updates.pop())
    site_changed()  # what lists and navigation showed may have changed too
    for article_id in missed - {None}:
        refresh_article(article_id)


def listings_changed() -> None:
    """Move the listing generation: lists and cards are rendered again on their next request."""
    cache.set(LISTING_STATE_KEY, _new_listing_state(), timeout=None)
    if not _cache_answering():
        _missed_updates.add(None)  # no article: only the generations


def site_changed() -> None:
    """Move every generation: something every page shows (a section, author or tag) changed."""
    cache.set(SITE_GENERATION_KEY, _new_generation(), timeout=None)
    listings_changed()


def _next_scheduled(field: str, now: datetime) -> datetime | None:
    """Return the soonest time still to come in `field` among published articles (indexed)."""
    return (
        Article.objects.filter(status=Article.Status.PUBLISHED, **{f"{field}__gt": now})
        .order_by(field)
        .values_list(field, flat=True)
        .first()
    )


def _new_listing_state(*, generation: int | None = None) -> dict:
    """Return the listing state: its generation (new unless given), the next time lists change
    by themselves (a scheduled article goes live or one comes down at its unpublish time), and
    when to look for newly scheduled ones again."""
    now = timezone.now()
    changes = [
        moment
        for moment in (_next_scheduled("published_at", now), _next_scheduled("unpublish_at", now))
        if moment is not None
    ]
    return {
        "generation": generation or _new_generation(),
        "next_change": min(changes, default=None),
        "recheck_at": now + SCHEDULE_RECHECK,
    }


def _current_listing_state(state) -> dict:
    """Return `state`, moved on if a scheduled change is now due (a new generation) or the
    recheck time has come (the same generation: lists are not rebuilt for nothing)."""
    now = timezone.now()
    if state is None or (state["next_change"] and state["next_change"] <= now):
        state = _new_listing_state()
    elif state["recheck_at"] <= now:
        state = _new_listing_state(generation=state["generation"])
    else:
        return state
    cache.set(LISTING_STATE_KEY, state, timeout=None)
    return state


def _generations(request, *extra_keys) -> tuple[int, int, dict]:
    """Return the site generation, the listing generation and the `extra_keys` found.

    One round trip to the cache, once per request: later calls for the same request reuse the
    generations (and fetch only the extra keys they ask for). Moves the listing generation if a
    scheduled change is now due.
    """
    known = getattr(request, "_page_generations", None)
    if known is not None:
        return *known, (cache_rounds.get_many(extra_keys) if extra_keys else {})
    if _missed_updates and _cache_answering():
        _replay_missed_updates()
    # With the keys a view named in `cache_rounds.fetched_together`, in the same round trip.
    found = cache_rounds.get_many([SITE_GENERATION_KEY, LISTING_STATE_KEY, *extra_keys])
    site = found.get(SITE_GENERATION_KEY)
    if site is None:
        site = _new_generation()
        if not cache.add(SITE_GENERATION_KEY, site, timeout=None):
            site = cache.get(SITE_GENERATION_KEY, site)
    state = _current_listing_state(found.get(LISTING_STATE_KEY))
    request._page_generations = (site, state["generation"])
    note_page_changes_at(request, state["next_change"])
    return site, state["generation"], found


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
    prefix = getattr(request, "_page_part_prefix", None)
    if prefix is None:  # once per request: checking the host against ALLOWED_HOSTS costs
        prefix = request._page_part_prefix = (
            f"pages:part:{request.scheme}:{request.get_host()}:"
            f"{settings.NEWSROOM_PREVIEW_PARAGRAPHS}:"
        )
    key = prefix + key
    now = time.monotonic()
    recent = _recent_parts.get(key) if keep_here else None
    if recent is not None and recent[0] > now:
        return recent[1]
    value = cache.get(key)
    if value is None:
        value = build()
        cache.set(key, value, timeout=timeout)
    if not keep_here or not _cache_answering():
        # Or the shared cache is away (newsroom.resilient_cache): every request then has new
        # generations and keys, so keeping its parts here would only fill the memory.
        return value
    if len(_recent_parts) >= RECENT_PARTS_LIMIT:
        _recent_parts.clear()
    _recent_parts[key] = (now + PART_TIMEOUT, value)
    return value


def listing_part(request, name, build):
    """Return `build()` for a list (front page, section, author, tag), cached per generation."""
    site, listing, _found = _generations(request)
    return cached_page_part(request, f"list:{site}:{listing}:{name}", build)


def search_part(request, query, number, build):
    """Return `build()` for page `number` of the results of `query`, cached per generation like
    a list, but in the shared cache only and for `SEARCH_RESULTS_TIMEOUT`: there are as many
    keys as queries readers type, and they must not push the pages every reader asks for out of
    this process's `_recent_parts`."""
    site, listing, _found = _generations(request)
    digest = hashlib.sha256(query.encode()).hexdigest()
    key = f"search:{site}:{listing}:{digest}:{number}"
    return cached_page_part(request, key, build, keep_here=False, timeout=SEARCH_RESULTS_TIMEOUT)


def site_part(request, name, build):
    """Return `build()` for something every page shows (the section navigation)."""
    site, _listing, _found = _generations(request)
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
    share_image = article.lead_image and request.build_absolute_uri(
        rendition_url(image=article.lead_image, width=1200)
    )
    corrections = list(article.corrections.all())
    context = {
        "article": article,
        "publication_name": settings.NEWSROOM_PUBLICATION_NAME,
        "canonical_url": request.build_absolute_uri(article.get_absolute_url()),
        "share_image_url": share_image,
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


def page_variant(request, page: ArticlePage, variant: tuple, build) -> str:
    """Return `build()`, the whole HTML of one variant of `page` that many readers share,
    cached for this version of the article and of everything around it."""
    site, listing, _found = _generations(request)
    year = timezone.localdate().year  # the footer's copyright line
    variant = "-".join(str(value) for value in variant)
    key = f"variant:{page.head.pk}:{page.head.version}:{site}:{listing}:{year}:{variant}"
    return cached_page_part(request, key, build)


def article_page_as_saved(request, pk) -> ArticlePage:
    """Return the article `pk` (drafts too) with its page's parts built afresh from the
    database: for previews, which must show what was saved a moment ago, and which no cache
    should keep. Raise Http404 when there is no such article."""
    head = _load_head(pk=pk)
    if head is None:
        raise Http404("No article here.")
    parts = _build_article_parts(request, pk)
    return ArticlePage(head=head, asides=_build_asides(request, pk), **parts)


def reader_page_variant(request, page: ArticlePage, variant: tuple, build) -> str:
    """Return the whole HTML of one variant of `page` that many logged-in readers share, with
    this reader's CSRF token in it: `build(csrf_token)` renders the page with a stand-in token,
    once per version, and the stand-in is replaced for each request.

    The token is the only thing of the reader's own on such a page (the log-out form and the
    gift form): the caller shares it only between readers whose decision is the same.
    """

    def build_with_stand_in():
        stand_in = f"csrf-stand-in-{secrets.token_urlsafe(24)}"  # new for each rendering
        return stand_in, build(stand_in)

    stand_in, html = page_variant(request, page, ("logged-in", *variant), build_with_stand_in)
    return html.replace(stand_in, page_csrf_token(request))


def article_page(request, slug) -> ArticlePage:
    """Return the article at `slug` with its page's parts (drafts too: the view decides).

    Raise Http404 when there is no such article.
    """
    site, listing, found = _generations(request, _head_key(slug))
    head = found.get(_head_key(slug))
    if head is None:
        head = _load_head(slug=slug)
        if head is None:
            raise Http404("No article here.")  # not cached: unknown slugs make no keys
        # Add, never set: a commit may have set a newer head since our query. The id's slug
        # lets a later refresh find this head if the slug changes.
        if cache.add(_head_key(slug), head, timeout=LOADED_HEAD_TIMEOUT):
            cache.add(_slug_key(head.pk), slug, timeout=LOADED_HEAD_TIMEOUT)
        else:
            head = cache.get(_head_key(slug)) or head
    note_page_changes_at(request, head.published_at)  # going live, or coming down
    note_page_changes_at(request, head.unpublish_at)
    parts = cached_page_part(
        request,
        f"article:{head.pk}:{head.version}:{site}",
        lambda: _build_article_parts(request, head.pk),
    )
    asides = cached_page_part(
        request,
        f"asides:{head.pk}:{site}:{listing}",
        lambda: _build_asides(request, head.pk),
    )
    return ArticlePage(head=head, asides=asides, **parts)
