"""The lists a journalist uses every day cost the same at any size of the archive: the same
queries at 3 rows as at 30, searched and filtered included; and they still find, filter and
say how many they show."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests.articles.admin.posting import CHANGELIST_URL
from tests.factories import make_article, make_author, make_image, make_section, make_staff

pytestmark = pytest.mark.django_db

PICTURES_URL = reverse("admin:media_image_changelist")
READERS_URL = reverse("admin:accounts_user_changelist")


def queries_of(client, url) -> int:
    client.get(url)  # the session and content types once
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def article_lists(section, author):
    return [
        CHANGELIST_URL,
        f"{CHANGELIST_URL}?section__id__exact={section.pk}",
        f"{CHANGELIST_URL}?authors__id__exact={author.pk}",
        f"{CHANGELIST_URL}?state=published&access__exact=metered",
        f"{CHANGELIST_URL}?published_at__year={timezone.now().year}",
        f"{CHANGELIST_URL}?q=harbour",
        f"{CHANGELIST_URL}?q=Holt",
        f"{CHANGELIST_URL}?p=2",
    ]


def test_the_article_lists_cost_the_same_at_3_and_30_articles(editor_client):
    section, author = make_section(), make_author(name="Maren Holt")
    image = make_image(rights_expire_on=timezone.localdate())  # the editors' warning shows
    make_article(section=section, authors=[author], lead_image=image)

    def add(count):
        for n in range(count):
            make_article(section=section, authors=[author], headline=f"Harbour story {n}")

    add(2)
    small = [queries_of(editor_client, url) for url in article_lists(section, author)]
    add(27)
    large = [queries_of(editor_client, url) for url in article_lists(section, author)]

    assert large == small


def test_the_pictures_and_readers_lists_cost_the_same_at_3_and_30_rows(editor_client):
    lists = [
        PICTURES_URL,
        f"{PICTURES_URL}?credit=given",
        f"{PICTURES_URL}?rights_expired=no",
        f"{PICTURES_URL}?q=Caption",
        READERS_URL,
        f"{READERS_URL}?is_staff__exact=1",
        f"{READERS_URL}?subscriber=no",
        f"{READERS_URL}?q=example",
    ]
    for _ in range(3):
        make_image()
        make_staff()
    small = [queries_of(editor_client, url) for url in lists]
    for _ in range(27):
        make_image()
        make_staff()
    large = [queries_of(editor_client, url) for url in lists]

    assert large == small


def listed(client, url) -> set[str]:
    html = client.get(url).content.decode()
    return set(re.findall(r'<th class="field-headline"><a [^>]*>([^<]*)</a>', html))


def test_search_finds_by_headline_standfirst_and_author(editor_client):
    holt, ward = make_author(name="Maren Holt"), make_author(name="Idris Ward")
    make_article(headline="Ferry fares frozen", standfirst="Commuters win.", authors=[ward])
    make_article(headline="Council meets", standfirst="The harbour wall again.", authors=[ward])
    make_article(headline="Schools merge", standfirst="Parents object.", authors=[holt])

    assert listed(editor_client, f"{CHANGELIST_URL}?q=ferry") == {"Ferry fares frozen"}
    assert listed(editor_client, f"{CHANGELIST_URL}?q=harbour") == {"Council meets"}
    assert listed(editor_client, f"{CHANGELIST_URL}?q=holt") == {"Schools merge"}
    # Every word somewhere: an author's name and a word of the text.
    assert listed(editor_client, f"{CHANGELIST_URL}?q=ward+frozen") == {"Ferry fares frozen"}
    assert listed(editor_client, f"{CHANGELIST_URL}?q=nothing-like-it") == set()
    # A word no index keeps ("in") does not stop the others from finding.
    assert listed(editor_client, f"{CHANGELIST_URL}?q=frozen+in+fares") == {"Ferry fares frozen"}
    assert listed(editor_client, f"{CHANGELIST_URL}?q=the+harbour") == {"Council meets"}
    html = editor_client.get(f"{CHANGELIST_URL}?q=ferry").content.decode()
    assert "1 article" in html


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the PostgreSQL search's rule")
def test_a_name_is_found_by_its_start_and_a_short_word_finds_no_writer(editor_client):
    finn = make_author(name="Finn Dunmore")
    make_article(headline="Quay works in the spring", authors=[make_author(name="Ann Lee")])
    make_article(headline="Harbour dues", authors=[finn])

    assert listed(editor_client, f"{CHANGELIST_URL}?q=dunm") == {"Harbour dues"}
    assert listed(editor_client, f"{CHANGELIST_URL}?q=unmore") == set()  # not a name's start
    # "in" is no writer's name, though it is in "Finn": the text decides.
    assert listed(editor_client, f"{CHANGELIST_URL}?q=works+in") == {"Quay works in the spring"}


def test_the_filters_still_filter(editor_client):
    politics, sport = make_section(name="Politics"), make_section(name="Sport")
    holt = make_author(name="Maren Holt")
    make_article(headline="Vote tonight", section=politics, authors=[holt])
    make_article(headline="Cup final", section=sport)
    make_article(
        headline="Old news",
        section=sport,
        published_at=timezone.now().replace(year=timezone.now().year - 2),
    )
    this_year, two_years_ago = timezone.now().year, timezone.now().year - 2

    assert listed(editor_client, f"{CHANGELIST_URL}?section__id__exact={politics.pk}") == {
        "Vote tonight"
    }
    assert listed(editor_client, f"{CHANGELIST_URL}?authors__id__exact={holt.pk}") == {
        "Vote tonight"
    }
    assert listed(editor_client, f"{CHANGELIST_URL}?published_at__year={two_years_ago}") == {
        "Old news"
    }
    html = editor_client.get(f"{CHANGELIST_URL}?section__id__exact={politics.pk}").content.decode()
    # The authors filter is one list in a form that keeps the other choices.
    assert f'<option value="{holt.pk}">Maren Holt</option>' in html
    assert f'<input type="hidden" name="section__id__exact" value="{politics.pk}">' in html
    for year in range(two_years_ago, this_year + 1):  # the year filter's choices, gaps included
        assert f">{year}</a>" in html


def test_a_long_list_says_it_shows_more_than_it_counted_and_pages_on(editor_client, monkeypatch):
    """The count stops a few pages beyond the one shown, and says so; the pages go on."""
    from articles.admin import ArticleAdmin

    monkeypatch.setattr(ArticleAdmin, "list_per_page", 2)
    for n in range(16):
        make_article(headline=f"Story {n:02}")  # each older than the one before

    html = editor_client.get(CHANGELIST_URL + "?q=story").content.decode()

    assert "More than 6 articles" in html  # pages 1 to 3 counted, from page 1
    assert listed(editor_client, CHANGELIST_URL + "?q=story&p=8") == {"Story 14", "Story 15"}
    html = editor_client.get(CHANGELIST_URL + "?q=story&p=8").content.decode()
    assert "More than" not in html and "16 articles" in html  # counted to the end from there


def plan_of(queryset) -> str:
    """The plan PostgreSQL makes for finding the rows of `queryset` (in no order) if it may read
    no table whole: an index in it is one the query can use, however small the table."""
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
    return queryset.order_by().explain()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's plans")
@pytest.mark.parametrize(
    ("url", "index"),
    [
        ("?q=jane.doe", "user_email_trigrams"),
        ("?q=Doe", "user_name_trigrams"),
        ("?is_staff__exact=1", "user_staff"),
        ("?is_superuser__exact=1", "user_superuser"),
        ("?is_active__exact=0", "user_inactive"),
    ],
)
def test_the_readers_list_finds_and_filters_through_indexes(editor_client, url, index):
    make_staff(email="jane.doe@example.com", name="Jane Doe")

    response = editor_client.get(f"{READERS_URL}{url}")

    assert response.status_code == 200
    assert index in plan_of(response.context["cl"].queryset)


def test_a_whole_address_finds_its_account_and_a_part_finds_every_one_holding_it(editor_client):
    for email in ["ann@example.com", "joann@example.com", "ann@example.org"]:
        make_staff(email=email)

    def readers(term):
        html = editor_client.get(READERS_URL, {"q": term}).content.decode()
        return set(re.findall(r'<th class="field-email"><a [^>]*>([^<]*)</a>', html))

    page = editor_client.get(READERS_URL).content.decode()
    assert "A whole email address finds its account" in page  # said under the search box
    assert readers("Ann@Example.com") == {"ann@example.com"}
    assert readers("ann@example") == {"ann@example.com", "joann@example.com", "ann@example.org"}
    # An address no account has is looked for as a part of the others'.
    assert readers("nn@example.org") == {"ann@example.org"}
