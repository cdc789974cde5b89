"""Cache purges when content that pages reuse changes (side effects only, no decisions)."""

from .pages import content_changed


def forget_rendered_pages(**kwargs):
    content_changed()
