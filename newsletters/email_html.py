"""An article's body, as the site renders it, made fit for email: and its plain-text twin.

Mail clients are not browsers: Outlook ignores `<picture>` and `srcset`, Gmail drops relative
addresses, and nothing loads lazily. `for_email` keeps the body's own elements and text and
changes only that: every address absolute, every picture one `<img>` at email width (with its
alt text, and a width and height), `<picture>` and `<source>` gone. `as_plain_text` gives the
same HTML as text for the plain-text part. Both read only the HTML they are given, so the part
of an article a reader may not read never reaches them (the caller hands over only the parts the
reader's decision allows).
"""

from html import escape
from html.parser import HTMLParser

# The width of an email's column, in CSS pixels; pictures come at twice that for sharp screens.
EMAIL_WIDTH = 600
PICTURE_WIDTH = 2 * EMAIL_WIDTH
DROPPED = {"picture", "source", "script", "style", "link", "iframe", "object", "embed"}
VOID = {"br", "hr", "img", "source", "link", "meta", "input"}
# Attributes a browser uses and a mail client does not (or misreads).
DROPPED_ATTRIBUTES = {"srcset", "sizes", "loading", "decoding", "fetchpriority", "class", "style"}


def absolute(url: str, *, base: str) -> str:
    """Return `url` made absolute from `base` (scheme and host) if it is the site's own."""
    url = (url or "").strip()
    if url.startswith("/") and not url.startswith("//"):
        return base + url
    return url


def best_candidate(srcset: str, *, width: int = PICTURE_WIDTH) -> tuple[str, int] | None:
    """Return (url, width) of the smallest candidate of `srcset` at least `width` wide, else the
    widest; None for an empty or unreadable srcset."""
    candidates = []
    for candidate in srcset.split(","):
        parts = candidate.split()
        if len(parts) == 2 and parts[1].endswith("w") and parts[1][:-1].isdigit():
            candidates.append((int(parts[1][:-1]), parts[0]))
    if not candidates:
        return None
    candidates.sort()
    for candidate_width, url in candidates:
        if candidate_width >= width:
            return url, candidate_width
    return candidates[-1][1], candidates[-1][0]


def email_img(*, src: str, alt: str, width: int, height: int, css_class: str = "") -> str:
    """Return an `<img>` at email width: shown at most `EMAIL_WIDTH` wide, its height to scale."""
    shown = min(EMAIL_WIDTH, width or EMAIL_WIDTH)
    shown_height = round(height * shown / width) if width and height else 0
    height_attribute = f' height="{shown_height}"' if shown_height else ""
    class_attribute = f' class="{css_class}"' if css_class else ""
    return (
        f'<img src="{escape(src)}" alt="{escape(alt)}" width="{shown}"{height_attribute}'
        f"{class_attribute}>"
    )


class _EmailBody(HTMLParser):
    def __init__(self, base):
        super().__init__(convert_charrefs=True)
        self.base = base
        self.out = []
        self.dropping = 0  # inside an element whose text must go too (script, style)

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag in {"script", "style"}:
            self.dropping += 1
            return
        if tag in DROPPED or self.dropping:
            return
        if tag == "img":
            self.out.append(self._img(attributes))
            return
        kept = []
        for name, value in attrs:
            if name in DROPPED_ATTRIBUTES or name.startswith("on"):
                continue
            if name in {"href", "src"}:
                value = absolute(value or "", base=self.base)
            kept.append(f' {name}="{escape(value or "")}"')
        css = {"figure": "figure", "figcaption": "caption", "blockquote": "quote"}.get(tag)
        if css:
            kept.append(f' class="{css}"')
        self.out.append(f"<{tag}{''.join(kept)}>")

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag):
        if tag in {"script", "style"}:
            self.dropping = max(0, self.dropping - 1)
            return
        if tag in DROPPED or tag in VOID or self.dropping:
            return
        self.out.append(f"</{tag}>")

    def handle_data(self, data):
        if not self.dropping:
            self.out.append(escape(data, quote=False))

    def _img(self, attributes):
        src = attributes.get("src") or ""
        width = int(attributes["width"]) if (attributes.get("width") or "").isdigit() else 0
        height = int(attributes["height"]) if (attributes.get("height") or "").isdigit() else 0
        chosen = best_candidate(attributes.get("srcset") or "")
        if chosen is not None:
            src, chosen_width = chosen
            if width and height:
                height = round(height * chosen_width / width)
            width = chosen_width
        return email_img(
            src=absolute(src, base=self.base),
            alt=attributes.get("alt") or "",
            width=width,
            height=height,
            css_class="picture",
        )


def for_email(html: str, *, base: str) -> str:
    """Return the body HTML `html` fit for email (see the module's docstring); `base` is the
    site's scheme and host, for absolute addresses."""
    parser = _EmailBody(base)
    parser.feed(html)
    parser.close()
    return "".join(parser.out)


BLOCKS = {"p", "h1", "h2", "h3", "figure", "blockquote", "ul", "ol", "hr", "figcaption", "div"}


class _PlainText(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.lines = []
        self.line = []
        self.links = []  # (href, where its text began)
        self.prefixes = []
        self.dropping = 0

    def _end_line(self):
        text = " ".join("".join(self.line).split())
        if text:
            self.lines.append("".join(self.prefixes) + text)
        self.line = []

    def _blank(self):
        self._end_line()
        if self.lines and self.lines[-1] != "":
            self.lines.append("")

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag in {"script", "style"}:
            self.dropping += 1
        if self.dropping:
            return
        if tag in BLOCKS:
            self._blank()
        if tag in {"h1", "h2", "h3"}:
            self.line.append("## " if tag != "h1" else "")
        elif tag == "li":
            self._end_line()
            self.line.append("- ")
        elif tag == "blockquote":
            self.prefixes.append("> ")
        elif tag == "br":
            self._end_line()
        elif tag == "img":
            alt = (attributes.get("alt") or "").strip()
            if alt:
                self.line.append(f"[Picture: {alt}] ")
        elif tag == "a":
            self.links.append((attributes.get("href") or "", len("".join(self.line))))

    def handle_endtag(self, tag):
        if tag in {"script", "style"}:
            self.dropping = max(0, self.dropping - 1)
            return
        if self.dropping:
            return
        if tag == "a" and self.links:
            href, start = self.links.pop()
            text = "".join(self.line)[start:].strip()
            if href and href != text and not href.startswith("#"):
                self.line.append(f" ({href})")
        elif tag == "blockquote" and self.prefixes:
            self._end_line()
            self.prefixes.pop()
        if tag in BLOCKS or tag == "li":
            self._blank() if tag in BLOCKS else self._end_line()

    def handle_data(self, data):
        if not self.dropping:
            self.line.append(data)

    def text(self) -> str:
        self._end_line()
        while self.lines and self.lines[-1] == "":
            self.lines.pop()
        while self.lines and self.lines[0] == "":
            self.lines.pop(0)
        return "\n".join(self.lines)


def as_plain_text(html: str) -> str:
    """Return `html` as plain text: a paragraph a block, links as "text (address)", pictures by
    their alt text, quotes marked "> "."""
    parser = _PlainText()
    parser.feed(html)
    parser.close()
    return parser.text()
