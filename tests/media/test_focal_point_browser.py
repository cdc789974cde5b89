"""The focal point in Chromium: a journalist clicks on the subject of a picture near its edge,
saves, and the card's and the shared link's crops show it."""

import io

import pytest
from django.core.files.storage import default_storage
from PIL import Image as PillowImage
from playwright.sync_api import expect

from media.models import Image
from tests.admin_editor import signed_in
from tests.axe import serious_violations
from tests.factories import make_staff
from tests.media.factories import make_image, picture_with_subject, shows_subject

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]
SIZE, SUBJECT = (2000, 800), (0, 650, 150, 800)  # a crimson square in the bottom-left corner


def shown_by(page, selector):
    """Return the picture behind the `<img>` at `selector`, opened from storage."""
    url = page.locator(selector).get_attribute("src")
    name = url.split("/uploads/", 1)[1]
    with default_storage.open(name) as stored:
        picture = PillowImage.open(io.BytesIO(stored.read()))
        picture.load()
    return picture


def test_a_click_on_the_subject_moves_the_crops_to_it(live_server, page, shots):
    jo = make_staff("media.view_image", "media.change_image", name="Jo Reporter")
    image = make_image(
        data=picture_with_subject(size=SIZE, subject=SUBJECT),
        alt_text="A red lifebuoy on the quay",
        caption="The quay at dawn",
        credit="Herald/Ann Lee",
    )

    signed_in(page, live_server.url, jo)
    page.goto(f"{live_server.url}/admin/media/image/{image.pk}/change/")
    assert not shows_subject(shown_by(page, ".picture-crops__social"))
    assert not shows_subject(shown_by(page, ".picture-crops__card"))

    picture = page.locator(".focal-point__picture")
    box = picture.bounding_box()
    # The middle of the square, as the journalist sees it on the page.
    picture.click(position={"x": box["width"] * 75 / 2000, "y": box["height"] * 725 / 800})
    expect(page.locator(".focal-point__marker")).to_be_visible()
    across = float(page.locator("#id_focal_x").input_value())
    down = float(page.locator("#id_focal_y").input_value())
    assert 0.02 < across < 0.06 and 0.86 < down < 0.95
    shots(page.locator("fieldset", has_text="Focal point"), "clicked.png")
    assert serious_violations(page) == []

    page.click("input[name=_continue]")
    expect(page.locator(".messagelist")).to_contain_text("was changed successfully")
    image.refresh_from_db()
    assert (image.focal_x, image.focal_y) == (across, down)
    assert shows_subject(shown_by(page, ".picture-crops__social"))
    assert shows_subject(shown_by(page, ".picture-crops__card"))
    # After saving, the ring is where the journalist clicked.
    expect(page.locator(".focal-point__marker")).to_be_visible()
    shots(page.locator("fieldset", has_text="Focal point"), "saved.png")
    assert serious_violations(page) == []
    assert Image.objects.count() == 1
