"""The kept-value layer's rules (`foundation.kept`), on the kinds the site keeps.

Each test here runs a writing transaction as `transaction.atomic()`: the suite runs its commit
callbacks when the block ends, as a commit would (`tests/conftest.py`). The same rules under a
paused Redis, with gunicorn's workers and the scheduler: `tests/foundation/test_faults.py`.
"""

import contextlib

import pytest
from django.core.cache import caches
from django.db import transaction
from django.utils import timezone

from accounts.sessions import SESSION, SessionStore
from foundation import kept
from foundation.models import MissedWrite
from subscriptions.entitlement import ENTITLEMENT
from tests.subscriptions.factories import make_reader, make_subscription

pytestmark = pytest.mark.django_db


def kept_now(kind, ident):
    return caches["kept"].get(kind.key(ident), "nothing kept")


@pytest.fixture
def refreshes():
    counted = []

    def count(sender, kind, ident, **kwargs):
        counted.append((kind.name, ident))

    kept.refreshed.connect(count)
    yield counted
    kept.refreshed.disconnect(count)


def test_a_change_is_kept_once_its_transaction_commits_and_not_before():
    reader = make_reader()
    assert kept.read(ENTITLEMENT, reader.pk) == (False, None)

    with transaction.atomic():
        make_subscription(user=reader)
        assert kept_now(ENTITLEMENT, reader.pk) == (False, None)  # nobody may see it yet
        assert MissedWrite.objects.filter(kind="entitlement").count() == 1  # recorded with it

    entitled, until = kept_now(ENTITLEMENT, reader.pk)
    assert entitled and until > timezone.now()
    assert not MissedWrite.objects.exists()  # set, so nothing to repair


def test_a_change_rolled_back_keeps_nothing_and_leaves_nothing_to_repair():
    reader = make_reader()
    kept.read(ENTITLEMENT, reader.pk)

    with contextlib.suppress(RuntimeError), transaction.atomic():
        make_subscription(user=reader)
        raise RuntimeError("the payment failed")

    assert kept_now(ENTITLEMENT, reader.pk) == (False, None)
    assert not MissedWrite.objects.exists()


def test_many_changes_to_one_value_in_a_transaction_are_one_write(refreshes):
    reader = make_reader()
    refreshes.clear()
    with transaction.atomic():
        subscription = make_subscription(user=reader)
        for days in (10, 20, 30):
            subscription.current_period_end = timezone.now() + timezone.timedelta(days=days)
            subscription.save()

    assert refreshes.count(("entitlement", reader.pk)) == 1


def test_a_row_gone_is_kept_as_none_and_no_fill_from_before_brings_it_back():
    session = SessionStore()
    session["note"] = "logged in"
    session.save()
    key = session.session_key
    read_before_the_log_out = SESSION.load(key)
    assert kept.read(SESSION, key)["data"] == {"note": "logged in"}

    session.delete()  # on commit: kept as "no such session"
    # What a request that read the row just before the delete committed does: refused.
    caches["kept"].add(SESSION.key(key), read_before_the_log_out, 60)

    assert kept.read(SESSION, key) is None
    assert SessionStore(key).load() == {}


def test_a_repair_sets_what_the_cache_missed_and_forgets_only_what_it_read():
    reader = make_reader()
    make_subscription(user=reader)
    # A write the cache did not take: the old answer still there, the miss recorded.
    caches["kept"].set(ENTITLEMENT.key(reader.pk), (False, None))
    MissedWrite.objects.create(kind="entitlement", ident=str(reader.pk))

    assert kept.repair() == 0

    assert kept_now(ENTITLEMENT, reader.pk)[0] is True
    assert not MissedWrite.objects.exists()


def test_a_missed_write_of_a_kind_no_process_knows_any_more_is_dropped(caplog):
    MissedWrite.objects.create(kind="a-kind-since-removed", ident="1")

    assert kept.repair() == 0
    assert "unknown kind of kept value" in caplog.text


def test_two_kinds_of_the_same_name_cannot_be_defined():
    with pytest.raises(ValueError, match="already"):
        kept.kind("session", load=lambda ident: None, timeout=1)
