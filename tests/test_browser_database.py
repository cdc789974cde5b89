"""Browser tests find the rows the migrations made (the staff groups), whatever ran before them.

Playwright's sync API runs an event loop in the test's thread: from its start, Django keeps that
thread's database connection apart from the one it had before (asgiref's `Local` turns into a
context variable), and the connection that took the migrated rows' snapshot for
`serialized_rollback` was the earlier one. Unless Playwright starts before the test database is
made (tests/conftest.py), a browser test that follows any other test in its process finds the
groups gone after the first browser test's flush.
"""

import pytest
from django.contrib.auth.models import Group

from tests.factories import make_staff

MIGRATED_GROUPS = {"Journalist", "Editor"}


@pytest.mark.django_db
def test_an_ordinary_test_first():
    assert set(Group.objects.values_list("name", flat=True)) >= MIGRATED_GROUPS
    make_staff()  # and leaves nothing behind: its transaction is rolled back


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize("turn", ["first", "after another browser test's flush"])
def test_a_browser_test_finds_the_migrated_groups(live_server, page, turn):
    assert set(Group.objects.values_list("name", flat=True)) >= MIGRATED_GROUPS
    page.goto(f"{live_server.url}/admin/login/")
    assert page.title()
