"""The picture chooser in Chromium: a journalist finds a picture by typing, and drops two new
ones on it, describes them in one form and chooses one; axe-core finds nothing serious."""

import base64

import pytest
from playwright.sync_api import expect

from media.models import Image
from tests.admin_editor import click_closing_its_window, signed_in
from tests.articles.admin.posting import member_of
from tests.axe import serious_violations
from tests.media.factories import make_image, picture_bytes

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def journalist(live_server, page):
    user = member_of("Journalist", email="jo@example.com")  # as the newsroom's journalists
    signed_in(page, live_server.url, user)
    page.goto(f"{live_server.url}/admin/articles/article/add/")
    return user


def open_chooser(page):
    with page.expect_popup() as opened:
        page.locator(".field-lead_image").get_by_role(
            "button", name="Choose from the library"
        ).click()
    chooser = opened.value
    chooser.wait_for_load_state()
    return chooser


def test_a_journalist_finds_last_weeks_harbour_picture_by_typing(journalist, page, shots):
    make_image(caption="Harbour at dawn", credit="Herald/Ann Lee")
    make_image(caption="Evening", keywords="boats, sunset")
    for n in range(30):
        make_image(caption=f"Council meeting {n}")

    chooser = open_chooser(page)
    expect(chooser.locator(".chooser__picture")).to_have_count(24)  # a page, newest first
    search = chooser.get_by_label("Search captions, credits, alt text, keywords and copyright")
    search.fill("sunset")  # a keyword, said nowhere else
    search.press("Enter")
    expect(chooser.locator(".chooser__picture")).to_have_count(1)
    expect(chooser.locator(".chooser__picture")).to_contain_text("Keywords: boats, sunset")
    search = chooser.get_by_label("Search captions, credits, alt text, keywords and copyright")
    search.fill("harbour")
    search.press("Enter")
    pictures = chooser.locator(".chooser__picture")
    expect(pictures).to_have_count(1)
    expect(pictures).to_contain_text("Credit: Herald/Ann Lee")
    expect(pictures.locator("img.thumbnail")).to_be_visible()
    shots(chooser, "chooser.png", full_page=True)
    assert serious_violations(chooser) == []

    click_closing_its_window(
        chooser, chooser.get_by_role("button", name="Choose “Harbour at dawn”")
    )
    harbour = Image.objects.get(caption="Harbour at dawn")
    expect(page.locator("#id_lead_image")).to_have_value(str(harbour.pk))
    expect(page.locator("#id_lead_image + .select2")).to_contain_text("Harbour at dawn")
    expect(page.locator(".field-lead_image .picture-card")).to_contain_text(
        "Credit: Herald/Ann Lee"
    )


def drop_files(window, selector, files):
    """Drop `files` ({name: bytes}) on `selector` as a journalist drags them from the desktop."""
    transfer = window.evaluate_handle(
        """(files) => {
            const transfer = new DataTransfer()
            for (const [name, encoded] of files) {
                const bytes = Uint8Array.from(atob(encoded), (c) => c.charCodeAt(0))
                transfer.items.add(new File([bytes], name, { type: "image/jpeg" }))
            }
            return transfer
        }""",
        [[name, base64.b64encode(data).decode()] for name, data in files.items()],
    )
    window.dispatch_event(selector, "drop", {"dataTransfer": transfer})


def test_two_dropped_pictures_are_described_once_and_one_is_chosen(journalist, page, shots):
    chooser = open_chooser(page)
    drop_files(
        chooser,
        "[data-drop]",
        {
            "quay.jpg": picture_bytes(size=(1200, 800)),
            "gulls.jpg": picture_bytes(size=(900, 600)),
        },
    )
    uploads = chooser.locator(".chooser__uploads li")
    expect(uploads).to_have_count(2)
    expect(uploads.filter(has_text="Uploaded")).to_have_count(2)
    expect(uploads.locator("progress").first).to_have_attribute("value", "100")
    assert not Image.objects.exists()  # nothing joins the library undescribed

    chooser.get_by_role("button", name="Describe the pictures").click()
    quay = chooser.locator("fieldset", has_text="quay.jpg")
    gulls = chooser.locator("fieldset", has_text="gulls.jpg")
    quay.get_by_label("Caption").fill("The old quay at dawn")
    quay.get_by_label("Keywords").fill("Quay, Boats, quay")
    gulls.get_by_label("Caption").fill("Gulls over the harbour")
    chooser.get_by_role("button", name="Add to the library").click()
    # The alt text was forgotten: said on its field, and what was typed is kept.
    expect(chooser.locator(".errornote").first).to_contain_text("Please correct the errors")
    expect(quay.get_by_label("Caption")).to_have_value("The old quay at dawn")
    expect(quay.get_by_label("Keywords")).to_have_value("Quay, Boats, quay")
    shots(chooser, "describe.png", full_page=True)
    assert serious_violations(chooser) == []
    quay.get_by_role("textbox", name="Alt text").fill("Fishing boats moored at the old quay")
    gulls.get_by_label("Decorative (needs no alt text)").check()
    chooser.get_by_role("button", name="Add to the library").click()

    expect(chooser.locator(".chooser__picture")).to_have_count(2)
    assert Image.objects.count() == 2
    click_closing_its_window(
        chooser, chooser.get_by_role("button", name="Choose “The old quay at dawn”")
    )
    quay_picture = Image.objects.get(caption="The old quay at dawn")
    assert quay_picture.keywords == "quay, boats"
    expect(page.locator("#id_lead_image")).to_have_value(str(quay_picture.pk))
    expect(page.locator(".field-lead_image .picture-card")).to_contain_text("The old quay at dawn")


def test_a_dropped_picture_the_library_has_is_offered_instead(journalist, page):
    data = picture_bytes(size=(1000, 700))
    existing = make_image(data=data, caption="Boats at the old quay")
    chooser = open_chooser(page)
    drop_files(chooser, "[data-drop]", {"IMG_0042.jpg": data})
    expect(chooser.locator(".chooser__uploads")).to_contain_text("already has this picture")
    click_closing_its_window(
        chooser, chooser.get_by_role("button", name="Use the existing picture")
    )
    expect(page.locator("#id_lead_image")).to_have_value(str(existing.pk))
    assert Image.objects.count() == 1


def test_two_pictures_dropped_into_the_body_become_image_blocks_once_described(
    journalist, page, shots
):
    selects = page.locator("select[data-picture-card][id*=imageblock]:not([id*=__prefix__])")
    blocks_before = selects.count()
    with page.expect_popup() as opened:
        drop_files(
            page,
            ".order-machine-wrapper",
            {
                "quay.jpg": picture_bytes(size=(1200, 800)),
                "gulls.jpg": picture_bytes(size=(900, 600)),
            },
        )
    chooser = opened.value
    uploads = chooser.locator(".chooser__uploads li")
    expect(uploads.filter(has_text="Uploaded")).to_have_count(2)
    chooser.get_by_role("button", name="Describe the pictures").click()
    quay = chooser.locator("fieldset", has_text="quay.jpg")
    gulls = chooser.locator("fieldset", has_text="gulls.jpg")
    quay.get_by_role("textbox", name="Alt text").fill("Fishing boats moored at the old quay")
    quay.get_by_label("Caption").fill("The old quay at dawn")
    gulls.get_by_role("textbox", name="Alt text").fill("Gulls over the harbour wall")
    gulls.get_by_label("Caption").fill("Gulls over the harbour")
    click_closing_its_window(chooser, chooser.get_by_role("button", name="Add to the library"))

    expect(selects).to_have_count(blocks_before + 2)
    added = {str(image.pk) for image in Image.objects.all()}
    assert len(added) == 2
    values = {selects.nth(n).input_value() for n in range(selects.count())}
    assert added <= values
    cards = page.locator(".order-machine .picture-card")
    expect(cards.filter(has_text="The old quay at dawn")).to_have_count(1)
    expect(cards.filter(has_text="Gulls over the harbour")).to_have_count(1)
    shots(page, "body-pictures.png", full_page=True)
