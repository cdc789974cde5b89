import io

from PIL import Image as PillowImage

from media.hygiene import (
    _join_credit,
    _suggested_metadata,
    clean_upload,
    encode_renditions,
    has_transparency,
)
from tests.media.factories import iptc_marker, picture_bytes, upload


def opened(data):
    picture = PillowImage.open(io.BytesIO(data))
    picture.load()
    return picture


def test_the_clean_file_is_named_after_its_decoded_format_only():
    clean = clean_upload(file=upload(picture_bytes("PNG"), name="holiday.jpg"))

    assert clean.format == "png"
    assert clean.as_file().name == "upload.png"


def test_a_plain_file_object_is_accepted():
    clean = clean_upload(file=io.BytesIO(picture_bytes()))

    assert clean.format == "jpeg"


def test_the_original_jpeg_quality_is_kept_rather_than_raised():
    data = picture_bytes(size=(800, 600), quality=40)

    clean = clean_upload(file=upload(data))

    # Re-encoded with the upload's own (coarse) tables, not at a higher quality.
    assert opened(clean.content).quantization == opened(data).quantization


def test_the_clean_original_is_a_baseline_jpeg_and_renditions_are_progressive():
    # The original is kept, not served: baseline coding is eight times faster at 24 MP.
    cleaned = clean_upload(file=upload(picture_bytes(size=(1200, 800))))
    assert "progressive" not in PillowImage.open(io.BytesIO(cleaned.content)).info
    frame = PillowImage.open(io.BytesIO(cleaned.content))
    renditions = encode_renditions(
        frame, size=(480, 320), formats=["jpeg", "webp"], transparent=False
    )
    assert PillowImage.open(io.BytesIO(renditions["jpeg"])).info.get("progressive")
    assert PillowImage.open(io.BytesIO(renditions["webp"])).size == (480, 320)


def test_iptc_in_latin_1_is_read():
    data = picture_bytes(extra=iptc_marker({(2, 120): "Café in Zürich".encode("latin-1")}))

    assert _suggested_metadata(opened(data))["caption"] == "Café in Zürich"


def test_repeated_bylines_are_joined():
    marker = iptc_marker([((2, 80), b"Ann Lee"), ((2, 80), b"Bo Chan"), ((2, 110), b"Herald")])
    picture = opened(picture_bytes(extra=marker))

    assert _suggested_metadata(picture)["credit"] == "Herald/Ann Lee, Bo Chan"


def test_control_characters_and_runs_of_spaces_are_tidied():
    data = picture_bytes(extra=iptc_marker({(2, 120): b"  Line one\r\n\tline\x00two  "}))

    assert _suggested_metadata(opened(data))["caption"] == "Line one line two"


def test_credit_is_agency_slash_photographer_without_repeating_either():
    assert _join_credit("Reuters", "Ann Lee") == "Reuters/Ann Lee"
    assert _join_credit("Reuters/Ann Lee", "Ann Lee") == "Reuters/Ann Lee"
    assert _join_credit("", "Ann Lee") == "Ann Lee"
    assert _join_credit("Reuters", "") == "Reuters"


def test_transparency_means_a_pixel_that_is_not_opaque():
    assert not has_transparency(PillowImage.new("RGB", (4, 4)))
    assert not has_transparency(PillowImage.new("RGBA", (4, 4), (1, 2, 3, 255)))
    assert has_transparency(PillowImage.new("RGBA", (4, 4), (1, 2, 3, 128)))
    palette = opened(picture_bytes("PNG", mode="P", transparency=0, colour=0))
    assert has_transparency(palette)


def test_a_palette_png_keeps_its_palette_and_transparency():
    data = picture_bytes("PNG", mode="P", colour=0, transparency=0)

    clean = clean_upload(file=upload(data, name="icon.png"))

    picture = opened(clean.content)
    assert picture.mode == "P"
    assert has_transparency(picture)


def test_a_camera_mpo_is_stored_as_its_first_jpeg():
    first = PillowImage.new("RGB", (300, 200), (200, 0, 0))
    second = PillowImage.new("RGB", (300, 200), (0, 0, 200))
    buffer = io.BytesIO()
    first.save(buffer, "MPO", save_all=True, append_images=[second])

    clean = clean_upload(file=upload(buffer.getvalue(), name="DSC_0001.MPO"))

    picture = opened(clean.content)
    assert clean.format == "jpeg"
    assert picture.format == "JPEG"
    assert getattr(picture, "n_frames", 1) == 1
    assert picture.getpixel((10, 10))[0] > 150
