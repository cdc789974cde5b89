import uuid

from django.conf import settings
from django.contrib.postgres.search import SearchVector, SearchVectorField
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Value
from django.db.models.functions import Replace
from django.utils import timezone

from foundation.search import TextSearchVector

# The text search configuration of `Image.search_vector`; changing it means a migration.
SEARCH_CONFIG = "english"


def original_upload_to(instance, filename):
    """Return a generated storage path; the uploader's file name is never used."""
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return f"images/{timezone.now():%Y/%m}/{uuid.uuid4().hex}.{extension}"


def rendition_upload_to(instance, filename):
    extension = filename.rsplit(".", 1)[-1].lower()
    stem = instance.image.file.name.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    if instance.crop:
        # The focal point is in the name: a crop made after it moved has a new address, so no
        # browser or CDN keeps showing the old crop (renditions are cached as immutable).
        x, y = instance.image.focal_point
        stem = f"{stem}-{instance.crop}-{round(x * 1000)}x{round(y * 1000)}"
    return f"renditions/{stem[:2]}/{stem}-{instance.width}w.{extension}"


FOCAL_HELP = (
    "Where the picture's subject is, as a fraction of its {}: 0 is the {} edge, 1 the {}, "
    "0.5 the middle. Cropped copies (the cards of lists, the picture shown when the article "
    "is shared) keep this point in view. Leave both empty for the centre."
)
FRACTION = [MinValueValidator(0.0), MaxValueValidator(1.0)]


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
    # Free words to find the picture by; the forms normalise them (media.forms.KeywordsField).
    keywords = models.CharField(
        max_length=500,
        blank=True,
        help_text="Words to find the picture by, separated by commas, e.g. “harbour, boats, "
        "sunset”.",
    )
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
    focal_x = models.FloatField(
        "focal point across",
        null=True,
        blank=True,
        validators=FRACTION,
        help_text=FOCAL_HELP.format("width", "left", "right"),
    )
    focal_y = models.FloatField(
        "focal point down",
        null=True,
        blank=True,
        validators=FRACTION,
        help_text=FOCAL_HELP.format("height", "top", "bottom"),
    )
    # What the chooser searches (media/chooser.py), written by the database with the row: on
    # PostgreSQL a text search vector with one GIN index (migrations 0003, 0004); NULL on
    # SQLite. Changing its expression means removing and adding it again, index included.
    search_vector = models.GeneratedField(
        expression=TextSearchVector(
            SearchVector("caption", weight="A", config=SEARCH_CONFIG)
            + SearchVector("alt_text", weight="B", config=SEARCH_CONFIG)
            # "Agency/Photographer": each name a word, not one path.
            + SearchVector(
                Replace("credit", Value("/"), Value(" ")), weight="C", config=SEARCH_CONFIG
            )
            + SearchVector("copyright_holder", weight="C", config=SEARCH_CONFIG)
            + SearchVector("keywords", weight="B", config=SEARCH_CONFIG)
        ),
        output_field=SearchVectorField(null=True),
        db_persist=True,
        null=True,
    )

    objects = ImageQuerySet.as_manager()

    class Meta:
        ordering = ["-uploaded_at"]
        # The library newest first, a page at a time, whatever its size.
        indexes = [
            models.Index(fields=["-uploaded_at", "-id"], name="image_newest_first"),
            # The pictures whose rights end, for the article list's rights notice and the
            # chooser's rights filter: a few among many.
            models.Index(
                fields=["rights_expire_on"],
                name="image_rights_end",
                condition=models.Q(rights_expire_on__isnull=False),
            ),
        ]

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
        if (self.focal_x is None) != (self.focal_y is None):
            missing = "focal_y" if self.focal_y is None else "focal_x"
            message = "Give the focal point both across and down, or leave both empty."
            raise ValidationError({missing: ValidationError(message, code="focal_point_half")})

    @property
    def focal_point(self) -> tuple[float, float]:
        """Where the subject is, as fractions of the width and height; the centre if unset."""
        if self.focal_x is None or self.focal_y is None:
            return (0.5, 0.5)
        return (self.focal_x, self.focal_y)

    @property
    def rights_expired(self):
        return self.rights_expire_on is not None and self.rights_expire_on < timezone.localdate()


class Rendition(models.Model):
    """A resized copy of an image, or of a crop of it (`media.crops`), made once and reused."""

    FORMATS = [("avif", "AVIF"), ("webp", "WebP"), ("jpeg", "JPEG"), ("png", "PNG")]
    CROPS = [("", "Whole picture"), ("card", "Card, 3:2"), ("social", "Shared link, 1200×630")]

    image = models.ForeignKey(Image, on_delete=models.CASCADE, related_name="renditions")
    crop = models.CharField(max_length=8, choices=CROPS, blank=True, default="")
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
                fields=["image", "crop", "width", "format"], name="rendition_unique_crop_spec"
            )
        ]

    def __str__(self):
        crop = f" {self.crop}" if self.crop else ""
        return f"{self.image_id}{crop} {self.width}w {self.format}"
