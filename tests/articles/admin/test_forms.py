"""The article form's publishing times: typed in the site's zone, said in it and in UTC."""

from datetime import timedelta

import pytest
from django.contrib.admin.models import LogEntry
from django.utils import timezone

from articles.models import Article
from tests.articles.admin.posting import change_form_data, change_url
from tests.factories import make_article

pytestmark = pytest.mark.django_db


def local_inputs(name, moment):
    moment = timezone.localtime(moment)
    return {f"{name}_0": moment.strftime("%Y-%m-%d"), f"{name}_1": moment.strftime("%H:%M:%S")}


def test_each_time_says_its_zone_and_the_saved_time_in_utc(editor_client, settings):
    settings.TIME_ZONE = "Europe/London"
    article = make_article(published_at=timezone.make_aware(timezone.datetime(2026, 7, 3, 9, 0)))

    html = editor_client.get(change_url(article)).content.decode()

    assert "Saved: Friday 3 July 2026, 09:00 Europe/London (08:00 UTC)." in html
    assert "Type it in Europe/London, the site's time zone (TIME_ZONE)" in html
    for label in ["Publish date", "Publish time", "Unpublish date", "Unpublish time"]:
        assert f'aria-label="{label} (Europe/London)"' in html


def test_an_editor_sets_an_unpublish_time_through_the_form(editor_client):
    article = make_article()
    at = (timezone.now() + timedelta(days=3)).replace(second=0, microsecond=0)
    data = change_form_data(editor_client, article, **local_inputs("unpublish_at", at))

    assert editor_client.post(change_url(article), data).status_code == 302

    article.refresh_from_db()
    assert article.unpublish_at == at and article.is_live
    assert LogEntry.objects.get().get_change_message().startswith("Unpublish scheduled for ")


@pytest.mark.parametrize(
    ("unpublish_in", "message"),
    [
        (timedelta(minutes=-5), "An unpublish time must be in the future"),
        (timedelta(days=1), "The unpublish time must be after the publish time"),
    ],
    ids=["past", "before going live"],
)
def test_an_impossible_unpublish_time_is_a_form_error_that_keeps_what_was_typed(
    editor_client, unpublish_in, message
):
    article = make_article(status=Article.Status.DRAFT)
    goes_live = timezone.now() + timedelta(days=2)
    data = change_form_data(
        editor_client,
        article,
        headline="Ferry fares: typed and kept",
        status="published",
        **local_inputs("published_at", goes_live),
        **local_inputs("unpublish_at", timezone.now() + unpublish_in),
    )

    response = editor_client.post(change_url(article), data)

    assert response.status_code == 400
    html = response.content.decode()
    assert message in html and 'value="Ferry fares: typed and kept"' in html
    article.refresh_from_db()
    assert (article.status, article.unpublish_at) == ("draft", None)
    assert not LogEntry.objects.exists()
