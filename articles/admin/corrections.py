"""Corrections and clarifications of a live article, as rows of its change form.

Editors add them, everyone with the article sees them; every write goes through
`articles.corrections`, which checks the editor again and announces the change.
"""

from django.contrib import admin

from articles.corrections import correction_delete, correction_save, may_correct
from articles.models import Correction
from foundation.forms import ClockTimesAdminMixin


class CorrectionInline(ClockTimesAdminMixin, admin.StackedInline):
    """Corrections and clarifications of a live article: editors add them, everyone with the
    article sees them. A forged form from anyone else is ignored by the admin (no permission:
    nothing changed), and `articles.corrections` refuses it again."""

    model = Correction
    extra = 0
    fields = ["kind", "text", "published_at"]
    verbose_name = "correction or clarification"
    verbose_name_plural = "Corrections and clarifications (shown on the article and /corrections/)"
    clock_nouns = {"published_at": "Correction"}

    def has_add_permission(self, request, obj=None):
        return may_correct(request.user) and obj is not None and obj.is_live

    def has_change_permission(self, request, obj=None):
        return may_correct(request.user)

    def has_delete_permission(self, request, obj=None):
        return may_correct(request.user)

    def has_view_permission(self, request, obj=None):
        user = request.user
        return may_correct(user) or any(
            user.has_perm(f"articles.{action}_article") for action in ("view", "change")
        )


class CorrectionsAdminMixin:
    """The change form's corrections: shown where readers have read the article, saved
    through `articles.corrections`."""

    def get_inlines(self, request, obj):
        inlines = super().get_inlines(request, obj)
        # What the article and the user say first: only then ask the database.
        if obj is None or not (
            (obj.is_live and may_correct(request.user)) or obj.corrections.exists()
        ):
            # Corrections are of what readers have read: none on drafts or the add form (nor
            # an empty list for those who may not add one).
            inlines = [inline for inline in inlines if inline is not CorrectionInline]
        return inlines

    def save_formset(self, request, form, formset, change):
        if formset.model is not Correction:
            return super().save_formset(request, form, formset, change)
        # Through the service, which checks the editor and announces the change.
        for correction in formset.save(commit=False):
            correction_save(correction=correction, by=request.user)
        for correction in formset.deleted_objects:
            correction_delete(correction=correction, by=request.user)
        return None
