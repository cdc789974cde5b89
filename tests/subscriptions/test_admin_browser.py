"""A read given back in Chromium: the reader's metered read is shown read-only, and deleting it
says first that it gives the read back."""

import pytest
from django.contrib.admin.models import LogEntry
from playwright.sync_api import expect

from subscriptions.meter import meter_period
from subscriptions.models import MeteredRead
from tests.admin_editor import signed_in
from tests.axe import serious_violations
from tests.subscriptions.factories import make_reader

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_a_read_is_shown_read_only_and_given_back_after_saying_so(
    live_server, page, django_user_model, shots
):
    sam = django_user_model.objects.create_superuser(
        email="sam@example.com", password="sam-pass-4242"
    )
    reader = make_reader(email="ada@example.com")
    read = MeteredRead.objects.create(user=reader, article_id=42, period=meter_period())
    signed_in(page, live_server.url, sam)

    page.goto(f"{live_server.url}/admin/subscriptions/meteredread/{read.pk}/change/")
    expect(page.locator("#content-main .readonly").first).to_be_visible()
    expect(page.locator("input[name=_save]")).to_have_count(0)
    shots(page, "metered-read.png", full_page=True)
    assert serious_violations(page) == []

    page.get_by_role("link", name="Delete").click()
    expect(page.locator("#content")).to_contain_text("Give back this read: ada@example.com")
    shots(page, "give-back.png", full_page=True)
    assert serious_violations(page) == []
    page.locator("input[type=submit]").click()

    expect(page.locator(".messagelist")).to_contain_text("was deleted successfully")
    assert not MeteredRead.objects.exists()
    assert (
        LogEntry.objects.get()
        .get_change_message()
        .startswith("Gave back ada@example.com's read of article #42")
    )
