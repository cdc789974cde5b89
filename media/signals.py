"""File clean-up: a deleted picture or rendition takes its stored file with it; and what the
library tells others: a picture's renditions are made (`renditions_made`, sender=Image, with
`image`), so pages that showed its original may show them now."""

from django.dispatch import Signal

renditions_made = Signal()


def delete_stored_file(sender, instance, **kwargs):
    """Delete the row's file once the deletion is committed."""
    from media.services import file_delete_on_commit

    file_delete_on_commit(storage=instance.file.storage, name=instance.file.name)
