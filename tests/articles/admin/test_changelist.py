"""The article list: its columns, who has each article, and its filter by state."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.articles.admin.posting import (
    CHANGELIST_URL,
    in_review,
    member_of,
)
from tests.factories import make_article, make_image, make_staff

pytestmark = pytest.mark.django_db


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


def test_each_row_of_the_article_list_has_one_named_link(editor_client):
    """A link around a picture with empty alt text has no name for a screen reader (axe)."""

    from tests.factories import make_image

    make_article(headline="Harbour story", lead_image=make_image())
    html = editor_client.get(reverse("admin:articles_article_changelist")).content.decode()
    assert not re.search(r"<a [^>]*>\s*<img[^>]*alt=\"\"[^>]*>\s*</a>", html)
    assert ">Harbour story</a>" in html


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
