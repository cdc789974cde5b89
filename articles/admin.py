from content_editor.admin import ContentEditor, ContentEditorInline
from django.contrib import admin, messages
from django.contrib.admin.templatetags.admin_urls import add_preserved_filters
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import format_html

from media.templatetags.media_tags import thumbnail
from newsroom.csp import EditorPolicyAdminMixin
from newsroom.forms import InvalidFormStatusAdminMixin

from . import services
from .admin_revisions import RevisionsAdminMixin
from .blocks import BLOCK_KINDS
from .models import Article, Author, Byline, Section, Tag


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


class BylineInline(admin.TabularInline):
    model = Byline
    extra = 1
    autocomplete_fields = ["author"]
    fields = ["author", "order"]
    verbose_name = "author"
    verbose_name_plural = "Byline (authors in order)"


# What goes out, and when: changed only through the publishing services, by those who may
# publish (`articles.publish_article`); everyone else sees these read-only.
PUBLISHING_FIELDS = ["status", "published_at", "access"]


@admin.register(Article)
class ArticleAdmin(
    RevisionsAdminMixin, InvalidFormStatusAdminMixin, EditorPolicyAdminMixin, ContentEditor
):
    """The editorial admin. Saving the form saves what was typed (the article and its body);
    publishing, scheduling, unpublishing and access then go through `articles.services`, which
    check the saved article and the editor's permission. The list's actions call the same
    services.
    """

    list_display = [
        "thumbnail",
        "headline",
        "section",
        "byline",
        "status_label",
        "access",
        "published_at",
    ]
    list_display_links = ["headline"]  # one link a row: the picture beside it adds no name
    list_filter = ["status", "access", "section", "tags"]
    search_fields = ["headline", "standfirst", "slug", "authors__name"]
    date_hierarchy = "published_at"
    prepopulated_fields = {"slug": ["headline"]}
    autocomplete_fields = ["section", "tags", "lead_image"]
    readonly_fields = ["updated_at", "read_time", "preview_links"]
    save_on_top = True
    actions = ["publish_now", "unpublish"]
    fieldsets = [
        (None, {"fields": ["headline", "slug", "standfirst", "section"]}),
        (
            "Lead image",
            {"fields": ["lead_image", "lead_caption", "lead_credit", "lead_alt_text"]},
        ),
        (
            "Publishing",
            {
                "fields": [
                    "status",
                    "published_at",
                    "access",
                    "preview_links",
                    "updated_at",
                    "read_time",
                ]
            },
        ),
        ("Tags and search engines", {"fields": ["tags", "seo_description"]}),
    ]
    inlines = [
        BylineInline,
        *(
            ContentEditorInline.create(kind.model, icon=kind.icon, **kind.admin_options)
            for kind in BLOCK_KINDS
        ),
    ]

    class Media:
        css = {"all": ["newsroom/admin.css"]}

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("section", "lead_image")
            .prefetch_related(
                Prefetch("bylines", queryset=Byline.objects.select_related("author")),
                "lead_image__renditions",
            )
        )

    def has_publish_permission(self, request):
        return request.user.has_perm(services.PUBLISH_PERMISSION)

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if not self.has_publish_permission(request):
            readonly += PUBLISHING_FIELDS
        return readonly

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        # The form offers these fields only to those who may publish: anyone else sending them
        # forged the request, and is told so rather than having them silently dropped.
        forged = request.method == "POST" and self._sends_publishing_fields(request)
        if forged and not self.has_publish_permission(request):
            raise PermissionDenied("You may not publish articles or change their access.")
        return super().changeform_view(request, object_id, form_url, extra_context)

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
                if name in ("status", "access") or (name == "published_at" and published):
                    setattr(obj, name, form.initial[name])
        else:
            obj.status = Article.Status.DRAFT
        obj.save()

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        article = form.instance
        services.article_body_changed(article=article)
        wanted = {
            name: form.cleaned_data[name] for name in PUBLISHING_FIELDS if name in form.fields
        }
        if wanted and self._apply_publishing(request, article, **wanted):
            return  # refused: the message already names every problem
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
                for name in PUBLISHING_FIELDS
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

    def _apply_publishing(self, request, article, *, status, published_at, access):
        """Ask the services for what the form asked; return whether publishing was refused."""
        if access != article.access:
            services.article_change_access(article=article, by=request.user, access=access)
        if status == Article.Status.DRAFT:
            if article.status == Article.Status.PUBLISHED:
                services.article_unpublish(article=article, by=request.user)
            return False
        if article.status == Article.Status.PUBLISHED and published_at == article.published_at:
            return False  # an edit of a published article: nothing to publish again
        try:
            if published_at is not None and published_at > timezone.now():
                services.article_schedule(article=article, by=request.user, at=published_at)
            else:
                services.article_publish(article=article, by=request.user, at=published_at)
        except services.PublishRefused as refusal:
            self.message_user(
                request, f"{refusal.message} Everything you typed is saved.", messages.ERROR
            )
            return True
        return False

    def _needs_another_look(self, request, article):
        """Whether to show the saved form again: a publish refused, or a body out of shape."""
        # Only those who may publish send a status (see changeform_view).
        asked_to_publish = request.POST.get("status") == Article.Status.PUBLISHED
        return (
            asked_to_publish and article.status != Article.Status.PUBLISHED
        ) or services.article_check_for_publishing(article=article).body_problems

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
        return super().response_add(request, obj, post_url_continue)

    def response_change(self, request, obj):
        if self._needs_another_look(request, obj):
            return self._back_to_the_form(request, obj)
        return super().response_change(request, obj)

    @admin.display(description="")
    def thumbnail(self, obj):
        return thumbnail(obj.lead_image) if obj.lead_image else ""

    @admin.display(description="Byline")
    def byline(self, obj):
        return ", ".join(byline.author.name for byline in obj.bylines.all())

    @admin.display(description="Status", ordering="status")
    def status_label(self, obj):
        if obj.draft_of_id is not None:
            return "Changes to a live article"
        if obj.is_scheduled:
            return format_html('<span title="Goes live at the publish time">Scheduled</span>')
        return obj.get_status_display()

    @admin.display(description="Preview")
    def preview_links(self, obj):
        if obj.pk is None:
            return "Save the article to preview it on the site."
        url = obj.get_absolute_url()
        return format_html(
            '<a href="{}" target="_blank">As staff see it</a> · '
            '<a href="{}?as=public" target="_blank">As a reader without access sees it</a>',
            url,
            url,
        )

    @admin.display(description="Read time")
    def read_time(self, obj):
        return f"{obj.read_minutes} min read"

    @admin.action(description="Publish now", permissions=["publish"])
    def publish_now(self, request, queryset):
        published = 0
        # Prepared changes go onto their live article ("Publish changes"), not out on their own.
        for article in queryset.filter(status=Article.Status.DRAFT, draft_of=None):
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
