"""Cache purges when content that pages reuse changes (side effects only, no decisions)."""

from .body import body_cache_invalidate_all
from .pages import content_changed


def forget_rendered_bodies(**kwargs):
    body_cache_invalidate_all()


def forget_rendered_pages(**kwargs):
    content_changed()
