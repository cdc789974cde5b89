import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from media.forms import ImageForm
from media.models import Image
from tests.media.factories import make_image, noisy_jpeg_bytes, picture_bytes, upload

pytestmark = pytest.mark.django_db

TYPED = {"alt_text": "Crowds at the square", "caption": "What I typed", "credit": "Me/Myself"}


def bound(files, data=TYPED, instance=None):
    return ImageForm(data=data, files=files, instance=instance)


def test_a_good_upload_is_valid_and_checked_once():
    form = bound({"file": upload(picture_bytes(), name="mine.jpeg")})

    assert form.is_valid(), form.errors
    assert form.cleaned_upload.format == "jpeg"
    assert form.cleaned_data["file"].name == "upload.jpg"
    assert form.metadata()["caption"] == "What I typed"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"plain text", "not a picture the site can use"),
        (b"<svg></svg>", "SVG files are not accepted"),
        (noisy_jpeg_bytes()[:5000], "damaged or incomplete"),
    ],
)
def test_each_hygiene_failure_is_an_error_on_the_file_field(data, message):
    form = bound({"file": upload(data)})

    assert not form.is_valid()
    assert message in form.errors["file"][0]
    assert list(form.errors) == ["file"]
    # What was typed is still in the form, to be shown again.
    assert form["caption"].value() == "What I typed"


def test_an_oversize_upload_is_an_error_on_the_file_field(settings):
    settings.NEWSROOM_MAX_UPLOAD_MB = 1
    big = SimpleUploadedFile("big.jpg", b"\0" * (2 * 1024 * 1024))

    form = bound({"file": big})

    assert not form.is_valid()
    assert "largest upload accepted is 1 MB" in form.errors["file"][0]


def test_a_file_without_extension_is_judged_by_its_content():
    form = bound({"file": upload(picture_bytes("PNG"), name="download")})

    assert form.is_valid(), form.errors


def test_keywords_are_trimmed_lower_cased_and_said_once():
    data = {**TYPED, "keywords": "  Harbour , boats,,harbour,  Sunset   Sky ,BOATS "}
    form = bound({"file": upload(picture_bytes())}, data=data)

    assert form.is_valid(), form.errors
    assert form.save().keywords == "harbour, boats, sunset sky"


def test_keywords_are_limited_to_what_the_field_keeps():
    repeated = ", ".join(["harbour"] * 200)  # 1,800 characters typed, "harbour" kept
    assert bound({"file": upload(picture_bytes())}, data={**TYPED, "keywords": repeated}).is_valid()
    many = ", ".join(f"word{n}" for n in range(100))
    form = bound({"file": upload(picture_bytes())}, data={**TYPED, "keywords": many})
    assert not form.is_valid()
    assert "at most 500 characters" in form.errors["keywords"][0]


def test_alt_text_is_required_unless_decorative():
    form = bound({"file": upload(picture_bytes())}, data={"caption": "x"})
    assert not form.is_valid()
    assert "alt_text" in form.errors

    decorative = bound({"file": upload(picture_bytes())}, data={"is_decorative": "on"})
    assert decorative.is_valid(), decorative.errors


def test_a_new_picture_needs_a_file():
    form = bound({})

    assert not form.is_valid()
    assert "file" in form.errors


def test_an_existing_picture_keeps_its_file_when_none_is_sent():
    image = make_image()

    form = bound({}, data={**TYPED, "file-clear": "on"}, instance=image)

    assert form.is_valid(), form.errors
    assert form.cleaned_upload is None
    assert "file" not in form.changed_data
    assert 'name="file-clear"' not in str(form["file"])
    assert Image.objects.get().file.name == image.file.name


def test_saving_the_form_goes_through_the_services():
    form = bound({"file": upload(picture_bytes(size=(900, 600)))})
    assert form.is_valid(), form.errors

    image = form.save()

    assert image.content_hash == form.cleaned_upload.content_hash
    assert image.renditions.filter(crop="", format="jpeg").count() == 2
