"""A journalist uploads, from the article's picture field, a picture the library already has:
the window offers the library's picture, and one press puts it in the field."""

import pytest
from playwright.sync_api import expect

from tests.axe import serious_violations
from tests.media.factories import make_image, picture_bytes

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_the_library_picture_is_chosen_instead_of_a_second_copy(
    live_server, page, django_user_model, tmp_path
):
    django_user_model.objects.create_superuser(email="ed@example.com", password="ed-password-42")
    data = picture_bytes(size=(1200, 800))
    existing = make_image(data=data, caption="Boats at the old quay")
    photo = tmp_path / "IMG_0042.jpg"
    photo.write_bytes(data)

    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", "ed@example.com")
    page.fill("#id_password", "ed-password-42")
    page.click("input[type=submit]")
    page.goto(f"{live_server.url}/admin/articles/article/add/")
    with page.expect_popup() as opened:
        page.click("#add_id_lead_image")
    window = opened.value
    window.set_input_files("#id_file", str(photo))
    window.fill("#id_alt_text", "Fishing boats moored at the old quay")
    window.click("input[name=_save]")
    expect(window.locator(".errorlist")).to_contain_text("already in the library")
    window.screenshot(path=str(tmp_path / "duplicate.png"), full_page=True)
    assert serious_violations(window) == []

    with window.expect_event("close"):
        window.get_by_role("button", name="Use the existing picture").click()

    expect(page.locator("#id_lead_image")).to_have_value(str(existing.pk))
    expect(page.locator("#id_lead_image + .select2")).to_contain_text("Boats at the old quay")
    assert type(existing).objects.count() == 1
