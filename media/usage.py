"""Where a picture is used, for the library's page of it: "in 2 live articles", with links,
and for the chooser's "not used anywhere".

`media` names none of the apps that use pictures (tests/test_layers.py): each tells it here
(`register`, from its app's `ready()`) how to find what uses a picture, and which pictures it
uses as a condition on the library's rows.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.db.models import Expression, Q, Value


@dataclass(frozen=True)
class Use:
    """One thing that shows a picture: what it is, its admin page, and whether readers see it
    now or at a set time (a live or scheduled article), which is what rights expiry stops."""

    kind: str  # "article", "author"
    label: str
    url: str
    public: bool


_finders: list[Callable[[object], Iterable[Use]]] = []
_used: list[Callable[[], Q]] = []
_public: list[Callable[[], Expression]] = []


def register(
    finder: Callable[[object], Iterable[Use]],
    *,
    used: Callable[[], Q],
    public: Callable[[], Expression],
) -> None:
    """Add, for an app that uses pictures: `finder(image)`, which returns the uses of `image`;
    `used()`, the condition on `Image` rows that the app uses them; and `public()`, the number
    of the app's things that show the row's picture to readers now or at a set time."""
    if finder not in _finders:
        _finders.append(finder)
        _used.append(used)
        _public.append(public)


def public_uses() -> Expression:
    """The number of things readers see (now or at a set time) that show an `Image` row's
    picture, as an expression to annotate the rows with."""
    counts = [public() for public in _public]
    return sum(counts[1:], counts[0]) if counts else Value(0)


def unused_q() -> Q:
    """The condition on `Image` rows that nothing uses them."""
    condition = Q()
    for used in _used:
        condition &= ~used()
    return condition


def picture_uses(image) -> list[Use]:
    """Return everything that uses `image`, readers' first."""
    uses = [use for finder in _finders for use in finder(image)]
    return sorted(uses, key=lambda use: not use.public)
