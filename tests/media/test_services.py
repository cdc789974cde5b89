import os
import time
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image as PillowImage

from media.models import Image, Rendition
from media.renditions import modern_formats
from media.services import (
    cached_pages_lifetime,
    image_clean_upload,
    image_create,
    image_find_duplicate,
    image_make_renditions,
    image_replace_file,
    image_update,
    rendition_widths,
)
from tests.engine import run_due
from tests.media.factories import (
    exif_with_gps,
    focal_point_of,
    gif_header_only,
    iptc_marker,
    make_image,
    noisy_jpeg_bytes,
    picture_bytes,
    picture_with_subject,
    png_header_only,
    reopen,
    shows_subject,
    upload,
)

pytestmark = pytest.mark.django_db


def stored_files(media_root):
    return sorted(p for p in media_root.rglob("*") if p.is_file()) if media_root.exists() else []


def refusal(data, name="photo.jpg", **fields):
    """Upload `data` and return the ValidationError it must cause."""
    with pytest.raises(ValidationError) as caught:
        make_image(data=data, name=name, **fields)
    return caught.value


# Upload hygiene: what is refused.


def test_a_file_that_is_not_a_picture_is_refused_whatever_its_name(media_root):
    error = refusal(b"Quarterly results, final draft\n" * 50, name="kremlin.jpg")

    assert error.code == "not_an_image"
    assert "Upload a JPEG, PNG, WebP or GIF image" in error.messages[0]
    assert not Image.objects.exists()
    assert stored_files(media_root) == []


def test_a_pixel_bomb_is_refused_from_its_header_without_decoding():
    # A few dozen bytes declaring 30000 by 30000 pixels, and no pixel data at all: had
    # anything tried to decode it, the error would be "damaged", not "too many pixels".
    started = time.perf_counter()
    error = refusal(png_header_only(30000, 30000), name="bomb.png")

    assert time.perf_counter() - started < 0.5
    assert error.code == "too_many_pixels"
    assert error.messages == [
        "This picture has 900 megapixels; the largest accepted is 60 megapixels. "
        "Resize it and try again."
    ]


def test_a_gif_declaring_a_huge_screen_is_refused():
    assert refusal(gif_header_only(65535, 65535), name="x.gif").code == "too_many_pixels"


def test_a_picture_over_the_pixel_limit_is_refused_with_its_size(settings):
    # Under Pillow's own limits, so this is our check speaking, from the header.
    settings.NEWSROOM_MAX_IMAGE_PIXELS = 10_000_000
    error = refusal(png_header_only(4000, 3000), name="big.png")

    assert error.code == "too_many_pixels"
    assert "4000 × 3000 pixels (12 megapixels)" in error.messages[0]
    assert "the largest accepted is 10 megapixels" in error.messages[0]


def test_an_oversize_file_is_refused_before_it_is_read(settings):
    settings.NEWSROOM_MAX_UPLOAD_MB = 1

    class Unreadable(SimpleUploadedFile):
        def read(self, *args):
            raise AssertionError("the file was read")

    big = Unreadable("huge.jpg", b"\xff" * (1024 * 1024 + 1), content_type="image/jpeg")
    with pytest.raises(ValidationError) as caught:
        image_create(file=big, alt_text="Anything")

    assert caught.value.code == "file_too_big"
    assert caught.value.messages == [
        "This file is 1.0 MB; the largest upload accepted is 1 MB. "
        "Export a smaller JPEG and try again."
    ]


def test_an_empty_file_is_refused():
    assert refusal(b"").code == "empty"


def test_svg_is_refused_with_its_own_message():
    svg = b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"><script>1</script></svg>'
    error = refusal(svg, name="logo.svg")

    assert error.code == "svg"
    assert "SVG files are not accepted" in error.messages[0]


def test_svg_is_recognised_even_under_a_picture_name():
    assert refusal(b"<svg width='10' height='10'></svg>", name="photo.png").code == "svg"


def test_a_heic_photo_is_refused_with_advice():
    heic = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\x00" * 64
    error = refusal(heic, name="IMG_0001.HEIC")

    assert error.code == "heic"
    assert "Export the photo as JPEG" in error.messages[0]


def test_a_truncated_jpeg_is_refused_as_damaged(media_root):
    data = noisy_jpeg_bytes()
    error = refusal(data[: len(data) // 2])

    assert error.code == "corrupt"
    assert error.messages[0].startswith("This file is damaged or incomplete")
    assert stored_files(media_root) == []


def test_a_png_with_a_broken_checksum_is_refused_as_damaged():
    data = bytearray(picture_bytes("PNG"))
    data[45] ^= 0xFF  # inside the pixel data (IDAT) that follows the header

    assert refusal(bytes(data), name="x.png").code == "corrupt"


def test_other_picture_formats_are_refused():
    assert refusal(picture_bytes("BMP"), name="scan.bmp").code == "not_an_image"
    assert refusal(picture_bytes("TIFF"), name="scan.tif").code == "not_an_image"


# Upload hygiene: what is stored.


def test_an_upload_is_stored_with_its_size_hash_uploader_and_renditions(django_user_model):
    journalist = django_user_model.objects.create_user(email="jo@example.com", password="pw")
    data = picture_bytes(size=(1300, 900))

    image = image_create(
        file=upload(data), uploaded_by=journalist, alt_text="Crowds", caption="At the square"
    )

    image.refresh_from_db()
    assert (image.width, image.height) == (1300, 900)
    assert image.uploaded_by == journalist
    assert image.caption == "At the square"
    assert len(image.content_hash) == 64
    whole = image.renditions.filter(crop="")
    assert sorted((r.width, r.format) for r in whole) == sorted(
        (width, fmt) for width in (480, 800, 1200) for fmt in ("jpeg", *modern_formats())
    )
    # And the crops around the focal point: the cards' 3:2 and the shared link's 1200×630.
    card = image.renditions.filter(crop="card", format="jpeg")
    assert [(r.width, r.height) for r in card.order_by("width")] == [
        (480, 320),
        (800, 533),
        (1200, 800),
    ]
    social = image.renditions.get(crop="social")
    assert (social.width, social.height, social.format) == (1200, 630, "jpeg")


def test_the_stored_name_is_generated_and_carries_the_decoded_format():
    png = picture_bytes("PNG")
    image = make_image(data=png, name="Informant Ivanov - Kremlin meeting.JPG")

    assert image.file.name.startswith("images/")
    assert image.file.name.endswith(".png")
    assert "Ivanov" not in image.file.name
    assert "Kremlin" not in image.file.name
    assert all("Ivanov" not in r.file.name for r in image.renditions.all())


def test_gps_exif_xmp_iptc_and_comments_are_gone_from_the_original_and_every_rendition():
    data = picture_bytes(
        size=(1000, 700),
        exif=exif_with_gps(description="Protest", artist="Ann Lee"),
        xmp=b'<x:xmpmeta xmlns:x="adobe:ns:meta/">secret location</x:xmpmeta>',
        comment=b"shot from the informant's flat",
        extra=iptc_marker({(2, 120): b"Protest", (2, 92): b"Secret Street 4"}),
    )
    assert b"Exif" in data and b"informant" in data  # the upload carries it all

    image = make_image(data=data)

    for field_file in [image.file, *(r.file for r in image.renditions.all())]:
        stored, picture = reopen(field_file)
        assert not picture.getexif()
        assert picture.getexif().get_ifd(0x8825) == {}
        for key in ("exif", "xmp", "comment", "photoshop", "icc_profile"):
            assert key not in picture.info
        for trace in (b"Exif", b"Nikon", b"informant", b"secret", b"Secret", b"Photoshop"):
            assert trace not in stored


def test_png_text_chunks_and_exif_are_stripped():
    from PIL import PngImagePlugin

    text = PngImagePlugin.PngInfo()
    text.add_text("Author", "Ann Lee, 12 Secret Street")
    data = picture_bytes("PNG", pnginfo=text, exif=exif_with_gps())

    image = make_image(data=data, name="chart.png")

    stored, picture = reopen(image.file)
    assert b"Secret" not in stored
    assert b"eXIf" not in stored
    assert "Author" not in picture.info


def test_exif_orientation_is_applied_before_the_exif_goes():
    # Orientation 6: the camera was turned; the picture must be turned 90° clockwise.
    data = picture_bytes(size=(600, 400), colour=(255, 0, 0), exif=exif_with_gps(orientation=6))

    image = make_image(data=data)

    assert (image.width, image.height) == (400, 600)
    _, picture = reopen(image.file)
    assert picture.size == (400, 600)
    assert 0x0112 not in picture.getexif()
    # The left (red) half of the sensor is now the top of the picture.
    top, bottom = picture.getpixel((200, 100)), picture.getpixel((200, 500))
    assert top[0] > 200 and top[2] < 60
    assert bottom[2] > 200 and bottom[0] < 60
    assert all(r.height > r.width for r in image.renditions.filter(crop=""))


def test_iptc_fills_in_an_empty_caption_and_the_credit_as_agency_slash_photographer():
    data = picture_bytes(
        extra=iptc_marker(
            {
                (2, 120): b"Crowds gather at the Kremlin",
                (2, 110): b"Agency",
                (2, 80): "Zoë Photographer".encode(),
                (2, 116): b"(c) Agency 2026",
            }
        )
    )

    image = make_image(data=data)

    assert image.caption == "Crowds gather at the Kremlin"
    assert image.credit == "Agency/Zoë Photographer"
    assert image.copyright_holder == "(c) Agency 2026"


def test_exif_fills_in_caption_and_credit_when_there_is_no_iptc():
    exif = exif_with_gps(description="Flooded high street", artist="Ann Lee", copyright="Herald")

    image = make_image(data=picture_bytes(exif=exif))

    assert image.caption == "Flooded high street"
    assert image.credit == "Ann Lee"
    assert image.copyright_holder == "Herald"


def test_what_the_journalist_typed_wins_over_the_photo_metadata():
    exif = exif_with_gps(description="Camera caption", artist="Camera artist")

    image = make_image(data=picture_bytes(exif=exif), caption="Typed", credit="Typed/Credit")

    assert (image.caption, image.credit) == ("Typed", "Typed/Credit")


def test_a_camera_default_description_is_not_taken_for_a_caption():
    image = make_image(data=picture_bytes(exif=exif_with_gps(description="OLYMPUS DIGITAL CAMERA")))

    assert image.caption == ""


def test_suggested_text_is_cut_to_the_field_length():
    image = make_image(data=picture_bytes(extra=iptc_marker({(2, 120): b"word " * 200})))

    assert len(image.caption) <= 500


def test_a_cmyk_jpeg_is_stored_as_rgb():
    image = make_image(data=picture_bytes(mode="CMYK", colour=(0, 255, 255, 0)))

    _, picture = reopen(image.file)
    assert picture.mode == "RGB"
    red, green, blue = picture.getpixel((10, 10))
    assert red > 200 and green < 60 and blue < 60


def test_a_colour_profile_is_converted_away():
    from PIL import ImageCms

    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    with_profile = make_image(data=picture_bytes(icc_profile=srgb))
    broken_profile = make_image(data=picture_bytes(icc_profile=b"not a profile"))

    for image in (with_profile, broken_profile):
        _, picture = reopen(image.file)
        assert "icc_profile" not in picture.info


def test_webp_and_gif_uploads_stay_in_their_format():
    webp = make_image(data=picture_bytes("WEBP"), name="a.webp")
    gif = make_image(data=picture_bytes("GIF"), name="a.gif")

    assert webp.file.name.endswith(".webp")
    assert gif.file.name.endswith(".gif")


def test_an_animated_gif_is_flattened_to_its_first_frame():
    frames = [PillowImage.new("P", (200, 100), colour) for colour in (1, 2, 3)]
    import io

    buffer = io.BytesIO()
    frames[0].save(buffer, "GIF", save_all=True, append_images=frames[1:], comment=b"hi there")

    image = make_image(data=buffer.getvalue(), name="anim.gif")

    stored, picture = reopen(image.file)
    assert getattr(picture, "n_frames", 1) == 1
    assert b"hi there" not in stored


def test_a_sixteen_bit_greyscale_png_is_scaled_not_clipped():
    data = picture_bytes("PNG", size=(50, 50), mode="I;16", colour=32768)

    image = make_image(data=data, name="scan.png")

    _, picture = reopen(image.file)
    assert picture.mode == "L"
    assert picture.getpixel((5, 5)) == 128


def test_alt_text_is_required_unless_the_picture_is_decorative(media_root):
    with pytest.raises(ValidationError) as caught:
        image_create(file=upload(picture_bytes()))

    assert "alt_text" in caught.value.message_dict
    assert stored_files(media_root) == []
    assert image_create(file=upload(picture_bytes()), is_decorative=True).pk


def test_only_metadata_fields_can_be_passed():
    with pytest.raises(TypeError, match="content_hash"):
        image_create(file=upload(picture_bytes()), alt_text="x", content_hash="0" * 64)


def test_a_checked_upload_can_be_passed_on_without_being_decoded_again():
    clean = image_clean_upload(file=upload(picture_bytes()))

    image = image_create(file=clean, alt_text="A street")

    assert image.content_hash == clean.content_hash
    assert image.width == clean.width


# Duplicates.


def test_the_same_file_uploaded_twice_is_pointed_out():
    data = picture_bytes()
    first = make_image(data=data)
    second = make_image(data=data, name="copy.jpg")
    other = make_image()

    assert first.content_hash == second.content_hash
    assert image_find_duplicate(content_hash=second.content_hash, exclude=second) == first
    assert image_find_duplicate(content_hash=first.content_hash, exclude=first) == second
    assert image_find_duplicate(content_hash=other.content_hash, exclude=other) is None


def test_the_hash_is_that_of_the_uploaded_bytes():
    import hashlib

    data = picture_bytes(exif=exif_with_gps())

    assert make_image(data=data).content_hash == hashlib.sha256(data).hexdigest()


# Renditions.


@pytest.mark.parametrize(
    ("original", "expected"),
    [(2000, [480, 800, 1200, 1600]), (1000, [480, 800]), (480, [480]), (300, [300])],
)
def test_rendition_widths(original, expected):
    assert rendition_widths(original_width=original) == expected


def test_renditions_are_made_once_and_reused(media_root):
    image = make_image(data=picture_bytes(size=(1000, 500)))
    made = image_make_renditions(image=image)
    files = stored_files(media_root)

    again = image_make_renditions(image=image)

    assert [r.pk for r in again] == [r.pk for r in made]
    assert Rendition.objects.filter(image=image).count() == len(made)
    assert stored_files(media_root) == files


def test_a_missing_rendition_is_remade_alone():
    image = make_image(data=picture_bytes(size=(1000, 500)))
    kept = set(Rendition.objects.exclude(crop="", width=480, format="webp"))
    Rendition.objects.filter(image=image, crop="", width=480, format="webp").delete()

    renditions = image_make_renditions(image=image)

    assert len(renditions) == len(kept) + 1
    assert kept < set(renditions)
    remade = Rendition.objects.get(image=image, crop="", width=480, format="webp")
    assert (remade.width, remade.height) == (480, 240)


def test_renditions_have_the_right_size_and_format():
    image = make_image(data=picture_bytes(size=(1000, 500)))

    for rendition in image.renditions.all():
        _, picture = reopen(rendition.file)
        assert picture.size == (rendition.width, rendition.height)
        assert picture.format == {"avif": "AVIF", "webp": "WEBP", "jpeg": "JPEG"}[rendition.format]
        extension = {"avif": ".avif", "webp": ".webp", "jpeg": ".jpg"}[rendition.format]
        assert rendition.file.name.endswith(extension)


def test_a_picture_with_transparency_gets_png_fallbacks_that_keep_it():
    data = picture_bytes("PNG", size=(600, 300), mode="RGBA", colour=(255, 0, 0, 0))

    image = make_image(data=data, name="logo.png")

    assert {r.format for r in image.renditions.all()} == {*modern_formats(), "png"}
    fallback = image.renditions.get(crop="", format="png")
    _, picture = reopen(fallback.file)
    assert picture.mode == "RGBA"
    assert picture.getpixel((5, 5))[3] == 0


def test_an_opaque_png_gets_jpeg_fallbacks():
    image = make_image(data=picture_bytes("PNG", mode="RGBA"), name="chart.png")

    assert {r.format for r in image.renditions.all()} == {*modern_formats(), "jpeg"}


def test_a_picture_narrower_than_every_width_gets_renditions_at_its_own_width():
    image = make_image(data=picture_bytes(size=(300, 200)))

    assert {(r.width, r.height) for r in image.renditions.filter(crop="")} == {(300, 200)}


# Editing and replacing.


def test_metadata_is_edited_without_touching_the_file():
    image = make_image(caption="Old")
    name, renditions = image.file.name, set(image.renditions.all())

    image_update(image=image, caption="New", credit="Herald/Ann Lee")

    image.refresh_from_db()
    assert (image.caption, image.credit) == ("New", "Herald/Ann Lee")
    assert image.file.name == name
    assert set(image.renditions.all()) == renditions


def test_editing_keeps_the_alt_text_rule():
    image = make_image()

    with pytest.raises(ValidationError):
        image_update(image=image, alt_text="")


def test_editing_refuses_computed_fields():
    with pytest.raises(TypeError):
        image_update(image=make_image(), width=10)


def test_replacing_the_file_cleans_it_and_remakes_the_renditions(
    media_root, django_capture_on_commit_callbacks
):
    image = make_image(data=picture_bytes(size=(1000, 500)), caption="Kept caption")
    old_files = [image.file.path, *(r.file.path for r in image.renditions.all())]
    new = picture_bytes("PNG", size=(900, 900), exif=exif_with_gps())

    with django_capture_on_commit_callbacks(execute=True):
        image_replace_file(image=image, file=upload(new, name="new.png"))

    image.refresh_from_db()
    assert image.caption == "Kept caption"
    assert (image.width, image.height) == (900, 900)
    assert image.file.name.endswith(".png")
    whole = image.renditions.filter(crop="")
    assert {(r.width, r.height) for r in whole} == {(480, 480), (800, 800)}
    assert not any(path.exists() for path in map(type(media_root), old_files))
    _, picture = reopen(image.file)
    assert not picture.getexif()


def test_a_refused_replacement_leaves_the_picture_as_it_was():
    image = make_image()
    name, content_hash = image.file.name, image.content_hash

    with pytest.raises(ValidationError):
        image_replace_file(image=image, file=upload(b"not a picture"))

    image.refresh_from_db()
    assert (image.file.name, image.content_hash) == (name, content_hash)
    assert image.renditions.filter(crop="").count() == 1 + len(modern_formats())


# The focal point and the crops around it.

SIZE, SUBJECT = (2000, 800), (0, 650, 150, 800)  # a crimson square in the bottom-left corner


def test_crops_keep_a_subject_in_a_corner_in_view():
    x, y = focal_point_of(SUBJECT, SIZE)
    image = make_image(data=picture_with_subject(size=SIZE, subject=SUBJECT), focal_x=x, focal_y=y)

    crops = image.renditions.exclude(crop="")
    assert {r.crop for r in crops} == {"card", "social"}
    for rendition in crops:
        _, picture = reopen(rendition.file)
        assert picture.size == (rendition.width, rendition.height)
        assert shows_subject(picture), rendition
        # The subject is in the crop's bottom-left corner, where it is in the picture.
        assert shows_subject(
            picture.crop((0, picture.height * 3 // 4, picture.width // 8, picture.height))
        )
    social = image.renditions.get(crop="social")
    assert (social.width, social.height, social.format) == (1200, 630, "jpeg")


def test_without_a_focal_point_crops_are_centred_and_miss_a_subject_at_the_edge():
    # The test above has teeth: a centred crop of this picture cuts the subject off.
    image = make_image(data=picture_with_subject(size=SIZE, subject=SUBJECT))

    for rendition in image.renditions.exclude(crop=""):
        _, picture = reopen(rendition.file)
        assert not shows_subject(picture), rendition


def test_moving_the_focal_point_remakes_the_crops_and_nothing_else(
    media_root, django_capture_on_commit_callbacks
):
    image = make_image(data=picture_with_subject(size=SIZE, subject=SUBJECT))
    whole = {(r.pk, r.file.name) for r in image.renditions.filter(crop="")}
    old_crops = [r.file.path for r in image.renditions.exclude(crop="")]
    x, y = focal_point_of(SUBJECT, SIZE)

    with django_capture_on_commit_callbacks(execute=True):  # the task runs once it commits
        image_update(image=Image.objects.get(pk=image.pk), focal_x=x, focal_y=y)

    assert {(r.pk, r.file.name) for r in image.renditions.filter(crop="")} == whole
    new_crops = image.renditions.exclude(crop="")
    assert len(new_crops) == len(old_crops)
    # The old crops' files stay while a page a CDN keeps may still show them, then go.
    assert all(map(os.path.exists, old_crops))
    assert run_due(at=timezone.now() + timedelta(seconds=59)) == 0
    assert run_due(at=timezone.now() + cached_pages_lifetime()) == len(old_crops)
    assert not any(map(os.path.exists, old_crops))
    for rendition in new_crops:
        assert rendition.file.path not in old_crops  # a new address: no cache shows the old
        _, picture = reopen(rendition.file)
        assert shows_subject(picture), rendition


def test_the_same_focal_point_saved_again_remakes_nothing(django_capture_on_commit_callbacks):
    image = make_image(focal_x=0.25, focal_y=0.5)
    renditions = set(image.renditions.all())

    with django_capture_on_commit_callbacks(execute=True):
        image_update(image=Image.objects.get(pk=image.pk), focal_x=0.25, focal_y=0.5, caption="New")

    assert set(image.renditions.all()) == renditions


@pytest.mark.parametrize(
    "focal, field",
    [
        ({"focal_x": 1.5, "focal_y": 0.5}, "focal_x"),
        ({"focal_x": 0.5, "focal_y": -0.1}, "focal_y"),
        ({"focal_x": 0.5, "focal_y": None}, "focal_y"),
    ],
)
def test_a_focal_point_off_the_picture_is_refused(focal, field):
    image = make_image()
    renditions = set(image.renditions.all())

    with pytest.raises(ValidationError) as refused:
        image_update(image=Image.objects.get(pk=image.pk), **focal)

    assert field in refused.value.message_dict
    image.refresh_from_db()
    assert (image.focal_x, image.focal_y) == (None, None)
    assert set(image.renditions.all()) == renditions
