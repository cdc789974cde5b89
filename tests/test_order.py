"""The tests that empty the database run after every other test in their process.

A test that commits (a browser test, a race between threads) leaves the database empty behind
it: Django flushes it, and `serialized_rollback` puts the migrated rows (content types, staff
groups) back only when the next such test starts. A test that rolls back, run after it, would
find neither: `make test` in one process (TEST_PROCESSES=0) failed 440 tests so.
"""

from tests.conftest import empties_the_database


def test_the_tests_that_empty_the_database_come_after_every_other(request):
    empties = [empties_the_database(item) for item in request.session.items]
    assert empties == sorted(empties), "a test that rolls back runs after one that flushed"
