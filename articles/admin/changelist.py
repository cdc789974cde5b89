"""The article list: the newsroom's work in hand first, each article's state and who has it,
its filters, and the editors' warning about pictures whose rights run out."""

from django.contrib import admin
from django.db.models import F
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.text import Truncator

from articles.models import Article

from .base import article_state, person_name
from .filters import ArticleStateFilter, PictureRightsEndingFilter, warn_about_picture_rights


def short_time(moment) -> str:
    """Return "29 Nov, 09:00" (with the year when it is not this one), in local time."""
    local = timezone.localtime(moment)
    same_year = local.year == timezone.localtime().year
    return date_format(local, "j M, H:i" if same_year else "j M Y, H:i")


class ArticleListAdminMixin:
    """The list's columns, order, filters and search."""

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
    # Work in hand first (drafts and articles in review have no publish time yet), on every
    # database: PostgreSQL would put them first, SQLite last.
    ordering = [F("published_at").desc(nulls_first=True), "-pk"]
    list_filter = [
        ArticleStateFilter,
        "section",
        ("authors", admin.RelatedOnlyFieldListFilter),
        "access",
        "tags",
        PictureRightsEndingFilter,
    ]
    search_fields = ["headline", "standfirst", "slug", "authors__name"]
    date_hierarchy = "published_at"

    def get_list_filter(self, request):
        filters = super().get_list_filter(request)
        if self.has_publish_permission(request):
            return filters
        # Pictures whose rights run out on live articles are the editors' to replace.
        return [f for f in filters if f is not PictureRightsEndingFilter]

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
