from content_editor.admin import ContentEditor, ContentEditorInline
from django import forms
from django.contrib import admin, messages
from django.contrib.admin.templatetags.admin_urls import add_preserved_filters
from django.core.exceptions import PermissionDenied
from django.db.models import F, Prefetch
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.text import Truncator

from newsroom.csp import EditorPolicyAdminMixin
from newsroom.forms import InvalidFormStatusAdminMixin

from . import services
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

# The buttons of the review controls (templates/admin/articles/article/includes/
# review_controls.html): each saves what was typed, then asks `articles.services`.
SUBMIT_FOR_REVIEW = "_submit_for_review"
SEND_BACK = "_send_back"


class ArticleForm(forms.ModelForm):
    """The article's fields, and the note an editor writes when sending it back."""

    send_back_note = forms.CharField(
        label="Note for the journalist",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="What should change before it is published. The journalist sees this note "
        "on the article and in the list.",
    )

    def clean(self):
        cleaned = super().clean()
        was = self.instance.status if self.instance.pk else None
        if SEND_BACK in self.data:
            if was != Article.Status.REVIEW:
                raise forms.ValidationError(
                    "It is no longer in review, so it cannot be sent back; reload the page to "
                    "see where it is."
                )
            if not cleaned.get("send_back_note", "").strip():
                self.add_error(
                    "send_back_note",
                    "Write a note for the journalist: what should change before it is published?",
                )
            return cleaned
        status = cleaned.get("status")  # only editors have the field (see get_readonly_fields)
        if was == Article.Status.REVIEW and status == Article.Status.DRAFT:
            self.add_error(
                "status",
                "To give it back to the journalist, write a note under “Send back to the "
                "journalist” and press that button.",
            )
        elif was == Article.Status.PUBLISHED and status == Article.Status.REVIEW:
            self.add_error(
                "status", "A published article goes back to review as a draft: unpublish it first."
            )
        return cleaned


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
    if article.is_scheduled:
        return "Scheduled"
    if article.is_sent_back:
        return "Sent back"
    return article.get_status_display()


def short_time(moment) -> str:
    """Return "29 Nov, 09:00" (with the year when it is not this one), in local time."""
    local = timezone.localtime(moment)
    same_year = local.year == timezone.localtime().year
    return date_format(local, "j M, H:i" if same_year else "j M Y, H:i")


def person_name(user) -> str:
    return (user.name or user.email) if user is not None else ""


@admin.register(Article)
class ArticleAdmin(InvalidFormStatusAdminMixin, EditorPolicyAdminMixin, ContentEditor):
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
    ]
    search_fields = ["headline", "standfirst", "slug", "authors__name"]
    date_hierarchy = "published_at"
    prepopulated_fields = {"slug": ["headline"]}
    autocomplete_fields = ["section", "tags", "lead_image"]
    readonly_fields = ["updated_at", "read_time", "preview_links"]
    save_on_top = True
    actions = ["submit_for_review", "publish_now", "unpublish"]
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
        css = {"all": ["newsroom/admin.css", "newsroom/admin-review.css"]}

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

    def changelist_view(self, request, extra_context=None):
        # The newsroom's working list needs its width for seven columns and the filters at
        # 1280 px: the app list beside it goes (the breadcrumbs lead back to it).
        extra_context = {"is_nav_sidebar_enabled": False, **(extra_context or {})}
        return super().changelist_view(request, extra_context)

    def has_publish_permission(self, request):
        return services.user_is_editor(request.user)

    def has_change_permission(self, request, obj=None):
        """Whether this user may edit this article now: editors any; journalists their own
        (`created_by`) while it is a draft. Others' articles, and their own once submitted or
        out, they see read-only (`has_view_permission`)."""
        if obj is None or obj.pk is None:  # the list, or an article being added
            return super().has_change_permission(request)
        return services.article_editable_by(article=obj, user=request.user)

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
        sends_back = request.method == "POST" and SEND_BACK in request.POST
        if sends_back and not self.has_publish_permission(request):
            raise PermissionDenied("Only an editor may send an article back.")
        return super().changeform_view(request, object_id, form_url, extra_context)

    def render_change_form(self, request, context, *args, obj=None, **kwargs):
        context["review"] = self._review_context(request, obj, context["adminform"].form)
        return super().render_change_form(request, context, *args, obj=obj, **kwargs)

    def _review_context(self, request, article, form):
        """What the review controls show: the editor's note, who has it, the buttons."""
        if article is None:  # adding: its writer may submit it at once
            return {"may_submit": self.has_add_permission(request)}
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
        if editable:
            return ""  # out: nothing to review
        return "only an editor can change it now; you can read it."

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
            obj.created_by = request.user
        obj.save()

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        article = form.instance
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
        if wanted and self._apply_publishing(request, article, **wanted):
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

    def _apply_publishing(self, request, article, *, status, published_at, access):
        """Ask the services for what the form asked; return whether publishing was refused."""
        if access != article.access:
            services.article_change_access(article=article, by=request.user, access=access)
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
        for article in queryset.filter(status__in=[Article.Status.DRAFT, Article.Status.REVIEW]):
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
