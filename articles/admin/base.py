"""What every part of the article admin shares: its own addresses, the article a view is
about, and the words the admin uses for an article's state and its people."""

from django.contrib.admin.templatetags.admin_urls import add_preserved_filters
from django.contrib.admin.utils import unquote
from django.http import Http404, HttpResponseRedirect
from django.urls import reverse

from articles.models import Article


def article_state(article) -> str:
    """Return the article's state in the list's words: draft, sent back, in review, …"""
    if article.draft_of_id is not None:
        if article.status == Article.Status.REVIEW:
            return "Changes in review"
        return "Changes to a live article"
    if article.is_scheduled:
        return "Scheduled"
    if article.is_past_unpublish_time:
        return "Ended"
    if article.is_sent_back:
        return "Sent back"
    return article.get_status_display()


def person_name(user) -> str:
    """Return how the admin names a person: their name, else their email; "" for nobody."""
    return (user.name or user.email) if user is not None else ""


class ArticleAdminBase:
    """The ground each part of `ArticleAdmin` (a mixin per concern) stands on."""

    def article_url(self, name, *args) -> str:
        """Return the address of the article admin's page `name` ("change", "revisions", …)."""
        opts = self.opts
        return reverse(
            f"admin:{opts.app_label}_{opts.model_name}_{name}",
            args=args,
            current_app=self.admin_site.name,
        )

    def article_or_404(self, request, object_id):
        """Return the article a view's address names, or answer 404."""
        article = self.get_object(request, unquote(str(object_id)))
        if article is None:
            raise Http404("No such article.")
        return article

    def may_edit(self, request, obj) -> bool:
        """Whether this user may change `obj`, or add an article when `obj` is None."""
        if obj is None:
            return self.has_add_permission(request)
        return self.has_change_permission(request, obj)

    def back_to_the_form(self, request, article):
        """Redirect to the article's change form, keeping the list's filters."""
        preserved = {"preserved_filters": self.get_preserved_filters(request), "opts": self.opts}
        return HttpResponseRedirect(
            add_preserved_filters(preserved, self.article_url("change", article.pk))
        )
