"""The status and outbox views: which time is "since", severity order, JSON fields, plain and rich tables."""

import json
from dataclasses import replace
from datetime import timedelta

from rich.console import Console

from shared.cloud import cloud_for
from shared.events import EventContext, build_event
from shared.model import (
    Quarantine,
    ReadFailure,
    Severity,
    SyncError,
    SyncStatus,
    TaskExecution,
    Transition,
    TransitionKind,
)
from shared.outbox import OutboxEntry
from shared.status_view import (
    STATUS_HEADERS,
    job_row,
    job_rows,
    outbox_json,
    outbox_rows,
    outbox_text,
    since,
    status_counts,
    status_json,
    status_plain,
    status_table,
)
from tests.builders import NOW, TENANT, job

EARLIER = NOW - timedelta(hours=5)
LAST_OK = NOW - timedelta(hours=2)
LAST_RUN = NOW - timedelta(minutes=40)


def with_status(code, **status):
    return replace(job(code=code), status=SyncStatus(code=code, **status))


def test_since_a_quarantine_is_the_start_of_its_series_else_of_the_current_one():
    series = Quarantine(series_began=EARLIER, current_began=LAST_RUN)
    assert since("Quarantine", SyncStatus(code="Quarantine", quarantine=series)) == EARLIER
    assert since("Quarantine", SyncStatus(code="Quarantine", quarantine=Quarantine(current_began=LAST_RUN))) == LAST_RUN


def test_since_any_other_code_is_the_last_successful_run_else_the_last_run():
    ok, last = TaskExecution(time_began=LAST_OK), TaskExecution(time_began=LAST_RUN)
    assert since("Active", SyncStatus(code="Active", last_successful_execution=ok, last_execution=last)) == LAST_OK
    assert since("Paused", SyncStatus(code="Paused", last_execution=last)) == LAST_RUN
    assert since("NotRun", SyncStatus(code="NotRun")) is None


def test_a_row_carries_every_column_and_severity_follows_the_code_and_failures():
    quarantined = with_status(
        "Quarantine", count_successive_complete_failures=3,
        quarantine=Quarantine(reason="TooManyDeletes", series_began=EARLIER),
        last_execution=TaskExecution(state="Failed", time_began=LAST_RUN, time_ended=LAST_RUN + timedelta(minutes=1),
                                     error=SyncError("TooManyDeletes", "threshold")),
    )
    row = job_row(quarantined)
    assert row.cells() == ("Salesforce", "salesforce", "Quarantine", "2026-11-25 05:00", "3", "2026-11-25 09:21",
                           "Failed (TooManyDeletes)", "TooManyDeletes")
    assert row.severity == "critical"
    assert job_row(with_status("Paused")).severity == "warning"
    assert job_row(with_status("Active", count_successive_complete_failures=2)).severity == "warning"
    assert job_row(with_status("Active", count_successive_complete_failures=0)).severity == "info"
    assert job_row(with_status("SomethingNew")).code == "SomethingNew"  # an unknown code is shown as written


def test_a_reason_left_over_from_an_old_quarantine_is_not_shown_once_active():
    recovered = with_status("Active", quarantine=Quarantine(reason="TooManyDeletes", series_began=EARLIER))
    assert job_row(recovered).quarantine_reason is None


def test_rows_are_ordered_most_severe_first_then_by_app():
    rows = job_rows([job("a", name="Zendesk"), job("b", code="Paused", name="Box"), job("c", code="Quarantine", name="Slack"),
                     job("d", name="asana")])
    assert [r.app for r in rows] == ["Slack", "Box", "asana", "Zendesk"]


def test_json_has_every_field_with_utc_timestamps():
    rows = job_rows([with_status("Quarantine", quarantine=Quarantine(reason="TooManyDeletes", series_began=EARLIER))])
    document = json.loads(json.dumps(status_json(rows, source="graph", read_at=NOW,
                                                 not_read=[ReadFailure("sp-9", "service principal sp-9: 500")])))
    [entry] = document["jobs"]
    assert document["source"] == "graph" and document["readAt"] == "2026-11-25T10:00:00Z"
    assert entry == {
        "app": "Salesforce", "servicePrincipalId": "sp-1", "appId": "app-sp-1", "jobId": "salesforce.1",
        "templateId": "salesforce", "code": "Quarantine", "since": "2026-11-25T05:00:00Z", "successiveFailures": None,
        "lastRun": None, "lastResult": None, "lastError": None, "quarantineReason": "TooManyDeletes", "severity": "critical",
    }
    assert document["notRead"] == [{"servicePrincipalId": "sp-9", "message": "service principal sp-9: 500"}]


def test_plain_table_is_aligned_without_colour_or_truncation():
    long_name = "Workday to Microsoft Entra ID user provisioning"
    text = status_plain(job_rows([job("a", name=long_name), job("b", code="Quarantine", name="Salesforce", reason="TooManyDeletes")]))
    header, first, second = text.splitlines()
    assert header.split()[0] == "APP" and "QUARANTINE REASON" in header
    assert first.startswith("Salesforce ") and "Quarantine" in first and "TooManyDeletes" in first
    assert second.startswith(long_name) and "\x1b" not in text
    assert header.index("CODE") == first.index("Quarantine") == second.index("Active")


def test_rich_table_colours_the_code_by_severity():
    console = Console(record=True, width=200, force_terminal=True, color_system="standard")
    console.print(status_table(job_rows([job("a", code="Quarantine", reason="TooManyDeletes"), job("b", code="Paused")])))
    rendered = console.export_text(styles=True, clear=False)
    assert "\x1b[1;31mQuarantine" in rendered and "\x1b[33mPaused" in rendered
    plain = console.export_text()
    assert all(header in plain for header in STATUS_HEADERS)


def test_counts_line():
    assert status_counts(job_rows([job("a"), job("b", code="Quarantine"), job("c")])) == "3 jobs: 2 Active, 1 Quarantine"
    assert status_counts([]) == "0 jobs"


def _entry(sink, *, dead=False, attempts=0, next_at=None, error=None):
    transition = Transition(TransitionKind.STATUS_CHANGED, Severity.CRITICAL, job(), job(code="Quarantine"))
    event = build_event(transition, EventContext(TENANT, cloud_for("https://graph.microsoft.com/v1.0"), NOW))
    return OutboxEntry(event, sink, NOW, attempts=attempts, next_attempt_at=next_at, last_error=error, dead_lettered=dead)


def test_outbox_lists_every_configured_sink_and_each_owed_delivery():
    entries = [
        _entry("teams:default", attempts=2, next_at=NOW + timedelta(minutes=2), error="Teams route 'default' (x): answered 500"),
        _entry("teams:old", dead=True, attempts=9, error="this sink is no longer configured"),
    ]
    rows = outbox_rows(entries)
    text = outbox_text(rows, ["queue", "teams:default"], now=NOW)
    lines = text.splitlines()
    assert lines[0] == "queue: nothing owed"
    assert lines[1] == "teams:default: 1 pending, 0 dead-lettered"
    assert "pending" in lines[2] and "Salesforce" in lines[2] and "Active → Quarantine" in lines[2]
    assert "attempts 2" in lines[2] and "next 2026-11-25 10:02" in lines[2] and "answered 500" in lines[2]
    assert lines[3] == "teams:old (no longer configured): 0 pending, 1 dead-lettered"
    assert "dead-lettered" in lines[4] and "not retried" in lines[4]
    document = outbox_json(rows, ["queue", "teams:default"])
    assert document["sinks"] == [
        {"sink": "queue", "pending": 0, "deadLettered": 0},
        {"sink": "teams:default", "pending": 1, "deadLettered": 0},
        {"sink": "teams:old", "pending": 0, "deadLettered": 1},
    ]
    assert document["entries"][0]["nextAttemptAt"] == "2026-11-25T10:02:00Z" and document["entries"][1]["state"] == "dead-lettered"


def test_an_entry_without_a_next_attempt_is_due_now():
    text = outbox_text(outbox_rows([_entry("queue")]), ["queue"], now=NOW)
    assert "due now" in text
