"""What tests of a reader's page share: the text after the cut, a page read, a logged-in client."""

from django.test import Client

BEYOND = "Beyond the cut."  # the text after a test article's cut


def reads_in_full(client, article):
    """Whether `client` is sent `article` past its cut (which must hold `BEYOND`)."""
    response = client.get(article.get_absolute_url())
    assert response.status_code == 200
    return BEYOND in response.content.decode()


def logged_in(user):
    """A test client logged in as `user`."""
    client = Client()
    client.force_login(user)
    return client
