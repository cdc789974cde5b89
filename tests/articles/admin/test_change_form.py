"""The article's change form: its layout, publishing through it, a refused publish marked in
place, and what those who may only read it see."""

import re
from datetime import datetime, timedelta

import pytest
from django.contrib.admin.models import LogEntry
from django.urls import reverse
from django.utils import timezone

from articles.events import ArticleChange
from articles.models import Article, ImageBlock, TextBlock
from media.models import Image
from tests.articles.admin.posting import (
    ADD_URL,
    JOURNALIST,
    article_form_data,
    change_form_data,
    change_url,
    member_of,
)
from tests.factories import make_article, make_author, make_image, make_section, make_staff

pytestmark = pytest.mark.django_db


def test_publishing_names_every_missing_piece_and_keeps_what_was_typed(editor_client):
    no_alt = make_image(caption="Harbour at dawn")
    Image.objects.filter(pk=no_alt.pk).update(alt_text="")  # an image from before alt was required
    no_alt.refresh_from_db()
    data = article_form_data(
        texts=[],
        images=[(10, no_alt, "")],
        headline="Ferry fares frozen for a year",
        standfirst="Commuters win a reprieve, for now.",
    )
    response = editor_client.post(ADD_URL, data)

    # Saved as a draft, and back to its form with one message naming every missing piece.
    article = Article.objects.get()
    assert article.status == "draft"
    assert response.status_code == 302 and response.url == change_url(article)
    html = editor_client.get(response.url).content.decode()
    assert "was not published. To publish, it still needs" in html
    for piece in [
        "a section",
        "at least one author",
        "at least one text block",
        "alt text for the image block “Harbour at dawn”",
    ]:
        assert piece in html
    assert "Everything you typed is saved." in html
    assert 'value="Ferry fares frozen for a year"' in html
    assert "Commuters win a reprieve, for now." in html
    assert ImageBlock.objects.get(parent=article).image == no_alt


def test_a_draft_may_be_incomplete(editor_client):
    response = editor_client.post(ADD_URL, article_form_data(status="draft"))
    assert response.status_code == 302
    assert Article.objects.get().status == "draft"


def test_paywall_break_may_not_come_first_or_twice(editor_client):
    data = article_form_data(
        status="draft", texts=[(20, "<p>Text</p>"), (40, "<p>More</p>")], breaks=[10, 30]
    )
    response = editor_client.post(ADD_URL, data, follow=True)

    html = response.content.decode()
    assert "its body must be put right before it is published" in html
    assert "at most one paywall break" in html
    assert "cannot be the first block" in html
    assert response.redirect_chain[-1][0] == change_url(Article.objects.get())  # back to it


def test_a_paywall_break_in_the_wrong_place_stops_publishing(editor_client):
    data = article_form_data(
        section=make_section(),
        author=make_author(),
        texts=[(20, "<p>Text</p>")],
        breaks=[10],
    )
    html = editor_client.post(ADD_URL, data, follow=True).content.decode()

    assert "was not published" in html and "cannot be the first block" in html
    assert Article.objects.get().status == "draft"


def test_publishing_a_complete_article_sanitises_text_and_sets_the_time(editor_client, client):
    image = make_image()
    data = article_form_data(
        section=make_section(),
        author=make_author(),
        texts=[
            (
                10,
                '<p>Safe <a href="javascript:alert(1)">link</a><script>x()</script>'
                '<img src=x onerror="y()"> words</p>',
            )
        ],
        images=[(20, image, "A ferry leaving the quay")],
    )
    response = editor_client.post(ADD_URL, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    article = Article.objects.get()
    assert article.is_live
    text = TextBlock.objects.get(parent=article).text
    assert "javascript:" not in text and "<script" not in text and "onerror" not in text
    assert "Safe" in text and "words" in text
    assert ImageBlock.objects.get(parent=article).alt_text == "A ferry leaving the quay"
    assert article.word_count > 0
    client.logout()
    page = client.get(article.get_absolute_url())
    assert page.status_code == 200
    assert "A ferry leaving the quay" in page.content.decode()


def test_a_refused_publish_keeps_the_body_as_typed(editor_client):
    data = article_form_data(
        author=make_author(), texts=[(10, "<p>Every word of the first draft.</p>")]
    )
    response = editor_client.post(ADD_URL, data, follow=True)

    html = response.content.decode()
    assert "a section" in html
    assert "&lt;p&gt;Every word of the first draft.&lt;/p&gt;" in html  # back in its editor
    article = Article.objects.get()
    assert TextBlock.objects.get(parent=article).text == "<p>Every word of the first draft.</p>"


def test_a_refused_publish_marks_each_missing_piece_on_its_field(editor_client):
    no_alt = make_image(caption="Harbour at dawn")
    Image.objects.filter(pk=no_alt.pk).update(alt_text="")
    response = editor_client.post(ADD_URL, article_form_data(images=[(10, no_alt, "")]))
    article = Article.objects.get()
    assert article.status == "draft"

    html = editor_client.get(response.url).content.decode()
    needed = "Needed before publishing: "
    section_row = html.split('<div class="form-row errors field-section">')[1][:400]
    assert f"{needed}a section." in section_row
    assert re.search(r'<select name="section" aria-invalid="true"', html)
    byline = html.split('id="bylines-group"')[1]
    assert f"{needed}at least one author in the byline." in byline.split("</table>")[0]
    body = html.split('<section class="article-body errors"')[1]
    assert body.index(f"{needed}at least one text block") < body.index("articles_imageblock_set")
    alt_row = body.split('<div class="form-row errors field-alt_text">')[1][:400]
    assert f"{needed}alt text for the image block “Harbour at dawn”" in alt_row
    assert "Please correct the error" not in html  # nothing typed was wrong: it was saved

    # Marked after the refusal only, not every time the draft is opened.
    assert needed not in editor_client.get(change_url(article)).content.decode()


def test_who_may_not_publish_sees_status_time_and_access_read_only(client):
    journalist = make_staff(*JOURNALIST)
    article = make_article(status="draft", created_by=journalist)
    client.force_login(journalist)

    data = change_form_data(client, article, headline="Ferry fares: the board decides")

    assert not {"status", "access", "published_at_0"} & set(data)
    assert client.post(change_url(article), data).status_code == 302
    article.refresh_from_db()
    assert article.headline == "Ferry fares: the board decides"
    assert article.status == "draft"


@pytest.mark.parametrize(
    "forged",
    [
        {"status": "published"},
        {"access": "free"},
        {"published_at_0": "2020-01-01", "published_at_1": "09:00"},
        {"unpublish_at_0": "2040-01-01", "unpublish_at_1": "09:00"},
    ],
    ids=["status", "access", "publish time", "unpublish time"],
)
def test_a_forged_publishing_field_is_refused_and_changes_nothing(client, forged):
    journalist = make_staff(*JOURNALIST)
    article = make_article(status="draft", access=Article.Access.SUBSCRIBERS, created_by=journalist)
    client.force_login(journalist)
    data = change_form_data(client, article, headline="Sneaked in", **forged)

    response = client.post(change_url(article), data)

    assert response.status_code == 403
    article.refresh_from_db()
    assert (article.status, article.access) == ("draft", "subscribers")
    assert article.headline != "Sneaked in" and article.published_at is None
    assert article.unpublish_at is None
    assert not LogEntry.objects.exists()


def test_an_editor_changes_access_through_the_form(
    editor_client, announced, django_capture_on_commit_callbacks
):
    article = make_article(access=Article.Access.METERED)
    data = change_form_data(editor_client, article, access="subscribers")

    with django_capture_on_commit_callbacks(execute=True):
        response = editor_client.post(change_url(article), data)

    assert response.status_code == 302
    article.refresh_from_db()
    assert article.access == "subscribers" and article.is_live
    assert [entry.get_change_message() for entry in LogEntry.objects.all()] == [
        "Access changed to Subscribers only"
    ]
    assert (article.pk, ArticleChange.ACCESS_CHANGED) in announced
    assert (article.pk, ArticleChange.PUBLISHED) not in announced  # only edited, not re-published


def test_an_editor_schedules_through_the_form(editor_client):
    article = make_article(status="draft")
    at = timezone.localtime() + timedelta(days=2)
    data = change_form_data(
        editor_client,
        article,
        status="published",
        published_at_0=at.strftime("%Y-%m-%d"),
        published_at_1=at.strftime("%H:%M:%S"),
    )

    assert editor_client.post(change_url(article), data).status_code == 302
    article.refresh_from_db()
    assert article.is_scheduled and not article.is_live
    assert LogEntry.objects.get().get_change_message().startswith("Scheduled for ")


def test_an_editor_unpublishes_through_the_form(editor_client, client):
    article = make_article()
    data = change_form_data(editor_client, article, status="draft")

    assert editor_client.post(change_url(article), data).status_code == 302
    article.refresh_from_db()
    assert article.status == "draft"
    assert LogEntry.objects.get().get_change_message() == "Unpublished"


def test_an_edit_that_leaves_a_live_article_incomplete_is_saved_with_a_warning(editor_client):
    article = make_article(headline="Harbour reopens")
    data = change_form_data(editor_client, article, **{"bylines-0-DELETE": "on"})

    response = editor_client.post(change_url(article), data, follow=True)

    assert "“Harbour reopens” is published" in response.content.decode()
    assert "now lacks: at least one author in the byline." in response.content.decode()
    article.refresh_from_db()
    assert article.is_live and not article.bylines.exists()


def test_the_change_form_puts_what_is_written_first_and_publishing_beside_it(editor_client):
    article = make_article(blocks=[("text", "<p>The quay reopens.</p>")])
    html = editor_client.get(change_url(article)).content.decode()

    main, side = html.split('<div class="article-form__side">')
    order = ['id="id_headline"', 'id="id_standfirst"', 'id="articles_textblock_set-group"']
    assert [main.index(field) for field in order] == sorted(main.index(field) for field in order)
    for beside in ['id="id_status"', 'id="id_access"', 'id="id_section"', 'id="bylines-group"']:
        assert beside in side and beside not in main
    for beside in ['id="id_lead_image"', 'id="id_tags"', 'id="id_seo_description"']:
        assert beside in side
    # The publish date and time each have a name, not only the pair.
    assert 'aria-label="Publish date (' in side and 'aria-label="Publish time (' in side


def test_the_form_comes_with_the_saved_word_count_and_read_time_written_in(editor_client):
    """Before any script runs, so that the shortcuts beside the count stay where they are."""
    long_read = make_article(blocks=[("text", "<p>" + "word " * 1_234 + "</p>")])
    html = editor_client.get(change_url(long_read)).content.decode()
    assert ">1,234 words · 5 min read</p>" in html

    assert ">0 words · 1 min read</p>" in editor_client.get(ADD_URL).content.decode()


def test_the_block_editor_lets_a_journalist_add_blocks_only_where_they_may_write(client):
    """django-content-editor asks has_change_permission of the article being added, too."""
    journalist = member_of("Journalist")
    own = make_article(status="draft", created_by=journalist)
    colleagues = make_article(status="draft", created_by=member_of("Journalist"))
    client.force_login(journalist)

    def allows_change(url):
        return '"allowChange": true' in client.get(url).content.decode()

    assert allows_change(ADD_URL)
    assert allows_change(change_url(own))
    assert not allows_change(change_url(colleagues))


def test_who_may_only_read_an_article_reads_its_body_in_order_as_written(client):
    """The block editor cannot show a read-only body (it needs each block's order as an input,
    and read-only blocks show their HTML as text): the form shows the body as readers get it,
    in order, with the paywall break marked."""
    journalist = member_of("Journalist")
    article = make_article(
        status="review",
        created_by=journalist,
        blocks=[
            ("text", "<p>The council froze <strong>fares</strong>.</p>"),
            ("break",),
            ("quote", "We were not asked.", "A ferry user"),
            ("text", "<p>They stay at £4.20.</p>"),
        ],
    )
    client.force_login(journalist)

    page = client.get(change_url(article)).content.decode()

    body = page[page.index('class="article-body') :]
    assert "<p>The council froze <strong>fares</strong>.</p>" in body
    assert "&lt;p&gt;" not in page  # no block shown as its HTML source
    order = [
        body.index(text)
        for text in ["The council froze", "Paywall break", "We were not asked.", "£4.20"]
    ]
    assert order == sorted(order)
    assert "articles_textblock_set-0" not in page  # no read-only block forms

    client.force_login(member_of("Editor"))
    editable = client.get(change_url(article)).content.decode()
    assert 'id="articles_textblock_set-0"' in editable and "read-only-body" not in editable


def test_the_chosen_pictures_show_beside_their_fields(editor_client):
    """The lead image and each picture block show the picture chosen: a thumbnail, its caption
    and credit, and a warning once its rights have expired."""
    lead = make_image(caption="Boats at the old quay", credit="Harbour Herald/Ann Lee")
    inline = make_image(caption="Storm over the pier", rights_expire_on=timezone.localdate())
    article = make_article(lead_image=lead, blocks=[("image", inline)])

    page = editor_client.get(change_url(article)).content.decode()

    lead_field = page[page.index('id="id_lead_image"') :]
    card = lead_field[lead_field.index('class="picture-card"') :][:1500]
    assert "Boats at the old quay" in card and "Credit: Harbour Herald/Ann Lee" in card
    assert '<img src="' in card
    block = page[page.index('id="id_articles_imageblock_set-0-image"') :]
    assert "Storm over the pier" in block[block.index('class="picture-card"') :][:1500]
    assert "media/picture_card.js" in page


def test_who_may_only_read_the_article_sees_its_lead_picture_too(client):
    lead = make_image(caption="Boats at the old quay", credit="Harbour Herald/Ann Lee")
    article = make_article(lead_image=lead)
    client.force_login(make_staff("articles.view_article"))

    page = client.get(change_url(article)).content.decode()

    assert 'id="id_lead_image"' not in page  # nothing to choose
    lead_field = page[page.index("field-lead_image_card") :][:2000]
    assert "Boats at the old quay" in lead_field and '<img src="' in lead_field


def test_the_card_of_a_picture_is_for_who_may_see_pictures(client):
    picture = make_image(caption="Boats at the old quay")
    card_url = f"/admin/media/image/{picture.pk}/card/"
    client.force_login(make_staff("media.view_image"))
    assert "Boats at the old quay" in client.get(card_url).content.decode()
    assert client.get("/admin/media/image/999999/card/").status_code == 404
    client.force_login(make_staff("articles.view_article"))
    assert client.get(card_url).status_code == 403


def test_links_offer_live_articles_by_headline_and_nothing_else(client, settings):
    settings.NEWSROOM_SITE_URL = "https://news.example"
    links = reverse("admin:articles_article_links")
    live = make_article(headline="Harbour plans approved", slug="harbour-plans-approved")
    make_article(headline="Harbour plans drafted", status="draft")
    client.force_login(make_staff("articles.view_article"))
    found = client.get(links, {"q": "harbour PLANS"}).json()["results"]
    assert [(r["headline"], r["url"]) for r in found] == [
        (live.headline, "https://news.example/articles/harbour-plans-approved/")
    ]
    assert client.get(links, {"q": ""}).json() == {"results": []}
    client.force_login(make_staff())
    assert client.get(links, {"q": "harbour"}).status_code == 403
    client.logout()  # readers: the admin's log-in, and no headline
    answer = client.get(links, {"q": "harbour"})
    assert answer.status_code == 302 and b"Harbour" not in answer.content


def test_an_article_published_in_the_hour_the_clocks_go_back_saves_as_it_was(editor_client):
    # 01:30 on 25 October 2026 happens twice in London: at 00:30 and at 01:30 UTC. The form
    # shows the time as it reads on the clock, and must read it back as the same instant.
    for instant in ["2026-10-25T00:30:00+00:00", "2026-10-25T01:30:00+00:00"]:
        published = datetime.fromisoformat(instant)
        article = make_article(published_at=published)
        data = change_form_data(editor_client, article, headline="Clocks go back tonight")

        response = editor_client.post(change_url(article), data)

        assert response.status_code == 302, response.context["adminform"].form.errors
        article.refresh_from_db()
        assert (article.headline, article.published_at) == ("Clocks go back tonight", published)


@pytest.mark.parametrize(
    ("day", "clock", "said"),
    [
        ("2026-10-25", "01:30:00", "01:30 on 25 October 2026 happens twice in Europe/London"),
        ("2027-03-28", "01:30:00", "01:30 on 28 March 2027 does not happen in Europe/London"),
        ("2026-12-24", "25:99", "Enter a valid time."),
        ("", "09:00", "Enter a valid date."),
    ],
)
def test_a_time_the_clock_cannot_read_is_refused_saying_why(editor_client, day, clock, said):
    article = make_article(status="draft", headline="Clocks go back tonight")
    data = change_form_data(
        editor_client,
        article,
        status="published",
        published_at_0=day,
        published_at_1=clock,
    )

    response = editor_client.post(change_url(article), data)

    assert response.status_code == 400
    assert said in response.context["adminform"].form.errors["published_at"][0]
    assert f'value="{clock}"' in response.content.decode()  # what was typed stays
    article.refresh_from_db()
    assert article.status == "draft"
