"""The background work's admin pages in Chromium: an editor finds a failed task and a failed
email, reads why, and runs each again; every page passes axe-core."""

from datetime import timedelta

import pytest
from django.utils import timezone
from django_tasks.base import TaskResultStatus
from playwright.sync_api import expect

from foundation.models import OutboxMessage, TaskWorker
from tests.axe import serious_violations
from tests.foundation.test_admin import failed_message, failed_task, make_editor

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


# Whether a list's every column is in view (on pytest-playwright's 1280-pixel-wide page).
LIST_FITS = """(() => {
  const results = document.querySelector(".results");
  return !results || results.scrollWidth <= results.clientWidth;
})()"""


def look(page, shots, name):
    shots(page, f"{name}.png", full_page=True)
    assert serious_violations(page) == [], name
    assert page.evaluate(LIST_FITS), f"{name}: the list is wider than the page, a column cut off"


def test_an_editor_finds_failed_work_reads_why_and_runs_it_again(live_server, page, shots):
    make_editor(email="eve@example.com")
    task, message = failed_task(), failed_message()
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", "eve@example.com")
    page.fill("#id_password", "staff-password-123")
    page.click("input[type=submit]")

    page.get_by_role("link", name="Background tasks").click()
    page.get_by_role("link", name="Failed", exact=True).click()
    expect(page.locator("#result_list")).to_contain_text("the storage did not answer")
    look(page, shots, "background-tasks-failed")

    page.get_by_role("link", name="image renditions make").click()
    expect(page.locator("pre")).to_contain_text("Traceback (most recent call last)")
    look(page, shots, "background-task")

    page.go_back()
    page.locator(f"input[name=_selected_action][value='{task.pk}']").check()
    page.select_option("select[name=action]", "run_again")
    page.get_by_role("button", name="Go").click()
    expect(page.locator(".messagelist")).to_contain_text("1 failed task(s) queued again.")
    look(page, shots, "background-tasks-run-again")
    task.refresh_from_db()
    assert task.status == TaskResultStatus.READY

    page.goto(f"{live_server.url}/admin/foundation/outboxmessage/?status__exact=failed")
    expect(page.locator("#result_list")).to_contain_text("Reset your password")
    look(page, shots, "outbox-failed")
    page.locator(f"input[name=_selected_action][value='{message.pk}']").check()
    page.select_option("select[name=action]", "send_again")
    page.get_by_role("button", name="Go").click()
    expect(page.locator(".messagelist")).to_contain_text("1 failed email(s) queued")
    look(page, shots, "outbox-sent-again")
    message.refresh_from_db()
    assert message.status == OutboxMessage.Status.SENT

    TaskWorker.objects.create(worker_id="web-1-42-a", host="web-1", pid=4242, task_id=str(task.pk))
    TaskWorker.objects.create(
        worker_id="web-2-77-b", host="web-2", pid=77, beat_at=timezone.now() - timedelta(hours=1)
    )
    page.goto(f"{live_server.url}/admin/foundation/taskworker/")
    expect(page.locator("#result_list")).to_contain_text("web-1 pid 4242")
    expect(page.locator("#result_list img[alt=True]")).to_have_count(1)  # alive
    expect(page.locator("#result_list img[alt=False]")).to_have_count(1)  # silent for an hour
    look(page, shots, "task-workers")
