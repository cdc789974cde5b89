"""Driving the article editor in the admin from Playwright (see shared TESTING.md's notes)."""

from django.conf import settings
from playwright.sync_api import Error as PlaywrightError

from tests.readers import logged_in


def choose(page, select_id, text):
    """Pick `text` in the admin's autocomplete (select2) widget for <select id=select_id>."""
    page.click(f"#{select_id} + .select2 .select2-selection")
    page.fill(".select2-container--open .select2-search__field", text[:4])
    page.click(f".select2-results__option:has-text('{text}')")


def add_block(page, kind):
    """Add a body block of `kind` ("text", "image", …) at the end, with content-editor."""
    page.click(".order-machine-insert-target.last")
    page.click(f".plugin-buttons .plugin-button[title='{kind}']")


def log_in_to_admin(page, site_url, email, password):
    """Log in on the admin's own log-in page as `email` (for the tests of logging in, and of
    a day that starts with it; elsewhere `signed_in` is quicker)."""
    page.goto(f"{site_url}/admin/login/")
    page.fill("#id_username", email)
    page.fill("#id_password", password)
    page.click("input[type=submit]")


def click_closing_its_window(window, locator):
    """Click `locator`, a button whose press closes `window` (a chooser's "Choose"), and wait
    for the close. The window can close before Chromium has answered the click itself, and
    Playwright then raises on the click although it was done (microsoft/playwright#26900):
    the close is what is asserted, so that error alone is let pass."""
    with window.expect_event("close"):
        try:
            locator.click()
        except PlaywrightError:
            if not window.is_closed():
                raise


def signed_in(page, site_url, user):
    """Give `page`'s browser a session of `user`'s, as if they had logged in: made by Django's
    test client, and handed to the browser as its cookie. The log-in page, its POST and the
    admin's index they land on cost a browser test about 0.6 s of CPU; the tests of logging in
    and the journalist's day walk them (`log_in_to_admin`)."""
    session = logged_in(user).cookies[settings.SESSION_COOKIE_NAME].value
    page.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": site_url}]
    )
