"""How the suite is shared out (tests/lanes.py), and that a test finds the rows the migrations
made whatever ran before it in its process.

A test that commits (a browser test, a race between threads) leaves the database empty behind
it: Django flushes it, and `serialized_rollback` puts the migrated rows (content types, staff
groups) back only when the next such test starts. tests/lanes.py hands whole modules to the
processes, so a test that rolls back often follows one that committed; tests/conftest.py puts
the rows back before it (`MigratedRows`).
"""

from types import SimpleNamespace

import pytest
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command

from tests.conftest import MigratedRows
from tests.lanes import WAITING, Lanes

STAFF_GROUPS = {"Journalist", "Editor"}


def migrated_rows():
    return (
        set(Group.objects.values_list("name", flat=True)) >= STAFF_GROUPS,
        ContentType.objects.filter(app_label="articles", model="article").exists(),
        Permission.objects.filter(codename="publish_article").exists(),
    )


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_rows_a_flush_took_are_put_back():
    assert migrated_rows() == (True, True, True)
    call_command("flush", interactive=False, inhibit_post_migrate=True, verbosity=0)
    assert not Group.objects.exists() and not ContentType.objects.exists()

    MigratedRows.put_back()

    assert migrated_rows() == (True, True, True)


@pytest.mark.django_db
def test_a_test_that_rolls_back_finds_the_migrated_rows():
    assert migrated_rows() == (True, True, True)


def test_each_module_the_first_process_starts_with_exists(request):
    missing = [module for module in WAITING if not (request.config.rootpath / module).is_file()]
    assert not missing, f"tests/lanes.py names modules that are gone: {missing}"


class Process:
    """Stands in for xdist's controller of one test process: what it was sent, and whether it
    was told to finish."""

    def __init__(self, name):
        self.gateway = SimpleNamespace(id=name)
        self.sent = []
        self.shutting_down = False

    def send_runtest_some(self, indexes):
        self.sent.extend(indexes)

    def shutdown(self):
        self.shutting_down = True


COLLECTION = [
    *(f"tests/deploy/test_cdn.py::test_{n}" for n in range(3)),
    "tests/foundation/test_worker.py::test_0",
    *(f"tests/articles/test_day_browser.py::test_{n}[chromium]" for n in range(2)),
    *(f"tests/articles/test_views.py::test_{n}" for n in range(4)),
    *(f"tests/articles/test_feeds.py::test_{n}" for n in range(2)),
]


def started(count):
    processes = [Process(f"gw{n}") for n in range(count)]
    lanes = Lanes(count)
    for process in processes:
        lanes.add_node(process)
        lanes.add_node_collection(process, COLLECTION)
    lanes.schedule()
    return lanes, processes


def run(lanes, processes):
    """Let the processes finish their tests, the last of them first each time, until each has
    been told to finish; return the modules each ran, in order, and the tests run."""
    done = dict.fromkeys(processes, 0)
    while busy := [p for p in processes if done[p] < len(p.sent)]:
        process = busy[-1]
        done[process] += 1
        lanes.mark_test_complete(process, process.sent[done[process] - 1])
    assert all(process.shutting_down for process in processes)
    ran = {
        p.gateway.id: [COLLECTION[index].partition("::")[0] for index in p.sent] for p in processes
    }
    return ran, sorted(COLLECTION[index] for p in processes for index in p.sent)


def in_turn(modules):
    """The modules in the order they ran, each once however many tests it had."""
    return [module for n, module in enumerate(modules) if n == 0 or modules[n - 1] != module]


def test_each_process_starts_with_its_lane_and_gets_whole_modules():
    lanes, processes = started(4)

    assert [COLLECTION[p.sent[0]].partition("::")[0] for p in processes] == [
        "tests/deploy/test_cdn.py",
        "tests/articles/test_day_browser.py",
        "tests/articles/test_views.py",  # the rest, longest first
        "tests/articles/test_feeds.py",
    ]
    ran, tests = run(lanes, processes)
    assert tests == sorted(COLLECTION)  # each test once
    modules = [module for turns in ran.values() for module in in_turn(turns)]
    assert len(modules) == len(set(modules)) == 5  # each module whole, in one process


def test_a_process_whose_lane_is_empty_helps_where_the_most_is_left():
    lanes, processes = started(2)  # a waiting lane and a browser lane, none for the rest

    ran, tests = run(lanes, processes)

    assert tests == sorted(COLLECTION)
    assert in_turn(ran["gw1"]) == [
        "tests/articles/test_day_browser.py",
        "tests/foundation/test_worker.py",  # a waiting test is guessed at 2 s, the rest 0.6 s
        "tests/articles/test_views.py",  # then the longest module of the rest
        "tests/articles/test_feeds.py",
    ]
    assert in_turn(ran["gw0"]) == ["tests/deploy/test_cdn.py"]


def test_a_process_that_crashes_names_its_test_and_its_other_tests_go_to_the_others():
    lanes, processes = started(3)
    crashed = processes[2]  # sent the four tests of test_views.py, the longest of the rest
    lanes.mark_test_complete(crashed, crashed.sent[0])

    assert lanes.remove_node(crashed) == "tests/articles/test_views.py::test_1"

    ran, tests = run(lanes, processes[:2])
    views = [f"tests/articles/test_views.py::test_{n}" for n in range(4)]
    assert tests == sorted(set(COLLECTION) - set(views[:2]))
    assert sum(in_turn(turns).count("tests/articles/test_views.py") for turns in ran.values()) == 1
