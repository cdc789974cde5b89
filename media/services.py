"""Writes to the picture library: upload, describe, replace, and make renditions.

Every picture enters through `image_create` or `image_replace_file`, so every stored file has
been through upload hygiene (`media.hygiene`): checked, turned upright, stripped of metadata.

Files go through Django's storage API only (never `.path`), so the same code stores them under
MEDIA_ROOT or on S3-compatible object storage. The upload answers once the clean original is
stored: its renditions are made by a task on the engine (`media.tasks`), queued with the
picture, and pages show the original until they are there (`media.renditions`).
"""

import logging

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction

from foundation.engine import task_enqueue
from media import hygiene
from media.hygiene import CleanUpload
from media.models import Image, Rendition
from media.renditions import FALLBACK_FORMATS

logger = logging.getLogger(__name__)

# What a journalist may type about a picture; the rest is computed.
IMAGE_METADATA_FIELDS = (
    "alt_text",
    "is_decorative",
    "caption",
    "credit",
    "copyright_holder",
    "usage_terms",
    "rights_expire_on",
)
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
    """Change what is said about a picture (alt text, caption, credit, rights)."""
    _check_field_names(fields, "image_update")
    for name, value in fields.items():
        setattr(image, name, value)
    image.full_clean()
    if fields:
        image.save(update_fields=list(fields))
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

    One WebP and one fallback per width: JPEG, or PNG when the picture has transparency.
    Renditions that exist are reused, so calling this again makes nothing. `original` is the
    stored file's content when the caller has it; without it, the stored file is read. Raise
    `FileReplaced` if the picture's file was replaced meanwhile (nothing of the old is kept).
    """
    widths = rendition_widths(original_width=image.width)
    existing = {(r.width, r.format): r for r in Rendition.objects.filter(image=image)}
    missing = [
        width
        for width in widths
        if (width, "webp") not in existing
        or not any((width, fmt) in existing for fmt in FALLBACK_FORMATS)
    ]
    if missing:
        for rendition in _make_renditions(image, missing, existing, original):
            existing[rendition.width, rendition.format] = rendition
    # A prefetched `image.renditions.all()` would now be out of date.
    image.refresh_from_db(fields=["renditions"])  # forgets them, without a query
    return sorted(
        (r for r in existing.values() if r.width in widths),
        key=lambda r: (r.width, r.format),
    )


class FileReplaced(Exception):
    """The picture's file was replaced while its renditions were being made."""


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
    widths: list[int],
    existing: dict[tuple[int, str], Rendition],
    original: bytes | None,
) -> list[Rendition]:
    heights = {width: max(1, round(image.height * width / image.width)) for width in widths}
    largest = max(widths)
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
    try:
        frame = hygiene.rendition_frame(data, largest=(largest, heights[largest]))
    except Exception as error:
        raise ValidationError(
            "The stored picture %(name)s cannot be read (%(reason)s); upload it again.",
            code="unreadable",
            params={"name": image.file.name, "reason": error.__class__.__name__},
        ) from error
    with frame:
        fallback = "png" if hygiene.has_transparency(frame) else "jpeg"
        made = []
        for width in widths:
            formats = [] if (width, "webp") in existing else ["webp"]
            if not any((width, fmt) in existing for fmt in FALLBACK_FORMATS):
                formats.append(fallback)
            for fmt in formats:
                content = hygiene.encode_rendition(
                    frame,
                    size=(width, heights[width]),
                    fmt=fmt,
                    transparent=fallback == "png",
                )
                made.append(_store_rendition(image, width, heights[width], fmt, content))
    return made


def _store_rendition(image: Image, width: int, height: int, fmt: str, content: bytes) -> Rendition:
    rendition = Rendition(image=image, width=width, height=height, format=fmt)
    name = f"rendition.{hygiene.EXTENSIONS[fmt]}"
    _store(rendition.file, ContentFile(content, name=name))
    try:
        with transaction.atomic():
            # Under the picture's lock, and only while its file is the one this was made from.
            if (
                not Image.objects.select_for_update()
                .filter(pk=image.pk, file=image.file.name)
                .exists()
            ):
                raise FileReplaced(image.file.name)
            rendition.save()
    except FileReplaced:
        _delete_quietly(rendition.file.storage, rendition.file.name)
        raise
    except IntegrityError:
        # Another task made the same rendition meanwhile: keep theirs. On a storage that
        # overwrites (S3), their file has our name and the same content: keep it too.
        theirs = Rendition.objects.filter(image=image, width=width, format=fmt).first()
        if theirs is None or theirs.file.name != rendition.file.name:
            _delete_quietly(rendition.file.storage, rendition.file.name)
        if theirs is None:
            raise
        return theirs
    return rendition
