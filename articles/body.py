"""Render an article's body blocks to HTML, split at the preview cut.

The cut is a block boundary: the paywall break block when there is one, otherwise after the
first `NEWSROOM_PREVIEW_PARAGRAPHS` paragraphs, and never the whole article. Only the public
half may reach a reader who is not entitled; see `subscriptions.paywall`.
"""

from dataclasses import dataclass
from html import escape
from html.parser import HTMLParser

from content_editor.contents import contents_for_item
from django.conf import settings
from django.template.loader import render_to_string
from django.utils.html import strip_tags
from django.utils.safestring import SafeString, mark_safe

from .models import BLOCK_MODELS, Article, ImageBlock, PaywallBreak, QuoteBlock, TextBlock

VOID_ELEMENTS = {"br", "hr", "img"}


@dataclass(frozen=True)
class RenderedBody:
    """An article body as HTML: the preview everyone may read, and the rest."""

    preview: SafeString
    rest: SafeString
    preview_text: str  # the preview as plain text, for site search
    # The NEWSROOM_PREVIEW_PARAGRAPHS the cut followed; None when a paywall break placed it.
    cut_by_paragraphs: int | None = None


@dataclass(frozen=True)
class Piece:
    html: str
    is_paragraph: bool = False
    is_break: bool = False


class _TopLevelSplitter(HTMLParser):
    """Split sanitised HTML into its top-level elements, re-serialised."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.elements = []  # (tag, html)
        self._tag = None
        self._depth = 0
        self._parts = []

    def handle_starttag(self, tag, attrs):
        if self._depth == 0:
            self._tag = tag
        attributes = "".join(f' {name}="{escape(value or "")}"' for name, value in attrs)
        self._parts.append(f"<{tag}{attributes}>")
        if tag not in VOID_ELEMENTS:
            self._depth += 1
        self._flush_if_closed()

    def handle_endtag(self, tag):
        if tag in VOID_ELEMENTS:
            return
        self._parts.append(f"</{tag}>")
        self._depth = max(0, self._depth - 1)
        self._flush_if_closed()

    def handle_data(self, data):
        if self._depth == 0:
            if not data.strip():
                return
            self._tag = "#text"
        self._parts.append(escape(data, quote=False))
        self._flush_if_closed()

    def _flush_if_closed(self):
        if self._depth == 0 and self._parts:
            self.elements.append((self._tag, "".join(self._parts)))
            self._parts = []


def split_top_level(html):
    """Return (tag, html) for each top-level element of `html`."""
    splitter = _TopLevelSplitter()
    splitter.feed(html)
    splitter.close()
    return splitter.elements


def _block_pieces(block):
    if isinstance(block, TextBlock):
        text = TextBlock._meta.get_field("text").sanitize(
            block.text
        )  # again, in case of bulk loads
        return [Piece(html, is_paragraph=tag == "p") for tag, html in split_top_level(text)]
    if isinstance(block, ImageBlock):
        return [Piece(render_to_string("articles/includes/block_image.html", {"block": block}))]
    if isinstance(block, QuoteBlock):
        return [Piece(render_to_string("articles/includes/block_quote.html", {"block": block}))]
    if isinstance(block, PaywallBreak):
        return [Piece("", is_break=True)]
    return []


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


def _plain_text(html):
    return " ".join(strip_tags(html).split())


def render_body(article: Article) -> RenderedBody:
    """Return the article's body rendered to HTML, split at the preview cut.

    Pages keep the result (see `articles.pages`); this renders afresh each time.
    """
    pieces = [piece for block in article_blocks(article) for piece in _block_pieces(block)]
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
