"""The kinds of body block, once: what each is called, stored as, looks like in the admin,
renders to and must have before its article is published.

The renderer (`articles.body`), the admin, the publishing checks (`articles.services`), the
demo loader and the test factories walk this registry; a new kind of block is one entry here
(and its model and template). Look a kind up by name or by block:

    block_kind("quote").add_to(article, ordering=30, text="…", attribution="…")
    block_kind_of(block).pieces(block)
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from html import escape
from html.parser import HTMLParser

from django.template.loader import render_to_string
from django.utils.html import strip_tags
from django.utils.text import Truncator

from .models import ArticleBlock, ImageBlock, PaywallBreak, QuoteBlock, TextBlock

VOID_ELEMENTS = {"br", "hr", "img"}


@dataclass(frozen=True)
class Piece:
    """One top-level element of a rendered body: the preview cut falls between pieces."""

    html: str
    is_paragraph: bool = False
    is_break: bool = False


@dataclass(frozen=True)
class BlockSummary:
    """What the publishing checks need to know about one saved body block."""

    kind: str
    ordering: int
    pk: int | None = None  # the saved block's, so that the change form can mark its fields
    has_text: bool = False  # counts as the text every published article needs
    is_break: bool = False  # the paywall break: the preview cut
    # What this block lacks before its article is published: (its field, what by name).
    missing: tuple[tuple[str, str], ...] = ()


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


@dataclass(frozen=True)
class BlockKind:
    """One kind of body block and everything the project does with it."""

    name: str  # what loaders, factories and summaries call it
    model: type[ArticleBlock]
    icon: str  # Material Symbols name on the admin's "add a block" button
    pieces: Callable[[ArticleBlock], list[Piece]]  # how it renders
    summarise: Callable[[ArticleBlock], BlockSummary]  # what publishing checks see
    fields: tuple[str, ...] = ()  # its content fields, in the order loaders give them
    admin_options: Mapping = field(default_factory=dict)  # extra options for its admin inline

    def add_to(self, article, *, ordering: int, **fields) -> ArticleBlock:
        """Create a block of this kind at `ordering` in the article's body."""
        return self.model.objects.create(parent=article, region="body", ordering=ordering, **fields)


def _text_pieces(block):
    text = TextBlock._meta.get_field("text").sanitize(block.text)  # again, for bulk loads
    return [Piece(html, is_paragraph=tag == "p") for tag, html in split_top_level(text)]


def _text_summary(block):
    return BlockSummary(
        kind="text",
        ordering=block.ordering,
        pk=block.pk,
        has_text=bool(strip_tags(block.text).strip()),
    )


def _image_pieces(block):
    return [Piece(render_to_string("articles/includes/block_image.html", {"block": block}))]


def picture_problems(
    *, image, alt_text: str, credit: str, where: str, fields: str = ""
) -> tuple[tuple[str, str], ...]:
    """Return what a picture shown in an article lacks before it is published, as (field, what).

    `alt_text` and `credit` are the article's own overrides (empty: the picture's are used);
    `where` names the place for the editor ("the image block “Harbour at dawn”"); `fields` is
    the prefix of the fields that hold the overrides and the picture ("lead_" on the article).
    """
    problems = []
    if not (alt_text.strip() or image.alt_text.strip() or image.is_decorative):
        problems.append(
            (f"{fields}alt_text", f"alt text for {where} (or alt text on the image itself)")
        )
    if not (credit.strip() or image.credit.strip()):
        problems.append(
            (f"{fields}credit", f"a credit for {where} (or a credit on the image itself)")
        )
    if image.rights_expired:
        problems.append(
            (
                f"{fields}image",
                f"another picture for {where}: the rights to “{Truncator(str(image)).chars(60)}” "
                f"expired after {image.rights_expire_on:%-d %B %Y}",
            )
        )
    return tuple(problems)


def _image_summary(block):
    label = Truncator(block.caption or str(block.image)).chars(60)
    return BlockSummary(
        kind="image",
        ordering=block.ordering,
        pk=block.pk,
        missing=picture_problems(
            image=block.image,
            alt_text=block.alt_text,
            credit=block.credit,
            where=f"the image block “{label}”",
        ),
    )


def _quote_pieces(block):
    return [Piece(render_to_string("articles/includes/block_quote.html", {"block": block}))]


def _break_pieces(block):
    return [Piece("", is_break=True)]


BLOCK_KINDS = (
    BlockKind(
        name="text",
        model=TextBlock,
        icon="notes",
        pieces=_text_pieces,
        summarise=_text_summary,
        fields=("text",),
    ),
    BlockKind(
        name="image",
        model=ImageBlock,
        icon="image",
        pieces=_image_pieces,
        summarise=_image_summary,
        fields=("image", "caption", "credit", "alt_text", "layout"),
        admin_options={"autocomplete_fields": ["image"]},
    ),
    BlockKind(
        name="quote",
        model=QuoteBlock,
        icon="format_quote",
        pieces=_quote_pieces,
        summarise=lambda block: BlockSummary(kind="quote", ordering=block.ordering, pk=block.pk),
        fields=("text", "attribution"),
    ),
    BlockKind(
        name="break",
        model=PaywallBreak,
        icon="lock",
        pieces=_break_pieces,
        summarise=lambda block: BlockSummary(
            kind="break", ordering=block.ordering, pk=block.pk, is_break=True
        ),
    ),
)
BLOCK_MODELS = [kind.model for kind in BLOCK_KINDS]

_BY_NAME = {kind.name: kind for kind in BLOCK_KINDS}
_BY_MODEL = {kind.model: kind for kind in BLOCK_KINDS}


def block_kind(name: str) -> BlockKind:
    """Return the kind called `name` ("text", "image", "quote" or "break")."""
    return _BY_NAME[name]


def block_kind_of(block: ArticleBlock) -> BlockKind:
    """Return the kind of a saved or unsaved block."""
    return _BY_MODEL[type(block)]
