from django import forms
from django.conf import settings
from django.contrib.admin.widgets import AdminFileWidget
from django.core.files.uploadedfile import UploadedFile
from django.forms.widgets import FileInput
from django.urls import reverse
from django.utils.html import format_html

from media.models import Image
from media.services import (
    IMAGE_METADATA_FIELDS,
    image_clean_upload,
    image_create,
    image_find_duplicate,
    image_replace_file,
    image_update,
)
from media.templatetags.media_tags import thumbnail


class ReplaceFileWidget(AdminFileWidget):
    """Show the current file and offer to replace it, never to clear it."""

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        # The template offers a "Clear" checkbox for optional fields; a picture without a
        # file means nothing, so the checkbox is never shown (or honoured, below).
        context["widget"]["required"] = True
        return context

    def value_from_datadict(self, data, files, name):
        return FileInput.value_from_datadict(self, data, files, name)


class KeywordsField(forms.CharField):
    """Keywords typed as "Harbour,  boats, harbour ,Sunset", kept as "harbour, boats, sunset":
    each trimmed (inner spaces made one) and lower-cased, empty ones and repeats dropped, in the
    order typed. The length limit applies to what is kept."""

    def to_python(self, value):
        words = (" ".join(word.split()).lower() for word in super().to_python(value).split(","))
        return ", ".join(dict.fromkeys(word for word in words if word))


# The button that takes the library's picture instead of an upload it already has.
USE_EXISTING = "use_existing"


class ImageForm(forms.ModelForm):
    """Upload or describe a picture; the file is checked by the upload-hygiene service.

    After validation, `cleaned_upload` holds the checked file (None when the file is kept),
    ready for `image_create` or `image_replace_file`, so that it is not decoded twice.
    """

    file = forms.FileField(label="Picture", widget=ReplaceFileWidget)
    # Asked only when the upload is a picture the library has already (see `clean`).
    keep_duplicate = forms.BooleanField(
        label="Keep my copy as a new picture", required=False, widget=forms.HiddenInput
    )

    class Meta:
        model = Image
        fields = ["file", *IMAGE_METADATA_FIELDS]
        field_classes = {"keywords": KeywordsField}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.cleaned_upload = None
        # A new picture needs a file; an existing one keeps its file unless replaced.
        self.fields["file"].required = self.instance.pk is None
        self.fields["file"].help_text = (
            f"A JPEG, PNG, WebP or GIF of at most {settings.NEWSROOM_MAX_UPLOAD_MB} MB. "
            "An empty caption, credit or copyright holder is filled in from the photo; "
            "location, camera and other hidden data are removed."
        )
        for name in ("focal_x", "focal_y"):
            if name in self.fields:
                # 0 to 1, in thousandths: the browser refuses other numbers before sending.
                self.fields[name].widget.attrs.update(min="0", max="1", step="0.001")

    def clean_file(self):
        file = self.cleaned_data.get("file")
        if not isinstance(file, UploadedFile):
            return file  # the current file, kept
        # A ValidationError raised here lands on the file field; what was typed stays.
        self.cleaned_upload = image_clean_upload(file=file)
        # Hand the model the clean bytes, named after the format Pillow found, so that no
        # check downstream judges the uploader's file name.
        return self.cleaned_upload.as_file()

    def clean(self):
        cleaned = super().clean()
        if self.cleaned_upload is None or cleaned.get("keep_duplicate"):
            return cleaned
        duplicate = image_find_duplicate(
            content_hash=self.cleaned_upload.content_hash, exclude=self.instance
        )
        if duplicate is not None:
            self._offer_the_picture_in_the_library(duplicate)
        return cleaned

    def _offer_the_picture_in_the_library(self, duplicate: Image) -> None:
        """Keep nothing, and say how to use the picture the library has, or keep the copy."""
        self.add_error(
            "file",
            forms.ValidationError(
                "This picture is already in the library as “%(name)s” (picture %(pk)s), so "
                "nothing was uploaded. Press “Use the existing picture” to use it. To add "
                "your copy anyway, tick “Keep my copy as a new picture” and choose the file "
                "again.",
                code="duplicate",
                params={"name": duplicate, "pk": duplicate.pk},
            ),
        )
        keep = self.fields["keep_duplicate"]
        keep.widget = forms.CheckboxInput()
        # On the bound field too: it took the field's help text when validation made it.
        keep.help_text = self["keep_duplicate"].help_text = format_html(
            '<span class="duplicate-offer">{}<span>The picture in the library: <a href="{}" '
            'target="_blank">“{}”</a> (picture {}), credit “{}”.</span><button type="submit" '
            'name="{}" value="{}" formnovalidate class="button default">Use the existing picture'
            "</button></span>",
            thumbnail(duplicate),
            reverse("admin:media_image_change", args=[duplicate.pk]),
            duplicate,
            duplicate.pk,
            duplicate.credit or "none",
            USE_EXISTING,
            duplicate.pk,
        )

    def metadata(self) -> dict:
        """Return the typed metadata, as keyword arguments for the image services (only what
        this form asks: a new picture's form has no focal point, as there is no picture yet
        to click on)."""
        return {
            name: self.cleaned_data[name] for name in IMAGE_METADATA_FIELDS if name in self.fields
        }

    def save(self, commit=True):
        """Return the picture; with `commit`, written through the media services."""
        if not commit:
            return super().save(commit=False)
        return self.save_picture()

    def save_picture(self, *, uploaded_by=None) -> Image:
        """Create or update the picture with the image services, and return it."""
        if self.instance.pk is None:
            return image_create(
                file=self.cleaned_upload, uploaded_by=uploaded_by, **self.metadata()
            )
        # A fresh copy: the form has already put its values, and the file, on `instance`.
        image = image_update(image=Image.objects.get(pk=self.instance.pk), **self.metadata())
        if self.cleaned_upload is not None:
            image_replace_file(image=image, file=self.cleaned_upload)
        return image
