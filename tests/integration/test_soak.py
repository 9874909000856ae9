"""A short, seeded soak in CI: every fault kind, 0 transitions lost, doubles only under the same id, and no
secret in any log line, error or event. `make soak` runs the long one (docs/reliability.md)."""

import logging

import pytest

from tools.soak import run_soak


@pytest.fixture(scope="module")
def soak(request):
    caplog_handler = logging.Handler(level=logging.DEBUG)
    captured = []
    caplog_handler.emit = lambda record: captured.append(record.getMessage())
    root = logging.getLogger()
    previous_level = root.level
    root.addHandler(caplog_handler)
    root.setLevel(logging.DEBUG)
    try:
        result = run_soak(seed=7, ticks=40, jobs=12)
    finally:
        root.removeHandler(caplog_handler)
        root.setLevel(previous_level)
    return result, captured


def test_no_transition_is_lost_on_the_queue_or_in_teams(soak):
    result, _ = soak
    assert sum(result.expected.values()) >= 20
    assert not result.lost and not result.teams_lost
    assert not result.unexpected  # any double carries the id of the first delivery


def test_every_fault_kind_was_injected(soak):
    result, _ = soak
    kinds = {kind.split()[0] for kind in result.faults}
    assert {"graph", "azurite", "teams", "crash"} <= kinds


def test_no_secret_reaches_any_log_line_error_or_event(soak):
    result, logs = soak
    assert len(logs) > 100  # the SDKs' DEBUG logging was captured too
    for secret in result.secrets:
        assert not [line for line in logs + result.logs if secret in line]
    assert not [line for line in logs + result.logs if "AccountKey=" in line or "sig=" in line]
