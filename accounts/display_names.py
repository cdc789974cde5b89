"""What a reader's chosen name may hold.

The name greets its reader, and it goes to other people: a gift's email to any address says
"Ann Lee gifted you an article", in its subject. So a name is a person's name and nothing a
stranger could be sent through it: at most `DISPLAY_NAME_MAX_LENGTH` characters, no web or
email address, no line break, no control character (a right-to-left override included).
Letters of any script, spaces, apostrophes, hyphens and initials ("J.R.R. Tolkien") are fine.

The forms refuse such a name (`validate_display_name`, on `User.name`); what is shown to
others asks `display_name_is_safe` again, for names stored before the rule or around the forms.
"""

import re
import unicodedata

from django.core.exceptions import ValidationError

DISPLAY_NAME_MAX_LENGTH = 60

# After NFKC, which folds look-alikes such as a full-width dot into plain ASCII.
WEB_ADDRESS = re.compile(r"://|\bwww\.|[^\W_][\w-]*\.[^\W\d_]{2,}\b", re.IGNORECASE)
LINE_BREAKS = {"\n", "\r", "\v", "\f", "\x85", "\u2028", "\u2029"}
# Invisible characters that reorder or hide text; zero-width (non-)joiners stay: scripts such
# as Persian and emoji sequences need them.
DIRECTION_CONTROLS = set("\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def _problem(name: str) -> str | None:
    if len(name) > DISPLAY_NAME_MAX_LENGTH:
        return f"A name may be at most {DISPLAY_NAME_MAX_LENGTH} characters long."
    if any(character in LINE_BREAKS for character in name):
        return "A name must be on one line: take out the line breaks."
    if any(
        unicodedata.category(character) == "Cc" or character in DIRECTION_CONTROLS
        for character in name
    ):
        return "A name cannot contain control characters such as tabs."
    folded = unicodedata.normalize("NFKC", name)
    if "@" in folded:
        return "A name cannot contain an email address."
    if _has_web_address(folded):
        return "A name cannot contain a web address: use your name only."
    return None


def _has_web_address(name: str) -> bool:
    """Whether `name` holds something a mail client would make a link of: a scheme, "www.",
    or a word, a dot and a top-level domain ("evil.example", "bit.ly"). Initials are not one
    ("J.R.R." has no two-letter part after a dot; "Dr. Ann" has a space)."""
    return WEB_ADDRESS.search(name) is not None


def validate_display_name(name: str) -> None:
    """Refuse `name` as a reader's display name, saying why."""
    if problem := _problem(name):
        raise ValidationError(problem, code="display_name")


def display_name_is_safe(name: str) -> bool:
    """Return whether `name` may be shown to other people as it is."""
    return _problem(name) is None
