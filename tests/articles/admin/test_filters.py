"""Live articles showing pictures whose rights end soon: listed, and editors are told."""

from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from articles.models import Article
from tests.articles.admin.posting import JOURNALIST
from tests.factories import make_article, make_image, make_staff

pytestmark = pytest.mark.django_db

LIST_URL = reverse("admin:articles_article_changelist")


def rights_until(days):
    return make_image(rights_expire_on=timezone.localdate() + timedelta(days=days))


@pytest.fixture
def articles():
    return {
        "lead ends in 3 days": make_article(lead_image=rights_until(3)),
        "block ended yesterday": make_article(
            blocks=[("text", "<p>One.</p>" * 4), ("image", rights_until(-1))]
        ),
        "lead ends in 30 days": make_article(lead_image=rights_until(30)),
        "draft, lead ends in 3 days": make_article(
            status=Article.Status.DRAFT, lead_image=rights_until(3)
        ),
    }


def test_the_filter_lists_published_articles_whose_picture_rights_end_within_a_week(
    client, staff_user, articles
):
    client.force_login(staff_user)

    response = client.get(LIST_URL, {"picture_rights": "ending"})

    listed = {article.pk for article in response.context["cl"].result_list}
    assert listed == {articles["lead ends in 3 days"].pk, articles["block ended yesterday"].pk}
    assert "Picture rights expire within 7 days" in response.content.decode()


def test_editors_are_warned_at_the_top_of_the_article_list(client, staff_user, articles):
    client.force_login(staff_user)

    response = client.get(LIST_URL)

    warnings = [str(m) for m in get_messages(response.wsgi_request) if m.level_tag == "warning"]
    assert len(warnings) == 1
    assert warnings[0].startswith("2 live or scheduled articles show a picture whose rights")
    assert f'href="{LIST_URL}?picture_rights=ending"' in warnings[0]
    assert "list them" in response.content.decode()


def test_the_warning_counts_no_further_than_it_says(client, staff_user):
    from articles.admin.filters import RIGHTS_WARNING_MOST

    ending = rights_until(2)
    for _ in range(RIGHTS_WARNING_MOST + 1):
        make_article(lead_image=ending)
    client.force_login(staff_user)

    response = client.get(LIST_URL)

    warnings = [str(m) for m in get_messages(response.wsgi_request) if m.level_tag == "warning"]
    assert warnings[0].startswith(
        f"More than {RIGHTS_WARNING_MOST} live or scheduled articles show a picture whose rights"
    )


def test_journalists_are_not_warned_nor_offered_the_editors_filter(client, articles):
    client.force_login(make_staff(*JOURNALIST))

    response = client.get(LIST_URL)

    assert not [m for m in get_messages(response.wsgi_request) if m.level_tag == "warning"]
    assert "picture_rights=" not in response.content.decode()  # the editors' work, not theirs


def test_editors_are_offered_the_filter(client, staff_user, articles):
    client.force_login(staff_user)

    assert "picture_rights=ending" in client.get(LIST_URL).content.decode()
