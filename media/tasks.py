"""The picture library's work on the task engine (`foundation.engine`): renditions, and the
hourly clean-up of pictures dropped on the chooser and never described.

An upload answers as soon as its clean original is stored; this task then makes its resized
copies. Until they are there, pages show what exists: the renditions made so far, or the
original (`media.renditions.picture_sources`). When they are, `renditions_made` is sent, and
the pages that show the picture are rendered again (`articles.signals`).
"""

import logging

from django.utils import timezone
from django_tasks import task

from foundation.engine import retry_delay, task_enqueue
from media.chooser import Pending
from media.models import Image, Rendition
from media.services import FileReplaced, StorageUnavailable, image_make_renditions
from media.signals import renditions_made

logger = logging.getLogger(__name__)

# A storage that does not answer is tried again after 30 s, 1, 2, 4 … minutes, this many times.
ATTEMPTS = 8


@task()
def image_renditions_make(image_id: int, file_name: str, attempt: int = 1) -> str:
    """Make picture `image_id`'s missing renditions, if `file_name` is still its file."""
    image = Image.objects.filter(pk=image_id, file=file_name).first()
    if image is None:
        return "Nothing to do: the picture is gone, or has another file now."
    try:
        renditions = image_make_renditions(image=image)
    except FileReplaced:
        return "Stopped: the picture's file was replaced (its new renditions are queued)."
    except StorageUnavailable:
        if attempt >= ATTEMPTS:
            raise
        again = timezone.now() + retry_delay(attempt=attempt, first=30)
        task_enqueue(image_renditions_make, image_id, file_name, attempt + 1, run_after=again)
        logger.warning("Renditions of picture %s wait for the storage until %s", image_id, again)
        return f"The storage did not answer; tried again at {again:%H:%M:%S}."
    renditions_made.send(sender=Image, image=image)
    whole = [r for r in renditions if not r.crop]
    crops = len(renditions) - len(whole)
    return f"{len(whole)} renditions at {sorted({r.width for r in whole})} px, and {crops} crops."


@task()
def rendition_file_delete(name: str) -> str:
    """Delete a rendition's stored file (queued for when no cached page shows it), unless a
    rendition uses that name again."""
    if Rendition.objects.filter(file=name).exists():
        return "Kept: a rendition uses this file."
    Rendition._meta.get_field("file").storage.delete(name)
    return f"Deleted {name}."


@task()
def pending_pictures_delete() -> str:
    """Delete the files of pictures dropped on the chooser and never described, once their
    NEWSROOM_PENDING_PICTURE_HOURS are over (registered hourly in `MediaConfig.ready`)."""
    forgotten = Pending.forget_abandoned()
    if forgotten:
        logger.info(
            "Deleted %s pictures dropped on the chooser and never described", len(forgotten)
        )
    return f"{len(forgotten)} abandoned uploads deleted."
