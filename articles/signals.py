"""Cache purges when content that pages reuse changes (side effects only, no decisions)."""

from django.core.cache import cache

from .body import body_cache_invalidate_all
from .context_processors import NAV_SECTIONS_KEY
from .pages import content_changed


def forget_nav_sections(**kwargs):
    cache.delete(NAV_SECTIONS_KEY)


def forget_rendered_bodies(**kwargs):
    body_cache_invalidate_all()


def forget_rendered_pages(**kwargs):
    content_changed()
