"""What editors must act on, findable from the article list: pictures whose rights run out."""

from django.contrib import admin, messages
from django.urls import reverse
from django.utils.html import format_html

from articles.models import Article

RIGHTS_WARNING_DAYS = 7


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
    count = Article.objects.showing_pictures_with_rights_ending(
        within_days=RIGHTS_WARNING_DAYS
    ).count()
    if not count:
        return
    url = reverse("admin:articles_article_changelist")
    param = f"{PictureRightsEndingFilter.parameter_name}={PictureRightsEndingFilter.ENDING}"
    messages.warning(
        request,
        format_html(
            "{} live or scheduled article{} show{} a picture whose rights expire within {} days "
            '(or have expired): <a href="{}?{}">list them</a> and change the picture or '
            "unpublish the article.",
            count,
            "" if count == 1 else "s",
            "s" if count == 1 else "",
            RIGHTS_WARNING_DAYS,
            url,
            param,
        ),
    )
