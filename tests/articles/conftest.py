import pytest

from articles.events import article_changed


@pytest.fixture
def announced():
    """Collect (article id, change) for each announcement, as listeners get them."""
    changes = []

    def listener(sender, article_id, change, **kwargs):
        changes.append((article_id, change))

    article_changed.connect(listener)
    yield changes
    article_changed.disconnect(listener)
