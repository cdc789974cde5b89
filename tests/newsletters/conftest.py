import pytest

from tests.newsletters.resend_stand_in import API_KEY, SIGNING_SECRET, ResendStandIn


@pytest.fixture
def provider(settings):
    """The stand-in Resend, with the site's email going to it through anymail."""
    stand_in = ResendStandIn().start()
    settings.EMAIL_BACKEND = "foundation.email_providers.ResendEmailBackend"
    settings.ANYMAIL = {
        "RESEND_API_KEY": API_KEY,
        "RESEND_API_URL": stand_in.url,
        "RESEND_SIGNING_SECRET": SIGNING_SECRET,
        "REQUESTS_TIMEOUT": 5,
    }
    settings.NEWSROOM_NEWSLETTER_RATE_PER_SECOND = 0
    yield stand_in
    stand_in.stop()
