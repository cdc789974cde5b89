"""Upload hygiene: find out what a file really is, refuse what is unsafe, strip what it carries.

Everything here works on bytes and Pillow images; nothing touches the database or storage
(that is `media.services`). Every failure is a `ValidationError` with a message a journalist
can act on: no Pillow exception escapes, whatever the file contains.

Decisions, so that nobody has to rediscover them:

- The format is what Pillow decodes, never the file name or the browser's content type, and
  only the JPEG, PNG, WebP and GIF decoders are tried (fewer parsers facing hostile input).
- The pixel budget is checked from the header, before any pixel data is decoded.
- The stored original is a re-encoding of the pixels alone: EXIF (with GPS), XMP, IPTC,
  comments and text chunks cannot survive it, whatever container they hid in.
- Colour profiles are converted away rather than kept: pixels are turned into sRGB with
  LittleCMS and the profile dropped, so wide-gamut phone photos keep their colours in every
  browser while nothing but pixels is published.
- Animation is flattened to the first frame. The newsroom publishes photographs; renditions
  are stills anyway, and a thousand-frame GIF would multiply the pixel budget a thousand times.
"""

import hashlib
import io
import logging
import re
import warnings
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile, File
from PIL import Image as PillowImage
from PIL import ImageCms, ImageOps, IptcImagePlugin, JpegImagePlugin

logger = logging.getLogger(__name__)

# Pillow's name for a format → how the newsroom stores it. MPO is what Pillow calls a JPEG
# with extra pictures inside (many cameras and phones): its first picture is a plain JPEG.
DECODED_FORMATS = {"JPEG": "jpeg", "MPO": "jpeg", "PNG": "png", "WEBP": "webp", "GIF": "gif"}
EXTENSIONS = {"jpeg": "jpg", "png": "png", "webp": "webp", "gif": "gif"}
PILLOW_FORMATS = {"jpeg": "JPEG", "png": "PNG", "webp": "WEBP", "gif": "GIF"}
# The only decoders that ever see an upload (Pillow's JPEG decoder also opens MPO files).
OPEN_FORMATS = list(PILLOW_FORMATS.values())
# Renditions may also be AVIF, which is never accepted as an upload (not in OPEN_FORMATS).
RENDITION_EXTENSIONS = {**EXTENSIONS, "avif": "avif"}
RENDITION_PILLOW_FORMATS = {**PILLOW_FORMATS, "avif": "AVIF"}

ACCEPTED = "JPEG, PNG, WebP or GIF"

# Descriptions cameras write by themselves: not captions.
CAMERA_DESCRIPTIONS = {
    "",
    "default",
    "dcim",
    "digital camera",
    "olympus digital camera",
    "konica minolta digital camera",
    "sony dsc",
    "samsung",
}

ENCODER_OPTIONS = {
    "jpeg": {"quality": 85, "optimize": True, "progressive": True},
    "webp": {"quality": 82, "method": 4},
    # Speed 8 of 10: a 1600-pixel photo in well under a second, a few percent larger than at
    # the default (6), which takes twice as long; quality 60 looks like WebP's 82, a third smaller.
    "avif": {"quality": 60, "speed": 8},
    "png": {},
    "gif": {},
}

# The clean original is kept, not served to readers (pages show its renditions, and the original
# only until they are made): it is written as a baseline JPEG with standard Huffman tables. A
# 20 MB, 24 MP photo encodes so in 0.15 s, where optimised progressive coding took 1.2 s and
# made the upload miss its second (issue 15; `benchmarks/upload.py`), for a file 9 % larger.
ORIGINAL_JPEG_OPTIONS = {"quality": 85}

SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))


@dataclass(frozen=True)
class CleanUpload:
    """A checked upload: the re-encoded pixels, and what its metadata suggested."""

    content: bytes
    format: str  # "jpeg", "png", "webp" or "gif"
    width: int
    height: int
    content_hash: str
    caption: str = ""
    credit: str = ""
    copyright_holder: str = ""

    @property
    def extension(self) -> str:
        return EXTENSIONS[self.format]

    def as_file(self) -> ContentFile:
        """Return the clean bytes as a file whose name carries only the real format."""
        return ContentFile(self.content, name=f"upload.{self.extension}")


def clean_upload(*, file) -> CleanUpload:
    """Check an uploaded file, then return its pixels re-encoded without any metadata.

    The content hash is the SHA-256 of the bytes as uploaded: it does not depend on how this
    version of Pillow re-encodes them, so the same file sent twice is recognised for ever.
    """
    if not isinstance(file, File):
        file = File(file)
    limit = settings.NEWSROOM_MAX_UPLOAD_MB * 1024 * 1024
    # Checked before reading a single byte: the upload handler already knows the size.
    if file.size is not None and file.size > limit:
        raise _too_big(file.size)
    file.seek(0)
    data = file.read(limit + 1)  # and never read more than the limit, whatever it claimed
    if len(data) > limit:
        raise _too_big(len(data))
    if not data:
        raise ValidationError("The file is empty.", code="empty")

    picture = open_image(data)
    try:
        fmt = DECODED_FORMATS[picture.format]
        suggested = _suggested_metadata(picture)
        pixels = _clean_pixels(picture, fmt)
        content = _encode(
            pixels, fmt, quality_from=picture if fmt == "jpeg" else None, original=True
        )
    except ValidationError:
        raise
    except Exception as error:
        raise ValidationError(
            "This picture could not be processed (%(reason)s). Open it in an image editor, "
            "export it again as JPEG or PNG and upload that.",
            code="unprocessable",
            params={"reason": error.__class__.__name__},
        ) from error
    finally:
        picture.close()
    return CleanUpload(
        content=content,
        format=fmt,
        width=pixels.width,
        height=pixels.height,
        content_hash=hashlib.sha256(data).hexdigest(),
        **suggested,
    )


def open_image(data: bytes) -> PillowImage.Image:
    """Decode image bytes, refusing anything that is not a sound JPEG, PNG, WebP or GIF.

    Returns a loaded image (first frame only). The caller closes it.
    """
    formats = OPEN_FORMATS
    # Pillow warns above its own pixel limit and raises above twice that. Our limit is the
    # policy, checked below from the header; the warning only adds noise. (`catch_warnings`
    # changes a process-wide filter: harmless here, as it only silences this warning.)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PillowImage.DecompressionBombWarning)
        try:
            # Image.open reads the header only: the size is known, no pixel is decoded yet.
            with PillowImage.open(io.BytesIO(data), formats=formats) as probe:
                _check_pixels(probe.size)
                probe.verify()
            picture = PillowImage.open(io.BytesIO(data), formats=formats)
            _check_pixels(picture.size)
            picture.load()
        except ValidationError:
            raise
        except (PillowImage.DecompressionBombError, PillowImage.DecompressionBombWarning) as error:
            # Beyond what Pillow will open at all; its message gives the pixel count.
            found = re.search(r"\((\d+) pixels\)", str(error))
            raise _too_many_pixels(pixels=int(found[1]) if found else None) from None
        except PillowImage.UnidentifiedImageError:
            raise _not_an_image(data) from None
        except Exception as error:
            # Truncated, corrupt or lying files end here, whatever Pillow raised.
            raise ValidationError(
                "This file is damaged or incomplete (%(reason)s), so it cannot be used. "
                "Download or export it again and upload the new copy.",
                code="corrupt",
                params={"reason": _reason(error)},
            ) from error
    return picture


def rendition_frame(data: bytes, *, largest: tuple[int, int]) -> PillowImage.Image:
    """Decode a stored original just enough to resize it down to `largest` or below."""
    picture = PillowImage.open(io.BytesIO(data), formats=OPEN_FORMATS)
    _check_pixels(picture.size)
    # JPEG can decode straight at 1/2, 1/4 or 1/8 scale, never below the size asked for.
    picture.draft(picture.mode, largest)
    picture.load()
    return picture


def has_transparency(picture: PillowImage.Image) -> bool:
    """Return whether any pixel is not fully opaque."""
    if (
        picture.mode not in ("RGBA", "LA", "PA", "RGBa", "La")
        and "transparency" not in picture.info
    ):
        return False
    alpha = picture.convert("RGBA").getchannel("A")
    return alpha.getextrema()[0] < 255


def encode_renditions(
    frame: PillowImage.Image,
    *,
    size: tuple[int, int],
    formats: list[str],
    transparent: bool,
    box: tuple[int, int, int, int] | None = None,
) -> dict[str, bytes]:
    """Return `frame` (or its `box`, a crop) resized to `size` and encoded in each of `formats`,
    with no metadata. The pixels are resized once for every format that takes them: resizing
    cost more than encoding."""
    resized = {}
    encoded = {}
    for fmt in formats:
        mode = "RGBA" if transparent and fmt != "jpeg" else "RGB"
        if mode not in resized:
            pixels = frame.convert(mode)
            if box is not None and box != (0, 0, *pixels.size):
                pixels = pixels.crop(box)
            if pixels.size != size:
                pixels = pixels.resize(size, PillowImage.Resampling.LANCZOS, reducing_gap=3.0)
            pixels.info = {}
            resized[mode] = pixels
        encoded[fmt] = _encode(resized[mode], fmt)
    return encoded


def _too_big(size: int) -> ValidationError:
    return ValidationError(
        "This file is %(size)s MB; the largest upload accepted is %(limit)s MB. "
        "Export a smaller JPEG and try again.",
        code="file_too_big",
        params={"size": f"{size / 1024 / 1024:.1f}", "limit": settings.NEWSROOM_MAX_UPLOAD_MB},
    )


def _check_pixels(size: tuple[int, int]) -> None:
    width, height = size
    if width * height > settings.NEWSROOM_MAX_IMAGE_PIXELS:
        raise _too_many_pixels(size=size)
    if width < 1 or height < 1:
        raise ValidationError("This picture has no pixels.", code="empty")


def _too_many_pixels(*, size=None, pixels=None) -> ValidationError:
    params = {"limit": f"{settings.NEWSROOM_MAX_IMAGE_PIXELS / 1_000_000:g}"}
    if size is not None:
        params.update(width=size[0], height=size[1], megapixels=_megapixels(size[0] * size[1]))
        message = (
            "This picture is %(width)s × %(height)s pixels (%(megapixels)s megapixels); "
            "the largest accepted is %(limit)s megapixels. Resize it and try again."
        )
    elif pixels is not None:
        params.update(megapixels=_megapixels(pixels))
        message = (
            "This picture has %(megapixels)s megapixels; the largest accepted is "
            "%(limit)s megapixels. Resize it and try again."
        )
    else:
        message = (
            "This picture has too many pixels; the largest accepted is %(limit)s megapixels. "
            "Resize it and try again."
        )
    return ValidationError(message, code="too_many_pixels", params=params)


def _megapixels(pixels: int) -> str:
    return f"{pixels / 1_000_000:.0f}"


def _not_an_image(data: bytes) -> ValidationError:
    head = data[:1024].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if b"<svg" in head or (head.startswith(b"<?xml") and b"svg" in head):
        return ValidationError(
            "SVG files are not accepted: they can carry scripts. Upload the picture as a "
            "PNG instead.",
            code="svg",
        )
    if data[4:12] in (b"ftypheic", b"ftypheix", b"ftypmif1", b"ftyphevc", b"ftypavif"):
        return ValidationError(
            "HEIC and AVIF photos (the iPhone's default) are not accepted. Export the photo "
            "as JPEG and upload that.",
            code="heic",
        )
    return ValidationError(
        "This file is not a picture the site can use. Upload a %(accepted)s image.",
        code="not_an_image",
        params={"accepted": ACCEPTED},
    )


def _clean_pixels(picture: PillowImage.Image, fmt: str) -> PillowImage.Image:
    """Return the picture upright, in sRGB, in a mode `fmt` can store, with no metadata."""
    icc_profile = picture.info.get("icc_profile")
    try:
        pixels = ImageOps.exif_transpose(picture)
    except Exception:
        # Unreadable EXIF: the picture stays as its pixels lie; the EXIF goes anyway.
        pixels = picture.copy()
    transparency = pixels.info.get("transparency")

    if pixels.mode in ("I;16", "I;16L", "I;16B", "I;16N", "I", "F"):
        # 16-bit greyscale: scale to 8 bits (a plain convert("L") would clip at 255).
        pixels = pixels.convert("I").point(lambda value: value / 256).convert("L")
    elif pixels.mode == "1":
        pixels = pixels.convert("L")
    elif pixels.mode in ("PA", "RGBa") or (pixels.mode == "P" and fmt != "gif" and icc_profile):
        pixels = pixels.convert("RGBA")
    elif pixels.mode == "La":
        pixels = pixels.convert("LA")
    elif pixels.mode not in ("L", "LA", "RGB", "RGBA", "P", "CMYK"):
        pixels = pixels.convert("RGB")

    if icc_profile and pixels.mode in ("RGB", "RGBA", "CMYK"):
        pixels = _to_srgb(pixels, icc_profile)
    if pixels.mode == "CMYK":
        pixels = pixels.convert("RGB")
    if fmt == "jpeg" and pixels.mode not in ("L", "RGB"):
        pixels = pixels.convert("RGB")

    # Only the transparency of palette or single-colour-key images is pixel data; the rest of
    # `info` (exif, xmp, comment, icc_profile, dpi, text chunks…) is what we are removing.
    pixels.info = {}
    if transparency is not None and pixels.mode in ("P", "L", "RGB"):
        pixels.info["transparency"] = transparency
    return pixels


def _to_srgb(pixels: PillowImage.Image, icc_profile: bytes) -> PillowImage.Image:
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc_profile))
        mode = "RGBA" if pixels.mode == "RGBA" else "RGB"
        return ImageCms.profileToProfile(pixels, source, SRGB, outputMode=mode)
    except Exception:
        # A broken or mismatched profile: keep the pixels as they are, without it.
        return pixels


def _encode(
    pixels: PillowImage.Image,
    fmt: str,
    *,
    quality_from: PillowImage.Image | None = None,
    original: bool = False,
) -> bytes:
    options = dict(ORIGINAL_JPEG_OPTIONS if original and fmt == "jpeg" else ENCODER_OPTIONS[fmt])
    if fmt == "jpeg" and getattr(quality_from, "quantization", None):
        # Re-use the original's quantisation tables: the copy keeps its quality without
        # growing (an agency's q=70 JPEG re-encoded at q=90 would double in size).
        keep = {**options, "qtables": quality_from.quantization}
        keep.pop("quality")
        if JpegImagePlugin.get_sampling(quality_from) == 0:
            keep["subsampling"] = 0  # 4:4:4, as the original
        try:
            return _save(pixels, fmt, keep)
        except Exception as error:
            # Tables that do not fit these pixels (e.g. greyscale tables for colour).
            logger.info("Re-encoding with the original's JPEG tables failed: %s", error)
    return _save(pixels, fmt, options)


def _save(pixels: PillowImage.Image, fmt: str, options: dict) -> bytes:
    buffer = io.BytesIO()
    pixels.save(buffer, RENDITION_PILLOW_FORMATS[fmt], **options)
    return buffer.getvalue()


def _suggested_metadata(picture: PillowImage.Image) -> dict[str, str]:
    """Return caption, credit and copyright holder suggested by IPTC or EXIF, or ""."""
    try:
        iptc = IptcImagePlugin.getiptcinfo(picture) or {}
    except Exception:
        iptc = {}
    try:
        exif = picture.getexif()
    except Exception:
        exif = {}

    caption = _iptc_text(iptc.get((2, 120))) or _exif_text(exif.get(0x010E))
    if caption.lower() in CAMERA_DESCRIPTIONS:
        caption = ""
    provider = _iptc_text(iptc.get((2, 110)))  # IPTC "Credit": usually the agency
    byline = _iptc_text(iptc.get((2, 80)))  # IPTC "By-line": the photographer
    copyright_holder = _iptc_text(iptc.get((2, 116))) or _exif_text(exif.get(0x8298))
    credit = (
        _join_credit(provider, byline)
        or _exif_text(exif.get(0x013B))  # EXIF Artist
        or copyright_holder
    )
    return {"caption": caption, "credit": credit, "copyright_holder": copyright_holder}


def _join_credit(provider: str, byline: str) -> str:
    """Return the credit in the house form "Agency/Photographer"."""
    if provider and byline and byline.lower() not in provider.lower():
        return f"{provider}/{byline}"
    return provider or byline


def _iptc_text(value) -> str:
    if isinstance(value, list):
        return ", ".join(filter(None, (_iptc_text(item) for item in value)))
    if not isinstance(value, bytes):
        return ""
    try:
        text = value.decode("utf-8")
    except UnicodeDecodeError:
        text = value.decode("cp1252", errors="replace")
    return _tidy(text)


def _exif_text(value) -> str:
    if isinstance(value, bytes):
        value = value.decode("utf-8", errors="replace")
    if not isinstance(value, str):
        return ""
    # EXIF Copyright may hold "photographer\0editor"; the first part is the one we want.
    return _tidy(value.split("\x00", 1)[0])


def _tidy(text: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"[\x00-\x1f\x7f]", " ", text)).strip()


def _reason(error: Exception) -> str:
    message = str(error).split("\n", 1)[0][:80]
    return message or error.__class__.__name__
