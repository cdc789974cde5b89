"""The journalist's path, end to end in Chromium: upload, write, publish, read."""

import io

import pytest
from PIL import Image as PillowImage
from playwright.sync_api import expect

from articles.models import Article, Author, Section
from tests.admin_editor import add_block, choose

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_journalist_publishes_a_captioned_credited_picture(
    live_server, page, django_user_model, tmp_path, shots
):
    django_user_model.objects.create_superuser(email="ed@example.com", password="ed-password-42")
    Section.objects.create(name="Harbour", slug="harbour")
    Author.objects.create(name="Ann Lee", slug="ann-lee")
    photo = tmp_path / "IMG_0042.jpg"
    buffer = io.BytesIO()
    PillowImage.new("RGB", (1200, 800), (20, 90, 160)).save(buffer, "JPEG")
    photo.write_bytes(buffer.getvalue())

    page.goto(f"{live_server.url}/admin/")
    page.fill("#id_username", "ed@example.com")
    page.fill("#id_password", "ed-password-42")
    page.click("input[type=submit]")

    page.goto(f"{live_server.url}/admin/media/image/add/")
    page.set_input_files("#id_file", str(photo))
    page.fill("#id_alt_text", "Fishing boats moored at the old quay")
    page.fill("#id_caption", "Boats at the old quay")
    page.fill("#id_credit", "Harbour Herald/Ann Lee")
    page.click("input[name=_save]")
    expect(page.locator(".messagelist")).to_contain_text("was added successfully")

    page.goto(f"{live_server.url}/admin/articles/article/add/")
    page.fill("#id_headline", "The quay gets a second life")
    page.fill("#id_standfirst", "Fishermen and cafés share the old harbour.")
    choose(page, "id_section", "Harbour")
    choose(page, "id_bylines-0-author", "Ann Lee")
    add_block(page, "Text")
    page.click("#articles_textblock_set-0 [contenteditable=true]")
    page.keyboard.type("The old quay was nearly demolished in the spring.")
    add_block(page, "Image")
    choose(page, "id_articles_imageblock_set-0-image", "Boats at the old quay")
    add_block(page, "Quote")
    page.fill("#id_articles_quoteblock_set-0-text", "We never gave up on it.")
    page.fill("#id_articles_quoteblock_set-0-attribution", "A harbour master")
    page.select_option("#id_status", "published")
    shots(page, "admin-article.png", full_page=True)
    page.click("input[name=_save]")
    expect(page.locator(".messagelist")).to_contain_text("was added successfully")

    article = Article.objects.get(headline="The quay gets a second life")
    assert article.is_live
    page.goto(f"{live_server.url}{article.get_absolute_url()}")
    figure = page.locator(".article__body figure.figure")
    expect(figure.locator("img")).to_have_attribute("alt", "Fishing boats moored at the old quay")
    expect(figure.locator("figcaption")).to_have_text(
        "Boats at the old quay (Harbour Herald/Ann Lee)"
    )
    expect(page.locator(".pull-quote")).to_contain_text("We never gave up on it.")
    expect(page.locator(".byline")).to_have_text("By Ann Lee")
    figure.scroll_into_view_if_needed()  # the inline picture loads lazily
    # Not wait_for_function: the page's policy refuses the eval() it polls with.
    expect(figure.locator("img")).to_have_js_property("complete", True)
    assert figure.locator("img").evaluate("img => img.naturalWidth") > 0
    shots(page, "article.png", full_page=True)
