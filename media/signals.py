"""File clean-up: a deleted picture or rendition takes its stored file with it."""

from media.services import file_delete_on_commit


def delete_stored_file(sender, instance, **kwargs):
    """Delete the row's file once the deletion is committed."""
    file_delete_on_commit(storage=instance.file.storage, name=instance.file.name)
