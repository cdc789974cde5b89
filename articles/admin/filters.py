"""The article list's filters: where an article is in the newsroom's day, and what editors
must act on (pictures whose rights run out), with the warning that leads to them."""

from django.contrib import admin, messages
from django.db.models import Exists, Max, Min, OuterRef
from django.http import QueryDict
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html

from articles.models import Article, Author, Byline

RIGHTS_WARNING_DAYS = 7
# The warning counts this many articles at most, then says "more than": it reads no further.
RIGHTS_WARNING_MOST = 100


class ArticleStateFilter(admin.SimpleListFilter):
    """Where an article is in the newsroom's day: scheduled is its own state here."""

    title = "state"
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [
            ("draft", "Draft"),
            ("sent-back", "Sent back"),
            ("review", "In review"),
            ("scheduled", "Scheduled"),
            ("published", "Published"),
        ]

    def queryset(self, request, queryset):
        match self.value():
            case "draft":
                return queryset.drafts()
            case "sent-back":
                return queryset.sent_back()
            case "review":
                return queryset.in_review()
            case "scheduled":
                return queryset.scheduled()
            case "published":
                return queryset.published()
        return queryset


class AuthorFilter(admin.SimpleListFilter):
    """The articles with an author in their byline. Its choices come from the authors' own
    small table, and it filters without a join (no DISTINCT over the archive's bylines).

    A newsroom has hundreds of bylines: they are one list to choose from in a small form, not
    a link each. Each link cost a query string of its own, and 200 of them a fifth of the
    list page at archive size."""

    title = "author"
    parameter_name = "authors__id__exact"  # the address Django's own filter gave it
    template = "admin/articles/article/select_filter.html"

    def choices(self, changelist):
        # The list's other choices, kept by the form as hidden fields; the page starts again.
        others = QueryDict(changelist.get_query_string(remove=[self.parameter_name, "p"])[1:])
        self.kept_params = [(name, value) for name in others for value in others.getlist(name)]
        for value, label in self.lookup_choices:
            yield {"value": value, "display": label, "selected": self.value() == value}

    def lookups(self, request, model_admin):
        return [
            (str(pk), name)
            for pk, name in Author.objects.order_by("name").values_list("pk", "name")
        ]

    def queryset(self, request, queryset):
        if self.value() and self.value().isdigit():
            bylines = Byline.objects.filter(article=OuterRef("pk"), author_id=int(self.value()))
            return queryset.filter(Exists(bylines))
        return queryset


class PublishedYearFilter(admin.SimpleListFilter):
    """The year an article went out. Its choices run from the first year to the last, two
    reads of the index on `published_at`, where Django's date drill-down read every row."""

    title = "year published"
    parameter_name = "published_at__year"

    def lookups(self, request, model_admin):
        span = Article.objects.aggregate(first=Min("published_at"), last=Max("published_at"))
        if span["first"] is None:
            return []
        years = range(
            timezone.localtime(span["last"]).year, timezone.localtime(span["first"]).year - 1, -1
        )
        return [(str(year), str(year)) for year in years]

    def queryset(self, request, queryset):
        if self.value() and self.value().isdigit():
            return queryset.filter(published_at__year=int(self.value()))
        return queryset


class PictureRightsEndingFilter(admin.SimpleListFilter):
    """Live or scheduled articles showing a picture whose rights end within 7 days, or ended."""

    title = "picture rights"
    parameter_name = "picture_rights"
    ENDING = "ending"

    def lookups(self, request, model_admin):
        return [(self.ENDING, f"Picture rights expire within {RIGHTS_WARNING_DAYS} days")]

    def queryset(self, request, queryset):
        if self.value() == self.ENDING:
            return queryset.showing_pictures_with_rights_ending(within_days=RIGHTS_WARNING_DAYS)
        return queryset


def warn_about_picture_rights(request, *, may_publish: bool) -> None:
    """Tell an editor, at the top of the article list, how many articles on the site show a
    picture whose rights end within a week, with a link that lists them."""
    if not may_publish or request.GET.get(PictureRightsEndingFilter.parameter_name):
        return
    showing = Article.objects.showing_pictures_with_rights_ending(within_days=RIGHTS_WARNING_DAYS)
    count = showing[: RIGHTS_WARNING_MOST + 1].count()
    if not count:
        return
    more = count > RIGHTS_WARNING_MOST
    url = reverse("admin:articles_article_changelist")
    param = f"{PictureRightsEndingFilter.parameter_name}={PictureRightsEndingFilter.ENDING}"
    messages.warning(
        request,
        format_html(
            "{}{} live or scheduled article{} show{} a picture whose rights expire within {} days "
            '(or have expired): <a href="{}?{}">list them</a> and change the picture or '
            "unpublish the article.",
            "More than " if more else "",
            RIGHTS_WARNING_MOST if more else count,
            "" if count == 1 else "s",
            "s" if count == 1 else "",
            RIGHTS_WARNING_DAYS,
            url,
            param,
        ),
    )
