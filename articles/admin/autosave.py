"""Nothing typed is lost: the change form's script posts what was typed to the autosave view
(`articles.autosave` keeps it for its author); the form offers it back, and shows itself filled
in with it on ?restore=autosave, without saving anything."""

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, HttpResponseNotAllowed, JsonResponse
from django.urls import path
from django.utils import timezone
from django.utils.formats import time_format

from articles.autosave import (
    autosave_discard,
    autosave_find,
    autosave_form_data,
    autosave_keep,
    autosave_max_bytes,
)


def refuse_large_autosave(request):
    """Return the answer to an autosave too large to keep (or a bad length), else None."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return HttpResponse("Content-Length must be a number.", status=400)
    if length > autosave_max_bytes():
        return HttpResponse(
            "Too much to autosave: save the article with its Save button instead.",
            status=413,
            content_type="text/plain",
        )
    return None


class AutosaveAdminMixin:
    """The autosave view, the offer to restore, and the form filled in with an autosave."""

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        wrap = self.admin_site.admin_view
        own = [
            path("autosave/", wrap(self.autosave_view), name="{}_{}_autosave_new".format(*info)),
            path(
                "<path:object_id>/autosave/",
                wrap(self.autosave_view),
                name="{}_{}_autosave".format(*info),
            ),
        ]
        return own + super().get_urls()  # before the admin's catch-all "<object_id>/"

    def autosave_view(self, request, object_id=None):
        """Keep what was typed into the form (204), or forget it ("discard", back to the form).

        Only for those who may change the article (or add one); CSRF-checked like the form.
        """
        article = None
        if object_id is not None:
            article = self.article_or_404(request, object_id)
        if not self.may_edit(request, article):
            raise PermissionDenied("You may not change this article.")
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        # CSRF middleware has read the form already if it fits Django's own upload limit (else
        # it answered 400); the autosave has a smaller limit of its own.
        if refused := refuse_large_autosave(request):
            return refused
        if "discard" in request.POST:
            autosave_discard(by=request.user, article=article)
            self.message_user(request, "Your unsaved edits were discarded.", messages.INFO)
            return self.back_to_the_form(request, article)
        autosave = autosave_keep(by=request.user, article=article, form_data=request.POST)
        return JsonResponse({"saved_at": time_format(timezone.localtime(autosave.saved_at))})

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        # Saved: what was autosaved of this form is now the article (or older than it).
        autosave_discard(by=request.user, article=form.instance)
        if not change:
            autosave_discard(by=request.user, article=None)

    def restoring(self, request, obj):
        """Return the autosave to fill the form with on ?restore=autosave, if there is one."""
        if request.method != "GET" or request.GET.get("restore") != "autosave":
            return None
        if obj is not None and obj.pk is None:  # the add form's inlines get its new article
            obj = None
        if not self.may_edit(request, obj):
            return None
        return autosave_find(by=request.user, article=obj)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        autosave = self.restoring(request, obj)
        if autosave is None:
            return form
        restored = autosave_form_data(autosave)

        class RestoredForm(form):
            """The change form, filled in with the autosave: shown, never saved from here."""

            def __init__(self, *args, **kwargs):
                if not args and kwargs.get("data") is None:
                    kwargs["data"] = restored
                super().__init__(*args, **kwargs)

        RestoredForm.__name__ = form.__name__
        return RestoredForm

    def get_formset_kwargs(self, request, obj, inline, prefix):
        kwargs = super().get_formset_kwargs(request, obj, inline, prefix)
        if autosave := self.restoring(request, obj):
            kwargs["data"] = autosave_form_data(autosave)
        return kwargs

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        may_edit = self.may_edit(request, obj)
        context["autosave"] = self._autosave_offer(request, obj) if may_edit else None
        context["autosave_url"] = self._autosave_url(obj) if may_edit else ""
        context["autosave_seconds"] = settings.NEWSROOM_AUTOSAVE_SECONDS
        return super().render_change_form(
            request, context, add=add, change=change, form_url=form_url, obj=obj
        )

    def _autosave_url(self, obj):
        if obj is None:
            return self.article_url("autosave_new")
        return self.article_url("autosave", obj.pk)

    def _autosave_offer(self, request, obj):
        """What the form shows of the person's unsaved edits: the offer to restore them, or
        the note that the form is filled in with them."""
        autosave = autosave_find(by=request.user, article=obj)
        if autosave is None:
            return None
        return {
            "saved_at": time_format(timezone.localtime(autosave.saved_at)),
            "restored": self.restoring(request, obj) is not None,
            # An autosave older than the article's last save: someone saved since.
            "saved_since": obj is not None and obj.updated_at > autosave.saved_at,
            "updated_at": time_format(timezone.localtime(obj.updated_at)) if obj else "",
            "url": self._autosave_url(obj),
        }
