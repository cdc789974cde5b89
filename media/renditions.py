"""Choose among a picture's renditions for a page, reading only `image.renditions.all()`.

A page that shows many pictures prefetches them (`.prefetch_related("renditions")`, or
`"lead_image__renditions"`), and then nothing here makes a query.
"""

from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from PIL import features

# Formats every browser shows, in order of preference should a width have both: a PNG
# fallback exists because the picture has transparency, which a JPEG would lose.
FALLBACK_FORMATS = ("png", "jpeg")


def modern_formats() -> tuple[str, ...]:
    """Smaller files for the browsers that read them, each a `<source>` before the `<img>`:
    AVIF where this Pillow can write it and NEWSROOM_AVIF allows (a third smaller than WebP
    for photographs, at three times the CPU to make), and WebP."""
    avif = settings.NEWSROOM_AVIF and features.check("avif")
    return ("avif", "webp") if avif else ("webp",)


@dataclass(frozen=True)
class PictureSources:
    """What a `<picture>` needs: the fallback `<img>`, and the AVIF and WebP `<source>`s."""

    src: str
    width: int
    height: int
    srcset: str
    webp_srcset: str
    avif_srcset: str = ""


@dataclass(frozen=True)
class SharedPicture:
    """The picture a shared link shows (og:image): its address and size."""

    url: str
    width: int
    height: int


def picture_sources(*, image, crop: str = "") -> PictureSources:
    """Return the sources for showing `image` (or its `crop`, `media.crops`) at any width.

    Without renditions (not made yet), the original file stands in: every browser can show it.
    A crop not made yet (its focal point just moved) is stood in for by the whole picture,
    which the page's CSS then crops around its centre, until it is there.
    """
    renditions = [r for r in image.renditions.all() if r.crop == crop]
    if crop and not renditions:
        return picture_sources(image=image)
    webp = _one_per_width(renditions, ("webp",))
    avif = _one_per_width(renditions, ("avif",))
    fallback = _one_per_width(renditions, FALLBACK_FORMATS)
    if not fallback:
        return PictureSources(
            src=image.file.url,
            width=image.width,
            height=image.height,
            srcset="",
            webp_srcset=_srcset(webp),
            avif_srcset=_srcset(avif),
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
        avif_srcset=_srcset(avif),
    )


def shared_picture(*, image) -> SharedPicture:
    """Return the picture a shared link shows: the 1200×630 crop around the focal point, in
    JPEG or PNG (not every link-preview crawler reads WebP); until it is made, the whole
    picture about 1200 pixels wide, or the original."""
    crops = [r for r in image.renditions.all() if r.crop == "social"]
    chosen = _one_per_width(crops, FALLBACK_FORMATS) or [
        rendition_for_width(image=image, width=1200)
    ]
    if chosen[-1] is None:
        return SharedPicture(url=image.file.url, width=image.width, height=image.height)
    return SharedPicture(url=chosen[-1].file.url, width=chosen[-1].width, height=chosen[-1].height)


def rendition_for_width(*, image, width: int, formats: Iterable[str] = FALLBACK_FORMATS):
    """Return the smallest rendition of the whole picture at least `width` wide, else the
    largest, else None.

    Among renditions of the same width, the earlier in `formats` is preferred.
    """
    whole = [r for r in image.renditions.all() if not r.crop]
    candidates = _one_per_width(whole, tuple(formats))
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
