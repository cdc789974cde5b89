from django.apps import AppConfig
from django.db.models.signals import post_delete


class MediaConfig(AppConfig):
    name = "media"
    label = "media"
    verbose_name = "Images"

    def ready(self):
        from media import checks  # noqa: F401 - registers the system checks
        from media.models import Image, Rendition
        from media.signals import delete_stored_file

        post_delete.connect(delete_stored_file, sender=Image, dispatch_uid="media.image.file")
        post_delete.connect(
            delete_stored_file, sender=Rendition, dispatch_uid="media.rendition.file"
        )
