"""The article admin's revisions, prepared changes to live articles and stale-save refusals.

Its views are thin: every write goes through `articles.revisions`, which checks permission
again.
"""

import json

from django import forms
from django.contrib import messages
from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path

from articles import revisions, services
from articles.models import Article, ArticleRevision

CHANGES_READONLY = ["status", "published_at", "unpublish_at", "access", "slug"]
PUBLISH_CHANGES = "_publish_changes"


def sentence(text: str) -> str:
    return text if text.endswith((".", "?", "!")) else f"{text}."


class RevisionsAdminMixin:
    """The revisions of an article: kept at every save, listed, compared and restored; and
    changes prepared on a copy of a live article."""

    @property
    def media(self):
        return super().media + forms.Media(css={"all": ["newsroom/revisions.css"]})

    # The form ------------------------------------------------------------------------------

    def get_fieldsets(self, request, obj=None):
        fieldsets = [(name, dict(options)) for name, options in super().get_fieldsets(request, obj)]
        # The version the form showed travels with it, hidden (`ArticleForm`).
        first_name, first = fieldsets[0]
        fieldsets[0] = (first_name, {**first, "fields": [*first["fields"], "loaded_version"]})
        return fieldsets

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if obj is not None and obj.draft_of_id is not None:
            # Prepared changes go out onto the live article, at its address and its time.
            readonly += [name for name in CHANGES_READONLY if name not in readonly]
        return readonly

    def get_prepopulated_fields(self, request, obj=None):
        fields = super().get_prepopulated_fields(request, obj)
        if obj is not None and obj.draft_of_id is not None:
            return {name: deps for name, deps in fields.items() if name != "slug"}
        return fields

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        if request.method == "POST":
            if object_id and str(object_id).isdigit():
                # An article written before revisions were kept is kept as it was, first.
                revisions.revision_keep_baseline(article_id=int(object_id))
            # What the services log during the save goes in its revision's note.
            with revisions.log_entries_noted() as request.logged_during_save:
                return super().changeform_view(request, object_id, form_url, extra_context)
        return super().changeform_view(request, object_id, form_url, extra_context)

    def render_change_form(self, request, context, *args, **kwargs):
        context.update(self._revision_context(request, kwargs.get("obj")))
        response = super().render_change_form(request, context, *args, **kwargs)
        form = context["adminform"].form
        if getattr(form, "later_save", None) is not None:
            response.status_code = 409  # someone saved it since this form was opened
        return response

    def _revision_context(self, request, obj):
        if obj is None or obj.pk is None:
            return {}
        context = {
            "revisions_url": self.article_url("revisions", obj.pk),
            "may_publish_changes": request.user.has_perm(services.PUBLISH_PERMISSION),
            "publish_changes_name": PUBLISH_CHANGES,
        }
        if obj.draft_of_id is not None:
            context["changes_to"] = obj.draft_of
            context["changes_to_url"] = self.article_url("change", obj.draft_of_id)
            context["live_changed"] = revisions.live_changed_since_prepared(obj)
            return context
        draft = Article.objects.filter(draft_of=obj).first()
        if draft is not None:
            by, since = revisions.changes_prepared_by(draft)
            context["changes_in_progress"] = {
                "url": self.article_url("change", draft.pk),
                "by": (by.get_full_name() or by.email) if by is not None else "",
                "since": since,
            }
        elif revisions.may_prepare_changes(request.user, obj):
            context["prepare_changes_url"] = self.article_url("prepare_changes", obj.pk)
        return context

    # Every save keeps a revision -----------------------------------------------------------

    # Django logs a save made through the form once all of it is done (the body, and whatever
    # the publishing services changed): the moment to keep the article as a revision.
    def log_addition(self, request, obj, message):
        self.keep_revision(request, obj, message)
        return super().log_addition(request, obj, message)

    def log_change(self, request, obj, message):
        self.keep_revision(request, obj, message)  # every save keeps a revision
        if message:  # else only status, time or access changed, and the services logged it
            return super().log_change(request, obj, message)
        return None

    def keep_revision(self, request, obj, message):
        """Keep the saved article as a revision that says what the save did: what the form
        changed, then what the publishing services did (sent back with the note, scheduled,
        published, unpublished, access changed), as the admin log says it."""
        typed = LogEntry(change_message=json.dumps(message)).get_change_message() if message else ""
        done = [typed, *self._logged_by_services(request, obj)]
        note = " ".join(sentence(part) for part in done if part)
        # The body as the change form's save read it (`ChangeFormAdminMixin.save_related`).
        body = getattr(request, "saved_article_body", None)
        saved = getattr(request, "saved_article_parts", None)  # its byline and tags, if saved
        revisions.revision_record(
            article=obj,
            by=request.user,
            note=note or "Saved",
            body=body,
            byline=saved.byline if saved else None,
            tags=saved.tags if saved else None,
            # The form's save wrote `updated_at` last, on this very object: the save itself,
            # the body's figures and the publishing services all save `obj` (auto_now).
            version=obj.updated_at if saved else None,
        )

    def _logged_by_services(self, request, obj) -> list[str]:
        written = getattr(request, "logged_during_save", None)
        if not written:  # nothing logged (or not a save of the form): nothing to ask
            return []
        # Asked of the log, not taken as noted: an entry whose savepoint rolled back is gone.
        entries = LogEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(obj),
            object_id=str(obj.pk),
            user=request.user,
            pk__in=written,
        ).order_by("pk")
        return [entry.get_change_message() for entry in entries]

    def response_change(self, request, obj):
        if PUBLISH_CHANGES in request.POST and obj.draft_of_id is not None:
            try:
                live = revisions.article_publish_changes(draft=obj, by=request.user)
            except ValidationError as refusal:
                self.message_user(request, " ".join(refusal.messages), messages.ERROR)
                return HttpResponseRedirect(self.article_url("change", obj.pk))
            self.message_user(
                request,
                f"The changes are published: readers now see them on “{live}”.",
                messages.SUCCESS,
            )
            return HttpResponseRedirect(self.article_url("change", live.pk))
        return super().response_change(request, obj)

    # Views ---------------------------------------------------------------------------------

    def get_urls(self):
        view = self.admin_site.admin_view
        opts = self.opts
        name = f"{opts.app_label}_{opts.model_name}"
        return [
            path(
                "<int:object_id>/revisions/",
                view(self.revisions_view),
                name=f"{name}_revisions",
            ),
            path(
                "<int:object_id>/revisions/compare/",
                view(self.revision_compare_view),
                name=f"{name}_revision_compare",
            ),
            path(
                "<int:object_id>/revisions/<int:revision_id>/restore/",
                view(self.revision_restore_view),
                name=f"{name}_revision_restore",
            ),
            path(
                "<int:object_id>/prepare-changes/",
                view(self.prepare_changes_view),
                name=f"{name}_prepare_changes",
            ),
            *super().get_urls(),
        ]

    def _viewable(self, request, object_id):
        article = self.article_or_404(request, object_id)
        if not self.has_view_or_change_permission(request, article):
            raise PermissionDenied
        return article

    def _page_context(self, request, article, title):
        return {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "article": article,
            "title": title,
            "change_url": self.article_url("change", article.pk),
            "revisions_url": self.article_url("revisions", article.pk),
        }

    def revisions_view(self, request, object_id):
        """List the article's revisions, with pickers to compare any two."""
        article = self._viewable(request, object_id)
        history = list(article.revisions.select_related("created_by")[:500])
        context = {
            **self._page_context(request, article, f"Revisions of “{article}”"),
            "revisions": history,
            "compare_url": self.article_url("revision_compare", article.pk),
        }
        return TemplateResponse(request, "admin/articles/article/revisions.html", context)

    def revision_compare_view(self, request, object_id):
        """Show what changed between two revisions (`a`, `b`; by default the last two)."""
        article = self._viewable(request, object_id)
        history = article.revisions.select_related("created_by")
        picked = [request.GET.get(key, "") for key in ("a", "b")]
        if not all(value.isdigit() for value in picked if value):
            raise Http404("No such revision.")
        chosen = [get_object_or_404(history, pk=value) for value in picked if value]
        if len(chosen) < 2:
            later = chosen[0] if chosen else history.first()
            if later is None:
                raise Http404("This article has no revisions yet.")
            earlier = history.filter(created_at__lte=later.created_at).exclude(pk=later.pk).first()
            chosen = [earlier or later, later]
        earlier, later = sorted(chosen, key=lambda revision: (revision.created_at, revision.pk))
        rows = revisions.revision_compare(before=earlier.snapshot, after=later.snapshot)
        latest = history.first()
        may_restore = self._may_restore(request, article)
        context = {
            **self._page_context(request, article, f"Changes to “{article}”"),
            "earlier": earlier,
            "later": later,
            "changed": [row for row in rows if row.changed],
            "unchanged": [row.label for row in rows if not row.changed],
            "restorable": [
                revision
                for revision in dict.fromkeys([earlier, later])
                if may_restore and revision != latest
            ],
        }
        return TemplateResponse(request, "admin/articles/article/revision_compare.html", context)

    def _may_restore(self, request, article):
        return request.user.has_perm(services.PUBLISH_PERMISSION) and self.has_change_permission(
            request, article
        )

    def revision_restore_view(self, request, object_id, revision_id):
        """Ask an editor whether to restore a revision, saying plainly what readers will see;
        restore it once confirmed (a POST with "confirm"): the article becomes what it says, as
        a new revision."""
        article = self._viewable(request, object_id)
        if not self._may_restore(request, article):
            raise PermissionDenied
        revision = get_object_or_404(ArticleRevision, pk=revision_id, article=article)
        if request.method != "POST" or "confirm" not in request.POST:
            return self._restore_question(request, article, revision)
        try:
            revisions.revision_restore(revision=revision, by=request.user)
        except ValidationError as refusal:
            self.message_user(request, " ".join(refusal.messages), messages.ERROR)
            return HttpResponseRedirect(self.article_url("revisions", article.pk))
        article.refresh_from_db()
        said = ", and readers see it now" if article.is_live else ""
        self.message_user(
            request,
            f"“{article}” is as it was at {revisions.revision_time(revision)} again{said}. "
            "The version before is kept in the revisions.",
            messages.SUCCESS,
        )
        return HttpResponseRedirect(self.article_url("change", article.pk))

    def _restore_question(self, request, article, revision):
        """The page that asks before restoring: what readers will see, and what changes."""
        access = revision.snapshot.get("access") or article.access
        rows = revisions.revision_compare(
            before=revisions.article_snapshot(article), after=revision.snapshot
        )
        when = revisions.revision_time(revision)
        context = {
            **self._page_context(request, article, f"Restore the revision of {when}?"),
            "revision": revision,
            "when": when,
            "is_live": article.is_live,
            "goes_live": services.describe_time(article.published_at)
            if article.is_scheduled
            else "",
            "access_from": article.get_access_display() if access != article.access else "",
            "access_to": Article.Access(access).label,
            "changed": [row for row in rows if row.changed],
            "missing": revisions.snapshot_missing_references(revision.snapshot),
        }
        return TemplateResponse(request, "admin/articles/article/revision_restore.html", context)

    def prepare_changes_view(self, request, object_id):
        """Open the draft of changes to a live article, making it if there is none yet."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        article = self._viewable(request, object_id)
        if not revisions.may_prepare_changes(request.user, article):
            raise PermissionDenied
        draft = revisions.article_prepare_changes(article=article, by=request.user)
        self.message_user(
            request,
            f"Prepare your changes here: readers see “{article}” as it is until they are "
            "published.",
            messages.INFO,
        )
        return HttpResponseRedirect(self.article_url("change", draft.pk))
