"""The roles table of the README ("Roles and review"), walked over HTTP against the admin.

Each row is an action on an article in one state, done as a journalist on their own article, as
a journalist on someone else's, and as an editor. Allowed: the change happened. 403: refused,
and the database is as it was. Unchanged: not offered, or refused with a message or a form
error (never a 500), and the database is as it was.
"""

from datetime import timedelta

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.models import LogEntry
from django.utils import timezone

from articles.models import Article
from tests.articles.admin.posting import CHANGELIST_URL, change_form_data, change_url, member_of
from tests.factories import make_article

pytestmark = pytest.mark.django_db

OK, FORBIDDEN, UNCHANGED = "allowed", "403", "unchanged"
WHO = ["journalist-own", "journalist-other", "editor"]
STATES = ["draft", "review", "scheduled", "published"]
PUBLISHING = (
    "status",
    "access",
    "published_at_0",
    "published_at_1",
    "published_at_2",
    "unpublish_at_0",
    "unpublish_at_1",
    "unpublish_at_2",
    "send_back_note",
)

# action: {state: (journalist on their own, journalist on another's, editor)}
TABLE = {
    "edit": {
        "draft": (OK, FORBIDDEN, OK),
        "review": (FORBIDDEN, FORBIDDEN, OK),
        "scheduled": (FORBIDDEN, FORBIDDEN, OK),
        "published": (FORBIDDEN, FORBIDDEN, OK),
    },
    "submit for review": {
        "draft": (OK, FORBIDDEN, OK),
        "review": (FORBIDDEN, FORBIDDEN, UNCHANGED),
        "scheduled": (FORBIDDEN, FORBIDDEN, UNCHANGED),
        "published": (FORBIDDEN, FORBIDDEN, UNCHANGED),
    },
    "send back": {
        "draft": (FORBIDDEN, FORBIDDEN, UNCHANGED),
        "review": (FORBIDDEN, FORBIDDEN, OK),
        "scheduled": (FORBIDDEN, FORBIDDEN, UNCHANGED),
        "published": (FORBIDDEN, FORBIDDEN, UNCHANGED),
    },
    "publish": {state: (FORBIDDEN, FORBIDDEN, OK) for state in STATES},
    "schedule": {
        "draft": (FORBIDDEN, FORBIDDEN, OK),
        "review": (FORBIDDEN, FORBIDDEN, OK),
        "scheduled": (FORBIDDEN, FORBIDDEN, OK),
        "published": (FORBIDDEN, FORBIDDEN, OK),
    },
    "unpublish": {
        "draft": (FORBIDDEN, FORBIDDEN, UNCHANGED),
        "review": (FORBIDDEN, FORBIDDEN, UNCHANGED),
        "scheduled": (FORBIDDEN, FORBIDDEN, OK),
        "published": (FORBIDDEN, FORBIDDEN, OK),
    },
    "change access": {state: (FORBIDDEN, FORBIDDEN, OK) for state in STATES},
    "list: submit for review": {
        "draft": (OK, UNCHANGED, OK),
        **{state: (UNCHANGED, UNCHANGED, UNCHANGED) for state in STATES[1:]},
    },
    "list: publish now": {
        "draft": (UNCHANGED, UNCHANGED, OK),
        "review": (UNCHANGED, UNCHANGED, OK),
        "scheduled": (UNCHANGED, UNCHANGED, UNCHANGED),
        "published": (UNCHANGED, UNCHANGED, UNCHANGED),
    },
    "list: unpublish": {
        "draft": (UNCHANGED, UNCHANGED, UNCHANGED),
        "review": (UNCHANGED, UNCHANGED, UNCHANGED),
        "scheduled": (UNCHANGED, UNCHANGED, OK),
        "published": (UNCHANGED, UNCHANGED, OK),
    },
}

ROWS = [
    pytest.param(action, state, who, outcome, id=f"{action}-{state}-{who}")
    for action, states in TABLE.items()
    for state, outcomes in states.items()
    for who, outcome in zip(WHO, outcomes, strict=True)
]


@pytest.fixture
def newsroom():
    return {
        "journalist": member_of("Journalist"),
        "colleague": member_of("Journalist"),
        "editor": member_of("Editor"),
    }


def article_in(state, *, owner):
    """A complete article, ready to publish, in `state`, owned by `owner`."""
    status = {"draft": "draft", "review": "review"}.get(state, "published")
    at = {
        "scheduled": timezone.now() + timedelta(days=2),
        "published": timezone.now() - timedelta(days=1),
    }.get(state)
    return make_article(
        status=status, published_at=at, created_by=owner, access=Article.Access.METERED
    )


def snapshot(article):
    article = Article.objects.get(pk=article.pk)
    return (
        article.headline,
        article.status,
        # The form shows the publish time to the second, and saves what it shows.
        article.published_at and article.published_at.replace(microsecond=0),
        article.access,
        article.review_note,
    )


def form_post(editor_client, client, article, *, journalist, **changes):
    """POST the change form as `client`, with what its form would send: an editor's form
    minus the publishing fields for a journalist (they see those read-only)."""
    data = change_form_data(editor_client, article, **changes)
    if journalist:
        forged = {name for name in changes if name.startswith(PUBLISHING)}
        data = {
            name: value
            for name, value in data.items()
            if name in forged or not name.startswith(PUBLISHING)
        }
    return client.post(change_url(article), data)


def later():
    return timezone.localtime() + timedelta(days=3)


ACTIONS = {
    "edit": lambda post, article: post(headline="Changed by the test"),
    "submit for review": lambda post, article: post(_submit_for_review="1"),
    "send back": lambda post, article: post(_send_back="1", send_back_note="Needs a source."),
    "publish": lambda post, article: post(status="published", published_at_0="", published_at_1=""),
    "schedule": lambda post, article: post(
        status="published",
        published_at_0=later().strftime("%Y-%m-%d"),
        published_at_1=later().strftime("%H:%M:%S"),
    ),
    "unpublish": lambda post, article: post(status="draft"),
    "change access": lambda post, article: post(access="free"),
}
LIST_ACTIONS = {
    "list: submit for review": "submit_for_review",
    "list: publish now": "publish_now",
    "list: unpublish": "unpublish",
}

EXPECTED = {  # what "allowed" leaves behind
    "edit": lambda a: a.headline == "Changed by the test",
    "submit for review": lambda a: a.status == "review",
    "send back": lambda a: a.status == "draft" and a.review_note == "Needs a source.",
    "publish": lambda a: a.is_live,
    "schedule": lambda a: a.is_scheduled and a.published_at > timezone.now() + timedelta(days=2),
    "unpublish": lambda a: a.status == "draft",
    "change access": lambda a: a.access == "free",
    "list: submit for review": lambda a: a.status == "review",
    "list: publish now": lambda a: a.is_live,
    "list: unpublish": lambda a: a.status == "draft",
}


@pytest.mark.parametrize(("action", "state", "who", "outcome"), ROWS)
def test_the_roles_table(client, django_user_model, newsroom, action, state, who, outcome):
    from django.test import Client

    owner = newsroom["colleague"] if who == "journalist-other" else newsroom["journalist"]
    article = article_in(state, owner=owner)
    user = newsroom["editor"] if who == "editor" else newsroom["journalist"]
    editor_client = Client()
    editor_client.force_login(newsroom["editor"])
    client.force_login(user)
    before = snapshot(article)
    logged = LogEntry.objects.count()

    if action in LIST_ACTIONS:
        response = client.post(
            CHANGELIST_URL,
            {"action": LIST_ACTIONS[action], ACTION_CHECKBOX_NAME: [article.pk], "index": "0"},
        )
    else:

        def post(**changes):
            return form_post(editor_client, client, article, journalist=who != "editor", **changes)

        response = ACTIONS[action](post, article)

    after = Article.objects.get(pk=article.pk)
    if outcome == OK:
        assert response.status_code == 302, response.content.decode()[:2000]
        assert EXPECTED[action](after)
        return
    if outcome == FORBIDDEN:
        assert response.status_code == 403
    else:
        assert response.status_code in (200, 302, 400)
    assert snapshot(after) == before
    assert LogEntry.objects.count() == logged


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("who", WHO)
def test_everyone_reads_every_article_but_edits_only_what_the_table_allows(
    client, newsroom, state, who
):
    owner = newsroom["colleague"] if who == "journalist-other" else newsroom["journalist"]
    article = article_in(state, owner=owner)
    client.force_login(newsroom["editor"] if who == "editor" else newsroom["journalist"])

    response = client.get(change_url(article))

    assert response.status_code == 200
    editable = TABLE["edit"][state][WHO.index(who)] == OK
    assert ('name="_save"' in response.content.decode()) == editable
    assert (article.headline in response.content.decode()) is True
