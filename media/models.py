import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone


def original_upload_to(instance, filename):
    """Return a generated storage path; the uploader's file name is never used."""
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return f"images/{timezone.now():%Y/%m}/{uuid.uuid4().hex}.{extension}"


def rendition_upload_to(instance, filename):
    extension = filename.rsplit(".", 1)[-1].lower()
    stem = instance.image.file.name.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    return f"renditions/{stem[:2]}/{stem}-{instance.width}w.{extension}"


class ImageQuerySet(models.QuerySet):
    def rights_expired_q(self, *, on=None):
        on = on or timezone.localdate()
        return models.Q(rights_expire_on__lt=on)

    def rights_expired(self, *, on=None):
        return self.filter(self.rights_expired_q(on=on))


class Image(models.Model):
    """A picture in the library, with what a newsroom must know to publish it."""

    file = models.ImageField(
        upload_to=original_upload_to, width_field="width", height_field="height"
    )
    width = models.PositiveIntegerField(editable=False, default=0)
    height = models.PositiveIntegerField(editable=False, default=0)
    content_hash = models.CharField(max_length=64, editable=False, db_index=True)
    alt_text = models.CharField(
        max_length=300,
        blank=True,
        help_text="What the picture shows, for readers who cannot see it.",
    )
    is_decorative = models.BooleanField(
        default=False,
        help_text="Purely decorative pictures need no alt text.",
    )
    caption = models.CharField(max_length=500, blank=True)
    credit = models.CharField(
        max_length=200, blank=True, help_text="Who made it, e.g. “Agency/Photographer”."
    )
    copyright_holder = models.CharField(max_length=200, blank=True)
    usage_terms = models.TextField(blank=True)
    rights_expire_on = models.DateField(
        null=True, blank=True, help_text="After this date the picture may no longer be used."
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    uploaded_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = ImageQuerySet.as_manager()

    class Meta:
        ordering = ["-uploaded_at"]

    def __str__(self):
        return self.caption or self.alt_text or self.file.name.rsplit("/", 1)[-1]

    def clean(self):
        # Here rather than in a form, so that it holds for the admin, services and imports.
        if not self.is_decorative and not self.alt_text.strip():
            message = (
                "Describe what the picture shows for readers who cannot see it, or tick "
                "“decorative” if it adds nothing to the text."
            )
            raise ValidationError({"alt_text": ValidationError(message, code="alt_text_required")})

    @property
    def rights_expired(self):
        return self.rights_expire_on is not None and self.rights_expire_on < timezone.localdate()


class Rendition(models.Model):
    """A resized copy of an image, made once and reused."""

    FORMATS = [("webp", "WebP"), ("jpeg", "JPEG"), ("png", "PNG")]

    image = models.ForeignKey(Image, on_delete=models.CASCADE, related_name="renditions")
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    format = models.CharField(max_length=4, choices=FORMATS)
    file = models.ImageField(
        upload_to=rendition_upload_to, width_field="width", height_field="height"
    )

    class Meta:
        ordering = ["width"]
        constraints = [
            models.UniqueConstraint(
                fields=["image", "width", "format"], name="rendition_unique_spec"
            )
        ]

    def __str__(self):
        return f"{self.image_id} {self.width}w {self.format}"
