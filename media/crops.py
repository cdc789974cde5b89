"""Crops that keep what matters: where a cropped rendition is cut from its picture.

A picture has a focal point (`Image.focal_x`, `Image.focal_y`: fractions of its width and
height, the centre when unset). A crop is the largest box of the crop's shape that fits in the
picture, centred on the focal point as nearly as the picture's edges allow: a subject in a
corner pulls the box into that corner, and is never cut off by a centred crop.

Which crops the site makes, and why these shapes:

- `card`, 3:2: the cards of the front page, sections, authors, tags and "More from" draw their
  picture at `aspect-ratio: 3 / 2` (static/css/site.css, `.card__image img`).
- `social`, 1200×630 (1.91:1): what Facebook, LinkedIn, X and messengers show for a shared
  link (`og:image`, `twitter:image` with `summary_large_image`).

The article's lead picture is not cropped at any screen width (`.figure img` keeps the
picture's own shape), so it needs no crop.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class CropShape:
    """A crop: its name (stored on its renditions), its shape, and its widest rendition."""

    name: str
    aspect: tuple[int, int]
    # The widest rendition, or None for the configured widths (NEWSROOM_RENDITION_WIDTHS).
    width: int | None = None
    # The social card is read by link-preview crawlers, not all of which read WebP or AVIF.
    modern_formats: bool = True

    def height_for(self, width: int) -> int:
        return max(1, round(width * self.aspect[1] / self.aspect[0]))


CARD = CropShape(name="card", aspect=(3, 2))
SOCIAL = CropShape(name="social", aspect=(1200, 630), width=1200, modern_formats=False)
CROPS = {crop.name: crop for crop in (CARD, SOCIAL)}

CENTRE = (0.5, 0.5)


def crop_box(
    *, size: tuple[int, int], aspect: tuple[int, int], focal: tuple[float, float] = CENTRE
) -> tuple[int, int, int, int]:
    """Return (left, top, right, bottom): the largest box of `aspect` inside a picture of `size`,
    centred on `focal` (fractions of the width and height) as nearly as the edges allow."""
    width, height = size
    shape = aspect[0] / aspect[1]
    if width / height > shape:  # wider than the crop: the full height, part of the width
        box_width, box_height = min(width, max(1, round(height * shape))), height
    else:
        box_width, box_height = width, min(height, max(1, round(width / shape)))
    left = _clamp(round(focal[0] * width - box_width / 2), 0, width - box_width)
    top = _clamp(round(focal[1] * height - box_height / 2), 0, height - box_height)
    return (left, top, left + box_width, top + box_height)


def _clamp(value: int, lowest: int, highest: int) -> int:
    return max(lowest, min(value, highest))
