import json

from django.contrib import admin, messages
from django.contrib.admin.options import IS_POPUP_VAR, TO_FIELD_VAR
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join

from foundation.forms import InvalidFormStatusAdminMixin
from foundation.paging import ArchiveListAdminMixin
from media.chooser import Chooser
from media.forms import USE_EXISTING, ImageForm
from media.models import Image
from media.renditions import picture_sources, rendition_url, shared_picture
from media.services import StorageUnavailable, image_find_duplicate, image_queue_renditions
from media.templatetags.media_tags import ANY_FORMAT, thumbnail
from media.usage import picture_uses
from media.widgets import picture_card

USE_STATES = {
    ("article", True): "live or scheduled article",
    ("article", False): "article not published",
    ("author", True): "author's photo",
}


class RightsExpiredFilter(admin.SimpleListFilter):
    title = "rights expired"
    parameter_name = "rights_expired"

    def lookups(self, request, model_admin):
        return [("yes", "Yes"), ("no", "No")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.rights_expired()
        if self.value() == "no":
            return queryset.exclude(queryset.rights_expired_q())
        return queryset


class CreditFilter(admin.SimpleListFilter):
    title = "credit"
    parameter_name = "credit"

    def lookups(self, request, model_admin):
        return [("missing", "No credit"), ("given", "Credited")]

    def queryset(self, request, queryset):
        if self.value() == "missing":
            return queryset.filter(credit="")
        if self.value() == "given":
            return queryset.exclude(credit="")
        return queryset


class StorageUnavailableForm:
    """Mixed into the picture form, after a valid one could not be stored: say so."""

    def clean(self):
        super().clean()
        raise ValidationError(StorageUnavailable.message, code="storage_unavailable")


@admin.register(Image)
class ImageAdmin(ArchiveListAdminMixin, InvalidFormStatusAdminMixin, admin.ModelAdmin):
    form = ImageForm
    list_display = ["thumbnail", "__str__", "credit", "dimensions", "rights", "uploaded_at"]
    list_display_links = ["__str__"]  # one link a row: the picture beside it adds no name
    list_filter = [RightsExpiredFilter, CreditFilter, "is_decorative"]
    # Newest first by id, which follows the upload (`uploaded_at` is set on upload and never
    # edited): the primary key's index reads a page of 50,000 pictures in order, where the
    # upload time, without an index of its own, had every row sorted.
    ordering = ["-pk"]
    # Also what `autocomplete_fields` pointing at Image search in.
    search_fields = ["caption", "credit", "alt_text", "copyright_holder", "keywords"]
    readonly_fields = [
        "preview",
        "width",
        "height",
        "content_hash",
        "uploaded_by",
        "uploaded_at",
        "same_picture",
        "used_in",
        "focal_point",
        "crops",
    ]
    actions = ["make_renditions"]

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        if object_id is None and request.method == "POST" and USE_EXISTING in request.POST:
            return self._use_existing(request, request.POST[USE_EXISTING])
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except StorageUnavailable:
            # The form was valid, but its file could not be stored and everything was rolled
            # back. Show the form again, with what was typed and why, instead of an error
            # page: the second pass finds the form invalid (get_form) and saves nothing.
            request.picture_storage_unavailable = True
            response = super().changeform_view(request, object_id, form_url, extra_context)
            response.status_code = 503  # not the journalist's fault: try again later
            return response

    def get_urls(self):
        chooser = Chooser(self)
        view = self.admin_site.admin_view
        return [
            path("<int:pk>/card/", view(self.card_view), name="media_image_card"),
            path("choose/", view(chooser.choose), name="media_image_choose"),
            path("choose/upload/", view(chooser.upload), name="media_image_choose_upload"),
            path("choose/describe/", view(chooser.describe), name="media_image_choose_describe"),
            *super().get_urls(),
        ]

    def card_view(self, request, pk):
        """The card of a picture a journalist chose in an article's field (media/widgets.py)."""
        image = get_object_or_404(Image, pk=pk)
        if not self.has_view_permission(request, image):
            raise PermissionDenied
        return HttpResponse(picture_card(image))

    def _use_existing(self, request, pk):
        """Take the library's picture instead of an upload it already has: in the article's
        picture window, choose it there (as a new picture is on saving); on the library's own
        page, open it."""
        existing = Image.objects.filter(pk=pk).first() if str(pk).isdigit() else None
        if existing is None or not self.has_view_permission(request, existing):
            return HttpResponseBadRequest("That picture is not in the library.")
        if IS_POPUP_VAR not in request.POST:
            messages.info(request, "This is the picture the library has; nothing was uploaded.")
            return redirect("admin:media_image_change", existing.pk)
        to_field = request.POST.get(TO_FIELD_VAR) or existing._meta.pk.attname
        if not self.to_field_allowed(request, to_field):
            return HttpResponseBadRequest("That field cannot choose a picture.")
        chosen = {"value": str(existing.serializable_value(to_field)), "obj": str(existing)}
        return TemplateResponse(
            request, "admin/popup_response.html", {"popup_response_data": json.dumps(chosen)}
        )

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        if getattr(request, "picture_storage_unavailable", False):
            return type(form.__name__, (StorageUnavailableForm, form), {})
        return form

    def get_queryset(self, request):
        # The thumbnails read `renditions.all()`: one query for the whole page.
        return super().get_queryset(request).prefetch_related("renditions")

    def get_fieldsets(self, request, obj=None):
        describe = (
            "Description",
            {"fields": ["alt_text", "is_decorative", "caption", "credit", "keywords"]},
        )
        rights = ("Rights", {"fields": ["copyright_holder", "usage_terms", "rights_expire_on"]})
        if obj is None:
            return [(None, {"fields": ["file", "keep_duplicate"]}), describe, rights]
        details = [
            "width",
            "height",
            "content_hash",
            "uploaded_by",
            "uploaded_at",
            "same_picture",
        ]
        focal = (
            "Focal point",
            {
                "fields": ["focal_point", "focal_x", "focal_y", "crops"],
                "description": "Where the picture's subject is: cropped copies keep it in view.",
            },
        )
        return [
            (None, {"fields": ["file", "keep_duplicate", "preview", "used_in"]}),
            describe,
            focal,
            rights,
            ("Details", {"fields": details}),
        ]

    def save_model(self, request, obj, form, change):
        # The services, not obj.save(), write pictures: they store the clean file, fill in
        # IPTC/EXIF suggestions and make the renditions.
        image = form.save_picture(uploaded_by=request.user)
        # The admin goes on with `obj` (history, messages, redirect): make it the saved row.
        obj.pk = image.pk
        # Not the file field: assigning it would download the picture to measure it again.
        # Setting the name alone (documented) moves nothing; only the services save pictures.
        reloaded = [f.name for f in Image._meta.concrete_fields if f.name != "file"]
        obj.refresh_from_db(fields=reloaded)
        obj.file.name = image.file.name

        if form.cleaned_upload is not None and form.cleaned_data.get("keep_duplicate"):
            duplicate = image_find_duplicate(content_hash=image.content_hash, exclude=image)
            if duplicate is not None:
                messages.info(
                    request,
                    format_html(
                        "Your copy is kept as a new picture; the library also has it as "
                        '<a href="{}">{}</a>.',
                        reverse("admin:media_image_change", args=[duplicate.pk]),
                        duplicate,
                    ),
                )

    class Media:
        css = {"all": ["newsroom/admin.css"]}  # the thumbnail and preview sizes: no inline style
        js = ["media/focal_point.js"]  # a click on the picture sets its focal point

    @admin.display(description="Picture")
    def thumbnail(self, image):
        return thumbnail(image)

    @admin.display(description="Preview")
    def preview(self, image):
        # The link's only content is the picture: its alt text names where the link goes.
        return format_html(
            '<a href="{}"><img src="{}" alt="Open the original picture, {} × {} pixels" '
            'width="{}" loading="lazy" decoding="async" class="image-preview"></a>',
            image.file.url,
            rendition_url(image=image, width=800, formats=ANY_FORMAT),
            image.width,
            image.height,
            min(image.width, 400),
        )

    @admin.display(description="Click the subject")
    def focal_point(self, image):
        """The picture to click on (static/media/focal_point.js fills in the two fields)."""
        return format_html(
            '<div class="focal-point" data-focal-point>'
            '<img src="{}" alt="{}" width="{}" height="{}" class="focal-point__picture">'
            '<span class="focal-point__marker" hidden></span></div>'
            '<p class="picture-note">Click on the picture where its subject is (a face, the '
            "ball, the building) and save. Without a mouse, type the point in the two fields "
            "below.</p>",
            rendition_url(image=image, width=800, formats=ANY_FORMAT),
            f"The picture, to click on: {image.alt_text}" if image.alt_text else "The picture",
            min(image.width, 480),
            round(image.height * min(image.width, 480) / max(image.width, 1)),
        )

    @admin.display(description="Cropped copies")
    def crops(self, image):
        """What the crops around the focal point show: a card's picture and a shared link's."""
        card = picture_sources(image=image, crop="card")
        shared = shared_picture(image=image)
        made = any(r.crop for r in image.renditions.all())
        return format_html(
            '<div class="picture-crops">'
            '<figure><img src="{}" alt="" width="240" class="picture-crops__card">'
            "<figcaption>On cards in lists (3:2)</figcaption></figure>"
            '<figure><img src="{}" alt="" width="305" class="picture-crops__social">'
            "<figcaption>When the article is shared (1200×630)</figcaption></figure></div>{}",
            card.src,
            shared.url,
            ""
            if made
            else format_html(
                '<p class="picture-note">{}</p>',
                "The crops around this focal point are being made: reload the page in a moment.",
            ),
        )

    @admin.display(description="Used in")
    def used_in(self, image):
        uses = picture_uses(image)
        if not uses:
            return "Nothing uses it yet."
        public = sum(use.public for use in uses)
        items = format_html_join(
            "",
            '<li><a href="{}">{}</a> ({})</li>',
            ((use.url, use.label, USE_STATES[use.kind, use.public]) for use in uses),
        )
        return format_html(
            "<p>Readers see it in {} of the {} places that use it.</p>"
            '<ul class="picture-uses">{}</ul>',
            public,
            len(uses),
            items,
        )

    @admin.display(description="Size", ordering="width")
    def dimensions(self, image):
        return f"{image.width} × {image.height}"

    @admin.display(description="Rights", ordering="rights_expire_on")
    def rights(self, image):
        if image.rights_expire_on is None:
            return "—"
        if image.rights_expired:
            return format_html("<strong>Expired {}</strong>", image.rights_expire_on)
        return f"Until {image.rights_expire_on}"

    @admin.display(description="Same picture in the library")
    def same_picture(self, image):
        others = Image.objects.filter(content_hash=image.content_hash).exclude(pk=image.pk)
        return (
            format_html_join(
                ", ",
                '<a href="{}">{}</a>',
                ((reverse("admin:media_image_change", args=[other.pk]), other) for other in others),
            )
            or "—"
        )

    @admin.action(description="Make missing renditions", permissions=["change"])
    def make_renditions(self, request, queryset):
        for image in queryset:
            image_queue_renditions(image=image)
        self.message_user(
            request,
            f"Renditions queued for {len(queryset)} pictures: the background worker makes "
            "those missing in a moment.",
        )
