"""Queue the making of every picture's missing renditions: after an upgrade that adds a format
(AVIF) or a crop, or a change of `NEWSROOM_RENDITION_WIDTHS`, so that the library's older
pictures get them too. One task per picture on the task engine, which makes only what is
missing (`media.tasks.image_renditions_make`): safe to run again.
"""

from django.core.management.base import BaseCommand

from media.models import Image
from media.services import image_queue_renditions


class Command(BaseCommand):
    help = "Queue the making of every picture's missing renditions (the worker makes them)."

    def handle(self, *args, **options):
        queued = 0
        for image in Image.objects.only("pk", "file").iterator(chunk_size=2000):
            image_queue_renditions(image=image)
            queued += 1
        self.stdout.write(
            f"Renditions queued for {queued} picture{'s' if queued != 1 else ''}: the background "
            "worker makes those missing."
        )
