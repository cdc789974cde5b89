"""Review: a journalist submits a draft, an editor publishes it or sends it back with a note.

The buttons of the review controls (templates/admin/articles/article/includes/
review_controls.html) save what was typed, then ask `articles.services`; the list's actions ask
the same services. Each action declares its permission, so a view-only account runs none.
"""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from articles import services
from articles.models import Article
from articles.revisions import may_prepare_changes

from .base import article_state, person_name
from .forms import SEND_BACK

SUBMIT_FOR_REVIEW = "_submit_for_review"
PUBLISH = "_publish"


class ReviewAdminMixin:
    """The review controls on the change form, what a save says of where the article went,
    and the list's actions."""

    actions = ["submit_for_review", "publish_now", "unpublish"]

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        sends_back = request.method == "POST" and SEND_BACK in request.POST
        if sends_back and not self.has_publish_permission(request):
            raise PermissionDenied("Only an editor may send an article back.")
        if request.method == "POST" and PUBLISH in request.POST:
            if not self.has_publish_permission(request):
                raise PermissionDenied("You may not publish articles.")
            # "Save and publish" is the Status field set to Published, then Save: it publishes
            # now, or schedules it when a publish time in the future is typed.
            request.POST = request.POST.copy()
            request.POST["status"] = Article.Status.PUBLISHED
        return super().changeform_view(request, object_id, form_url, extra_context)

    def submit_saved_for_review(self, request, article):
        """Hand the saved draft to the editors; return whether that was refused."""
        try:
            services.article_submit_for_review(article=article, by=request.user)
        except services.SubmitRefused as refusal:
            self.message_user(
                request, f"{refusal.message} Everything you typed is saved.", messages.ERROR
            )
            return True
        return False

    def response_add(self, request, obj, post_url_continue=None):
        if SUBMIT_FOR_REVIEW in request.POST:
            self._say_where_it_went(request, obj)
            return self.response_post_save_add(request, obj)
        return super().response_add(request, obj, post_url_continue)

    def response_change(self, request, obj):
        if SEND_BACK in request.POST or SUBMIT_FOR_REVIEW in request.POST:
            self._say_where_it_went(request, obj)
            return self.response_post_save_change(request, obj)
        return super().response_change(request, obj)

    def _say_where_it_went(self, request, article):
        if article.status == Article.Status.REVIEW:
            self.message_user(
                request,
                f"“{article}” is saved and submitted for review: the editors have it now.",
                messages.SUCCESS,
            )
        elif article.is_sent_back:
            self.message_user(
                request,
                f"“{article}” is saved and sent back to "
                f"{person_name(article.created_by) or 'its journalist'} with your note.",
                messages.SUCCESS,
            )

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        context["review"] = self._review_context(request, obj, context["adminform"].form)
        return super().render_change_form(
            request, context, add=add, change=change, form_url=form_url, obj=obj
        )

    def _review_context(self, request, article, form):
        """What the review controls show: the editor's note, who has it, the buttons."""
        if article is None:  # adding: its writer may submit it at once
            return {
                "may_submit": self.has_add_permission(request),
                "may_publish": services.user_is_editor(request.user),
            }
        editor = services.user_is_editor(request.user)
        editable = self.has_change_permission(request, article)
        in_review = article.status == Article.Status.REVIEW
        return {
            "state": article_state(article),
            "summary": self._review_summary(request, article, editable=editable),
            "note": article.review_note if article.is_sent_back else "",
            "note_by": person_name(article.review_note_by),
            "note_at": article.review_note_at,
            "owner": person_name(article.created_by),
            "may_submit": editable and article.status == Article.Status.DRAFT,
            "may_send_back": editor and editable and in_review,
            # Changes to a live article go out with "Save and publish these changes" instead.
            "may_publish": editor
            and editable
            and article.draft_of_id is None
            and article.status in (Article.Status.DRAFT, Article.Status.REVIEW),
            "note_field": form["send_back_note"] if editor and in_review else None,
        }

    @staticmethod
    def _review_summary(request, article, *, editable):
        """Say who has the article and what this user may do with it, in a sentence."""
        own = article.created_by_id is not None and article.created_by_id == request.user.pk
        owner = "you" if own else person_name(article.created_by) or "no journalist"
        if article.status == Article.Status.REVIEW:
            if editable:
                return "the editors have it. Publish it, or send it back with a note."
            if own:
                return (
                    "the editors have it. You can read it but not change it until an editor "
                    "publishes it or sends it back to you."
                )
            return "the editors have it; you can read it but not change it."
        if article.status == Article.Status.DRAFT:
            if editable:
                return f"with {owner}."
            return f"with {owner}; it is not yours, so you can read it but not change it."
        # Out, or going out at its time.
        when = ""
        if article.is_scheduled and article.published_at is not None:  # None: refused as typed
            when = f"it goes live on {services.describe_time(article.published_at)}"
        if editable:
            return f"{when}." if when else ""  # nothing to review
        said = f"{when}; " if when else ""
        if (
            article.draft_of_id is None
            and may_prepare_changes(request.user, article)
            and not Article.objects.filter(draft_of=article).exists()
        ):
            return (
                f"{said}readers see it as it is. To change it, use “Prepare changes” (top "
                "right): you edit a copy, and an editor publishes it."
            )
        return f"{said}only an editor can change it now; you can read it."

    # The list's actions -------------------------------------------------------------------

    @admin.action(description="Submit for review", permissions=["change"])
    def submit_for_review(self, request, queryset):
        submitted, not_yours = 0, []
        for article in queryset:
            if article.status != Article.Status.DRAFT:
                continue  # in review or out already: nothing to submit
            try:
                services.article_submit_for_review(article=article, by=request.user)
            except PermissionDenied:
                not_yours.append(f"“{article}”")
                continue
            except services.SubmitRefused as refusal:
                self.message_user(request, refusal.message, messages.ERROR)
                continue
            submitted += 1
        if not_yours:
            self.message_user(
                request,
                "You may submit only your own drafts; not submitted: " + ", ".join(not_yours),
                messages.ERROR,
            )
        if submitted:
            self.message_user(
                request, f"Submitted {submitted} article(s) for review.", messages.SUCCESS
            )

    @admin.action(description="Publish now", permissions=["publish"])
    def publish_now(self, request, queryset):
        published = 0
        # Prepared changes go onto their live article ("Publish changes"), not out on their own.
        for article in queryset.filter(
            status__in=[Article.Status.DRAFT, Article.Status.REVIEW], draft_of=None
        ):
            try:
                services.article_publish(article=article, by=request.user, at=timezone.now())
            except services.PublishRefused as refusal:
                self.message_user(request, refusal.message, messages.ERROR)
                continue
            published += 1
        if published:
            self.message_user(request, f"Published {published} article(s).", messages.SUCCESS)

    @admin.action(description="Unpublish (back to draft)", permissions=["publish"])
    def unpublish(self, request, queryset):
        count = 0
        for article in queryset.filter(status=Article.Status.PUBLISHED):
            services.article_unpublish(article=article, by=request.user)
            count += 1
        self.message_user(request, f"{count} article(s) are drafts again.", messages.SUCCESS)
