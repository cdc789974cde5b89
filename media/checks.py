"""System checks: catch a picture-library misconfiguration at start-up, not at upload."""

from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register
from django.core.files.storage import FileSystemStorage, storages
from PIL import Image as PillowImage


@register()
def check_image_settings(app_configs, **kwargs):
    """Check the pixel limit and the rendition widths."""
    problems = []
    limit = settings.NEWSROOM_MAX_IMAGE_PIXELS
    # Pillow refuses, by itself, pictures above twice its MAX_IMAGE_PIXELS.
    pillow_limit = PillowImage.MAX_IMAGE_PIXELS and 2 * PillowImage.MAX_IMAGE_PIXELS
    if pillow_limit and limit > pillow_limit:
        problems.append(
            Warning(
                f"NEWSROOM_MAX_IMAGE_PIXELS ({limit}) is above the most Pillow will open "
                f"({pillow_limit}); pictures between the two will be refused.",
                hint="Raise PIL.Image.MAX_IMAGE_PIXELS too, or lower the setting.",
                id="media.W001",
            )
        )
    widths = settings.NEWSROOM_RENDITION_WIDTHS
    if not widths or any(not isinstance(w, int) or w < 1 for w in widths):
        problems.append(
            Error(
                "NEWSROOM_RENDITION_WIDTHS must be a non-empty list of positive whole numbers.",
                id="media.E001",
            )
        )
    return problems


@register(Tags.security, deploy=True)
def check_object_storage_deployed(app_configs, **kwargs):
    """Warn about settings that still assume uploads on the local disk, with object storage on."""
    if isinstance(storages["default"], FileSystemStorage):
        return []
    problems = []
    if not urlsplit(settings.MEDIA_URL).netloc:
        problems.append(
            Warning(
                f"Uploads are on object storage, but MEDIA_URL is {settings.MEDIA_URL!r}: "
                "pictures are linked straight from the storage endpoint, past any CDN.",
                hint="Set MEDIA_URL to the absolute URL that serves the bucket, e.g. "
                "https://media.example.com/ (a CDN, or the bucket's public host).",
                id="media.W002",
            )
        )
    if settings.NEWSROOM_SERVE_UPLOADS:
        problems.append(
            Warning(
                "NEWSROOM_SERVE_UPLOADS is on, but uploads are on object storage: Django would "
                "serve MEDIA_ROOT from this server's disk, where no upload is.",
                hint="Set NEWSROOM_SERVE_UPLOADS=false.",
                id="media.W003",
            )
        )
    return problems
