"""System checks: catch a picture-library misconfiguration at start-up, not at upload."""

from django.conf import settings
from django.core.checks import Error, Warning, register
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
