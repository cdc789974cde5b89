"""The article list: the newsroom's work in hand first, each article's state and who has it,
its filters, and the editors' warning about pictures whose rights run out."""

import re

from django.contrib import admin
from django.contrib.admin.views.main import ChangeList
from django.db import connections
from django.db.models import F, Prefetch, Q
from django.utils.html import format_html
from django.utils.text import Truncator

from articles.models import Article, Author, Byline
from articles.search import admin_search_query
from foundation.clock import short_time
from foundation.paging import ArchiveListAdminMixin

from .base import article_state, person_name
from .filters import (
    ArticleStateFilter,
    AuthorFilter,
    PictureRightsEndingFilter,
    PublishedYearFilter,
    warn_about_picture_rights,
)

# The shortest word that looks for an author: "in" would find every Finn and Quinn.
AUTHOR_WORD_LENGTH = 3


def authors_named(word: str):
    """Return the authors one of whose names begins with `word` (at least three letters:
    shorter words are left to the text), as the text search matches a word's start."""
    if len(word) < AUTHOR_WORD_LENGTH:
        return Author.objects.none()
    return Author.objects.filter(name__iregex=r"\m" + re.escape(word))


class ArticleChangeList(ChangeList):
    """The list, with the bylines its column shows read for the whole page at once: here, not
    in `ArticleAdmin.get_queryset`, which a save of one article reads it with too."""

    def get_queryset(self, request, exclude_parameters=None):
        return (
            super()
            .get_queryset(request, exclude_parameters)
            .prefetch_related(Prefetch("bylines", queryset=Byline.objects.select_related("author")))
        )


class ArticleListAdminMixin(ArchiveListAdminMixin):
    """The list's columns, order, filters and search, each costing the same whatever the size
    of the archive (`foundation.paging`; the filters' choices come from small tables)."""

    list_display = [
        "headline",
        "status_label",
        "holder",
        "section",
        "byline",
        "access",
        "time",
    ]
    list_display_links = ["headline"]

    def get_changelist(self, request, **kwargs):
        return ArticleChangeList

    # Work in hand first (drafts and articles in review have no publish time yet), on every
    # database: PostgreSQL would put them first, SQLite last.
    ordering = [F("published_at").desc(nulls_first=True), "-pk"]
    list_filter = [
        ArticleStateFilter,
        "section",
        # Every author, from their own small table: only those with a byline would read the
        # whole archive's bylines on every view.
        AuthorFilter,
        "access",
        "tags",
        PublishedYearFilter,
        PictureRightsEndingFilter,
    ]
    # Headline, standfirst and author names: see get_search_results.
    search_fields = ["headline", "standfirst", "slug", "authors__name"]

    def get_list_filter(self, request):
        filters = super().get_list_filter(request)
        if self.has_publish_permission(request):
            return filters
        # Pictures whose rights run out on live articles are the editors' to replace.
        return [f for f in filters if f is not PictureRightsEndingFilter]

    def get_search_results(self, request, queryset, search_term):
        """Find each word of the search in the headline, standfirst or slug, or in the name of
        an author of the byline. On PostgreSQL the headline and standfirst are matched by
        their stored text search vector (`Article.search_vector`, one GIN index) by word
        prefix, "harb" finds "harbour", instead of LIKE over the archive and its bylines."""
        if connections[queryset.db].vendor != "postgresql" or not search_term.strip():
            return super().get_search_results(request, queryset, search_term)
        words = search_term.split()[:10]
        in_text = []
        for word in words:
            authors = list(authors_named(word).values_list("pk", flat=True))
            if not authors:
                in_text.append(word)
                continue
            # The articles of those bylines, and those whose text has the word, as one set of
            # ids: two index scans. (An OR of the two in the filter reads the archive row by
            # row until it has enough, most of it for a writer with few articles.)
            matching = Byline.objects.filter(author__in=authors).values("article_id")
            if (wanted := admin_search_query([word])) is not None:
                in_text_too = Article.objects.filter(search_vector=wanted).values("pk")
                matching = matching.union(in_text_too)
            queryset = queryset.filter(pk__in=matching)
        if in_text:
            # The other words in one query: the database drops the words it never indexes
            # ("in", "the"), where each alone would match nothing.
            by_text = Q(slug__in=[word.lower() for word in in_text])
            if (wanted := admin_search_query(in_text)) is not None:
                by_text |= Q(search_vector=wanted)
            queryset = queryset.filter(by_text)
        return queryset, False

    def changelist_view(self, request, extra_context=None):
        if request.method == "GET":
            warn_about_picture_rights(request, may_publish=self.has_publish_permission(request))
        # The newsroom's working list needs its width for seven columns and the filters at
        # 1280 px: the app list beside it goes (the breadcrumbs lead back to it).
        extra_context = {"is_nav_sidebar_enabled": False, **(extra_context or {})}
        return super().changelist_view(request, extra_context)

    @admin.display(description="Byline")
    def byline(self, obj):
        return ", ".join(byline.author.name for byline in obj.bylines.all())

    @admin.display(description="State", ordering="status")
    def status_label(self, obj):
        state = article_state(obj)
        if obj.is_sent_back:
            return format_html(
                '{}<br><span class="review-note-excerpt" title="{}">“{}”</span>',
                state,
                obj.review_note,
                Truncator(obj.review_note).chars(60),
            )
        return state

    @admin.display(description="With")
    def holder(self, obj):
        """Who has the article now: its journalist while a draft, the editors in review."""
        if obj.status == Article.Status.REVIEW:
            return "Editors"
        if obj.status == Article.Status.DRAFT:
            return person_name(obj.created_by) or "—"
        return "—"

    @admin.display(description="Time", ordering="published_at")
    def time(self, obj):
        """When it went out or goes out; for a draft, when it was last saved."""
        if obj.published_at is not None and obj.status == Article.Status.PUBLISHED:
            when = short_time(obj.published_at)
            if obj.is_scheduled:
                return format_html('<span title="Goes live at this time">{}</span>', when)
            return when
        return format_html('<span class="quiet">saved {}</span>', short_time(obj.updated_at))
