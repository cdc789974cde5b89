import pytest

from articles.blocks import Piece, split_top_level
from articles.body import preview_cut, render_body
from tests.factories import make_article, paragraphs


def test_split_top_level_keeps_each_element_whole():
    html = '<h2>Sub</h2><p>One <a href="https://x.example/?a=1&amp;b=2">link</a></p><ul><li>a</li><li>b</li></ul>'
    assert split_top_level(html) == [
        ("h2", "<h2>Sub</h2>"),
        ("p", '<p>One <a href="https://x.example/?a=1&amp;b=2">link</a></p>'),
        ("ul", "<ul><li>a</li><li>b</li></ul>"),
    ]


def test_split_top_level_escapes_text_again():
    assert split_top_level("<p>5 &lt; 6 &amp; &lt;script&gt;</p>") == [
        ("p", "<p>5 &lt; 6 &amp; &lt;script&gt;</p>")
    ]


def _paras(n):
    return [Piece(f"<p>{i}</p>", is_paragraph=True) for i in range(n)]


@pytest.mark.parametrize(
    ("paragraph_count", "expected_cut"),
    [(1, 0), (2, 0), (3, 1), (5, 2), (7, 3), (20, 3)],
)
def test_without_a_break_the_preview_keeps_most_of_a_short_article_back(
    paragraph_count, expected_cut
):
    assert preview_cut(_paras(paragraph_count), preview_paragraphs=3) == expected_cut


def test_a_break_block_is_the_cut():
    pieces = [*_paras(2), Piece("", is_break=True), *_paras(8)]
    assert preview_cut(pieces, preview_paragraphs=3) == 2


def test_a_break_first_is_ignored():
    pieces = [Piece("", is_break=True), *_paras(7)]
    assert preview_cut(pieces, preview_paragraphs=3) == 4  # the break piece counts as index 0


def test_headings_and_figures_before_the_cut_stay_in_the_preview():
    pieces = [Piece("<h2>Sub</h2>"), Piece("<figure></figure>"), *_paras(7)]
    assert preview_cut(pieces, preview_paragraphs=3) == 5


@pytest.mark.django_db
def test_render_body_splits_at_the_break_and_sanitises(settings):
    article = make_article(
        blocks=[
            ("text", paragraphs(2, prefix="Open")),
            ("break",),
            ("text", '<p onclick="steal()">Closed <script>alert(1)</script>text</p>'),
        ]
    )
    body = render_body(article)
    assert "Open 1" in body.preview and "Open 2" in body.preview
    assert "Closed" not in body.preview
    assert "Closed" in body.rest
    assert "<script" not in body.rest and "onclick" not in body.rest
    assert body.preview_text.startswith("Open 1 of the story")


@pytest.mark.django_db
def test_the_searchable_preview_keeps_paragraphs_apart():
    from tests.factories import make_article

    article = make_article(
        blocks=[("text", "<p>First ends here.</p><p>Second <em>sta</em>rts here.</p>"), ("break",)]
    )
    assert "here. Second starts here." in article.preview_text
