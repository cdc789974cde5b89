import re
from datetime import timedelta
from html.parser import HTMLParser

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone

from articles.events import ArticleChange
from articles.models import Article, ImageBlock, TextBlock
from media.models import Image
from tests.factories import make_article, make_author, make_image, make_section, make_staff

pytestmark = pytest.mark.django_db

ADD_URL = reverse("admin:articles_article_add")
CHANGELIST_URL = reverse("admin:articles_article_changelist")


def change_url(article):
    return reverse("admin:articles_article_change", args=[article.pk])


INLINE_PREFIXES = [
    "bylines",
    "articles_textblock_set",
    "articles_imageblock_set",
    "articles_quoteblock_set",
    "articles_paywallbreak_set",
]


def article_form_data(
    *, status="published", section=None, author=None, texts=(), images=(), breaks=(), **fields
):
    """Return what the admin's add form posts: the article's fields and its inline formsets."""
    data = {
        "headline": "Ferry fares frozen for a year",
        "slug": "ferry-fares-frozen",
        "standfirst": "Commuters win a reprieve.",
        "section": section.pk if section else "",
        "status": status,
        "access": "metered",
        "published_at_0": "",
        "published_at_1": "",
        "lead_image": "",
        "lead_caption": "",
        "lead_credit": "",
        "lead_alt_text": "",
        "seo_description": "",
        **fields,
    }
    rows = {
        "bylines": [{"author": author.pk, "order": 0}] if author else [],
        "articles_textblock_set": [
            {"text": text, "region": "body", "ordering": ordering} for ordering, text in texts
        ],
        "articles_imageblock_set": [
            {
                "image": image.pk,
                "caption": "",
                "credit": "",
                "alt_text": alt,
                "layout": "standard",
                "region": "body",
                "ordering": ordering,
            }
            for ordering, image, alt in images
        ],
        "articles_quoteblock_set": [],
        "articles_paywallbreak_set": [
            {"region": "body", "ordering": ordering} for ordering in breaks
        ],
    }
    for prefix in INLINE_PREFIXES:
        forms = rows[prefix]
        data |= {
            f"{prefix}-TOTAL_FORMS": len(forms),
            f"{prefix}-INITIAL_FORMS": 0,
            f"{prefix}-MIN_NUM_FORMS": 0,
            f"{prefix}-MAX_NUM_FORMS": 1000,
        }
        for index, form in enumerate(forms):
            data |= {f"{prefix}-{index}-{name}": value for name, value in form.items()}
    return data


class _FormReader(HTMLParser):
    """Read a page's form fields the way a browser posts them back."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.data = {}
        self._select = self._textarea = None

    def _add(self, name, value):
        self.data.setdefault(name, []).append(value)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        name = attrs.get("name")
        kind = attrs.get("type", "text")
        if tag == "input" and name and kind not in ("submit", "button", "file"):
            if kind not in ("checkbox", "radio") or "checked" in attrs:
                self._add(name, attrs.get("value") or ("on" if kind == "checkbox" else ""))
        elif tag == "select":
            self._select = name
        elif tag == "option" and self._select and "selected" in attrs:
            self._add(self._select, attrs.get("value", ""))
        elif tag == "textarea" and name:
            self._textarea = name
            self._add(name, "")

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._textarea:
            text = self.data[self._textarea][-1] + data
            self.data[self._textarea][-1] = text.removeprefix("\n")  # as browsers do


def change_form_data(client, article, **changes):
    """Return what the article's change form posts when saved with `changes` typed in."""
    reader = _FormReader()
    reader.feed(client.get(change_url(article)).content.decode())
    return {**reader.data, "_save": "Save", **changes}


@pytest.fixture
def editor_client(client, staff_user):
    client.force_login(staff_user)
    return client


JOURNALIST = [
    f"articles.{action}_{model}"
    for model in ["article", "textblock", "imageblock", "quoteblock", "paywallbreak", "byline"]
    for action in ["add", "change", "view"]
]


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


def test_article_list_shows_the_newsroom_columns(editor_client, django_assert_max_num_queries):
    journalist = make_staff(name="Maren Holt")
    for _ in range(3):
        make_article(lead_image=make_image(), created_by=journalist)
    make_article(status="draft", created_by=journalist, headline="Levy draft")
    with django_assert_max_num_queries(14):
        response = editor_client.get(reverse("admin:articles_article_changelist"))
    html = response.content.decode()
    for column in ["Headline", "State", "With", "Section", "Byline", "Access", "Time"]:
        assert f">{column}</a>" in html or f">{column}</span>" in html, column
    assert ">Maren Holt</td>" in html  # who has the draft


def test_publish_now_action_refuses_an_incomplete_draft(editor_client):
    incomplete = make_article(status="draft", authors=[], published_at=None)
    response = editor_client.post(
        reverse("admin:articles_article_changelist"),
        {"action": "publish_now", "_selected_action": [incomplete.pk]},
        follow=True,
    )
    assert "was not published" in response.content.decode()
    incomplete.refresh_from_db()
    assert incomplete.status == "draft"


def test_the_change_form_links_to_a_preview_as_each_kind_of_reader(editor_client):
    article = make_article(status="draft", published_at=None)
    html = editor_client.get(
        reverse("admin:articles_article_change", args=[article.pk])
    ).content.decode()
    for persona in ["subscriber", "reads-left", "out-of-reads", "registered-out-of-reads"]:
        assert (
            f'href="{reverse("admin:articles_article_preview", args=[article.pk, persona])}"'
            in html
        )
    assert "?as=public" not in html
    assert reverse("admin:articles_article_share_links", args=[article.pk]) in html


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


@pytest.mark.parametrize(
    "permissions",
    [["articles.view_article"], ["articles.view_article", "articles.change_article"]],
    ids=["view-only", "may-edit-but-not-publish"],
)
@pytest.mark.parametrize(
    ("action", "status"), [("publish_now", "draft"), ("unpublish", "published")]
)
def test_staff_who_may_not_publish_can_neither_publish_nor_unpublish(
    client, permissions, action, status
):
    article = make_article(status=status)
    client.force_login(make_staff(*permissions))

    changelist = client.get(CHANGELIST_URL).content.decode()
    forged = client.post(
        CHANGELIST_URL, {"action": action, ACTION_CHECKBOX_NAME: [article.pk], "index": "0"}
    )

    assert f'value="{action}"' not in changelist  # not offered
    # Django runs only the actions this account may run: the forged one is not one of them
    # (with no action of its own the list is shown again; else "No action selected").
    assert forged.status_code in (200, 302)
    article.refresh_from_db()
    assert article.status == status
    assert not LogEntry.objects.exists()


def test_an_editor_unpublishes_from_the_list_and_it_is_logged(client):
    editor = make_staff("articles.view_article", "articles.publish_article")
    article = make_article(headline="Pulled story")
    client.force_login(editor)

    response = client.post(
        CHANGELIST_URL,
        {"action": "unpublish", ACTION_CHECKBOX_NAME: [article.pk], "index": "0"},
        follow=True,
    )

    assert "1 article(s) are drafts again." in response.content.decode()
    article.refresh_from_db()
    assert article.status == "draft"
    assert LogEntry.objects.get().get_change_message() == "Unpublished"


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


def member_of(group_name):
    user = make_staff()
    user.groups.add(Group.objects.get(name=group_name))
    return user


def test_a_journalist_writes_but_cannot_publish_and_an_editor_can(client):
    journalist = member_of("Journalist")
    article = make_article(status="draft", headline="Harbour reopens", created_by=journalist)
    publish = {"action": "publish_now", ACTION_CHECKBOX_NAME: [article.pk], "index": "0"}

    client.force_login(journalist)
    data = change_form_data(client, article, standfirst="Boats are back.")
    assert client.post(change_url(article), data).status_code == 302
    client.post(CHANGELIST_URL, publish)
    forged = change_form_data(client, article, status="published")
    assert client.post(change_url(article), forged).status_code == 403
    article.refresh_from_db()
    assert article.standfirst == "Boats are back." and article.status == "draft"

    client.force_login(member_of("Editor"))
    response = client.post(CHANGELIST_URL, publish, follow=True)
    assert "Published 1 article(s)." in response.content.decode()
    article.refresh_from_db()
    assert article.is_live


def test_each_row_of_the_article_list_has_one_named_link(editor_client):
    """A link around a picture with empty alt text has no name for a screen reader (axe)."""
    import re

    from tests.factories import make_image

    make_article(headline="Harbour story", lead_image=make_image())
    html = editor_client.get(reverse("admin:articles_article_changelist")).content.decode()
    assert not re.search(r"<a [^>]*>\s*<img[^>]*alt=\"\"[^>]*>\s*</a>", html)
    assert ">Harbour story</a>" in html


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


# Review: the buttons on the change form, the note, and the list's states.


def test_a_journalist_submits_from_the_form_and_the_editors_have_it(client):
    journalist = member_of("Journalist")
    article = make_article(status="draft", created_by=journalist, headline="Harbour reopens")
    client.force_login(journalist)
    form = client.get(change_url(article)).content.decode()
    assert 'name="_submit_for_review"' in form

    data = change_form_data(client, article, standfirst="Boats are back.")
    data.pop("_save")
    response = client.post(change_url(article), {**data, "_submit_for_review": "1"}, follow=True)

    html = response.content.decode()
    assert "“Harbour reopens” is saved and submitted for review" in html
    article.refresh_from_db()
    assert article.status == "review" and article.standfirst == "Boats are back."
    # Now the editors': read-only for its journalist, who is told why.
    form = client.get(change_url(article)).content.decode()
    assert 'name="_save"' not in form and 'name="_submit_for_review"' not in form
    assert "You can read it but not change it until an editor publishes it" in form


def test_an_incomplete_draft_submitted_from_the_form_is_kept_and_what_it_lacks_named(client):
    journalist = member_of("Journalist")
    article = make_article(status="draft", created_by=journalist, authors=[])
    client.force_login(journalist)
    data = change_form_data(client, article, headline="Levy on empty homes")
    data.pop("_save")

    response = client.post(change_url(article), {**data, "_submit_for_review": "1"}, follow=True)

    assert response.redirect_chain[-1][0] == change_url(article)  # back to the form
    html = response.content.decode()
    assert "“Levy on empty homes” was not submitted for review" in html
    assert "at least one author in the byline" in html and "Everything you typed is saved" in html
    article.refresh_from_db()
    assert article.status == "draft" and article.headline == "Levy on empty homes"


def test_an_editor_publishes_an_article_in_review_with_one_button(client, staff_user):
    journalist = member_of("Journalist")
    article = make_article(status="draft", created_by=journalist, headline="Harbour reopens")
    Article.objects.filter(pk=article.pk).update(status="review")
    client.force_login(staff_user)
    assert 'name="_publish"' in client.get(change_url(article)).content.decode()

    data = change_form_data(client, article, standfirst="Boats are back at last.")
    data.pop("_save")
    response = client.post(change_url(article), {**data, "_publish": "1"}, follow=True)

    article.refresh_from_db()
    assert article.status == "published" and article.is_live
    assert article.standfirst == "Boats are back at last."
    assert "is published: readers see it now" in response.content.decode()


def test_save_and_publish_with_a_future_time_schedules(client, staff_user):
    article = make_article(status="draft", headline="Harbour reopens")
    client.force_login(staff_user)
    later = timezone.localtime() + timedelta(days=2)
    data = change_form_data(
        client,
        article,
        published_at_0=later.strftime("%Y-%m-%d"),
        published_at_1=later.strftime("%H:%M:%S"),
    )
    data.pop("_save")

    client.post(change_url(article), {**data, "_publish": "1"})

    article.refresh_from_db()
    assert article.is_scheduled and not article.is_live


def test_a_journalist_cannot_publish_with_the_editors_button(client):
    journalist = member_of("Journalist")
    article = make_article(status="draft", created_by=journalist, headline="Harbour reopens")
    client.force_login(journalist)
    form = client.get(change_url(article)).content.decode()
    assert 'name="_publish"' not in form

    data = change_form_data(client, article, headline="Published by a forged button")
    data.pop("_save")
    response = client.post(change_url(article), {**data, "_publish": "1"})

    assert response.status_code == 403
    article.refresh_from_db()
    assert article.status == "draft" and article.headline == "Harbour reopens"


def in_review(journalist):
    article = make_article(status="draft", created_by=journalist, headline="Ferry fares rise")
    Article.objects.filter(pk=article.pk).update(status="review")
    article.refresh_from_db()
    return article


def test_the_journalist_sees_the_editors_note_on_the_form_and_in_the_list(client):
    journalist, editor = member_of("Journalist"), member_of("Editor")
    editor.name = "Nadia Brookfield"
    editor.save()
    article = in_review(journalist)
    client.force_login(editor)
    form = client.get(change_url(article)).content.decode()
    assert 'name="_send_back"' in form and 'name="send_back_note"' in form

    data = change_form_data(client, article, send_back_note="Needs the council's reply.")
    data.pop("_save")
    response = client.post(change_url(article), {**data, "_send_back": "1"}, follow=True)
    assert "is saved and sent back to" in response.content.decode()

    client.force_login(journalist)
    form = client.get(change_url(article)).content.decode()
    assert "Sent back by Nadia Brookfield" in form
    assert "Needs the council&#x27;s reply." in form
    assert 'name="_save"' in form and 'name="_submit_for_review"' in form  # theirs again
    listing = client.get(CHANGELIST_URL + "?state=sent-back").content.decode()
    assert ">Ferry fares rise</a>" in listing
    assert "Sent back" in listing and "Needs the council&#x27;s reply." in listing


def test_sending_back_without_a_note_is_a_form_error_that_keeps_what_was_typed(client):
    article = in_review(member_of("Journalist"))
    client.force_login(member_of("Editor"))
    data = change_form_data(client, article, headline="Ferry fares rise by a fifth")
    data.pop("_save")

    response = client.post(change_url(article), {**data, "_send_back": "1", "send_back_note": " "})

    assert response.status_code == 400
    html = response.content.decode()
    assert "Write a note for the journalist" in html
    assert 'value="Ferry fares rise by a fifth"' in html
    article.refresh_from_db()
    assert article.status == "review" and article.headline == "Ferry fares rise"
    assert not LogEntry.objects.exists()


def test_an_editor_cannot_take_an_article_out_of_review_without_a_note(client):
    article = in_review(member_of("Journalist"))
    client.force_login(member_of("Editor"))

    response = client.post(change_url(article), change_form_data(client, article, status="draft"))

    assert response.status_code == 400
    assert "write a note under “Send back to the journalist”" in response.content.decode()
    article.refresh_from_db()
    assert article.status == "review"


def test_the_list_filters_by_state_and_says_who_has_each_article(client):
    journalist = member_of("Journalist")
    journalist.name = "Maren Holt"
    journalist.save()
    made = {
        "draft": make_article(status="draft", created_by=journalist, headline="A draft"),
        "review": in_review(journalist),
        "scheduled": make_article(
            headline="A scheduled one", published_at=timezone.now() + timedelta(hours=5)
        ),
        "published": make_article(headline="A live one"),
    }
    client.force_login(member_of("Editor"))

    def listed(state):
        html = client.get(f"{CHANGELIST_URL}?state={state}").content.decode()
        return {name for name, article in made.items() if f">{article.headline}</a>" in html}

    assert listed("draft") == {"draft"}
    assert listed("review") == {"review"}
    assert listed("scheduled") == {"scheduled"}
    assert listed("published") == {"published"}
    html = client.get(CHANGELIST_URL).content.decode()
    for state in ["Draft", "In review", "Scheduled", "Published"]:
        assert f">{state}</a>" in html  # a choice of the State filter
    assert ">Maren Holt</td>" in html and ">Editors</td>" in html


def test_a_journalist_adds_an_article_it_is_theirs_and_may_go_straight_to_review(client):
    journalist = member_of("Journalist")
    client.force_login(journalist)
    assert 'name="_submit_for_review"' in client.get(ADD_URL).content.decode()
    data = article_form_data(
        section=make_section(), author=make_author(), texts=[(10, "<p>The ferry is back.</p>")]
    )
    for name in ["status", "access", "published_at_0", "published_at_1"]:
        data.pop(name)

    response = client.post(ADD_URL, {**data, "_submit_for_review": "1"}, follow=True)

    assert "is saved and submitted for review" in response.content.decode()
    article = Article.objects.get()
    assert article.created_by == journalist and article.status == "review"


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


def test_a_journalist_reading_their_live_article_is_told_how_to_change_it(client):
    journalist = member_of("Journalist")
    article = make_article(created_by=journalist)
    client.force_login(journalist)

    page = client.get(change_url(article)).content.decode()

    assert "To change it, use “Prepare changes”" in page
    colleague = make_article(created_by=member_of("Journalist"))
    assert "Prepare changes" not in client.get(change_url(colleague)).content.decode()


def test_scheduling_says_when_the_article_goes_live_and_the_form_keeps_saying_it(client):
    editor = member_of("Editor")
    article = make_article(status="review", created_by=member_of("Journalist"))
    at = timezone.localtime() + timedelta(days=1)
    client.force_login(editor)
    data = change_form_data(
        client,
        article,
        status="published",
        published_at_0=at.strftime("%Y-%m-%d"),
        published_at_1="09:00:00",
    )

    response = client.post(change_url(article), data, follow=True)

    article.refresh_from_db()
    assert article.is_scheduled
    said = f"goes live on {at:%A} {at.day} {at:%B %Y}, 09:00 Europe/London"
    assert f"“{article.headline}” is scheduled: it {said}" in response.content.decode()
    form = client.get(change_url(article)).content.decode()
    assert f"<strong>Scheduled</strong>: it {said}" in form
