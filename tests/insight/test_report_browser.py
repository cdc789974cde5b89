"""The paywall report in Chromium: an editor opens it, sorts by conversion rate, downloads the
CSV and opens the meter's what-if; each page passes axe-core at a desktop's and a phone's
width. With NEWSROOM_SCREENSHOTS set, screenshots of each go there (the report's as
report.png)."""

import csv

import pytest
from django.apps import apps
from django.contrib.auth.management import create_permissions
from django.contrib.auth.models import Group
from django.utils import timezone
from playwright.sync_api import expect

from insight.models import Kind
from tests.axe import serious_violations
from tests.factories import make_article, make_staff
from tests.insight.factories import converted, demand, seen

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

WIDTHS = {"desktop": 1280, "phone": 390}


def look(page, shots, name):
    """Check `page` with axe-core at each width, keeping a screenshot of each."""
    for label, width in WIDTHS.items():
        page.set_viewport_size({"width": width, "height": 900})
        suffix = "" if label == "desktop" else f"-{width}"
        shots(page, f"{name}{suffix}.png", full_page=True)
        assert serious_violations(page) == [], f"{name} at {width}px"
    page.set_viewport_size({"width": WIDTHS["desktop"], "height": 900})


def walls_and_subscriptions():
    """Three articles: one converts one wall in two, one one in five, one is only read."""
    often = make_article(headline="Inside the ferry accounts")
    seldom = make_article(headline="The harbour's new crane")
    read = make_article(headline="Tide tables for December", access="free")
    for n, article in enumerate([often, often, *[seldom] * 5]):
        seen(Kind.WALL, article, visitor=f"v{n}")
    seen(Kind.PROMPT_CLICK, often, visitor="v0")
    converted(Kind.SIGNUP, user_id=100, visitor="v0")
    converted(Kind.SUBSCRIPTION, user_id=100, subscription_id=1)
    converted(Kind.SUBSCRIPTION, user_id=101, visitor="v2", subscription_id=2)
    seen(Kind.READ, read, visitor="v9")
    return often, seldom, read


def test_an_editor_sorts_the_report_exports_it_and_sees_the_meter(
    live_server, page, settings, shots
):
    settings.NEWSROOM_METER_ANONYMOUS = 3
    # A transactional test's flush may have taken the permissions: made again.
    create_permissions(apps.get_app_config("insight"), verbosity=0)
    editor = make_staff("insight.view_event", email="ed@example.com")
    editor.groups.add(Group.objects.get(name="Editor"))
    often, seldom, read = walls_and_subscriptions()
    demand(
        timezone.localdate().replace(day=1),
        "anonymous",
        {1: 400, 2: 150, 3: 90, 4: 60, 6: 30, 11: 20},
        walled={4: 55, 6: 30, 11: 20},
    )

    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", "ed@example.com")
    page.fill("#id_password", "staff-password-123")
    page.click("input[type=submit]")
    page.get_by_role("link", name="Conversion report").click()
    expect(page.locator("#insight-report tbody tr")).to_have_count(3)
    expect(page.locator(".insight-reconciliation")).to_contain_text("2 subscription events")
    look(page, shots, "report")

    page.get_by_role("link", name="Conversion rate").click()
    expect(page.locator("#insight-report th[aria-sort=descending]")).to_contain_text(
        "Conversion rate"
    )
    names = page.locator("#insight-report tbody th").all_inner_texts()
    assert names == [often.headline, seldom.headline, read.headline]
    page.get_by_role("link", name="Conversion rate").click()  # and back: the lowest first
    expect(page.locator("#insight-report tbody th").first).to_have_text(seldom.headline)

    with page.expect_download() as download:
        page.get_by_role("link", name="Download this table as CSV").click()
    assert download.value.suggested_filename.startswith("paywall-report-by-article-")
    with open(download.value.path(), newline="") as file:
        table = list(csv.reader(file))
    assert table[0][0] == "Article"
    assert [line[0] for line in table[1:]] == [
        seldom.headline,
        often.headline,
        read.headline,
        "Total",
    ]

    page.locator("#insight-report tbody tr").first.get_by_role("link").nth(1).click()
    expect(page.locator("#result_list tbody tr")).to_have_count(5)
    look(page, shots, "report-events")

    page.goto(f"{live_server.url}/admin/insight/report/")
    page.get_by_role("link", name="the meter's what-if").click()
    # 110 readers wanted more than 3 articles, 50 more than 4.
    expect(page.locator("body")).to_contain_text(
        "4 free articles: 55 % fewer readers meet the wall"
    )
    look(page, shots, "meter")
