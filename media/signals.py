"""File clean-up: a deleted picture or rendition takes its stored file with it; and what the
library tells others: a picture's renditions are made (`renditions_made`, sender=Image, with
`image`), so pages that showed its original may show them now."""

from contextlib import contextmanager
from contextvars import ContextVar

from django.dispatch import Signal

renditions_made = Signal()

# Set while rows are deleted whose files pages that caches keep may still show.
_outlive_cached_pages = ContextVar("outlive_cached_pages", default=False)


@contextmanager
def files_outlive_cached_pages():
    """Within this, a deleted rendition's file is deleted only once no page a shared cache or
    a CDN may keep can show it any more (`media.services.file_delete_after_cached_pages`)."""
    token = _outlive_cached_pages.set(True)
    try:
        yield
    finally:
        _outlive_cached_pages.reset(token)


def delete_stored_file(sender, instance, **kwargs):
    """Delete the row's file once the deletion is committed (or once cached pages that show it
    are gone, within `files_outlive_cached_pages`)."""
    from media.services import file_delete_after_cached_pages, file_delete_on_commit

    if _outlive_cached_pages.get():
        file_delete_after_cached_pages(name=instance.file.name)
    else:
        file_delete_on_commit(storage=instance.file.storage, name=instance.file.name)
