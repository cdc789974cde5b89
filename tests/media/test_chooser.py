"""The picture chooser: the library searched and filtered as thumbnails, and uploads into it."""

import datetime

import pytest
from django.core import signing
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from media.chooser import PER_PAGE
from media.models import Image
from tests.factories import make_article, make_author, make_staff
from tests.media.factories import make_image, noisy_jpeg_bytes, picture_bytes, upload

pytestmark = pytest.mark.django_db

CHOOSE = reverse("admin:media_image_choose")
UPLOAD = reverse("admin:media_image_choose_upload")
DESCRIBE = reverse("admin:media_image_choose_describe")


@pytest.fixture
def journalist_user():
    return make_staff("media.view_image", "media.add_image", "media.change_image")


@pytest.fixture
def journalist(client, journalist_user):
    client.force_login(journalist_user)
    return client


def chosen_ids(response) -> list[int]:
    assert response.status_code == 200, response.content[:300]
    return [choice.image.pk for choice in response.context["pictures"]]


def test_newest_first_with_a_choose_button_and_thumbnail_each(journalist):
    older = make_image(caption="Harbour at dawn", credit="Herald/Ann Lee")
    newer = make_image(caption="Council meeting")
    response = journalist.get(CHOOSE, {"field": "id_lead_image"})

    assert chosen_ids(response) == [newer.pk, older.pk]
    html = response.content.decode()
    assert f'data-choose="{older.pk}" data-label="Harbour at dawn"' in html
    assert "Credit: Herald/Ann Lee" in html
    assert 'class="thumbnail"' in html
    assert 'data-field="id_lead_image"' in html


@pytest.mark.parametrize(
    "words",
    ["harbour", "HARBOUR dawn", "ann lee", "fishing boats", "Port Authority"],
)
def test_search_finds_by_caption_credit_alt_text_and_copyright_holder(journalist, words):
    wanted = make_image(
        caption="Harbour at dawn",
        credit="Herald/Ann Lee",
        alt_text="Fishing boats moored in the harbour",
        copyright_holder="Port Authority",
    )
    make_image(caption="Council meeting", credit="Agency/Bo Kim")

    assert chosen_ids(journalist.get(CHOOSE, {"q": words})) == [wanted.pk]


@pytest.mark.parametrize("words", ["sunset", "Boats", "harbour sunset"])
def test_a_journalist_finds_a_picture_by_its_keywords(journalist, words):
    wanted = make_image(caption="Evening", keywords="harbour, boats, sunset")
    make_image(caption="Council meeting", keywords="council, vote")

    response = journalist.get(CHOOSE, {"q": words})
    assert chosen_ids(response) == [wanted.pk]
    assert "Keywords: harbour, boats, sunset" in response.content.decode()  # on its card


def test_a_search_that_finds_nothing_says_so(journalist):
    make_image(caption="Council meeting")
    response = journalist.get(CHOOSE, {"q": "volcano"})
    assert chosen_ids(response) == []
    assert "No picture matches" in response.content.decode()


def test_filters_for_my_uploads_rights_and_unused(journalist, journalist_user):
    today = timezone.localdate()
    mine = make_image(caption="Mine", uploaded_by=journalist_user)
    expired = make_image(caption="Expired", rights_expire_on=today - datetime.timedelta(days=1))
    expiring = make_image(caption="Expiring", rights_expire_on=today + datetime.timedelta(days=9))
    make_image(caption="Later", rights_expire_on=today + datetime.timedelta(days=90))
    lead = make_image(caption="A lead")
    in_body = make_image(caption="In a body")
    portrait = make_image(caption="A portrait")
    make_article(lead_image=lead)
    make_article(blocks=[("image", in_body)])
    make_author(photo=portrait)

    assert chosen_ids(journalist.get(CHOOSE, {"mine": "on"})) == [mine.pk]
    assert chosen_ids(journalist.get(CHOOSE, {"rights": "expired"})) == [expired.pk]
    assert chosen_ids(journalist.get(CHOOSE, {"rights": "expiring"})) == [expiring.pk]
    unused = chosen_ids(journalist.get(CHOOSE, {"unused": "on"}))
    assert not {lead.pk, in_body.pk, portrait.pk} & set(unused)
    assert mine.pk in unused


def test_a_picture_whose_rights_expired_cannot_be_chosen_and_says_why(journalist):
    expired = make_image(rights_expire_on=timezone.localdate() - datetime.timedelta(days=1))
    html = journalist.get(CHOOSE).content.decode()
    assert f'data-choose="{expired.pk}"' not in html
    assert "cannot be used in a live or scheduled article" in html


def test_pages_of_pictures_without_counting_the_library(journalist):
    make_image(caption="Picture 0")
    journalist.get(CHOOSE)  # what every admin page keeps (the site's sections) is kept
    with CaptureQueriesContext(connection) as few:
        journalist.get(CHOOSE, {"q": "picture"})
    pictures = [make_image(caption=f"Picture {n}") for n in range(1, PER_PAGE + 2)]
    newest_first = [picture.pk for picture in reversed(pictures)] + [pictures[0].pk - 1]

    # A page of pictures and their renditions, one more than shown (is there a next page?):
    # no COUNT, and as many queries for a big library as for a small one.
    journalist.get(CHOOSE)
    with CaptureQueriesContext(connection) as many:
        first = journalist.get(CHOOSE, {"q": "picture"})
    assert len(many.captured_queries) == len(few.captured_queries)
    assert not any(
        query["sql"].upper().startswith("SELECT COUNT(") for query in many.captured_queries
    )
    assert chosen_ids(first) == newest_first[:PER_PAGE]
    assert first.context["next_page"] == 2
    html = first.content.decode()
    assert f"Pictures 1–{PER_PAGE}" in html
    assert "page=2" in html and "q=picture" in html

    second = journalist.get(CHOOSE, {"q": "picture", "page": 2})
    assert chosen_ids(second) == newest_first[PER_PAGE:]
    assert second.context["next_page"] is None
    assert second.context["previous_page"] == 1


@pytest.mark.parametrize("query", [{"page": "0"}, {"page": "x"}, {"rights": "forever"}])
def test_malformed_filters_are_a_clear_400(journalist, query):
    response = journalist.get(CHOOSE, query)
    assert response.status_code == 400
    assert 'class="errornote"' in response.content.decode()


def test_the_field_named_in_the_address_is_only_an_id(journalist):
    html = journalist.get(CHOOSE, {"field": 'x"><script>alert(1)</script>'}).content.decode()
    assert "<script>alert(1)" not in html
    assert 'data-field=""' in html


def test_readers_and_staff_without_the_library_cannot_open_it(client):
    client.force_login(make_staff())
    assert client.get(CHOOSE).status_code == 403
    assert client.post(UPLOAD, {"file": upload(picture_bytes())}).status_code == 403
    client.logout()
    assert client.get(CHOOSE).status_code == 302  # to the admin's log-in


def drop(client, data, name="harbour.jpg", **more):
    return client.post(UPLOAD, {"file": upload(data, name=name), **more})


def describe_one(client, token, **fields):
    """Post the describe form for one dropped picture, with `fields` typed."""
    typed = {f"form-0-{name}": value for name, value in fields.items()}
    return client.post(
        DESCRIBE,
        {"form-TOTAL_FORMS": "1", "form-INITIAL_FORMS": "1", "form-0-token": token, **typed},
    )


def test_dropped_pictures_are_described_in_one_form_and_join_the_library(
    journalist, journalist_user
):
    first, second = drop(journalist, picture_bytes()), drop(journalist, picture_bytes())
    assert first.status_code == second.status_code == 200
    tokens = [first.json()["token"], second.json()["token"]]
    assert not Image.objects.exists()  # nothing joins the library undescribed

    form = journalist.post(DESCRIBE, {"token": tokens, "field": "id_lead_image"})
    assert form.status_code == 200
    html = form.content.decode()
    assert html.count('name="form-0-alt_text"') == 1 and 'name="form-1-alt_text"' in html
    assert "harbour.jpg" in html  # which picture is which

    described = {
        "field": "id_lead_image",
        "form-TOTAL_FORMS": "2",
        "form-INITIAL_FORMS": "2",
        "form-0-token": tokens[0],
        "form-0-alt_text": "Boats in the harbour at dawn",
        "form-0-caption": "The harbour at dawn",
        "form-0-credit": "Herald/Ann Lee",
        "form-1-token": tokens[1],
        "form-1-is_decorative": "on",
        "form-1-caption": "A pattern",
    }
    added = journalist.post(DESCRIBE, described)
    assert added.status_code == 200
    pictures = Image.objects.order_by("pk")
    assert [(p.caption, p.alt_text, p.is_decorative) for p in pictures] == [
        ("The harbour at dawn", "Boats in the harbour at dawn", False),
        ("A pattern", "", True),
    ]
    assert {p.uploaded_by for p in pictures} == {journalist_user}
    assert all(p.renditions.exists() for p in pictures)  # made at once in tests
    assert set(chosen_ids(added)) == {p.pk for p in pictures}
    assert added.context["choose_at_once"] is None  # two: the journalist picks one

    # Described once: the kept uploads are gone, and their tokens no longer add anything.
    again = journalist.post(DESCRIBE, described)
    assert again.status_code == 400
    assert Image.objects.count() == 2


def test_one_dropped_picture_is_chosen_once_described(journalist):
    token = drop(journalist, picture_bytes()).json()["token"]
    added = describe_one(journalist, token, alt_text="A quay")
    picture = Image.objects.get()
    assert added.context["choose_at_once"] == picture
    assert f'data-choose-at-once="{picture.pk}"' in added.content.decode()


def test_keywords_typed_when_describing_are_kept_on_errors_and_saved_normalised(journalist):
    token = drop(journalist, picture_bytes()).json()["token"]
    typed = " Harbour,boats ,, HARBOUR,  Sunset  Sky "
    refused = describe_one(journalist, token, keywords=typed)  # no alt text
    assert refused.status_code == 400
    assert f'value="{typed}"' in refused.content.decode()  # as typed, to be mended

    describe_one(journalist, token, keywords=typed, alt_text="Boats at sunset")
    assert Image.objects.get().keywords == "harbour, boats, sunset sky"


def test_alt_text_is_required_unless_decorative_and_what_was_typed_is_kept(journalist):
    token = drop(journalist, picture_bytes()).json()["token"]
    response = describe_one(journalist, token, caption="Typed by hand", credit="Herald/Ann Lee")
    assert response.status_code == 400
    html = response.content.decode()
    assert "Describe what the picture shows" in html
    assert 'value="Typed by hand"' in html and 'value="Herald/Ann Lee"' in html
    assert not Image.objects.exists()


def test_a_broken_or_missing_file_is_refused_with_its_reason(journalist):
    data = noisy_jpeg_bytes()
    broken = drop(journalist, data[: len(data) // 3])
    assert broken.status_code == 400
    assert "damaged or incomplete" in broken.json()["error"]
    missing = journalist.post(UPLOAD, {})
    assert missing.status_code == 400
    assert missing.json()["error"] == "No picture came with the upload."


def test_a_picture_the_library_has_offers_it_or_keeps_a_copy(journalist):
    data = picture_bytes()
    existing = make_image(data=data, caption="Harbour at dawn")

    offered = drop(journalist, data)
    assert offered.status_code == 409
    answer = offered.json()
    assert answer["duplicate"]["id"] == existing.pk
    assert answer["duplicate"]["label"] == "Harbour at dawn"
    assert "already has this picture" in answer["message"]

    kept = drop(journalist, data, keep="1")
    assert kept.status_code == 200 and kept.json()["token"]


@pytest.mark.parametrize("tamper", ["garbage", "someone-else"])
def test_a_tampered_or_foreign_upload_token_is_refused(journalist, tamper):
    if tamper == "garbage":
        token = "not-a-token"
    else:
        other = make_staff("media.view_image", "media.add_image", "media.change_image")
        journalist.force_login(other)
        token = drop(journalist, picture_bytes()).json()["token"]
        journalist.force_login(make_staff("media.view_image", "media.add_image"))
    response = describe_one(journalist, token, alt_text="A quay")
    assert response.status_code == 400
    assert "drop the picture on the chooser again" in response.content.decode()
    assert not Image.objects.exists()


def test_the_token_says_nothing_a_journalist_could_change(journalist):
    token = drop(journalist, picture_bytes()).json()["token"]
    facts = signing.loads(token, salt="media.chooser.pending")
    facts["content_hash"] = "0" * 64
    forged = signing.dumps(facts, salt="other", compress=True)
    response = describe_one(journalist, forged, alt_text="A quay")
    assert response.status_code == 400


def test_the_picture_field_offers_the_chooser(admin_client):
    html = admin_client.get(reverse("admin:articles_article_add")).content.decode()
    assert html.count("Choose from the library") >= 1
    assert f'data-chooser="{CHOOSE}"' in html


def test_on_postgresql_search_finds_other_forms_of_a_word(journalist):
    if connection.vendor != "postgresql":
        pytest.skip("word forms come with PostgreSQL's text search (CI's second pass)")
    wanted = make_image(caption="Harbours at dawn", credit="Herald/Ann Lee")
    make_image(caption="Council meeting")
    assert chosen_ids(journalist.get(CHOOSE, {"q": "harbour"})) == [wanted.pk]
    assert chosen_ids(journalist.get(CHOOSE, {"q": "herald"})) == [wanted.pk]
    tagged = make_image(caption="Evening", keywords="fishing boats, sunsets")
    assert chosen_ids(journalist.get(CHOOSE, {"q": "boat sunset"})) == [tagged.pk]


def test_each_picture_says_in_how_many_live_or_scheduled_articles_it_is(journalist):
    soon = timezone.now() + datetime.timedelta(days=1)
    shown = make_image(caption="Shown")
    make_article(lead_image=shown)  # live
    make_article(blocks=[("image", shown)], status="published", published_at=soon)  # scheduled
    make_article(lead_image=shown, status="draft")  # not for readers
    make_image(caption="Nowhere")
    html = journalist.get(CHOOSE).content.decode()
    assert "In 2 live or scheduled articles" in html
    assert "In no live or scheduled article" in html
