import pytest

from articles.events import article_changed


@pytest.fixture
def announced():
    """Collect (article id, change) for each change announced, as listeners get them."""
    collected = []

    def listener(sender, article_id, changes, **kwargs):
        collected.extend((article_id, change) for change in changes)

    article_changed.connect(listener)
    yield collected
    article_changed.disconnect(listener)
