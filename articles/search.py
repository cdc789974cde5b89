"""Site search: public text only (headline, standfirst, the body before the cut in force).

On PostgreSQL the database keeps each article's public text as a text search vector
(`Article.search_vector`, a generated column: headline A, standfirst B, stored preview C) with
one GIN index; search reads the stored vectors to match and rank, and never makes one. Elsewhere
(SQLite in development) every word must appear somewhere, newest first.

Either way search finds at most the newest `SEARCH_CANDIDATES` matches, ranks those, and the
view shows them a page at a time (`articles.site.views.search`, cached per listing generation).
"""

import re

from django.conf import settings
from django.contrib.postgres.search import (
    SearchQuery,
    SearchRank,
    SearchVector,
    SearchVectorField,
)
from django.db import connections
from django.db.models import F, Func, Q

# Where migration 0013 names it, as `articles.search.TextSearchVector`.
from foundation.search import TextSearchVector

# The text search configuration of `Article.search_vector`; changing it means a migration.
SEARCH_CONFIG = "english"

# Search ranks the newest this many matches, however many the archive holds, so that the
# ranking costs the same for a common word in a large archive as in a small one.
SEARCH_CANDIDATES = 120


class HeadlineAndStandfirst(Func):
    """The headline and standfirst part of a stored vector (weights A and B), without the
    preview (C)."""

    function = "ts_filter"
    template = "%(function)s(%(expressions)s, '{a,b}')"
    arity = 1
    output_field = SearchVectorField()


def searchable_text():
    """The public text of an article as PostgreSQL searches it, for `Article.search_vector`:
    headline (weight A), standfirst (B) and the stored preview (C), which search ignores while
    it was cut with another length than the one in force."""
    return TextSearchVector(
        SearchVector("headline", weight="A", config=SEARCH_CONFIG)
        + SearchVector("standfirst", weight="B", config=SEARCH_CONFIG)
        + SearchVector("preview_text", weight="C", config=SEARCH_CONFIG)
    )


def preview_in_force_q():
    """The stored preview follows the cut in force: a paywall break (whatever the setting), or
    today's NEWSROOM_PREVIEW_PARAGRAPHS."""
    return Q(preview_text_paragraphs__isnull=True) | Q(
        preview_text_paragraphs=settings.NEWSROOM_PREVIEW_PARAGRAPHS
    )


def preview_cut_otherwise_q():
    """The stored preview was cut with another number of paragraphs than today's: it may hold
    text beyond today's cut until `manage.py recompute_previews` cuts it again. Written as two
    ranges, which the index `article_cut_by_paragraphs` answers."""
    paragraphs = settings.NEWSROOM_PREVIEW_PARAGRAPHS
    return Q(preview_text_paragraphs__lt=paragraphs) | Q(preview_text_paragraphs__gt=paragraphs)


def search_matches(articles, query: str) -> list[int]:
    """Return the ids of the newest `SEARCH_CANDIDATES` of `articles` that match `query` by
    their public text, best first (on SQLite, newest first).

    An article whose stored preview was cut with another length than the one in force is
    matched and ranked by its headline and standfirst alone, as if it had no preview, so that
    no word beyond today's cut decides whether it is found (not even a word the query
    excludes).
    """
    if connections[articles.db].vendor != "postgresql":
        newest = articles.search(query).latest_first()
        return list(newest.values_list("pk", flat=True)[:SEARCH_CANDIDATES])
    wanted = SearchQuery(query, search_type="websearch", config=SEARCH_CONFIG)
    by_whole_text = articles.filter(preview_in_force_q(), search_vector=wanted).annotate(
        rank=SearchRank(F("search_vector"), wanted)
    )
    by_public_part = (
        articles.alias(public_part=HeadlineAndStandfirst("search_vector"))
        .filter(preview_cut_otherwise_q(), public_part=wanted)
        .annotate(rank=SearchRank(F("public_part"), wanted))
    )
    newest = [
        matches.order_by("-published_at", "-pk").values_list("pk", "published_at", "rank")[
            :SEARCH_CANDIDATES
        ]
        for matches in (by_whole_text, by_public_part)
    ]
    rows = sorted(newest[0].union(newest[1], all=True), key=lambda row: (row[1], row[0]))
    rows = rows[-SEARCH_CANDIDATES:]
    rows.sort(key=lambda row: (row[2], row[1], row[0]), reverse=True)
    return [pk for pk, _published_at, _rank in rows]


def admin_search_query(words: list[str]) -> SearchQuery | None:
    """Return the query that finds each of `words` as the start of a word of an article's
    stored text (the newsroom's own search, in the admin: drafts and text beyond the cut
    included), or None when they hold no letters or digits."""
    parts = [part for word in words for part in re.findall(r"\w+", word)]
    if not parts:
        return None
    prefixes = " & ".join(f"{part}:*" for part in parts)
    return SearchQuery(prefixes, search_type="raw", config=SEARCH_CONFIG)
