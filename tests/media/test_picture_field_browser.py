"""The article's picture field in Chromium: the chosen picture shows beside it, and a picture
the library already has, uploaded again from the field's window, is offered and put in the
field with one press."""

import datetime

import pytest
from playwright.sync_api import expect

from tests.admin_editor import choose, click_closing_its_window, signed_in
from tests.axe import serious_violations
from tests.media.factories import make_image, picture_bytes

EXPIRED = datetime.date(2020, 1, 31)
pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_the_library_picture_is_chosen_instead_of_a_second_copy(
    live_server, page, django_user_model, tmp_path, shots
):
    editor = django_user_model.objects.create_superuser(
        email="ed@example.com", password="ed-password-42"
    )
    data = picture_bytes(size=(1200, 800))
    existing = make_image(data=data, caption="Boats at the old quay")
    photo = tmp_path / "IMG_0042.jpg"
    photo.write_bytes(data)

    signed_in(page, live_server.url, editor)
    page.goto(f"{live_server.url}/admin/articles/article/add/")
    with page.expect_popup() as opened:
        page.click("#add_id_lead_image")
    window = opened.value
    window.set_input_files("#id_file", str(photo))
    window.fill("#id_alt_text", "Fishing boats moored at the old quay")
    window.click("input[name=_save]")
    expect(window.locator(".errorlist")).to_contain_text("already in the library")
    shots(window, "duplicate.png", full_page=True)
    assert serious_violations(window) == []

    click_closing_its_window(window, window.get_by_role("button", name="Use the existing picture"))

    expect(page.locator("#id_lead_image")).to_have_value(str(existing.pk))
    expect(page.locator("#id_lead_image + .select2")).to_contain_text("Boats at the old quay")
    assert type(existing).objects.count() == 1
    card = page.locator(".field-lead_image .picture-card")
    expect(card).to_contain_text("Boats at the old quay")
    expect(card.locator("img")).to_be_visible()


def test_the_chosen_picture_shows_beside_the_field(live_server, page, django_user_model, shots):
    editor = django_user_model.objects.create_superuser(
        email="ed@example.com", password="ed-password-42"
    )
    make_image(caption="Boats at the old quay", credit="Harbour Herald/Ann Lee")
    make_image(caption="Storm over the pier", credit="Lee Ames", rights_expire_on=EXPIRED)

    signed_in(page, live_server.url, editor)
    page.goto(f"{live_server.url}/admin/articles/article/add/")
    card = page.locator(".field-lead_image .picture-card")
    expect(card).to_be_empty()

    choose(page, "id_lead_image", "Boats at the old quay")
    expect(card).to_contain_text("Boats at the old quay")
    expect(card).to_contain_text("Credit: Harbour Herald/Ann Lee")
    shots(page.locator(".field-lead_image"), "picture-field.png")
    choose(page, "id_lead_image", "Storm over the pier")
    expect(card).to_contain_text("Rights expired")
    expect(card).not_to_contain_text("Boats at the old quay")
    assert serious_violations(page) == []
