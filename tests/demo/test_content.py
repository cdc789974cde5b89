import shutil
from itertools import pairwise
from pathlib import Path

import pytest
from django.core.management.base import CommandError

from demo import content
from demo.content import Break, Figure, PullQuote, Text

ARTICLE_FILES = sorted((content.CONTENT_DIR / "articles").glob("*.md"))

FRONT_MATTER = """+++
headline = "Tide gauge moved"
standfirst = "It now sits on the barrage."
section = "climate"
authors = ["priya-castellane"]
tags = ["flooding"]
access = "free"

[lead]
name = "gauge.jpg"
scene = "sea"
palette = ["#ffffff", "#000000", "#0077b6", "#adb5bd"]
alt = "A tide gauge"
caption = "The gauge"
credit = "Newsroom/Someone"
copyright_holder = "The Daily Newsroom"
+++
"""


@pytest.fixture
def newsroom():
    return content.read_newsroom()


@pytest.fixture
def write(tmp_path):
    def write(text, name="tide-gauge-moved.md"):
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return path

    return write


def test_there_are_a_dozen_articles():
    assert len(ARTICLE_FILES) == 12


@pytest.mark.parametrize("path", ARTICLE_FILES, ids=lambda path: path.stem)
def test_every_article_file_parses(path: Path, newsroom):
    article = content.read_article(path, newsroom=newsroom)

    assert article.slug == path.stem
    assert article.headline and article.standfirst and article.lead.alt
    assert isinstance(article.body[0], Text)
    assert sum(isinstance(block, Break) for block in article.body) <= 1
    # Text blocks are never side by side: consecutive text is one block.
    kinds = [type(block) for block in article.body]
    assert all((a, b) != (Text, Text) for a, b in pairwise(kinds))


def test_the_markdown_conventions(write, newsroom):
    path = write(
        FRONT_MATTER
        + """
The gauge has *moved* to the **barrage**, says the
[harbour office](https://harbour.example/gauge?a=1&b=2).

## Why it moved

- The old post <was> rotten
- Readings drifted
  by a hand's width

1. First
2. Second

<!-- paywall -->

### More

> Sea levels do not wait
> for the council.
> — Tomasz Wielgosz, harbour engineer

```picture
name = "gauge-close.jpg"
scene = "sea"
palette = ["#caf0f8", "#90e0ef", "#0077b6", "#adb5bd"]
alt = "A close view of the gauge"
caption = "The new gauge"
credit = "Newsroom/Someone"
copyright_holder = "The Daily Newsroom"
layout = "inset"
```

Last words.
"""
    )

    article = content.read_article(path, newsroom=newsroom)

    text, paywall, more, quote, figure, last = article.body
    assert text == Text(
        html="<p>The gauge has <em>moved</em> to the <strong>barrage</strong>, says the "
        '<a href="https://harbour.example/gauge?a=1&amp;b=2">harbour office</a>.</p>'
        "<h2>Why it moved</h2>"
        "<ul><li><p>The old post &lt;was&gt; rotten</p></li>"
        "<li><p>Readings drifted by a hand's width</p></li></ul>"
        "<ol><li><p>First</p></li><li><p>Second</p></li></ol>"
    )
    assert paywall == Break()
    assert more == Text(html="<h3>More</h3>")
    assert quote == PullQuote(
        text="Sea levels do not wait for the council.",
        attribution="Tomasz Wielgosz, harbour engineer",
    )
    assert isinstance(figure, Figure) and figure.layout == "inset"
    assert figure.picture.name == "gauge-close.jpg" and figure.picture.alt
    assert last == Text(html="<p>Last words.</p>")
    assert (article.state, article.days, article.time) == ("published", 0, "09:00")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda text: text.replace("+++\n", "", 1), "must start with a line `+++`"),
        (lambda text: text.replace("\n+++\n", "\n", 1), "front matter not closed"),
        (lambda text: text.replace('access = "free"', "access = free"), "line 7"),
        (lambda text: text.replace('access = "free"', 'access = "gratis"'), "unknown access"),
        (lambda text: text.replace('section = "climate"', 'section = "weather"'), "section"),
        (lambda text: text.replace("tags = ", "labels = "), "missing tags"),
        (lambda text: text.replace('access = "free"', 'access = "free"\nmood = 1'), "unknown mood"),
        (lambda text: text.replace('scene = "sea"', 'scene = "moon"'), "unknown scene"),
        (lambda text: text.replace('alt = "A tide gauge"\n', ""), "lead: missing alt"),
        (lambda text: text.replace('headline = "Tide gauge moved"', "headline = 3"), "headline"),
        (lambda text: text + "\nSome text.\n> A quote with no attribution\n", "attribution"),
        (lambda text: text + "\n<!-- paywall -->\n\nText.\n", "cannot come before"),
        (lambda text: text + "\nText.\n\n<!-- paywall -->\n\n<!-- paywall -->\n", "more than one"),
        (lambda text: text + "\nText.\n\n```video\n```\n", "unknown fenced block"),
        (lambda text: text + "\nText.\n\n```picture\nname = 1\n", "not closed"),
        (lambda text: text + "\n#### Too deep\n", "sub-heading"),
        (lambda text: text + "\n- one\n1. two\n", "mixes"),
        (lambda text: text, "no text"),
    ],
)
def test_a_malformed_file_is_a_command_error_naming_it(write, newsroom, change, message):
    path = write(change(FRONT_MATTER))

    with pytest.raises(CommandError, match=r"tide-gauge-moved\.md") as raised:
        content.read_article(path, newsroom=newsroom)

    assert message in str(raised.value)


def test_a_malformed_newsroom_file_is_named(tmp_path):
    shutil.copytree(content.CONTENT_DIR, tmp_path / "content")
    newsroom_file = tmp_path / "content" / "newsroom.toml"
    newsroom_file.write_text(newsroom_file.read_text().replace("[[tags]]", "[[tag]]", 1))

    with pytest.raises(CommandError, match=r"newsroom\.toml: unknown tag$"):
        content.read_newsroom(tmp_path / "content")


def test_the_newsroom_file_names_every_login_the_readme_lists(newsroom):
    readme = (content.CONTENT_DIR.parents[1] / "README.md").read_text()

    for login in newsroom.logins:
        assert f"| {login.email} | {login.password} |" in readme
