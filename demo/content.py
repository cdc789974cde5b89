"""Read the demo newsroom from its files: `content/newsroom.toml` and `content/articles/*.md`.

`newsroom.toml` holds the logins, sections, authors, tags and plans. Each article is a Markdown
file named after its slug, with TOML front matter between two `+++` lines and a body written in
the small part of Markdown that `demo/README.md` describes. Everything is read and checked before
`seed_demo` writes anything, and every problem is a `ContentError` that names its file.
"""

import html
import re
import tomllib
from dataclasses import dataclass, replace
from decimal import Decimal, InvalidOperation
from pathlib import Path

from django.conf import settings
from django.core.management.base import CommandError

from articles.models import ImageBlock
from demo.pictures import SCENES
from subscriptions.access import Access

CONTENT_DIR = Path(__file__).resolve().parent / "content"
STATES = ("published", "scheduled", "draft")
PAYWALL_MARKER = "<!-- paywall -->"


class ContentError(CommandError):
    """A content file that cannot be read; the message starts with the file's path."""

    def __init__(self, path: Path, problem: str, line: int | None = None):
        where = _display(path) + (f", line {line}" if line else "")
        super().__init__(f"{where}: {problem}")


@dataclass(frozen=True)
class Login:
    role: str
    email: str
    password: str
    name: str
    staff: bool = False
    superuser: bool = False
    group: str = ""  # a Group the account joins when it is created
    complimentary_months: int = 0  # a complimentary subscription granted when it is created


@dataclass(frozen=True)
class DemoSection:
    slug: str
    name: str
    description: str
    order: int


@dataclass(frozen=True)
class DemoAuthor:
    slug: str
    name: str
    bio: str
    colour: str  # background of the drawn portrait
    user_email: str = ""  # links the author to this login when it exists


@dataclass(frozen=True)
class DemoTag:
    slug: str
    name: str


@dataclass(frozen=True)
class DemoPlan:
    slug: str
    name: str
    price: Decimal
    interval: str
    trial_days: int
    order: int
    benefits: tuple[str, ...]


@dataclass(frozen=True)
class Picture:
    """A picture to draw and upload, with what the newsroom must know to publish it."""

    name: str  # the uploaded file's name, unique across the demo
    scene: str  # one of demo.pictures.SCENES
    palette: tuple[str, ...]
    alt: str
    caption: str
    credit: str
    copyright_holder: str


@dataclass(frozen=True)
class Text:
    """A text block: consecutive paragraphs, sub-headings and lists, as the editor saves them."""

    html: str


@dataclass(frozen=True)
class Figure:
    picture: Picture
    layout: str = ImageBlock.Layout.STANDARD


@dataclass(frozen=True)
class PullQuote:
    text: str
    attribution: str


@dataclass(frozen=True)
class Break:
    """The paywall break: everything after it is for entitled readers only."""


@dataclass(frozen=True)
class DemoArticle:
    slug: str
    headline: str
    standfirst: str
    section: str
    authors: tuple[str, ...]
    tags: tuple[str, ...]
    access: str
    lead: Picture
    body: tuple[Text | Figure | PullQuote | Break, ...]
    state: str = "published"
    # Published: days before today, at the local time of day. Scheduled: days after today.
    days: int = 0
    time: str = "09:00"
    updated_hours_later: float = 0  # shows "Updated …" on the page when above a quarter hour
    seo_description: str = ""


@dataclass(frozen=True)
class Newsroom:
    logins: tuple[Login, ...]
    sections: tuple[DemoSection, ...]
    authors: tuple[DemoAuthor, ...]
    tags: tuple[DemoTag, ...]
    plans: tuple[DemoPlan, ...]
    articles: tuple[DemoArticle, ...]


def read_newsroom(root: Path | None = None) -> Newsroom:
    """Return the whole demo newsroom read from `root` (the app's `content/` folder)."""
    root = root or CONTENT_DIR
    path = root / "newsroom.toml"
    data = _toml(path, _read(path))
    _check_keys(data, path, required={"logins", "sections", "authors", "tags", "plans"})
    newsroom = Newsroom(
        logins=_records(data, "logins", Login, path),
        sections=_records(data, "sections", DemoSection, path),
        authors=_records(data, "authors", DemoAuthor, path),
        tags=_records(data, "tags", DemoTag, path),
        plans=tuple(_plan(fields, path) for fields in _tables(data, "plans", path)),
        articles=(),
    )
    files = sorted((root / "articles").glob("*.md"))
    if not files:
        raise ContentError(root / "articles", "no articles (*.md) found")
    articles = tuple(read_article(file, newsroom=newsroom) for file in files)
    return replace(newsroom, articles=articles)


def read_article(path: Path, *, newsroom: Newsroom) -> DemoArticle:
    """Return the article in `path`, checked against the newsroom's sections, authors and tags."""
    text = _read(path)
    lines = text.splitlines()
    if not lines or lines[0].strip() != "+++":
        raise ContentError(path, "front matter missing: the file must start with a line `+++`")
    try:
        end = next(i for i, line in enumerate(lines[1:], start=1) if line.strip() == "+++")
    except StopIteration:
        raise ContentError(path, "front matter not closed: no second `+++` line") from None
    # Blank lines in front keep tomllib's line numbers equal to the file's.
    fields = _toml(path, "\n" + "\n".join(lines[1:end]))
    _check_keys(
        fields,
        path,
        required={"headline", "standfirst", "section", "authors", "tags", "access", "lead"},
        optional={"state", "days", "time", "updated_hours_later", "seo_description"},
    )
    _check_types(fields, path, ARTICLE_TYPES)
    _check_choice(fields["section"], {s.slug for s in newsroom.sections}, "section", path)
    for slug in fields["authors"]:
        _check_choice(slug, {a.slug for a in newsroom.authors}, "author", path)
    for slug in fields["tags"]:
        _check_choice(slug, {t.slug for t in newsroom.tags}, "tag", path)
    _check_choice(fields["access"], set(Access.values), "access", path)
    _check_choice(fields.get("state", "published"), set(STATES), "state", path)
    if not re.fullmatch(r"\d\d:\d\d", fields.get("time", "09:00")):
        raise ContentError(path, f'time must be "HH:MM", not {fields["time"]!r}')
    lead = _picture(fields["lead"], path, where="lead")
    body = parse_body(lines[end + 1 :], path=path, first_line=end + 2)
    return DemoArticle(
        slug=path.stem,
        **{
            **fields,
            "authors": tuple(fields["authors"]),
            "tags": tuple(fields["tags"]),
            "lead": lead,
            "body": body,
        },
    )


def parse_body(lines: list[str], *, path: Path, first_line: int = 1) -> tuple:
    """Return the blocks of a Markdown body; consecutive text becomes one text block."""
    blocks, text, chunk = [], [], []
    numbered = list(enumerate(lines, start=first_line))
    position = 0

    def flush_text():
        if text:
            blocks.append(Text(html="".join(text)))
            text.clear()

    def flush_chunk():
        if chunk:
            text.append(_chunk_html(chunk, path=path))
            chunk.clear()

    while position < len(numbered):
        number, line = numbered[position]
        position += 1
        stripped = line.strip()
        if stripped.startswith("```"):
            flush_chunk()
            kind = stripped[3:].strip()
            if kind != "picture":
                raise ContentError(path, f"unknown fenced block {kind!r} (only `picture`)", number)
            fence = []
            while position < len(numbered) and numbered[position][1].strip() != "```":
                fence.append(numbered[position][1])
                position += 1
            if position == len(numbered):
                raise ContentError(path, "picture block not closed with ```", number)
            position += 1
            fields = _toml(path, "\n" * number + "\n".join(fence))
            layout = fields.pop("layout", ImageBlock.Layout.STANDARD)
            _check_choice(layout, set(ImageBlock.Layout.values), "layout", path)
            flush_text()
            blocks.append(Figure(picture=_picture(fields, path, where="picture"), layout=layout))
        elif stripped == PAYWALL_MARKER:
            flush_chunk()
            flush_text()
            blocks.append(Break())
        elif stripped.startswith(">"):
            flush_chunk()
            quote = [stripped]
            while position < len(numbered) and numbered[position][1].strip().startswith(">"):
                quote.append(numbered[position][1].strip())
                position += 1
            flush_text()
            blocks.append(_pull_quote(quote, path=path, line=number))
        elif not stripped:
            flush_chunk()
        else:
            chunk.append((number, line))
    flush_chunk()
    flush_text()
    if sum(isinstance(block, Break) for block in blocks) > 1:
        raise ContentError(path, f"more than one {PAYWALL_MARKER} marker")
    if blocks and isinstance(blocks[0], Break):
        raise ContentError(path, f"{PAYWALL_MARKER} cannot come before everything else")
    if not any(isinstance(block, Text) for block in blocks):
        raise ContentError(path, "the body has no text")
    return tuple(blocks)


LIST_ITEM = re.compile(r"^(- |\d+\. )")


def _chunk_html(chunk: list[tuple[int, str]], *, path: Path) -> str:
    """Return one paragraph, sub-heading or list (lines between blank lines) as HTML."""
    number, first = chunk[0]
    if first.startswith("#"):
        level = len(first) - len(first.lstrip("#"))
        if level not in (2, 3) or not first[level:].startswith(" ") or len(chunk) > 1:
            raise ContentError(path, "a sub-heading is one line starting `## ` or `### `", number)
        return f"<h{level}>{_inline(first[level:].strip())}</h{level}>"
    if LIST_ITEM.match(first):
        tag = "ol" if first[0].isdigit() else "ul"
        items = []
        for item_number, line in chunk:
            if match := LIST_ITEM.match(line):
                if ("ol" if match[1][0].isdigit() else "ul") != tag:
                    raise ContentError(path, "a list mixes `- ` and `1. ` items", item_number)
                items.append(line[match.end() :].strip())
            else:
                items[-1] += " " + line.strip()
        return f"<{tag}>" + "".join(f"<li><p>{_inline(i)}</p></li>" for i in items) + f"</{tag}>"
    return "<p>" + _inline(" ".join(line.strip() for _, line in chunk)) + "</p>"


LINK = re.compile(r'\[([^\]]+)\]\(([^)\s"]+)\)')
STRONG = re.compile(r"\*\*(.+?)\*\*")
EMPHASIS = re.compile(r"\*(.+?)\*")


def _inline(text: str) -> str:
    """Return text with `[links](https://…)`, `**strong**` and `*emphasis*` as HTML."""
    text = html.escape(text, quote=False)  # `&` and `<` are text, in the address too
    text = LINK.sub(r'<a href="\2">\1</a>', text)
    text = STRONG.sub(r"<strong>\1</strong>", text)
    return EMPHASIS.sub(r"<em>\1</em>", text)


def _pull_quote(lines: list[str], *, path: Path, line: int) -> PullQuote:
    words = [quote_line.removeprefix(">").strip() for quote_line in lines]
    if len(words) < 2 or not words[-1].startswith("— "):
        raise ContentError(
            path, "a pull quote ends with its attribution: a line `> — Name, role`", line
        )
    return PullQuote(text=" ".join(words[:-1]), attribution=words[-1].removeprefix("— ").strip())


def _picture(fields, path: Path, *, where: str) -> Picture:
    if not isinstance(fields, dict):
        raise ContentError(path, f"{where}: expected a table of picture fields")
    _check_keys(
        fields,
        path,
        required={"name", "scene", "palette", "alt", "caption", "credit", "copyright_holder"},
        where=where,
    )
    _check_choice(fields["scene"], set(SCENES), "scene", path)
    return Picture(**{**fields, "palette": tuple(fields["palette"])})


def _plan(fields: dict, path: Path) -> DemoPlan:
    try:
        price = Decimal(fields["price"])
    except (KeyError, TypeError, InvalidOperation):
        problem = f'[[plans]] {fields.get("slug", "")}: price must be a string such as "8.00"'
        raise ContentError(path, problem) from None
    benefits = tuple(fields.get("benefits", ()))
    return _record({**fields, "price": price, "benefits": benefits}, DemoPlan, path, where="plans")


def _records(data: dict, key: str, kind: type, path: Path) -> tuple:
    return tuple(_record(fields, kind, path, where=key) for fields in _tables(data, key, path))


def _tables(data: dict, key: str, path: Path) -> list[dict]:
    tables = data[key]
    if not isinstance(tables, list) or not all(isinstance(t, dict) for t in tables):
        raise ContentError(path, f"`{key}` must be an array of tables ([[{key}]])")
    return tables


def _record(fields: dict, kind: type, path: Path, *, where: str):
    try:
        return kind(**fields)
    except TypeError as error:
        raise ContentError(path, f"[[{where}]] {fields.get('slug', '')}: {error}") from None


def _check_keys(fields: dict, path: Path, *, required: set, optional=frozenset(), where=""):
    prefix = f"{where}: " if where else ""
    if missing := sorted(required - fields.keys()):
        raise ContentError(path, f"{prefix}missing {', '.join(missing)}")
    if unknown := sorted(fields.keys() - required - optional):
        raise ContentError(path, f"{prefix}unknown {', '.join(unknown)}")


ARTICLE_TYPES = {
    "headline": str,
    "standfirst": str,
    "section": str,
    "authors": list,
    "tags": list,
    "access": str,
    "lead": dict,
    "state": str,
    "days": int,
    "time": str,
    "updated_hours_later": (int, float),
    "seo_description": str,
}


def _check_types(fields: dict, path: Path, types: dict) -> None:
    for key, value in fields.items():
        if key in types and not isinstance(value, types[key]):
            raise ContentError(path, f"{key} has the wrong type ({type(value).__name__})")


def _check_choice(value, choices: set, name: str, path: Path) -> None:
    if value not in choices:
        raise ContentError(path, f"unknown {name} {value!r}; expected one of {sorted(choices)}")


def _toml(path: Path, text: str) -> dict:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ContentError(path, f"malformed TOML: {error}") from None


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError as error:
        raise ContentError(path, f"cannot be read ({error.strerror})") from None


def _display(path: Path) -> str:
    try:
        return str(path.relative_to(settings.BASE_DIR))
    except ValueError:
        return str(path)
