from datetime import datetime, timedelta, timezone

from shared.discovery import DiscoveryState, WatchedSp, advanced, after_reads
from shared.model import ServicePrincipal

NOW = datetime(2026, 11, 25, 10, tzinfo=timezone.utc)
SIX_HOURS = timedelta(hours=6)


def sp(sp_id):
    return ServicePrincipal(sp_id, None, sp_id.upper())


def test_first_tick_discovers_everything():
    assert DiscoveryState().pages_due(NOW, interval=SIX_HOURS, pages_per_tick=1) == -1


def test_a_cycle_in_progress_reads_its_slice_each_tick():
    assert DiscoveryState(cursor="next", last_completed_at=NOW).pages_due(NOW, interval=SIX_HOURS, pages_per_tick=2) == 2


def test_a_new_cycle_starts_only_when_the_interval_has_passed():
    done = DiscoveryState(None, NOW - SIX_HOURS, NOW - timedelta(hours=5))
    assert done.pages_due(NOW, interval=SIX_HOURS, pages_per_tick=1) == 0
    assert done.pages_due(NOW + timedelta(hours=1), interval=SIX_HOURS, pages_per_tick=1) == 1


def test_advancing_to_the_end_completes_the_cycle():
    started = advanced(DiscoveryState(None, None, NOW - SIX_HOURS), "page2", NOW, started=True)
    assert (started.cursor, started.cycle_started_at, started.last_completed_at) == ("page2", NOW, NOW - SIX_HOURS)
    done = advanced(started, None, NOW + timedelta(minutes=5), started=False)
    assert (done.cursor, done.cycle_started_at, done.last_completed_at) == (None, NOW, NOW + timedelta(minutes=5))


def test_candidates_with_jobs_join_the_watchlist_and_others_do_not():
    updated = after_reads({}, [sp("a"), sp("b")], {"a": 2, "b": 0})
    assert list(updated) == ["a"]


def test_an_sp_leaves_the_watchlist_after_two_empty_reads_in_a_row():
    watched = {"a": WatchedSp(sp("a"))}
    once = after_reads(watched, [], {"a": 0})
    assert once["a"].empty_reads == 1
    assert after_reads(once, [], {"a": 1})["a"].empty_reads == 0  # jobs back: the count starts over
    assert "a" not in after_reads(once, [], {"a": 0})


def test_an_unread_sp_keeps_its_place():
    watched = {"a": WatchedSp(sp("a"), empty_reads=1)}
    assert after_reads(watched, [], {}) == watched
