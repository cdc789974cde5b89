"""Render an article's body blocks to HTML, split at the preview cut.

The cut is a block boundary: the paywall break block when there is one, otherwise after the
first `NEWSROOM_PREVIEW_PARAGRAPHS` paragraphs, and never the whole article. Only the public
half may reach a reader who is not entitled; see `subscriptions.paywall`.
"""

import re
from dataclasses import dataclass

from content_editor.contents import contents_for_item
from django.conf import settings
from django.utils.html import strip_tags
from django.utils.safestring import SafeString, mark_safe

from .blocks import BLOCK_MODELS, block_kind_of
from .models import Article


@dataclass(frozen=True)
class RenderedBody:
    """An article body as HTML: the preview everyone may read, and the rest."""

    preview: SafeString
    rest: SafeString
    preview_text: str  # the preview as plain text, for site search
    # The NEWSROOM_PREVIEW_PARAGRAPHS the cut followed; None when a paywall break placed it.
    cut_by_paragraphs: int | None = None


def _block_pieces(block):
    return block_kind_of(block).pieces(block)


def preview_cut(pieces, *, preview_paragraphs):
    """Return the index of the first piece beyond the preview cut."""
    for index, piece in enumerate(pieces):
        if piece.is_break and index > 0:
            return index
    paragraphs = sum(piece.is_paragraph for piece in pieces)
    # Never the whole article: a short one still keeps most of itself back.
    allowed = min(preview_paragraphs, (paragraphs - 1) // 2)
    if allowed <= 0:
        return 0
    seen = 0
    for index, piece in enumerate(pieces):
        seen += piece.is_paragraph
        if seen == allowed:
            return index + 1
    return 0  # not reached


def article_blocks(article):
    """Return the article's body blocks in order, with images and renditions fetched."""
    return list(contents_for_item(article, BLOCK_MODELS).body)


BLOCK_END = re.compile(r"(</(?:p|h2|h3|li|blockquote|figcaption|figure)>|<br\s*/?>)", re.I)


def _plain_text(html):
    # A space after each block: "<p>one.</p><p>Two</p>" is "one. Two", not "one.Two" (which
    # a search engine reads as one token, a file name); inline tags join as they stand.
    return " ".join(strip_tags(BLOCK_END.sub(r"\1 ", html)).split())


def render_body(article: Article) -> RenderedBody:
    """Return the article's body rendered to HTML, split at the preview cut.

    Pages keep the result (see `articles.site.pages`); this renders afresh each time.
    """
    return render_blocks(article_blocks(article))


def render_blocks(blocks) -> RenderedBody:
    """Return `blocks`, a body's blocks in order (saved or not), rendered and split at the
    preview cut: what `render_body` does once the blocks are fetched; bulk loaders call it
    before they store the blocks."""
    pieces = [piece for block in blocks for piece in _block_pieces(block)]
    preview_paragraphs = settings.NEWSROOM_PREVIEW_PARAGRAPHS
    cut = preview_cut(pieces, preview_paragraphs=preview_paragraphs)
    cut_at_break = 0 < cut < len(pieces) and pieces[cut].is_break
    preview = "".join(piece.html for piece in pieces[:cut])
    rest = "".join(piece.html for piece in pieces[cut:])
    return RenderedBody(
        preview=mark_safe(preview),  # noqa: S308 - sanitised text and autoescaped templates
        rest=mark_safe(rest),  # noqa: S308
        preview_text=_plain_text(preview),
        cut_by_paragraphs=None if cut_at_break else preview_paragraphs,
    )
