"""The newsroom's admin for articles: each concern in its own module, registered here."""

from . import articles  # noqa: F401 - registers the article, section, author and tag admins
