"""Writes to the picture library: upload, describe, replace, and make renditions.

Every picture enters through `image_create` or `image_replace_file`, so every stored file has
been through upload hygiene (`media.hygiene`): checked, turned upright, stripped of metadata.

Files go through Django's storage API only (never `.path`), so the same code stores them under
MEDIA_ROOT or on S3-compatible object storage. The upload answers once the clean original is
stored: its renditions are made by a task on the engine (`media.tasks`), queued with the
picture, and pages show the original until they are there (`media.renditions`).
"""

import logging
import math
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from foundation.engine import task_enqueue
from media import hygiene
from media.crops import CROPS, crop_box
from media.hygiene import CleanUpload
from media.models import Image, Rendition
from media.renditions import FALLBACK_FORMATS, modern_formats
from media.signals import files_outlive_cached_pages

logger = logging.getLogger(__name__)

# What a journalist may type about a picture; the rest is computed.
IMAGE_METADATA_FIELDS = (
    "alt_text",
    "is_decorative",
    "caption",
    "credit",
    "keywords",
    "copyright_holder",
    "usage_terms",
    "rights_expire_on",
    "focal_x",
    "focal_y",
)
FOCAL_POINT_FIELDS = ("focal_x", "focal_y")
# What the picture's own IPTC or EXIF may fill in when nobody typed it.
SUGGESTED_FIELDS = ("caption", "credit", "copyright_holder")


class StorageUnavailable(Exception):
    """The picture library's storage refused or did not answer a write; nothing was saved."""

    message = (
        "The picture could not be stored: the picture library's storage did not answer. "
        "Nothing was saved. Try again in a minute; if it keeps happening, tell the technical team."
    )

    def __str__(self):
        return self.message


def image_clean_upload(*, file: File) -> CleanUpload:
    """Check an upload and return its pixels re-encoded without metadata.

    Raise ValidationError, with a message fit for the journalist, if the file is unusable.
    """
    return hygiene.clean_upload(file=file)


def image_create(*, file: File | CleanUpload, uploaded_by=None, **fields) -> Image:
    """Add a picture to the library and return it; its renditions follow on the engine.

    `file` is an upload, or what `image_clean_upload` returned for it (so a form that has
    already checked the file does not decode it twice). `fields` are the metadata the
    journalist typed; an empty caption, credit or copyright holder is filled from the
    picture's IPTC or EXIF. Raise ValidationError if the file or the fields are invalid.
    Duplicates are not refused: see `image_find_duplicate`.
    Raise StorageUnavailable if the storage fails: then no picture exists.
    """
    _check_field_names(fields, "image_create")
    upload = file if isinstance(file, CleanUpload) else image_clean_upload(file=file)
    image = Image(uploaded_by=uploaded_by, **fields)
    # All or nothing: no row is left pointing at a file that was never stored, and the
    # renditions are queued with the row.
    with transaction.atomic():
        _use_upload(image, upload)
        _queue_renditions(image)
    return image


def image_update(*, image: Image, **fields) -> Image:
    """Change what is said about a picture (alt text, caption, credit, rights, focal point).

    A focal point that moves takes the picture's crops with it: they are deleted (their files
    once the pages that caches keep can no longer show them) and made again around the new
    point on the engine, while the whole picture's renditions stay. The pages that show the
    picture follow the save (`articles.signals`), and again when the new crops are made
    (`renditions_made`).
    """
    _check_field_names(fields, "image_update")
    moved = any(
        name in fields and fields[name] != getattr(image, name) for name in FOCAL_POINT_FIELDS
    )
    for name, value in fields.items():
        setattr(image, name, value)
    image.full_clean()
    if not fields:
        return image
    if not moved:
        image.save(update_fields=list(fields))
        return image
    with transaction.atomic():
        # The row's lock first, as for a new file: a crop around the old point being saved
        # meanwhile waits, then finds the point moved (`_store_rendition`) and is dropped.
        Image.objects.select_for_update().filter(pk=image.pk).exists()
        # Deleting the rows deletes their files (media.signals) once the pages that a shared
        # cache may still serve, made before the move, can no longer show them.
        with files_outlive_cached_pages():
            Rendition.objects.filter(image=image).exclude(crop="").delete()
        image.save(update_fields=list(fields))
        _queue_renditions(image)
    return image


def image_replace_file(*, image: Image, file: File | CleanUpload) -> Image:
    """Put a new file behind a picture, keeping what was said about it.

    The new file goes through the same hygiene as an upload; the old file and renditions are
    deleted once the change is committed, and new renditions are queued. Raise
    StorageUnavailable if the storage fails: then the picture keeps its old file.
    """
    upload = file if isinstance(file, CleanUpload) else image_clean_upload(file=file)
    old_name = image.file.name
    with transaction.atomic():
        # The row's lock first: a rendition of the old file being saved meanwhile waits, then
        # finds the file replaced (`_store_rendition`), so none of the old picture survives.
        Image.objects.select_for_update().filter(pk=image.pk).exists()
        # Deleting the rows deletes their files after commit (media.signals).
        Rendition.objects.filter(image=image).delete()
        _use_upload(image, upload)
        _queue_renditions(image)
        file_delete_on_commit(storage=image.file.storage, name=old_name)
    return image


def image_find_duplicate(*, content_hash: str, exclude: Image | None = None) -> Image | None:
    """Return the first picture uploaded from the very same file, if there is one."""
    images = Image.objects.filter(content_hash=content_hash)
    if exclude is not None and exclude.pk is not None:
        images = images.exclude(pk=exclude.pk)
    return images.order_by("uploaded_at", "pk").first()


def image_make_renditions(*, image: Image, original: bytes | None = None) -> list[Rendition]:
    """Make the picture's missing renditions and return all those it should have.

    Per width of the whole picture and of each crop (`media.crops`, around the focal point):
    AVIF (where Pillow can write it) and WebP, and a fallback every browser shows: JPEG, or PNG
    when the picture has transparency; the crop for shared links has the fallback only.
    Renditions that exist are reused, so calling this again makes nothing. `original` is the
    stored file's content when the caller has it; without it, the stored file is read. Raise
    `FileReplaced` if the picture's file was replaced, or its focal point moved, meanwhile
    (nothing of the old is kept).
    """
    wanted = wanted_renditions(image=image)
    existing = {(r.crop, r.width, r.format): r for r in Rendition.objects.filter(image=image)}
    missing = [spec for spec in wanted if spec.missing_formats(existing)]
    if missing:
        for rendition in _make_renditions(image, missing, existing, original):
            existing[rendition.crop, rendition.width, rendition.format] = rendition
    # A prefetched `image.renditions.all()` would now be out of date.
    image.refresh_from_db(fields=["renditions"])  # forgets them, without a query
    wanted_sizes = {(spec.crop, spec.width) for spec in wanted}
    return sorted(
        (r for r in existing.values() if (r.crop, r.width) in wanted_sizes),
        key=lambda r: (r.crop, r.width, r.format),
    )


@dataclass(frozen=True)
class WantedRendition:
    """One size of the whole picture or of a crop, and the formats it should be in."""

    crop: str  # "" for the whole picture
    width: int
    height: int
    box: tuple[int, int, int, int]  # what it shows, in the original's pixels
    formats: tuple[str, ...]  # besides the fallback (JPEG or PNG) that every size has

    def missing_formats(self, existing) -> list[str]:
        """Return the formats still to make ("fallback" for JPEG or PNG, whichever fits)."""
        missing = [fmt for fmt in self.formats if (self.crop, self.width, fmt) not in existing]
        if not any((self.crop, self.width, fmt) in existing for fmt in FALLBACK_FORMATS):
            missing.append("fallback")
        return missing


def wanted_renditions(*, image: Image) -> list[WantedRendition]:
    """Return every rendition the picture should have: the whole of it, and its crops."""
    whole = (0, 0, image.width, image.height)
    modern = modern_formats()
    wanted = [
        WantedRendition("", width, max(1, round(image.height * width / image.width)), whole, modern)
        for width in rendition_widths(original_width=image.width)
    ]
    for shape in CROPS.values():
        box = crop_box(
            size=(image.width, image.height), aspect=shape.aspect, focal=image.focal_point
        )
        box_width = box[2] - box[0]
        if shape.width:
            widths = [min(shape.width, box_width)]
        else:
            widths = rendition_widths(original_width=box_width)
        formats = modern if shape.modern_formats else ()
        wanted += [
            WantedRendition(shape.name, width, shape.height_for(width), box, formats)
            for width in widths
        ]
    return wanted


class FileReplaced(Exception):
    """The picture's file was replaced, or its focal point moved, while its renditions were
    being made."""


def image_queue_renditions(*, image: Image) -> None:
    """Queue the making of the picture's missing renditions on the task engine."""
    _queue_renditions(image)


def _queue_renditions(image: Image) -> None:
    from media.tasks import image_renditions_make  # the task module imports this one

    task_enqueue(image_renditions_make, image.pk, file_name=image.file.name)


def rendition_widths(*, original_width: int) -> list[int]:
    """Return the widths to make: the configured ones the original can fill, or its own."""
    widths = sorted({w for w in settings.NEWSROOM_RENDITION_WIDTHS if w <= original_width})
    return widths or [original_width]


def file_delete_on_commit(*, storage, name: str) -> None:
    """Delete a stored file once the current transaction commits (never if it rolls back).

    The deletion is what was committed; a storage that fails to delete the file leaves it
    orphaned (logged), and the journalist's page does not fail.
    """
    if name:
        transaction.on_commit(lambda: storage.delete(name), robust=True)


def cached_pages_lifetime() -> timedelta:
    """Return the longest a page a shared cache or a CDN keeps may still be served: its
    lifetime and then stale, on an origin error or while it is fetched again."""
    return timedelta(
        seconds=settings.NEWSROOM_PUBLIC_CACHE_SECONDS
        + max(
            settings.NEWSROOM_STALE_IF_ERROR_SECONDS,
            settings.NEWSROOM_STALE_WHILE_REVALIDATE_SECONDS,
        )
    )


def file_delete_after_cached_pages(*, name: str) -> None:
    """Delete a rendition's file once the pages that caches keep can no longer show it: a task
    queued with the current transaction, to run after `cached_pages_lifetime()`."""
    from media.tasks import rendition_file_delete  # the task module imports this one

    if name:
        run_after = timezone.now() + cached_pages_lifetime()
        task_enqueue(rendition_file_delete, name, run_after=run_after)


def _check_field_names(fields: dict, function: str) -> None:
    unknown = sorted(set(fields) - set(IMAGE_METADATA_FIELDS))
    if unknown:
        raise TypeError(f"{function}() cannot set {', '.join(unknown)}")


def _use_upload(image: Image, upload: CleanUpload) -> None:
    """Validate the picture with the clean file, then store the file and save the row."""
    for name in SUGGESTED_FIELDS:
        suggestion = getattr(upload, name)
        if suggestion and not getattr(image, name).strip():
            max_length = Image._meta.get_field(name).max_length
            setattr(image, name, suggestion[:max_length].strip())
    image.content_hash = upload.content_hash
    image.file = upload.as_file()
    image.full_clean()
    _store(image.file, upload.as_file())
    try:
        image.save()
    except Exception:
        _delete_quietly(image.file.storage, image.file.name)
        raise


def _store(field_file, content: ContentFile) -> None:
    """Write `content` through the field's storage; raise StorageUnavailable if it fails."""
    try:
        # ImageFieldFile.save takes the dimensions from `content`: nothing is read back.
        field_file.save(content.name, content, save=False)
    except Exception as error:
        # Any storage: a full disk, a refused connection, an expired key, a missing bucket.
        logger.exception("Storing %s failed", field_file.field)
        raise StorageUnavailable from error


def _delete_quietly(storage, name: str) -> None:
    """Delete a file stored by a write that failed; a storage that fails again orphans it."""
    try:
        storage.delete(name)
    except Exception:
        logger.exception("Could not delete %s after a failed write; it is orphaned", name)


def _make_renditions(
    image: Image,
    wanted: list[WantedRendition],
    existing: dict[tuple[str, int, str], Rendition],
    original: bytes | None,
) -> list[Rendition]:
    if original is None:
        try:
            with image.file.open("rb") as stored:
                data = stored.read()
        except FileNotFoundError:
            raise  # a missing original is not the storage's failure
        except Exception as error:
            logger.exception("Reading %s failed", image.file.name)
            raise StorageUnavailable from error
    else:
        data = original
    # Decode once, at the smallest scale that still gives every rendition its pixels.
    scale = min(1.0, max(spec.width / (spec.box[2] - spec.box[0]) for spec in wanted))
    largest = (math.ceil(image.width * scale), math.ceil(image.height * scale))
    try:
        frame = hygiene.rendition_frame(data, largest=largest)
    except Exception as error:
        raise ValidationError(
            "The stored picture %(name)s cannot be read (%(reason)s); upload it again.",
            code="unreadable",
            params={"name": image.file.name, "reason": error.__class__.__name__},
        ) from error
    with frame:
        transparent = hygiene.has_transparency(frame)
        fallback = "png" if transparent else "jpeg"
        across, down = frame.width / image.width, frame.height / image.height
        made = []
        for spec in wanted:
            left, top, right, bottom = spec.box
            box = (
                round(left * across),
                round(top * down),
                round(right * across),
                round(bottom * down),
            )
            formats = [
                fallback if fmt == "fallback" else fmt for fmt in spec.missing_formats(existing)
            ]
            encoded = hygiene.encode_renditions(
                frame,
                size=(spec.width, spec.height),
                formats=formats,
                transparent=transparent,
                box=box,
            )
            made.extend(
                _store_rendition(image, spec, fmt, content) for fmt, content in encoded.items()
            )
    return made


def _store_rendition(image: Image, spec: WantedRendition, fmt: str, content: bytes) -> Rendition:
    width, height = spec.width, spec.height
    rendition = Rendition(image=image, crop=spec.crop, width=width, height=height, format=fmt)
    name = f"rendition.{hygiene.RENDITION_EXTENSIONS[fmt]}"
    _store(rendition.file, ContentFile(content, name=name))
    # Under the picture's lock, and only while its file is the one this was made from (and,
    # for a crop, its focal point the one it was cut around).
    same_picture = {"pk": image.pk, "file": image.file.name}
    if spec.crop:
        same_picture |= {"focal_x": image.focal_x, "focal_y": image.focal_y}
    try:
        with transaction.atomic():
            if not Image.objects.select_for_update().filter(**same_picture).exists():
                raise FileReplaced(image.file.name)
            rendition.save()
    except FileReplaced:
        _delete_quietly(rendition.file.storage, rendition.file.name)
        raise
    except IntegrityError:
        # Another task made the same rendition meanwhile: keep theirs. On a storage that
        # overwrites (S3), their file has our name and the same content: keep it too.
        theirs = Rendition.objects.filter(
            image=image, crop=spec.crop, width=width, format=fmt
        ).first()
        if theirs is None or theirs.file.name != rendition.file.name:
            _delete_quietly(rendition.file.storage, rendition.file.name)
        if theirs is None:
            raise
        return theirs
    return rendition
