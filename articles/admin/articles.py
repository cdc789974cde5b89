from content_editor.admin import ContentEditor, ContentEditorInline
from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.templatetags.admin_urls import add_preserved_filters
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import F, Prefetch
from django.forms.models import BaseInlineFormSet
from django.http import (
    Http404,
    HttpResponse,
    HttpResponseNotAllowed,
    HttpResponseRedirect,
    JsonResponse,
)
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone, translation
from django.utils.formats import date_format, time_format
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.text import Truncator
from django.views.decorators.http import require_POST

from articles import services
from articles.autosave import (
    autosave_discard,
    autosave_find,
    autosave_form_data,
    autosave_keep,
    autosave_max_bytes,
)
from articles.blocks import BLOCK_KINDS, Piece, block_kind, block_kind_of
from articles.body import article_blocks
from articles.corrections import correction_delete, correction_save, may_correct
from articles.models import Article, Author, Byline, Correction, PreviewLink, Section, Tag
from articles.previews import preview_link_create, preview_link_revoke
from articles.revisions import may_prepare_changes
from articles.site import views
from articles.site.pages import article_page_as_saved
from foundation.forms import InvalidFormStatusAdminMixin
from subscriptions.paywall import ReaderPersona, persona_reader

from .editor_policy import EditorPolicyAdminMixin
from .filters import PictureRightsEndingFilter, warn_about_picture_rights
from .forms import SEND_BACK, ArticleForm
from .revisions import RevisionsAdminMixin


@admin.register(Section)
class SectionAdmin(InvalidFormStatusAdminMixin, admin.ModelAdmin):
    list_display = ["name", "slug", "order"]
    list_editable = ["order"]
    prepopulated_fields = {"slug": ["name"]}
    search_fields = ["name"]


@admin.register(Author)
class AuthorAdmin(InvalidFormStatusAdminMixin, admin.ModelAdmin):
    list_display = ["name", "slug", "user"]
    prepopulated_fields = {"slug": ["name"]}
    search_fields = ["name", "user__email"]
    autocomplete_fields = ["photo", "user"]


@admin.register(Tag)
class TagAdmin(InvalidFormStatusAdminMixin, admin.ModelAdmin):
    list_display = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    search_fields = ["name"]


class BylineFormSet(BaseInlineFormSet):
    def add_fields(self, form, index):
        super().add_fields(form, index)
        if "DELETE" in form.fields:  # a table's column heading is no label for a reader
            form.fields["DELETE"].widget.attrs["aria-label"] = "Remove from the byline"


class BylineInline(admin.TabularInline):
    model = Byline
    formset = BylineFormSet
    extra = 1
    autocomplete_fields = ["author"]
    fields = ["author", "order"]
    verbose_name = "author"
    verbose_name_plural = "Byline (authors in order)"
    in_side_column = True  # the change form shows it with the section, beside the body

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        formfield = super().formfield_for_dbfield(db_field, request, **kwargs)
        if db_field.name == "order":  # a table's column heading is no label for a reader
            formfield.widget.attrs["aria-label"] = "Place in the byline"
        return formfield


class CorrectionInline(admin.StackedInline):
    """Corrections and clarifications of a live article: editors add them, everyone with the
    article sees them. A forged form from anyone else is ignored by the admin (no permission:
    nothing changed), and `articles.corrections` refuses it again."""

    model = Correction
    extra = 0
    fields = ["kind", "text", "published_at"]
    verbose_name = "correction or clarification"
    verbose_name_plural = "Corrections and clarifications (shown on the article and /corrections/)"

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        formfield = super().formfield_for_dbfield(db_field, request, **kwargs)
        if db_field.name == "published_at" and isinstance(formfield.widget, forms.MultiWidget):
            # The admin's split date and time inputs share one label: name each, and say which
            # zone the time is typed in, as the article's own times do (`ArticleForm`).
            zone = timezone.get_current_timezone_name()
            for subwidget, part in zip(formfield.widget.widgets, ("date", "time"), strict=True):
                subwidget.attrs["aria-label"] = f"Correction {part} ({zone})"
            formfield.help_text = f"{db_field.help_text} Type it in {zone}, the site's time zone."
        return formfield

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


# What goes out, and when: changed only through the publishing services, by those who may
# publish (`articles.publish_article`); everyone else sees these read-only.
PUBLISHING_FIELDS = ["status", "published_at", "unpublish_at", "access"]

# The change form (templates/admin/articles/article/change_form.html) puts the fieldsets with
# this class in a column beside the headline, standfirst and body on a wide screen, and below
# them on a narrow one; the one with BYLINE_BESIDE also has the byline under it, and the one
# with PUBLISHING the other publishing controls.
SIDE = "article-side"
PUBLISHING = "article-publishing"
BYLINE_BESIDE = "article-byline"
# Where the change form is told, after a refused publish, to mark what is missing in place.
REFUSED_SESSION_KEY = "articles.publish_refused"

# The buttons of the review controls (templates/admin/articles/article/includes/
# review_controls.html): each saves what was typed, then asks `articles.services`.
SUBMIT_FOR_REVIEW = "_submit_for_review"
PUBLISH = "_publish"


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


def read_only_body(article) -> list[Piece]:
    """Return the article's body as readers get it, piece by piece in order (the paywall
    break a piece of its own), for those who may only read the article in the admin."""
    return [
        Piece(mark_safe(piece.html), is_break=piece.is_break)  # noqa: S308 - sanitised, as rendered for readers
        for block in article_blocks(article)
        for piece in block_kind_of(block).pieces(block)
    ]


def short_time(moment) -> str:
    """Return "29 Nov, 09:00" (with the year when it is not this one), in local time."""
    local = timezone.localtime(moment)
    same_year = local.year == timezone.localtime().year
    return date_format(local, "j M, H:i" if same_year else "j M Y, H:i")


def person_name(user) -> str:
    return (user.name or user.email) if user is not None else ""


@admin.register(Article)
class ArticleAdmin(
    RevisionsAdminMixin, InvalidFormStatusAdminMixin, EditorPolicyAdminMixin, ContentEditor
):
    """The editorial admin. Saving the form saves what was typed (the article and its body);
    publishing, scheduling, unpublishing and access then go through `articles.services`, which
    check the saved article and the editor's permission. The list's actions call the same
    services.
    """

    form = ArticleForm
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
    prepopulated_fields = {"slug": ["headline"]}
    autocomplete_fields = ["section", "tags", "lead_image"]
    readonly_fields = ["updated_at", "read_time", "preview_links"]
    save_on_top = True
    actions = ["submit_for_review", "publish_now", "unpublish"]
    # What the journalist writes first; then, beside it on a wide screen (see SIDE), what goes
    # out and how: publishing, section and byline, the lead image, tags and search engines.
    fieldsets = [
        (None, {"fields": ["headline", "standfirst"]}),
        (
            "Publishing",
            {
                "fields": [
                    "status",
                    "published_at",
                    "unpublish_at",
                    "access",
                    "preview_links",
                    "updated_at",
                    "read_time",
                ],
                "classes": [SIDE, PUBLISHING],
            },
        ),
        ("Section and byline", {"fields": ["section"], "classes": [SIDE, BYLINE_BESIDE]}),
        (
            "Lead image",
            {
                "fields": ["lead_image", "lead_caption", "lead_credit", "lead_alt_text"],
                "classes": [SIDE, "collapse"],
            },
        ),
        (
            "Tags and search engines",
            {"fields": ["tags", "seo_description", "slug"], "classes": [SIDE, "collapse"]},
        ),
    ]
    inlines = [
        BylineInline,
        *(
            ContentEditorInline.create(kind.model, icon=kind.icon, **kind.admin_options)
            for kind in BLOCK_KINDS
        ),
        CorrectionInline,
    ]

    class Media:
        css = {"all": ["newsroom/admin.css", "newsroom/admin-review.css"]}
        # Unsaved edits: the prompt on leaving, autosave; names for the editors' inputs.
        js = ["newsroom/article_form.js"]

    def get_queryset(self, request):
        # Everyone with the view permission sees every article; what they may change is
        # has_change_permission's question, asked of each article.
        return (
            super()
            .get_queryset(request)
            .select_related("section", "lead_image", "created_by", "review_note_by")
            .prefetch_related(
                Prefetch("bylines", queryset=Byline.objects.select_related("author")),
                "lead_image__renditions",
            )
        )

    def get_inlines(self, request, obj):
        inlines = super().get_inlines(request, obj)
        if obj is None or not (
            obj.corrections.exists() or (obj.is_live and may_correct(request.user))
        ):
            # Corrections are of what readers have read: none on drafts or the add form (nor
            # an empty list for those who may not add one).
            inlines = [inline for inline in inlines if inline is not CorrectionInline]
        if obj is not None and obj.pk is not None and not self.has_change_permission(request, obj):
            # Read-only: the block editor cannot show read-only blocks (it orders them by an
            # input they lack, and shows their HTML as text); the form shows the body as
            # readers get it instead (`read_only_body`).
            inlines = [inline for inline in inlines if not issubclass(inline, ContentEditorInline)]
        return inlines

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
            path(
                "<path:object_id>/preview/<str:persona>/",
                wrap(self.preview_view),
                name="{}_{}_preview".format(*info),
            ),
            path(
                "<path:object_id>/share-links/",
                wrap(self.share_links_view),
                name="{}_{}_share_links".format(*info),
            ),
            path(
                "<path:object_id>/share-links/<int:link_id>/revoke/",
                wrap(require_POST(self.share_link_revoke_view)),
                name="{}_{}_share_link_revoke".format(*info),
            ),
        ]
        return own + super().get_urls()  # before the admin's catch-all "<object_id>/"

    def _article_or_404(self, request, object_id):
        article = self.get_object(request, unquote(object_id))
        if article is None:
            raise Http404("No article here.")
        return article

    def _change_url(self, article):
        return reverse(
            f"admin:{self.opts.app_label}_{self.opts.model_name}_change",
            args=[article.pk],
            current_app=self.admin_site.name,
        )

    def preview_view(self, request, object_id, persona):
        """Show the article (a draft, scheduled or live) exactly as `persona` would get it."""
        article = self._article_or_404(request, object_id)
        if not self.has_view_permission(request, article):
            raise PermissionDenied
        try:
            persona = ReaderPersona(persona)
        except ValueError:
            raise Http404("No such reader.") from None
        preview = {
            "title": f"Preview — as {persona.label}",
            "personas": [
                {
                    "label": other.label,
                    "url": reverse(
                        "admin:articles_article_preview",
                        args=[article.pk, other.value],
                        current_app=self.admin_site.name,
                    ),
                    "current": other == persona,
                }
                for other in ReaderPersona
            ],
            "admin_url": self._change_url(article),
            # Prepared changes are a draft of their own, but readers have the live article.
            "changes_to": article.draft_of.headline if article.draft_of_id else "",
        }
        page = article_page_as_saved(request, article.pk)
        reader = persona_reader(persona=persona)
        return views.article_preview_response(request, page, reader=reader, preview=preview)

    def share_links_view(self, request, object_id):
        """List the article's share links; POST makes a new one."""
        article = self._article_or_404(request, object_id)
        may_share = self.has_change_permission(request, article)
        if not (may_share or self.has_view_permission(request, article)):
            raise PermissionDenied
        if request.method == "POST":
            if not may_share:
                raise PermissionDenied("You may not share previews of this article.")
            link = preview_link_create(article=article, by=request.user)
            self.message_user(
                request,
                "A new share link is ready: anyone with it can read this article in full until "
                f"{timezone.localtime(link.expires_at):%d %B %Y, %H:%M}.",
                messages.SUCCESS,
            )
            return HttpResponseRedirect(request.path)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": article,
            "title": f"Share links for “{article}”",
            "links": _share_link_rows(request, article),
            "may_share": may_share,
            "change_url": self._change_url(article),
            "link_hours": settings.NEWSROOM_PREVIEW_LINK_HOURS,
        }
        return TemplateResponse(request, "admin/articles/article/share_links.html", context)

    def share_link_revoke_view(self, request, object_id, link_id):
        article = self._article_or_404(request, object_id)
        if not self.has_change_permission(request, article):
            raise PermissionDenied("You may not revoke share links of this article.")
        link = get_object_or_404(PreviewLink, pk=link_id, article=article)
        preview_link_revoke(link=link, by=request.user)
        self.message_user(request, "The share link is revoked: it now leads nowhere.")
        return HttpResponseRedirect(
            reverse("admin:articles_article_share_links", args=[article.pk])
        )

    def save_formset(self, request, form, formset, change):
        if formset.model is not Correction:
            return super().save_formset(request, form, formset, change)
        # Through the service, which checks the editor and announces the change.
        for correction in formset.save(commit=False):
            correction_save(correction=correction, by=request.user)
        for correction in formset.deleted_objects:
            correction_delete(correction=correction, by=request.user)
        return None

    def has_publish_permission(self, request):
        return services.user_is_editor(request.user)

    def has_change_permission(self, request, obj=None):
        """Whether this user may edit this article now: editors any; journalists their own
        (`created_by`) while it is a draft. Others' articles, and their own once submitted or
        out, they see read-only (`has_view_permission`)."""
        if obj is None or obj.pk is None:  # the list, or an article being added
            return super().has_change_permission(request)
        return services.article_editable_by(article=obj, user=request.user)

    # Autosave (articles.autosave): the form's script posts what was typed here; the change
    # form offers it back, and shows the form filled in with it on ?restore=autosave.
    def autosave_view(self, request, object_id=None):
        """Keep what was typed into the form (204), or forget it ("discard", back to the form).

        Only for those who may change the article (or add one); CSRF-checked like the form.
        """
        article = None
        if object_id is not None:
            article = self.get_object(request, unquote(object_id))
            if article is None:
                raise Http404("No such article.")
            allowed = self.has_change_permission(request, article)
        else:
            allowed = self.has_add_permission(request)
        if not allowed:
            raise PermissionDenied("You may not change this article.")
        return self._autosave(request, article)

    @staticmethod
    def _refuse_large_autosave(request):
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

    def _autosave(self, request, article):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        # CSRF middleware has read the form already if it fits Django's own upload limit (else
        # it answered 400); the autosave has a smaller limit of its own.
        if refused := self._refuse_large_autosave(request):
            return refused
        if "discard" in request.POST:
            autosave_discard(by=request.user, article=article)
            self.message_user(request, "Your unsaved edits were discarded.", messages.INFO)
            return self._back_to_the_form(request, article)
        autosave = autosave_keep(by=request.user, article=article, form_data=request.POST)
        return JsonResponse({"saved_at": time_format(timezone.localtime(autosave.saved_at))})

    def _restoring(self, request, obj):
        """Return the autosave to fill the form with on ?restore=autosave, if there is one."""
        if request.method != "GET" or request.GET.get("restore") != "autosave":
            return None
        if obj is not None and obj.pk is None:  # the add form's inlines get its new article
            obj = None
        if obj is None and not self.has_add_permission(request):
            return None
        if obj is not None and not self.has_change_permission(request, obj):
            return None
        return autosave_find(by=request.user, article=obj)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        autosave = self._restoring(request, obj)
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
        if autosave := self._restoring(request, obj):
            kwargs["data"] = autosave_form_data(autosave)
        return kwargs

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if not self.has_publish_permission(request):
            readonly += PUBLISHING_FIELDS
        return readonly

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

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        # The form offers these fields only to those who may publish: anyone else sending them
        # forged the request, and is told so rather than having them silently dropped.
        forged = request.method == "POST" and self._sends_publishing_fields(request)
        if forged and not self.has_publish_permission(request):
            raise PermissionDenied("You may not publish articles or change their access.")
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

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        context["review"] = self._review_context(request, obj, context["adminform"].form)
        context["autosave"] = self._autosave_context(request, obj)
        context["autosave_url"] = self._autosave_url(obj) if self._may_edit(request, obj) else ""
        context["autosave_seconds"] = settings.NEWSROOM_AUTOSAVE_SECONDS
        if obj is not None and obj.pk is not None and not self._may_edit(request, obj):
            context["read_only_body"] = read_only_body(obj)
        refused = request.session.get(REFUSED_SESSION_KEY)
        if obj is not None and request.method == "GET" and refused == obj.pk:
            del request.session[REFUSED_SESSION_KEY]
            context["publish_needs"] = self._mark_publish_needs(context, obj)
        return super().render_change_form(
            request, context, add=add, change=change, form_url=form_url, obj=obj
        )

    def _may_edit(self, request, obj):
        if obj is None:
            return self.has_add_permission(request)
        return self.has_change_permission(request, obj)

    def _autosave_url(self, obj):
        opts = self.opts
        name = f"admin:{opts.app_label}_{opts.model_name}_autosave"
        if obj is None:
            return reverse(f"{name}_new", current_app=self.admin_site.name)
        return reverse(name, args=[obj.pk], current_app=self.admin_site.name)

    def _autosave_context(self, request, obj):
        """What the form shows of the person's unsaved edits: the offer to restore them, or
        the note that the form is filled in with them."""
        if not self._may_edit(request, obj):
            return None
        autosave = autosave_find(by=request.user, article=obj)
        if autosave is None:
            return None
        return {
            "saved_at": time_format(timezone.localtime(autosave.saved_at)),
            "restored": self._restoring(request, obj) is not None,
            # An autosave older than the article's last save: someone saved since.
            "saved_since": obj is not None and obj.updated_at > autosave.saved_at,
            "updated_at": time_format(timezone.localtime(obj.updated_at)) if obj else "",
            "url": self._autosave_url(obj),
        }

    def _mark_publish_needs(self, context, article):
        """Put each piece a refused publish found missing on its field, as the field's error;
        return those with no field of their own in the form (the body's, for one)."""
        form = context["adminform"].form
        formsets = {
            inline_admin_formset.formset.model: inline_admin_formset.formset
            for inline_admin_formset in context.get("inline_admin_formsets", [])
        }
        elsewhere = {}
        for where, what in services.article_check_for_publishing(article=article).needs:
            message = f"Needed before publishing: {what}."
            if where in form.fields and not form.is_bound:
                form.errors[where] = form.error_class(
                    [message], renderer=form.renderer, field_id=form[where].auto_id
                )
            elif where == "bylines" and Byline in formsets:
                formsets[Byline].non_form_errors().append(message)
            elif (block := self._block_form(formsets, where)) is not None:
                block_form, field = block
                block_form.errors[field] = block_form.error_class(
                    [message], renderer=block_form.renderer, field_id=block_form[field].auto_id
                )
            else:
                elsewhere.setdefault(where, []).append(message)
        return elsewhere

    @staticmethod
    def _block_form(formsets, where):
        """Return (the form of the block, its field) that "<kind>:<pk>:<field>" names."""
        kind, _, rest = where.partition(":")
        pk, _, field = rest.partition(":")
        try:
            formset = formsets.get(block_kind(kind).model)
        except KeyError:
            return None
        for block_form in formset.initial_forms if formset else []:
            if str(block_form.instance.pk) == pk and field in block_form.fields:
                return block_form, field
        return None

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
        if article.is_scheduled:
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

    @staticmethod
    def _sends_publishing_fields(request):
        # published_at arrives as published_at_0 (the date) and published_at_1 (the time).
        return any(
            name == field or name.startswith(f"{field}_")
            for name in request.POST
            for field in PUBLISHING_FIELDS
        )

    def save_model(self, request, obj, form, change):
        # Save what was typed, but not what goes out: status, access and the publish time of a
        # published article change in save_related, through the services, once the body is saved.
        if change:
            published = form.initial.get("status") == Article.Status.PUBLISHED
            for name in form.changed_data:
                if name in ("status", "access", "unpublish_at") or (
                    name == "published_at" and published
                ):
                    setattr(obj, name, form.initial[name])
        else:
            obj.status = Article.Status.DRAFT
            obj.created_by = request.user
        obj.save()

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        article = form.instance
        # Saved: what was autosaved of this form is now the article (or older than it).
        autosave_discard(by=request.user, article=article)
        if not change:
            autosave_discard(by=request.user, article=None)
        services.article_body_changed(article=article)
        wanted = {
            name: form.cleaned_data[name] for name in PUBLISHING_FIELDS if name in form.fields
        }
        if SEND_BACK in request.POST:  # the form checked the note (ArticleForm.clean)
            if "access" in wanted:
                services.article_change_access(
                    article=article, by=request.user, access=wanted["access"]
                )
            services.article_send_back(
                article=article, by=request.user, note=form.cleaned_data["send_back_note"]
            )
            return
        if wanted and self._apply_publishing(
            request,
            article,
            # What the form does not offer (read-only here) stays as it is.
            **{name: getattr(article, name) for name in PUBLISHING_FIELDS} | wanted,
        ):
            return  # refused: the message already names every problem
        submit = SUBMIT_FOR_REVIEW in request.POST and article.status == Article.Status.DRAFT
        if submit and self._submit_for_review(request, article):
            return
        check = services.article_check_for_publishing(article=article)
        if check.body_problems:
            self.message_user(
                request,
                f"“{article}” was saved, but its body must be put right before it is "
                "published: " + " ".join(check.body_problems),
                messages.ERROR,
            )
        elif check.missing and article.status == Article.Status.PUBLISHED:
            self.message_user(
                request,
                f"“{article}” is published, and readers see it as saved, but it now lacks: "
                + "; ".join(check.missing)
                + ".",
                messages.WARNING,
            )

    def construct_change_message(self, request, form, formsets, add=False):
        message = super().construct_change_message(request, form, formsets, add)
        # The services log status, time and access as they change them (or refuse to): the
        # form's "Changed Status." would claim a change that may not have happened.
        with translation.override(None):
            handled = {
                str(form.fields[name].label or name)
                for name in [*PUBLISHING_FIELDS, "send_back_note"]
                if name in form.fields
            }
        kept = []
        for entry in message:
            changed = entry.get("changed", {})
            if "fields" in changed and "name" not in changed:  # the article's own fields
                fields = [label for label in changed["fields"] if label not in handled]
                if not fields:
                    continue
                entry = {"changed": {"fields": fields}}
            kept.append(entry)
        return kept

    def log_change(self, request, obj, message):
        self.keep_revision(request, obj, message)  # every save keeps a revision
        if message:  # else only status, time or access changed, and the services logged it
            return super().log_change(request, obj, message)
        return None

    def _submit_for_review(self, request, article):
        """Hand the saved draft to the editors; return whether that was refused."""
        try:
            services.article_submit_for_review(article=article, by=request.user)
        except services.SubmitRefused as refusal:
            self.message_user(
                request, f"{refusal.message} Everything you typed is saved.", messages.ERROR
            )
            return True
        return False

    def _apply_publishing(self, request, article, *, status, published_at, unpublish_at, access):
        """Ask the services for what the form asked; return whether publishing was refused."""
        if access != article.access:
            services.article_change_access(article=article, by=request.user, access=access)
        if unpublish_at != article.unpublish_at:
            try:
                services.article_schedule_unpublish(
                    article=article, by=request.user, at=unpublish_at
                )
            except ValidationError as error:  # the form checked it; the clock moved on since
                self.message_user(request, " ".join(error.messages), messages.ERROR)
                return True
        if status == Article.Status.DRAFT:
            if article.status == Article.Status.PUBLISHED:
                services.article_unpublish(article=article, by=request.user)
            return False
        if status == Article.Status.REVIEW:
            if article.status == Article.Status.DRAFT:  # else in review already (see the form)
                return self._submit_for_review(request, article)
            return False
        if article.status == Article.Status.PUBLISHED and published_at == article.published_at:
            return False  # an edit of a published article: nothing to publish again
        try:
            if published_at is not None and published_at > timezone.now():
                services.article_schedule(article=article, by=request.user, at=published_at)
                said = f"is scheduled: it goes live on {services.describe_time(published_at)}"
            else:
                services.article_publish(article=article, by=request.user, at=published_at)
                said = "is published: readers see it now"
        except services.PublishRefused as refusal:
            self.message_user(
                request, f"{refusal.message} Everything you typed is saved.", messages.ERROR
            )
            self.remember_refused_publish(request, article)
            return True
        self.message_user(request, f"“{article}” {said}.", messages.SUCCESS)
        return False

    @staticmethod
    def remember_refused_publish(request, article):
        """Have the change form, shown next, mark each missing piece on its field."""
        request.session[REFUSED_SESSION_KEY] = article.pk

    def _needs_another_look(self, request, article):
        """Whether to show the saved form again: a publish refused, or a body out of shape."""
        # Only those who may publish send a status (see changeform_view).
        asked_to_publish = request.POST.get("status") == Article.Status.PUBLISHED
        asked_to_submit = SUBMIT_FOR_REVIEW in request.POST or (
            request.POST.get("status") == Article.Status.REVIEW and SEND_BACK not in request.POST
        )
        return (
            (asked_to_publish and article.status != Article.Status.PUBLISHED)
            or (asked_to_submit and article.status == Article.Status.DRAFT)
            or services.article_check_for_publishing(article=article).body_problems
        )

    def _back_to_the_form(self, request, article):
        opts = self.opts
        url = reverse(
            f"admin:{opts.app_label}_{opts.model_name}_change",
            args=[article.pk],
            current_app=self.admin_site.name,
        )
        preserved = {"preserved_filters": self.get_preserved_filters(request), "opts": opts}
        return HttpResponseRedirect(add_preserved_filters(preserved, url))

    def response_add(self, request, obj, post_url_continue=None):
        if self._needs_another_look(request, obj):
            return self._back_to_the_form(request, obj)
        if SUBMIT_FOR_REVIEW in request.POST:
            self._say_where_it_went(request, obj)
            return self.response_post_save_add(request, obj)
        return super().response_add(request, obj, post_url_continue)

    def response_change(self, request, obj):
        if self._needs_another_look(request, obj):
            return self._back_to_the_form(request, obj)
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

    @admin.display(description="Preview")
    def preview_links(self, obj):
        if obj.pk is None:
            return "Save the article to preview it on the site."
        now = timezone.now()
        context = {
            "article": obj,
            "personas": [
                (persona.label, reverse("admin:articles_article_preview", args=[obj.pk, persona]))
                for persona in ReaderPersona
            ],
            "live_links": [link for link in obj.preview_links.all() if link.is_valid(at=now)],
            "share_links_url": reverse("admin:articles_article_share_links", args=[obj.pk]),
        }
        return render_to_string("admin/articles/article/includes/preview_links.html", context)

    @admin.display(description="Read time")
    def read_time(self, obj):
        return f"{obj.read_minutes} min read"

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

    def view_on_site(self, obj):
        return obj.get_absolute_url()


def _share_link_rows(request, article):
    now = timezone.now()
    rows = []
    for link in PreviewLink.objects.filter(article=article).select_related("created_by"):
        if link.revoked_at is not None:
            state = "revoked"
        elif link.is_valid(at=now):
            state = "active"
        else:
            state = "expired"
        rows.append(
            {
                "link": link,
                "state": state,
                "url": request.build_absolute_uri(link.get_absolute_url()),
                "revoke_url": reverse(
                    "admin:articles_article_share_link_revoke", args=[article.pk, link.pk]
                ),
            }
        )
    return rows
