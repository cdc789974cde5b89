"""A save of an article through the change form costs the same whatever the size of the
archive: it reads each body block once, however many checks look at the body."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from articles.models import ImageBlock
from tests.articles.admin.posting import change_form_data, change_url
from tests.factories import make_article, make_image, make_section, paragraphs

pytestmark = pytest.mark.django_db

BLOCK_TABLES = ["articles_textblock", "articles_imageblock", "articles_quoteblock"]


def ten_block_article():
    image = make_image()
    return make_article(
        blocks=[
            ("text", paragraphs(2)),
            ("text", "<h2>What happens next</h2>"),
            ("image", image),
            ("text", paragraphs(2)),
            ("break",),
            ("quote", "We have waited long enough.", "a resident"),
            ("text", paragraphs(2)),
            ("image", image),
            ("text", paragraphs(1)),
            ("text", paragraphs(1)),
        ]
    )


def save_one_word_changed(client, article):
    """Post the change form as a browser does, with a word of the first paragraph changed;
    return the response and the SQL it cost."""
    data = change_form_data(client, article)
    text = next(key for key in data if "textblock" in key and key.endswith("-text"))
    data[text][0] = data[text][0].replace("</p>", " (Updated.)</p>", 1)
    with CaptureQueriesContext(connection) as queries:
        response = client.post(change_url(article), data)
    return response, [query["sql"] for query in queries.captured_queries]


def test_a_save_of_a_ten_block_article_reads_each_block_once(editor_client):
    article = ten_block_article()
    for _ in range(20):  # other articles in the archive change nothing
        make_article()
    save_one_word_changed(editor_client, article)  # the first save keeps its first revision

    response, queries = save_one_word_changed(editor_client, article)

    assert response.status_code == 302
    for table in BLOCK_TABLES:
        reads = [sql for sql in queries if sql.startswith("SELECT") and f'FROM "{table}"' in sql]
        assert len(reads) == 1, (table, reads)  # the form's rows, the body as saved
    # Before the save: whether the article has a revision yet (else its baseline is kept).
    # In the transaction (SAVEPOINT ... RELEASE): the article (with its section, lead image),
    # its tags (the form's initial), its version locked (a stale form is refused), the slug's
    # uniqueness, the byline's rows (with their authors) and each block table's rows (the
    # image blocks with their pictures); the writes: the article, its kept head's missed-write
    # record (foundation.kept: crash-safe), the changed block, the autosave forgotten, the
    # pictures' renditions for the preview, the body's figures, the revision, the admin log.
    # After the commit: the head loaded, set, and loaded again to converge (the article row,
    # then its byline and tags in one query, twice), and the missed-write record deleted.
    assert len(queries) <= 25, "\n".join(queries)
    html = editor_client.get(article.get_absolute_url()).content.decode()
    assert "(Updated.)" in html


def test_a_save_costs_the_same_in_a_larger_archive(editor_client):
    article = ten_block_article()
    save_one_word_changed(editor_client, article)
    _response, small = save_one_word_changed(editor_client, article)
    for _ in range(30):
        make_article(blocks=[("text", paragraphs(2)), ("break",), ("text", paragraphs(2))])

    response, large = save_one_word_changed(editor_client, article)

    assert response.status_code == 302
    assert len(large) == len(small)


def test_a_save_still_checks_a_newly_chosen_row_and_refuses_one_that_does_not_exist(
    editor_client,
):
    article = ten_block_article()
    other = make_section(name="Elsewhere")
    data = change_form_data(editor_client, article)
    data["section"] = [str(other.pk)]
    assert editor_client.post(change_url(article), data).status_code == 302
    article.refresh_from_db()
    assert article.section_id == other.pk

    data = change_form_data(editor_client, article)
    picture = next(key for key in data if "imageblock" in key and key.endswith("-image"))
    data[picture] = ["999999"]
    response = editor_client.post(change_url(article), data)

    assert response.status_code != 302
    assert "Select a valid choice" in response.content.decode()
    assert not ImageBlock.objects.filter(parent=article, image_id=999999).exists()
