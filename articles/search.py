"""Site search: public text only (headline, standfirst, the body before the cut in force).

On PostgreSQL, full-text search ranks matches (headline above standfirst above preview) with
two GIN indexes made by migration 0005, whose expressions the queries below repeat exactly;
elsewhere (SQLite in development) every word must appear somewhere, newest first.
"""

from django.conf import settings
from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector
from django.db import connections
from django.db.models import F, Q

# The text search configuration of the indexes; changing it means making them again.
SEARCH_CONFIG = "english"


def public_vector():
    """Headline and standfirst: public for every article."""
    return SearchVector("headline", weight="A", config=SEARCH_CONFIG) + SearchVector(
        "standfirst", weight="B", config=SEARCH_CONFIG
    )


def preview_vector():
    """The stored preview: trusted only while it follows the cut in force."""
    return SearchVector("preview_text", weight="C", config=SEARCH_CONFIG)


def preview_in_force_q():
    return Q(preview_text_paragraphs__isnull=True) | Q(
        preview_text_paragraphs=settings.NEWSROOM_PREVIEW_PARAGRAPHS
    )


# Search ranks the newest this many matches, however many the archive holds: ranking computes
# each candidate's text vectors, so ranking every match of a common word would cost a time
# that grows with the archive (1.5 s for 870 matches among 1,000 articles, measured).
SEARCH_CANDIDATES = 120


def search_articles(articles, query: str):
    """Return `articles` matching `query`, best first; never by text beyond a preview cut.

    On PostgreSQL, only the newest `SEARCH_CANDIDATES` matches are ranked (and counted).
    """
    if connections[articles.db].vendor != "postgresql":
        return articles.search(query).latest_first()
    wanted = SearchQuery(query, search_type="websearch", config=SEARCH_CONFIG)
    newest_matches = (
        articles.annotate(public=public_vector(), preview=preview_vector())
        .filter(Q(public=wanted) | (Q(preview=wanted) & preview_in_force_q()))
        .order_by("-published_at", "-pk")
        .values("pk")[:SEARCH_CANDIDATES]
    )
    return (
        articles.filter(pk__in=newest_matches)
        .annotate(public=public_vector(), preview=preview_vector())
        .annotate(rank=SearchRank(F("public"), wanted) + SearchRank(F("preview"), wanted))
        .order_by("-rank", "-published_at", "-pk")
    )
