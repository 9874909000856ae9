import logging
from collections import Counter
from dataclasses import replace

from shared.telemetry import record_tick, set_up_telemetry
from tools.card_samples import event


def report_with(transitions_events, withheld=None):
    """A TickReport as a tick would make it, for one quarantine."""
    from shared.outbox import Settlement
    from shared.tick import TickReport
    from tools.card_samples import NOW

    return TickReport(
        tick_id="abc123", started_at=NOW, seconds=1.5, baseline=False, service_principals=3, jobs=4, transitions=(),
        events=tuple(transitions_events), read_failures=(), outcomes=(), settlement=Settlement(), waiting=(),
        dead_lettered=0, entities_read=7, entities_written=2, unhealthy_jobs=1, graph_stats={"requests": 3, "throttled": 0},
        withheld=Counter(withheld or {}), tenant_id="72f988bf-86f1-41af-91ab-2d7cd011db47",
    )


def test_tick_line_carries_its_counts_as_custom_dimensions(caplog):
    caplog.set_level(logging.INFO, logger="syncwatch")
    dimensions = record_tick(report_with([event("Active", "Quarantine")]))
    record, transition = [r for r in caplog.records if r.name == "syncwatch"]
    assert record.custom_dimensions == dimensions and record.tick_id == "abc123"
    assert transition.custom_dimensions["currentCode"] == "Quarantine" and transition.custom_dimensions["app"] == "Salesforce"
    assert dimensions["unhealthy_jobs"] == 1 and dimensions["graph_requests"] == 3 and dimensions["duration_seconds"] == 1.5
    assert "tick abc123" in record.getMessage()


def test_without_a_connection_string_nothing_is_exported():
    assert set_up_telemetry({}) is False


def test_cards_kept_from_teams_are_dimensions_of_the_tick_and_of_each_transition(caplog):
    caplog.set_level(logging.INFO, logger="syncwatch")
    kept = replace(event("Active", "Quarantine"), withheld="flapping")
    dimensions = record_tick(report_with([kept], withheld={"flapping": 1}))
    transition = [r for r in caplog.records if r.name == "syncwatch"][1]
    assert dimensions["kept_from_teams_flapping"] == 1 and dimensions["tenant_id"] == "72f988bf-86f1-41af-91ab-2d7cd011db47"
    assert transition.custom_dimensions["kind"] == "statusChanged" and transition.custom_dimensions["keptFromTeams"] == "flapping"


def test_a_report_and_an_observation_print_short_whatever_their_size():
    """Bug: asyncio.run (Python 3.11) formats the repr of what it returns; a baseline's 10,000 events made that
    one string about 200 MB and several seconds in `poll --once`."""
    from shared.model import Observation

    report = report_with([event("Active", "Quarantine")] * 2000)
    assert len(repr(report)) < 500 and "tick abc123" in repr(report)
    observation = Observation(jobs=(), listed_sps=frozenset(f"sp-{i}" for i in range(5000)))
    assert len(repr(observation)) < 200
