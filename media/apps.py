from datetime import timedelta

from django.apps import AppConfig
from django.db.models.signals import post_delete


class MediaConfig(AppConfig):
    name = "media"
    label = "media"
    verbose_name = "Images"

    def ready(self):
        from foundation import periodic
        from media import checks  # noqa: F401 - registers the system checks
        from media.models import Image, Rendition
        from media.signals import delete_stored_file
        from media.tasks import pending_pictures_delete

        post_delete.connect(delete_stored_file, sender=Image, dispatch_uid="media.image.file")
        post_delete.connect(
            delete_stored_file, sender=Rendition, dispatch_uid="media.rendition.file"
        )
        # Every hour at 40 past: uploads left undescribed for NEWSROOM_PENDING_PICTURE_HOURS.
        periodic.register(
            name="pending_pictures_delete",
            task=pending_pictures_delete,
            every=timedelta(hours=1),
            offset=timedelta(minutes=40),
        )
