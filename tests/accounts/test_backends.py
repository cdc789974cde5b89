"""The user kept in the cache for logged-in pages (`accounts.backends`): never kept past a change
that ends a session or a reader's access, and never with the password's hash."""

import pytest
from django.core.cache import caches
from django.test import Client
from django.urls import reverse

from accounts.backends import USER, KeptUserBackend
from accounts.models import User
from subscriptions.models import Subscription
from tests.factories import make_article, paragraphs
from tests.readers import BEYOND, logged_in, reads_in_full
from tests.subscriptions.factories import PASSWORD, make_reader, make_subscription

pytestmark = pytest.mark.django_db


@pytest.fixture
def article():
    return make_article(
        access="subscribers",
        blocks=[("text", paragraphs(3)), ("break",), ("text", f"<p>{BEYOND}</p>")],
    )


def test_a_subscribers_page_makes_no_query_once_the_reader_is_kept(
    article, django_assert_num_queries
):
    client = logged_in(make_subscription(user=make_reader()).user)
    assert reads_in_full(client, article)

    with django_assert_num_queries(0):
        assert reads_in_full(client, article)


def test_a_changed_password_ends_the_readers_other_sessions(article):
    user = make_subscription(user=make_reader()).user
    here, elsewhere = logged_in(user), logged_in(user)
    assert reads_in_full(here, article) and reads_in_full(elsewhere, article)

    response = here.post(
        reverse("password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "a-new-pass-2026",
            "new_password2": "a-new-pass-2026",
        },
    )

    assert response.status_code == 302
    assert reads_in_full(here, article)  # the session that changed it stays logged in
    assert not reads_in_full(elsewhere, article)
    assert "_auth_user_id" not in elsewhere.session


def test_logging_out_ends_the_session_for_whoever_kept_its_cookie(article):
    client = logged_in(make_subscription(user=make_reader()).user)
    assert reads_in_full(client, article)
    stolen = Client()
    stolen.cookies = client.cookies.__class__(client.cookies)

    client.post(reverse("logout"))

    assert not reads_in_full(client, article)
    assert not reads_in_full(stolen, article)


def test_a_deactivated_reader_is_logged_out_at_the_next_page(article):
    user = make_subscription(user=make_reader()).user
    client = logged_in(user)
    assert reads_in_full(client, article)

    user.is_active = False
    user.save()

    assert not reads_in_full(client, article)


def test_a_deleted_reader_is_logged_out_at_the_next_page(
    article, django_capture_on_commit_callbacks
):
    user = make_subscription(user=make_reader()).user
    client = logged_in(user)
    assert reads_in_full(client, article)

    with django_capture_on_commit_callbacks(execute=True):  # deletion is atomic: on commit
        user.delete()

    assert not reads_in_full(client, article)


def test_a_subscription_that_ends_shows_the_preview_on_the_next_page(article):
    subscription = make_subscription(user=make_reader())
    client = logged_in(subscription.user)
    assert reads_in_full(client, article)

    subscription.status = Subscription.Status.EXPIRED
    subscription.save()

    page = client.get(article.get_absolute_url()).content.decode()
    assert BEYOND not in page
    assert "Paragraph 1 of the story" in page  # still logged in, shown the preview


def test_a_row_read_before_a_change_commits_never_replaces_the_changed_one():
    user = make_reader()
    backend = KeptUserBackend()
    backend.get_user(user.pk)  # kept
    read_before_the_change = USER.load(user.pk)

    user.name = "Changed"
    user.save()  # on commit: the kept row is the committed one
    # What a request that read the row just before the commit does with it: refused.
    caches["kept"].add(USER.key(user.pk), read_before_the_change, timeout=60)

    assert backend.get_user(user.pk).name == "Changed"


def test_what_is_kept_of_a_user_holds_no_password_hash_and_saves_no_password(article):
    user = make_subscription(user=make_reader()).user
    client = logged_in(user)
    assert reads_in_full(client, article)  # the user is kept

    kept = caches["kept"].get(USER.key(user.pk))
    assert "password" not in kept["fields"]
    assert user.password not in repr(kept)
    # A kept user saved by a page saves the fields it has, never an empty password.
    reader = KeptUserBackend().get_user(user.pk)
    reader.name = "A new name"
    reader.save()
    fresh = User.objects.get(pk=user.pk)
    assert fresh.name == "A new name" and fresh.check_password(PASSWORD)
