import pytest


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    """Store each test's uploads in its own temporary folder, gone after the run."""
    settings.MEDIA_ROOT = tmp_path / "uploads"
    settings.NEWSROOM_RENDITION_WIDTHS = [480, 800, 1200, 1600]
    return settings.MEDIA_ROOT
