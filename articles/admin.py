from content_editor.admin import ContentEditor, ContentEditorInline
from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.utils import timezone
from django.utils.html import format_html

from media.templatetags.media_tags import thumbnail
from newsroom.forms import InvalidFormStatusAdminMixin

from . import services
from .blocks import BLOCK_KINDS, BLOCK_MODELS, block_kind_of
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


def _form_is_kept(formset, form):
    """Whether a bound inline form will be saved (not an untouched extra, not deleted)."""
    if not form.has_changed() and form.instance.pk is None:
        return False
    return not (formset.can_delete and formset._should_delete_form(form))


class ArticleForm(forms.ModelForm):
    """The article form, which also checks the rules that span its inlines."""

    class Meta:
        model = Article
        fields = "__all__"  # noqa: DJ007 - the admin's fieldsets choose

    def clean(self):
        cleaned_data = super().clean()
        # ArticleAdmin._create_formsets hands us the inline formsets, bound to the same POST.
        formsets = getattr(self.instance, "_admin_formsets", [])
        author_count = 0
        blocks = []
        for formset in formsets:
            formset.is_valid()  # fills cleaned_data; its own errors show on its forms
            for form in formset.forms:
                data = getattr(form, "cleaned_data", None)
                if not data or not _form_is_kept(formset, form):
                    continue
                if formset.model is Byline:
                    author_count += bool(data.get("author"))
                elif formset.model in BLOCK_MODELS and form.is_valid():
                    blocks.append(block_kind_of(form.instance).summarise(form.instance))

        errors = services.article_body_problems(blocks=blocks)
        if cleaned_data.get("status") == Article.Status.PUBLISHED:
            missing = services.article_publish_problems(
                headline=cleaned_data.get("headline") or "",
                section_chosen=bool(cleaned_data.get("section")),
                author_count=author_count,
                blocks=blocks,
            )
            if missing:
                errors.insert(
                    0,
                    "Not published yet. To publish, this article still needs: "
                    + "; ".join(missing)
                    + ". Add them, or save it as a draft.",
                )
        if errors:
            raise ValidationError(errors)
        return cleaned_data


@admin.register(Article)
class ArticleAdmin(InvalidFormStatusAdminMixin, ContentEditor):
    form = ArticleForm
    list_display = [
        "thumbnail",
        "headline",
        "section",
        "byline",
        "status_label",
        "access",
        "published_at",
    ]
    list_display_links = ["thumbnail", "headline"]
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

    def _create_formsets(self, request, obj, change):
        # Publishing rules span the article and its inlines, and Django validates each inline
        # on its own; handing the formsets to the form lets one error name every missing piece.
        formsets, inline_instances = super()._create_formsets(request, obj, change)
        obj._admin_formsets = formsets
        return formsets, inline_instances

    def save_model(self, request, obj, form, change):
        if obj.status == Article.Status.PUBLISHED:
            services.article_publish(article=obj, by=request.user)
        else:
            obj.save()

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        services.article_body_changed(article=form.instance)

    @admin.display(description="")
    def thumbnail(self, obj):
        return thumbnail(obj.lead_image) if obj.lead_image else ""

    @admin.display(description="Byline")
    def byline(self, obj):
        return ", ".join(byline.author.name for byline in obj.bylines.all())

    @admin.display(description="Status", ordering="status")
    def status_label(self, obj):
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

    def has_publish_permission(self, request):
        return request.user.has_perm(services.PUBLISH_PERMISSION)

    @admin.action(description="Publish now", permissions=["publish"])
    def publish_now(self, request, queryset):
        published = 0
        for article in queryset.filter(status=Article.Status.DRAFT):
            missing = services.article_publish_problems(
                headline=article.headline,
                section_chosen=article.section_id is not None,
                author_count=len(article.bylines.all()),
                blocks=services.article_block_summaries(article=article),
            )
            if missing:
                self.message_user(
                    request,
                    f"“{article.headline}” was not published. It still needs: "
                    + "; ".join(missing)
                    + ".",
                    messages.ERROR,
                )
                continue
            services.article_publish(article=article, by=request.user, at=timezone.now())
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
