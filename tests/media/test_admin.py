import datetime
import json
import re

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from media.admin import ImageAdmin
from media.models import Image, Rendition
from media.renditions import modern_formats
from tests.factories import make_staff
from tests.media.factories import make_image, noisy_jpeg_bytes, picture_bytes, upload

pytestmark = pytest.mark.django_db

ADD_URL = reverse("admin:media_image_add")
LIST_URL = reverse("admin:media_image_changelist")


@pytest.fixture
def editor(django_user_model):
    return django_user_model.objects.create_superuser(email="ed@example.com", password="pw")


@pytest.fixture
def admin(client, editor):
    client.force_login(editor)
    return client


def post_picture(client, file, url=ADD_URL, **typed):
    data = {"alt_text": "Crowds in the square", "caption": "Typed by hand", **typed}
    if file is not None:
        data["file"] = file
    return client.post(url, data)


def test_a_broken_upload_shows_the_error_and_keeps_what_was_typed(admin, media_root):
    data = noisy_jpeg_bytes()
    response = post_picture(admin, upload(data[: len(data) // 3]), credit="Herald/Ann Lee")

    assert response.status_code == 400
    html = response.content.decode()
    assert "This file is damaged or incomplete" in html
    assert response.context["adminform"].form.errors["file"]
    assert 'value="Typed by hand"' in html
    assert 'value="Herald/Ann Lee"' in html
    assert not Image.objects.exists()
    assert not media_root.exists() or not any(p.is_file() for p in media_root.rglob("*"))


def test_svg_through_the_admin_is_refused_with_its_message(admin):
    response = post_picture(admin, upload(b"<svg/>", name="logo.svg"))

    assert response.status_code == 400
    assert "SVG files are not accepted" in response.content.decode()


def test_missing_alt_text_is_shown_on_its_field(admin):
    response = post_picture(admin, upload(picture_bytes()), alt_text="")

    assert response.status_code == 400
    assert "alt_text" in response.context["adminform"].form.errors
    assert not Image.objects.exists()


def test_a_good_upload_creates_the_picture_and_its_renditions(admin, editor):
    response = post_picture(admin, upload(picture_bytes(size=(1000, 600)), name="IMG_1.jpg"))

    assert response.status_code == 302
    image = Image.objects.get()
    assert image.caption == "Typed by hand"
    assert image.uploaded_by == editor
    assert (image.width, image.height) == (1000, 600)
    assert Rendition.objects.filter(image=image, crop="", format="jpeg").count() == 2
    assert "IMG_1" not in image.file.name


@pytest.fixture
def journalist(client):
    # A journalist adds and describes pictures, and may delete none.
    user = make_staff("media.view_image", "media.add_image", "media.change_image")
    client.force_login(user)
    return client


def test_uploading_a_picture_the_library_has_offers_that_one_and_keeps_nothing(journalist):
    data = picture_bytes()
    first = make_image(data=data, caption="Harbour at dawn")

    response = post_picture(journalist, upload(data), caption="My harbour", credit="Ann Lee")

    assert response.status_code == 400
    assert Image.objects.count() == 1  # nothing to delete: the copy was never kept
    html = response.content.decode()
    message = response.context["adminform"].form.errors["file"][0]
    assert f"already in the library as “Harbour at dawn” (picture {first.pk})" in message
    assert "Press “Use the existing picture” to use it" in message
    assert "delete" not in message.lower()
    assert f'href="{reverse("admin:media_image_change", args=[first.pk])}"' in html
    assert f'name="use_existing" value="{first.pk}"' in html
    assert 'type="checkbox" name="keep_duplicate"' in html
    assert 'value="My harbour"' in html and 'value="Ann Lee"' in html  # what was typed


def test_in_the_articles_picture_window_the_existing_picture_is_chosen(journalist):
    """The article's "+" opens the library's form in a window: "Use the existing picture"
    answers as saving a new one does there, so the article's field takes the library's."""
    first = make_image(data=picture_bytes(), caption="Harbour at dawn")
    window = f"{ADD_URL}?_to_field=id&_popup=1"

    response = journalist.post(window, {"use_existing": first.pk, "_popup": "1", "_to_field": "id"})

    assert response.status_code == 200
    assert "admin/popup_response.html" in [t.name for t in response.templates]
    chosen = json.loads(response.context["popup_response_data"])
    assert chosen == {"value": str(first.pk), "obj": "Harbour at dawn"}
    assert Image.objects.count() == 1


def test_in_the_library_the_existing_picture_is_opened(journalist):
    first = make_image(data=picture_bytes())

    response = journalist.post(ADD_URL, {"use_existing": first.pk})

    assert response.status_code == 302
    assert response["Location"] == reverse("admin:media_image_change", args=[first.pk])
    assert Image.objects.count() == 1


@pytest.mark.parametrize("pk", ["999999", "x", ""])
def test_using_a_picture_that_is_not_there_is_a_clear_400(journalist, pk):
    response = journalist.post(f"{ADD_URL}?_popup=1", {"use_existing": pk, "_popup": "1"})

    assert response.status_code == 400
    assert b"not in the library" in response.content


def test_a_journalist_may_keep_their_copy_of_a_picture_the_library_has(journalist):
    data = picture_bytes()
    first = make_image(data=data)

    response = post_picture(journalist, upload(data), keep_duplicate="on")

    assert response.status_code == 302
    assert Image.objects.count() == 2
    notes = [str(m) for m in get_messages(response.wsgi_request)]
    assert any("Your copy is kept as a new picture" in note for note in notes)
    assert any(reverse("admin:media_image_change", args=[first.pk]) in n for n in notes)


def test_a_new_picture_is_not_asked_about_copies(journalist):
    response = journalist.get(ADD_URL)

    assert 'type="hidden" name="keep_duplicate"' in response.content.decode()
    assert post_picture(journalist, upload(picture_bytes())).status_code == 302


def test_the_change_page_shows_a_preview_and_the_computed_fields(admin):
    image = make_image(data=picture_bytes(size=(1000, 600)))

    response = admin.get(reverse("admin:media_image_change", args=[image.pk]))

    html = response.content.decode()
    assert response.status_code == 200
    assert image.renditions.get(crop="", width=800, format="webp").file.url in html
    assert image.content_hash in html
    assert "1000" in html and "600" in html
    form = response.context["adminform"].form
    assert "content_hash" not in form.fields
    assert "width" not in form.fields
    assert "file-clear" not in html


def test_metadata_is_edited_without_uploading_again(admin):
    image = make_image(caption="Before")
    name = image.file.name

    response = post_picture(
        admin, None, url=reverse("admin:media_image_change", args=[image.pk]), caption="After"
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    image.refresh_from_db()
    assert (image.caption, image.file.name) == ("After", name)


def test_the_file_is_replaced_through_the_admin(admin):
    image = make_image(data=picture_bytes(size=(1000, 600)), caption="Before")

    response = post_picture(
        admin,
        upload(picture_bytes("PNG", size=(500, 500)), name="new.png"),
        url=reverse("admin:media_image_change", args=[image.pk]),
        caption="Before",
    )

    assert response.status_code == 302
    image.refresh_from_db()
    assert (image.width, image.height) == (500, 500)
    assert image.file.name.endswith(".png")
    whole = image.renditions.filter(crop="")
    assert {(r.width, r.format) for r in whole} == {
        (480, fmt) for fmt in ("jpeg", *modern_formats())
    }


def test_the_list_shows_lazy_thumbnails_in_a_fixed_number_of_queries(
    admin, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    first = make_image(caption="First picture")
    with CaptureQueriesContext(connection) as one:
        admin.get(LIST_URL)
    for n in range(3):
        make_image(caption=f"More {n}")

    with django_assert_max_num_queries(len(one)):
        response = admin.get(LIST_URL)

    html = response.content.decode()
    assert html.count('loading="lazy"') >= 4
    assert first.renditions.get(crop="", width=480, format="webp").file.url in html


def test_the_list_can_be_searched_by_caption_credit_and_alt_text(admin):
    make_image(caption="Kremlin crowds", credit="Agency/Ann", alt_text="Snowy square")
    make_image(caption="Harbour", credit="Herald/Bo", alt_text="Boats at dawn")

    for term, expected in [
        ("kremlin", "Kremlin crowds"),
        ("herald", "Harbour"),
        ("boats", "Harbour"),
    ]:
        response = admin.get(LIST_URL, {"q": term})
        assert [str(i) for i in response.context["cl"].result_list] == [expected]


def test_the_list_filters_on_expired_rights_and_missing_credit(admin):
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    make_image(caption="Expired", rights_expire_on=yesterday, credit="A")
    make_image(caption="Open", credit="")
    make_image(
        caption="Later", rights_expire_on=yesterday + datetime.timedelta(days=30), credit="B"
    )

    def shown(**params):
        response = admin.get(LIST_URL, params)
        return sorted(str(i) for i in response.context["cl"].result_list)

    assert shown(rights_expired="yes") == ["Expired"]
    assert shown(rights_expired="no") == ["Later", "Open"]
    assert shown(credit="missing") == ["Open"]


def test_search_fields_allow_autocomplete_from_other_admins():
    assert {"caption", "credit", "alt_text"} <= set(ImageAdmin.search_fields)


def test_the_make_renditions_action_fills_in_what_is_missing(admin):
    image = make_image()
    image.renditions.all().delete()

    response = admin.post(
        LIST_URL, {"action": "make_renditions", "_selected_action": [image.pk]}, follow=True
    )

    assert response.status_code == 200
    assert image.renditions.filter(crop="").count() == 1 + len(modern_formats())


def test_staff_who_may_only_view_pictures_cannot_make_renditions(client):
    image = make_image()
    image.renditions.all().delete()
    client.force_login(make_staff("media.view_image"))
    selected = {"action": "make_renditions", ACTION_CHECKBOX_NAME: [image.pk], "index": "0"}

    listing = client.get(LIST_URL).content.decode()
    forged = client.post(LIST_URL, selected, follow=True)

    assert 'value="make_renditions"' not in listing  # not offered
    assert forged.status_code == 200  # Django runs only the actions this account may run
    assert not image.renditions.exists()


def test_the_pictures_page_says_where_it_is_used(admin):
    from tests.factories import make_article, make_author

    picture = make_image(caption="Boats at the old quay")
    live = make_article(headline="The quay gets a second life", lead_image=picture)
    draft = make_article(headline="Ferry fares", status="draft", blocks=[("image", picture)])
    make_author(name="Ann Lee", photo=picture)

    html = admin.get(reverse("admin:media_image_change", args=[picture.pk])).content.decode()

    assert "Readers see it in 2 of the 3 places that use it." in html
    live_url = reverse("admin:articles_article_change", args=[live.pk])
    assert (
        f'<a href="{live_url}">The quay gets a second life</a> (live or scheduled article)' in html
    )
    draft_url = reverse("admin:articles_article_change", args=[draft.pk])
    assert f'<a href="{draft_url}">Ferry fares</a> (article not published)' in html
    assert "Ann Lee</a> (author&#x27;s photo)" in html
    unused = make_image()
    html = admin.get(reverse("admin:media_image_change", args=[unused.pk])).content.decode()
    assert "Nothing uses it yet." in html


# The focal point, on the picture's own page.


def change_picture(client, image, **typed):
    data = {"alt_text": image.alt_text, "caption": image.caption, "credit": image.credit, **typed}
    return client.post(reverse("admin:media_image_change", args=[image.pk]), data)


def test_the_change_page_offers_the_focal_point_to_click_or_type(admin):
    image = make_image(data=picture_bytes(size=(1000, 600)))

    html = admin.get(reverse("admin:media_image_change", args=[image.pk])).content.decode()

    assert "data-focal-point" in html
    assert "Click on the picture where its subject is" in html
    assert "media/focal_point.js" in html
    for name in ("focal_x", "focal_y"):
        field = re.search(rf'<input [^>]*name="{name}"[^>]*>', html).group()
        assert 'type="number"' in field and 'min="0"' in field and 'max="1"' in field
    assert "0 is the left edge, 1 the right" in html
    assert "0 is the top edge, 1 the bottom" in html
    # The crops as they are now, to compare with after a change.
    assert image.renditions.get(crop="social").file.url in html


def test_the_focal_point_is_set_through_the_two_fields(admin):
    image = make_image(data=picture_bytes(size=(1000, 600)))
    social = image.renditions.get(crop="social").file.name

    response = change_picture(admin, image, focal_x="0.9", focal_y="0.2")

    assert response.status_code == 302
    image.refresh_from_db()
    assert (image.focal_x, image.focal_y) == (0.9, 0.2)
    assert image.renditions.get(crop="social").file.name != social


@pytest.mark.parametrize(
    "typed, field, message",
    [
        ({"focal_x": "1.5", "focal_y": "0.5"}, "focal_x", "less than or equal to 1"),
        ({"focal_x": "0.5", "focal_y": "-2"}, "focal_y", "greater than or equal to 0"),
        ({"focal_x": "middle", "focal_y": "0.5"}, "focal_x", "Enter a number"),
        ({"focal_x": "0.5", "focal_y": "nan"}, "focal_y", "Enter a number"),
        ({"focal_x": "0.5", "focal_y": ""}, "focal_y", "both across and down"),
    ],
)
def test_a_focal_point_off_the_picture_is_a_form_error(admin, typed, field, message):
    image = make_image(caption="Before")

    response = change_picture(admin, image, **typed)

    assert response.status_code == 400
    errors = response.context["adminform"].form.errors
    assert message in " ".join(errors[field])
    image.refresh_from_db()
    assert (image.focal_x, image.focal_y) == (None, None)
