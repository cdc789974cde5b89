"""Choose among a picture's renditions for a page, reading only `image.renditions.all()`.

A page that shows many pictures prefetches them (`.prefetch_related("renditions")`, or
`"lead_image__renditions"`), and then nothing here makes a query.
"""

from collections.abc import Iterable
from dataclasses import dataclass

# Formats every browser shows, in order of preference should a width have both: a PNG
# fallback exists because the picture has transparency, which a JPEG would lose.
FALLBACK_FORMATS = ("png", "jpeg")


@dataclass(frozen=True)
class PictureSources:
    """What a `<picture>` needs: the fallback `<img>` and the WebP `<source>`."""

    src: str
    width: int
    height: int
    srcset: str
    webp_srcset: str


def picture_sources(*, image) -> PictureSources:
    """Return the sources for showing `image` at any width.

    Without renditions (not made yet), the original file stands in: every browser can show it.
    """
    renditions = list(image.renditions.all())
    webp = _one_per_width(renditions, ("webp",))
    fallback = _one_per_width(renditions, FALLBACK_FORMATS)
    if not fallback:
        return PictureSources(
            src=image.file.url,
            width=image.width,
            height=image.height,
            srcset="",
            webp_srcset=_srcset(webp),
        )
    # The largest fallback as `src`, for the rare browser without srcset; its size, not the
    # original's, in width/height, so that the page is laid out right before CSS arrives.
    largest = fallback[-1]
    return PictureSources(
        src=largest.file.url,
        width=largest.width,
        height=largest.height,
        srcset=_srcset(fallback),
        webp_srcset=_srcset(webp),
    )


def rendition_for_width(*, image, width: int, formats: Iterable[str] = FALLBACK_FORMATS):
    """Return the smallest rendition at least `width` wide, else the largest, else None.

    Among renditions of the same width, the earlier in `formats` is preferred.
    """
    candidates = _one_per_width(image.renditions.all(), tuple(formats))
    for rendition in candidates:
        if rendition.width >= width:
            return rendition
    return candidates[-1] if candidates else None


def rendition_url(*, image, width: int, formats: Iterable[str] = FALLBACK_FORMATS) -> str:
    """Return the URL of the best file for showing `image` at `width` (e.g. for og:image).

    JPEG or PNG by default: not every link-preview crawler reads WebP.
    """
    rendition = rendition_for_width(image=image, width=width, formats=formats)
    return rendition.file.url if rendition else image.file.url


def _one_per_width(renditions, formats):
    """Return one rendition per width, in `formats` order of preference, narrowest first."""
    by_width = {}
    for rendition in renditions:
        if rendition.format not in formats:
            continue
        chosen = by_width.get(rendition.width)
        if chosen is None or formats.index(rendition.format) < formats.index(chosen.format):
            by_width[rendition.width] = rendition
    return [by_width[width] for width in sorted(by_width)]


def _srcset(renditions) -> str:
    return ", ".join(f"{r.file.url} {r.width}w" for r in renditions)
