"""Page caches follow what the database says, even while a write is still being committed."""

import threading

import pytest
from django.db import connection, transaction
from django.test import Client

from articles.models import Article
from tests.factories import make_article, paragraphs

MARKER = "BEYOND-THE-CUT-7f3a"


def fetch_in_another_connection(url):
    """GET `url` from a thread: its own database connection, outside our transaction."""
    result = {}

    def read():
        try:
            result["response"] = Client().get(url)
        finally:
            connection.close()

    reader = threading.Thread(target=read)
    reader.start()
    reader.join(timeout=30)
    return result["response"]


def story(**fields):
    body = paragraphs(2) + f"<p>{MARKER} in the part for subscribers.</p>" + paragraphs(2)
    return make_article(blocks=[("text", paragraphs(2)), ("break",), ("text", body)], **fields)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_reader_during_the_commit_window_cannot_keep_an_old_access_level_cached():
    article = story(access=Article.Access.FREE)
    url = article.get_absolute_url()
    assert MARKER in Client().get(url).content.decode()  # free: the whole text, cached

    with transaction.atomic():
        article.access = Article.Access.SUBSCRIBERS
        article.save()
        # A reader arrives before the change commits: the database still says "free".
        assert MARKER in fetch_in_another_connection(url).content.decode()

    assert MARKER not in Client().get(url).content.decode()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_reader_during_the_commit_window_cannot_keep_an_unpublished_article_live():
    article = story(access=Article.Access.FREE)
    url = article.get_absolute_url()
    assert Client().get(url).status_code == 200

    with transaction.atomic():
        article.status = Article.Status.DRAFT
        article.save()
        assert fetch_in_another_connection(url).status_code == 200

    assert Client().get(url).status_code == 404


# What moves which cache --------------------------------------------------------------------


@pytest.fixture
def warm_lists(client):
    """A published article and the front page, rendered and cached."""
    from django.urls import reverse

    published = make_article(headline="Already out")
    client.get(reverse("home"))
    client.get(published.get_absolute_url())
    return published


def kept_value(kind, ident):
    from django.core.cache import caches

    return caches["kept"].get(kind.key(ident))


def listing_generation():
    from articles.site.pages import ALL, LISTINGS

    return kept_value(LISTINGS, ALL)["generation"]


def kept_head(article):
    from articles.site.pages import HEAD

    return kept_value(HEAD, article.pk)


@pytest.mark.django_db
def test_saving_a_draft_leaves_every_public_list_cached(client, warm_lists):
    before = listing_generation()
    draft = make_article(
        status=Article.Status.DRAFT,
        published_at=None,
        section=warm_lists.section,
        authors=warm_lists.byline_authors,
    )
    draft.headline = "Still working on it"
    draft.save()
    assert listing_generation() == before


@pytest.mark.django_db
def test_uploading_a_picture_nobody_shows_yet_leaves_every_page_cached(client, warm_lists):
    from tests.factories import make_image

    head = kept_head(warm_lists)
    before = listing_generation()
    make_image(caption="For next week")
    assert listing_generation() == before
    assert kept_head(warm_lists) == head  # same version: parts still valid


@pytest.mark.django_db
def test_editing_a_published_headline_moves_only_its_own_version_and_the_lists(client, warm_lists):
    other = make_article(headline="Another story")
    client.get(other.get_absolute_url())
    other_head = kept_head(other)
    before = listing_generation()
    warm_lists.headline = "Corrected headline"
    warm_lists.save()
    assert kept_head(warm_lists).headline == "Corrected headline"
    assert kept_head(other) == other_head
    assert listing_generation() != before  # cards show the headline


@pytest.mark.django_db
def test_editing_a_published_articles_body_renders_that_article_alone_again(client, warm_lists):
    """A body edit shows on the article at once, and no list or other article is rebuilt."""
    from django.urls import reverse

    from articles.models import TextBlock

    other = make_article(headline="Another story")
    client.get(other.get_absolute_url())
    client.get(reverse("home"))
    other_head, before, head = kept_head(other), listing_generation(), kept_head(warm_lists)
    block = TextBlock.objects.filter(parent=warm_lists).first()
    block.text = "<p>A sentence added on the night desk.</p>"
    block.save()
    assert kept_head(warm_lists).version != head.version  # its page is rendered again
    assert "added on the night desk" in client.get(warm_lists.get_absolute_url()).content.decode()
    assert listing_generation() == before
    assert kept_head(other) == other_head


@pytest.mark.django_db
def test_a_scheduled_article_joins_the_lists_at_its_minute_without_anyone_saving(client):
    import time
    from datetime import timedelta

    from django.urls import reverse
    from django.utils import timezone

    make_article(headline="Already out")
    going_live = timezone.now() + timedelta(seconds=1.5)
    scheduled = make_article(headline="Embargoed story", published_at=going_live)
    assert "Embargoed story" not in client.get(reverse("home")).content.decode()
    assert client.get(scheduled.get_absolute_url()).status_code == 404

    time.sleep(max(0, (going_live - timezone.now()).total_seconds()) + 0.1)

    assert "Embargoed story" in client.get(reverse("home")).content.decode()
    assert client.get(scheduled.get_absolute_url()).status_code == 200
    assert "Embargoed story" in client.get(scheduled.section.get_absolute_url()).content.decode()


@pytest.mark.django_db
def test_a_renamed_section_shows_in_every_pages_navigation_at_once(client):
    from django.urls import reverse

    from tests.factories import make_section

    section = make_section(name="Harbour")
    make_article(section=section)
    assert "Harbour" in client.get(reverse("home")).content.decode()
    section.name = "Waterfront"
    section.save()
    page = client.get(reverse("search")).content.decode()  # a page with only the shell cached
    assert "Waterfront" in page and ">Harbour<" not in page


@pytest.mark.django_db
def test_a_changed_slug_takes_the_old_address_down_at_once(client):
    from django.core.cache import cache

    article = story(access=Article.Access.FREE)
    old_url = article.get_absolute_url()
    cache.clear()  # a cache that knows nothing of the writes before (restarted, or new)
    assert MARKER in client.get(old_url).content.decode()  # its head is cached under the slug

    article.slug = "a-new-address"
    article.access = Article.Access.SUBSCRIBERS
    article.save()

    assert client.get(old_url).status_code == 404
    assert MARKER not in client.get(article.get_absolute_url()).content.decode()


@pytest.mark.django_db
def test_readers_move_no_list_while_no_scheduled_change_is_due(client):
    from datetime import timedelta

    from django.urls import reverse
    from django.utils import timezone

    make_article(headline="Already out")
    make_article(headline="Tomorrow's", published_at=timezone.now() + timedelta(days=1))
    client.get(reverse("home"))
    before = listing_generation()
    client.get(reverse("home"))
    client.get(reverse("home"))
    assert listing_generation() == before


@pytest.mark.django_db
def test_anonymous_variants_are_shared_and_follow_each_edit_and_each_decision(settings):
    from django.test import Client

    settings.NEWSROOM_METER_ANONYMOUS = 3
    article = story(access=Article.Access.METERED, headline="First headline")
    url = article.get_absolute_url()

    first, second = Client().get(url).content.decode(), Client().get(url).content.decode()
    assert first == second  # one variant, rendered once: "2 of 3 free articles left"
    assert "2 of 3 free articles left" in first and MARKER in first

    returning = Client()
    returning.get(url)
    again = returning.get(url).content.decode()  # re-reading costs nothing: another variant
    assert MARKER in again and "2 of 3" in again

    article.headline = "Corrected headline"
    article.save()
    assert "Corrected headline" in Client().get(url).content.decode()

    crawler = Client().get(url, headers={"User-Agent": "Googlebot/2.1"}).content.decode()
    assert MARKER not in crawler  # its own variant: the preview

    tagged = Client().get(url + "?utm_source=newsletter").content.decode()
    assert "next=/articles/" in tagged and "utm_source" in tagged  # rendered for its address


def _logged_in_client(user):
    reader = Client(enforce_csrf_checks=True)
    reader.force_login(user)
    return reader


def _form_token(html):
    import re

    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)


@pytest.mark.django_db
def test_logged_in_readers_share_one_rendering_each_with_their_own_csrf_token():
    from django.urls import reverse

    from tests.subscriptions.factories import make_reader, make_subscription

    article = story(access=Article.Access.SUBSCRIBERS)
    first, second = make_reader(), make_reader()
    make_subscription(user=first)
    make_subscription(user=second)
    readers = [_logged_in_client(first), _logged_in_client(second)]
    pages = [reader.get(article.get_absolute_url()) for reader in readers]
    html = [page.content.decode() for page in pages]
    assert all(MARKER in page for page in html)
    tokens = [_form_token(page) for page in html]
    assert tokens[0] != tokens[1]
    assert html[0].replace(tokens[0], "") == html[1].replace(tokens[1], "")  # one rendering
    assert "csrf-stand-in" not in html[0]
    assert all(page["Cache-Control"] == "private" for page in pages)
    # Each token is the reader's own: their log-out form works, and not with the other's.
    wrong = readers[0].post(reverse("logout"), {"csrfmiddlewaretoken": "x" * 64})
    assert wrong.status_code == 403
    for reader, token in zip(readers, tokens, strict=True):
        assert reader.post(reverse("logout"), {"csrfmiddlewaretoken": token}).status_code == 302


@pytest.mark.django_db
def test_a_shared_logged_in_rendering_never_reaches_a_reader_with_another_decision(settings):
    from tests.subscriptions.factories import make_reader, make_subscription

    settings.NEWSROOM_METER_REGISTERED = 1
    subscribers_only = story(access=Article.Access.SUBSCRIBERS)
    metered = [story(access=Article.Access.METERED) for _ in range(2)]
    subscriber, registered = make_reader(), make_reader()
    make_subscription(user=subscriber)
    subscriber_client, registered_client = (
        _logged_in_client(subscriber),
        _logged_in_client(registered),
    )
    for article in (subscribers_only, *metered):
        assert MARKER in subscriber_client.get(article.get_absolute_url()).content.decode()
    assert MARKER not in registered_client.get(subscribers_only.get_absolute_url()).content.decode()
    assert MARKER in registered_client.get(metered[0].get_absolute_url()).content.decode()
    out_of_reads = registered_client.get(metered[1].get_absolute_url()).content.decode()
    assert MARKER not in out_of_reads and "subscribe" in out_of_reads.lower()
    assert MARKER in registered_client.get(metered[0].get_absolute_url()).content.decode()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_refreshes_committing_apart_leave_the_access_of_the_last_commit(settings):
    """The refresh of an earlier commit that writes after the refresh of a later one must not
    leave the earlier access level kept: anonymous readers would read a now paid article."""
    from tests.pausing_cache import Hold, PausingCache

    backend = {"BACKEND": "tests.pausing_cache.PausingCache", "LOCATION": "refresh-race"}
    settings.CACHES = {alias: backend for alias in ("default", "kept", "throttles")}
    article = story(access=Article.Access.FREE)
    url = article.get_absolute_url()
    assert MARKER in Client().get(url).content.decode()  # free, and its head kept

    def a_metered_head(value):
        return type(value).__name__ == "ArticleHead" and value.access == Article.Access.METERED

    PausingCache.hold = Hold(thread_name="first-editor", matches=a_metered_head)
    try:

        def first_change():
            try:
                first = Article.objects.get(pk=article.pk)
                first.access = Article.Access.METERED
                first.save()  # committed; its refresh read "metered" and is held before writing
            finally:
                connection.close()

        first_editor = threading.Thread(target=first_change, name="first-editor")
        first_editor.start()
        assert PausingCache.hold.reached.wait(timeout=20)
        second = Article.objects.get(pk=article.pk)
        second.access = Article.Access.SUBSCRIBERS
        second.save()  # committed later; its refresh writes "subscribers" first
        PausingCache.hold.released.set()
        first_editor.join(timeout=20)
    finally:
        PausingCache.hold = None

    for _reader in range(2):
        page = Client().get(url).content.decode()
        assert MARKER not in page  # subscribers only: a preview for everyone without access


@pytest.mark.django_db
def test_a_slugs_kept_pointer_follows_a_saved_row_only_where_the_slug_moved():
    from django.core.cache import caches

    from articles.site.pages import SLUG
    from foundation import kept

    article = Article.objects.get(pk=story().pk)  # read, as the admin reads it
    store = caches[kept.KEPT_CACHE]
    store.delete(SLUG.key(article.slug))

    article.headline = "Another headline"
    article.save()  # the slug stays: its pointer is left as it is (here, not kept at all)
    assert store.get(SLUG.key(article.slug)) is None

    old = article.slug
    article.slug = "a-moved-address"
    article.save()
    assert store.get(SLUG.key("a-moved-address")) == article.pk

    article.delete()  # the slug is free again
    assert store.get(SLUG.key("a-moved-address")) is kept.ABSENT
    assert store.get(SLUG.key(old)) is None


@pytest.mark.django_db
def test_a_shared_pages_copyright_year_turns_at_midnight_in_the_sites_time_zone(settings):
    """The year in a shared rendering's footer is worked out once per quarter of an hour:
    a site in New York shows the new year at its own midnight, not at UTC's five hours before."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    import time_machine

    settings.TIME_ZONE = "America/New_York"
    new_york = ZoneInfo("America/New_York")
    article = story(access=Article.Access.FREE)
    url = article.get_absolute_url()

    with time_machine.travel(datetime(2026, 12, 31, 23, 50, tzinfo=new_york), tick=False):
        assert "&copy; 2026" in Client().get(url).content.decode()  # already 2027 in UTC
    with time_machine.travel(datetime(2027, 1, 1, 0, 5, tzinfo=new_york), tick=False):
        assert "&copy; 2027" in Client().get(url).content.decode()
    with time_machine.travel(datetime(2026, 12, 31, 23, 59, tzinfo=new_york), tick=False):
        assert "&copy; 2026" in Client().get(url).content.decode()  # and back, as tests travel


@pytest.mark.django_db
def test_a_kept_head_comes_back_from_the_cache_as_it_was_saved():
    """Heads are kept as plain values (`ArticleHead.__reduce__`): every field comes back, the
    times to the microsecond and aware, with and without an unpublish time; a field added to the
    head and not to its reconstruction fails here."""
    import dataclasses
    import pickle
    from datetime import timedelta

    from django.utils import timezone

    from articles.site.pages import ArticleHead, _load_head

    ends = timezone.now() + timedelta(days=3, microseconds=7)
    for article in (story(access=Article.Access.METERED), make_article(unpublish_at=ends)):
        head = _load_head(pk=article.pk)
        again = pickle.loads(pickle.dumps(head))  # noqa: S301
        assert again == head and again.access is head.access
        assert len(head.__reduce__()[1]) == len(dataclasses.fields(ArticleHead))
        assert again.published_at.utcoffset() == timedelta(0)
    assert again.unpublish_at == ends
