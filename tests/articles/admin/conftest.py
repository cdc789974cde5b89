import pytest


@pytest.fixture
def editor_client(client, staff_user):
    """The test client, logged in as a superuser (who may publish)."""
    client.force_login(staff_user)
    return client
