"""The article's change form: its layout, its inlines, the read-only body, the save flow and
the marks a refused publish leaves on each field.

Saving the form saves what was typed (the article and its body); publishing, scheduling,
unpublishing and access then go through `articles.services`, which check the saved article and
the editor's permission.
"""

from dataclasses import dataclass
from operator import attrgetter

from content_editor.admin import ContentEditorInline
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import prefetch_related_objects
from django.forms.models import BaseInlineFormSet, ModelChoiceField
from django.utils import timezone, translation
from django.utils.functional import cached_property
from django.utils.safestring import mark_safe

from articles import services
from articles.blocks import BLOCK_KINDS, BLOCK_MODELS, Piece, block_kind, block_kind_of
from articles.body import article_blocks
from articles.models import WORDS_PER_MINUTE, Article, Byline, ImageBlock
from media.widgets import PictureFieldsMixin, picture_card

from .corrections import CorrectionInline
from .forms import SEND_BACK, ArticleForm, HeldRowField, hold_rows
from .review import SUBMIT_FOR_REVIEW

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


class SavedRowField(ModelChoiceField):
    """The hidden id of a row an inline formset shows: found among the rows the formset read,
    where Django's own field asks the database again for each row of each save."""

    def __init__(self, queryset, *, saved_rows, **kwargs):
        super().__init__(queryset, **kwargs)
        self.saved_rows = saved_rows

    def to_python(self, value):
        if value not in self.empty_values and (row := self.saved_rows().get(str(value))):
            return row
        return super().to_python(value)


class HeldRowsMixin:
    """For a ModelAdmin or inline whose objects are read with the rows their foreign keys
    choose (`select_related`): a save takes those rows as read (`HeldRowField`)."""

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        kwargs.setdefault("form_class", HeldRowField)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class HeldRowsInlineMixin(HeldRowsMixin):
    """An inline whose rows are read with the rows their foreign keys choose."""

    def get_queryset(self, request):
        chosen = [
            field.name
            for field in self.model._meta.concrete_fields
            if field.many_to_one and field.related_model is not self.parent_model
        ]
        return super().get_queryset(request).select_related(*chosen)


class SavedRowsFormSet(BaseInlineFormSet):
    """An inline formset that reads its rows once per save (`SavedRowField`), with the rows
    their foreign keys choose (`HeldRowField`)."""

    def add_fields(self, form, index):
        super().add_fields(form, index)
        hold_rows(form)
        name = self.model._meta.pk.name
        field = form.fields[name]
        form.fields[name] = SavedRowField(
            field.queryset,
            saved_rows=self.saved_rows,
            initial=field.initial,
            required=False,
            widget=field.widget,
        )

    @cached_property
    def empty_form(self):
        """The form a new block is cloned from, made once: Django makes it again at each use
        (the media, each field of a table's heading, the template), 27 forms a change form,
        and a fifth of its GET."""
        return super().empty_form

    def saved_rows(self) -> dict:
        """Return the rows the formset shows (read once, by Django), by their id as posted."""
        if not hasattr(self, "_rows_by_id"):
            self._rows_by_id = {str(row.pk): row for row in self.get_queryset()}
        return self._rows_by_id


class BylineFormSet(SavedRowsFormSet):
    def add_fields(self, form, index):
        super().add_fields(form, index)
        if "DELETE" in form.fields:  # a table's column heading is no label for a reader
            form.fields["DELETE"].widget.attrs["aria-label"] = "Remove from the byline"


class BylineInline(HeldRowsInlineMixin, admin.TabularInline):
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


def read_only_body(article) -> list[Piece]:
    """Return the article's body as readers get it, piece by piece in order (the paywall
    break a piece of its own), for those who may only read the article in the admin."""
    return [
        Piece(mark_safe(piece.html), is_break=piece.is_break)  # noqa: S308 - sanitised, as rendered for readers
        for block in article_blocks(article)
        for piece in block_kind_of(block).pieces(block)
    ]


def saved_body(article, formsets) -> list:
    """Return the body the block formsets have just saved, in order, as the blocks they read
    and saved (no second read of them): the deleted have no id, the untouched extra forms
    none either. A form without the block editor (read-only) reads the saved body."""
    block_formsets = [formset for formset in formsets if formset.model in BLOCK_MODELS]
    if not block_formsets:
        return article_blocks(article)
    regions = {region.key for region in article.regions}
    blocks = [
        form.instance
        for formset in block_formsets
        for form in formset.forms
        if form.instance.pk is not None and form.instance.region in regions
    ]
    blocks.sort(key=attrgetter("ordering"))  # as `articles.body.article_blocks` orders them
    # The pictures' files for the preview, as article_blocks fetches them: one query.
    prefetch_related_objects(
        [block for block in blocks if isinstance(block, ImageBlock)], "image__renditions"
    )
    return blocks


@dataclass(frozen=True)
class SavedParts:
    """The byline and tags a save of the change form has just written, as ids: None where the
    form does not offer them (read them from the database)."""

    byline: list[int] | None
    tags: list[int] | None


def saved_parts(form, formsets) -> SavedParts:
    """Return the byline (authors' ids in order) and tags (ids) the form and its formsets have
    just saved, from the rows they hold: the deleted have no id, untouched extra forms none
    either."""
    byline = None
    for formset in formsets:
        if formset.model is Byline:
            rows = [bf.instance for bf in formset.forms if bf.instance.pk is not None]
            rows.sort(key=attrgetter("order", "pk"))  # as `Byline.Meta.ordering` orders them
            byline = [row.author_id for row in rows]
    tags = None
    if "tags" in form.cleaned_data:  # the form's queryset of them, read when it was cleaned
        tags = [tag.pk for tag in form.cleaned_data["tags"]]
    return SavedParts(byline=byline, tags=tags)


def sends_publishing_fields(request) -> bool:
    """Whether the POST carries a publishing field (the form offers them to editors only)."""
    # published_at arrives as published_at_0 (the date) and published_at_1 (the time).
    return any(
        name == field or name.startswith(f"{field}_")
        for name in request.POST
        for field in PUBLISHING_FIELDS
    )


LEAD_IMAGE_CARD = {"lead_image": "lead_image_card"}  # the field, and its read-only card


class BlockInline(HeldRowsInlineMixin, PictureFieldsMixin, ContentEditorInline):
    """A kind of body block in the block editor; a picture block shows the chosen picture."""

    formset = SavedRowsFormSet


class ChangeFormAdminMixin(HeldRowsMixin, PictureFieldsMixin):
    """What the form shows and how a save of it goes out."""

    form = ArticleForm
    prepopulated_fields = {"slug": ["headline"]}
    autocomplete_fields = ["section", "tags", "lead_image"]
    readonly_fields = ["updated_at", "read_time", "preview_links"]
    save_on_top = True
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
            BlockInline.create(kind.model, icon=kind.icon, **kind.admin_options)
            for kind in BLOCK_KINDS
        ),
        CorrectionInline,
    ]

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None or self.has_change_permission(request, obj):
            return fieldsets
        # Read-only: the lead image as the change form shows what its field chose.
        return [
            (name, {**options, "fields": [LEAD_IMAGE_CARD.get(f, f) for f in options["fields"]]})
            for name, options in fieldsets
        ]

    @admin.display(description="Lead image")
    def lead_image_card(self, obj):
        return picture_card(obj.lead_image)

    @admin.display(description="Read time")
    def read_time(self, obj):
        return f"{obj.read_minutes} min read"

    def get_inlines(self, request, obj):
        inlines = super().get_inlines(request, obj)
        if obj is not None and obj.pk is not None and not self.has_change_permission(request, obj):
            # Read-only: the block editor cannot show read-only blocks (it orders them by an
            # input they lack, and shows their HTML as text); the form shows the body as
            # readers get it instead (`read_only_body`).
            inlines = [inline for inline in inlines if not issubclass(inline, ContentEditorInline)]
        return inlines

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if not self.has_publish_permission(request):
            readonly += PUBLISHING_FIELDS
        return readonly

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        # The form offers these fields only to those who may publish: anyone else sending them
        # forged the request, and is told so rather than having them silently dropped.
        forged = request.method == "POST" and sends_publishing_fields(request)
        if forged and not self.has_publish_permission(request):
            raise PermissionDenied("You may not publish articles or change their access.")
        # Without the admin's app list beside it, as the article list: the body and the side
        # column get its width, and the form no longer jumps sideways when the list's script
        # opens it after load (a layout shift of 0.4 on every open; the breadcrumbs lead back).
        extra_context = {"is_nav_sidebar_enabled": False, **(extra_context or {})}
        return super().changeform_view(request, object_id, form_url, extra_context)

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None and obj.pk is not None and not self.may_edit(request, obj):
            context["read_only_body"] = read_only_body(obj)
        context["words_per_minute"] = WORDS_PER_MINUTE  # the read time counted as they type
        refused = request.session.get(REFUSED_SESSION_KEY)
        if obj is not None and request.method == "GET" and refused == obj.pk:
            del request.session[REFUSED_SESSION_KEY]
            context["publish_needs"] = self._mark_publish_needs(context, obj)
        return super().render_change_form(
            request, context, add=add, change=change, form_url=form_url, obj=obj
        )

    # Saving --------------------------------------------------------------------------------

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
        # The body as saved, read once: the word count, the preview, the publishing check and
        # the revision (`RevisionsAdminMixin.keep_revision`) all look at it.
        body = request.saved_article_body = saved_body(article, formsets)
        parts = request.saved_article_parts = saved_parts(form, formsets)
        services.article_body_changed(article=article, blocks=body)
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
        if submit and self.submit_saved_for_review(request, article):
            return
        check = services.article_check_for_publishing(
            article=article,
            blocks=body,
            author_count=len(parts.byline) if parts.byline is not None else None,
            just_saved=True,  # the form's save, and the services since, all saved `article`
        )
        request.saved_article_check = check  # the answer's look at the body (`_needs_another_look`)
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
                return self.submit_saved_for_review(request, article)
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

    # After the save ------------------------------------------------------------------------

    def response_add(self, request, obj, post_url_continue=None):
        if self._needs_another_look(request, obj):
            return self.back_to_the_form(request, obj)
        return super().response_add(request, obj, post_url_continue)

    def response_change(self, request, obj):
        if self._needs_another_look(request, obj):
            return self.back_to_the_form(request, obj)
        return super().response_change(request, obj)

    def _needs_another_look(self, request, article):
        """Whether to show the saved form again: a publish refused, or a body out of shape."""
        # Only those who may publish send a status (see changeform_view).
        asked_to_publish = request.POST.get("status") == Article.Status.PUBLISHED
        asked_to_submit = SUBMIT_FOR_REVIEW in request.POST or (
            request.POST.get("status") == Article.Status.REVIEW and SEND_BACK not in request.POST
        )
        if (asked_to_publish and article.status != Article.Status.PUBLISHED) or (
            asked_to_submit and article.status == Article.Status.DRAFT
        ):
            return True
        check = getattr(request, "saved_article_check", None)
        if check is None:  # the save stopped before checking (a refused publish, a submit)
            check = services.article_check_for_publishing(article=article)
        return bool(check.body_problems)

    # A refused publish, marked in place ----------------------------------------------------

    @staticmethod
    def remember_refused_publish(request, article):
        """Have the change form, shown next, mark each missing piece on its field."""
        request.session[REFUSED_SESSION_KEY] = article.pk

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
