"""The picture field of the admin's forms: the autocomplete, the chooser, and the chosen picture.

A journalist sees what they picked, not only its caption: `PictureSelect` renders the chosen
picture's card (a thumbnail, its caption and credit, and whether its rights have expired)
under the autocomplete, and `static/media/picture_card.js` fetches the card of a picture
chosen on the page (`ImageAdmin.card_view`). Beside the autocomplete, "Choose from the library"
opens the chooser of thumbnails (`media/chooser.py`), which sends its choice back here.
"""

from django.contrib.admin.widgets import AutocompleteSelect
from django.forms import Media
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.html import format_html

from media.models import Image
from media.templatetags.media_tags import thumbnail


def picture_card(image: Image | None) -> str:
    """Return the card of `image` (nothing for no picture): what the field has chosen."""
    if image is None:
        return ""
    return render_to_string(
        "media/includes/picture_card.html", {"image": image, "thumbnail": thumbnail(image)}
    )


class PictureSelect(AutocompleteSelect):
    """The autocomplete of a picture field, with the chosen picture's card under it."""

    def build_attrs(self, base_attrs, extra_attrs=None):
        attrs = super().build_attrs(base_attrs, extra_attrs)
        # Where the page fetches a card from: the admin's address, with 0 for the picture.
        attrs["data-picture-card"] = reverse("admin:media_image_card", args=[0])
        return attrs

    def render(self, name, value, attrs=None, renderer=None):
        select = super().render(name, value, attrs, renderer)
        image = Image.objects.filter(pk=value).first() if str(value or "").isdigit() else None
        return format_html(
            '{}<button type="button" class="button picture-chooser-open" data-chooser="{}">'
            "Choose from the library</button>"
            '<div class="picture-card" aria-live="polite">{}</div>',
            select,
            reverse("admin:media_image_choose"),
            picture_card(image),
        )

    @property
    def media(self):
        return super().media + Media(js=["media/picture_card.js"])


class PictureFieldsMixin:
    """For a ModelAdmin or inline whose picture fields are autocompletes: show the card."""

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        autocompletes = self.get_autocomplete_fields(request)
        if db_field.related_model is Image and db_field.name in autocompletes:
            using = kwargs.get("using")
            kwargs.setdefault("widget", PictureSelect(db_field, self.admin_site, using=using))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)
