"""What `syncwatch status` and `syncwatch outbox` show: rows, JSON and tables. Pure formatting, no I/O.

"Since" is when the job entered its present state as far as Graph tells: for a job in Quarantine the
start of the quarantine series (`quarantine.seriesBegan`, else `currentBegan`); for any other code the
start of the last successful run (`lastSuccessfulExecution.timeBegan`), else of the last run.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from rich.table import Table
from rich.text import Text

from shared.graph_json import iso
from shared.model import ACTIVE, PAUSED, QUARANTINE, Job, JobMemory, ReadFailure, SyncStatus
from shared.outbox import OutboxEntry
from shared.snapshot_plan import StoredState

NONE_SHOWN = "-"
_RANK = {"critical": 0, "warning": 1, "info": 2}
_SEVERITY_STYLE = {"critical": "bold red", "warning": "yellow", "info": ""}
_CODE_STYLE = {QUARANTINE: "bold red", PAUSED: "yellow", ACTIVE: "green"}
STATUS_HEADERS = ("APP", "TEMPLATE", "CODE", "SINCE (UTC)", "FAILURES", "LAST RUN (UTC)", "RESULT", "QUARANTINE REASON")


@dataclass(frozen=True)
class JobRow:
    """One watched job, as the status table and its JSON show it."""

    app: str
    service_principal_id: str
    app_id: str | None
    job_id: str
    template_id: str | None
    code: str | None
    since: datetime | None
    successive_failures: int | None
    last_run: datetime | None
    last_result: str | None
    last_error: str | None
    quarantine_reason: str | None
    severity: str  # critical (Quarantine), warning (Paused, or failing runs), info

    def cells(self) -> tuple[str, ...]:
        result = self.last_result or ""
        if self.last_error:
            result = f"{result} ({self.last_error})" if result else self.last_error
        return (
            self.app, self.template_id or NONE_SHOWN, self.code or NONE_SHOWN, when(self.since),
            NONE_SHOWN if self.successive_failures is None else str(self.successive_failures), when(self.last_run),
            result or NONE_SHOWN, self.quarantine_reason or NONE_SHOWN,
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "app": self.app, "servicePrincipalId": self.service_principal_id, "appId": self.app_id, "jobId": self.job_id,
            "templateId": self.template_id, "code": self.code, "since": iso(self.since),
            "successiveFailures": self.successive_failures, "lastRun": iso(self.last_run), "lastResult": self.last_result,
            "lastError": self.last_error, "quarantineReason": self.quarantine_reason, "severity": self.severity,
        }


def job_rows(jobs: Iterable[Job]) -> list[JobRow]:
    """Most severe first, then by app and template."""
    rows = [job_row(job) for job in jobs]
    return sorted(rows, key=lambda r: (_RANK[r.severity], r.app.casefold(), r.template_id or "", r.job_id))


def job_row(job: Job) -> JobRow:
    status = job.status
    last = status.last_execution
    quarantine = status.quarantine if job.code == QUARANTINE else None
    return JobRow(
        app=job.service_principal.display_name or job.service_principal.id,
        service_principal_id=job.service_principal.id,
        app_id=job.service_principal.app_id,
        job_id=job.id,
        template_id=job.template_id,
        code=job.code,
        since=since(job.code, status),
        successive_failures=status.count_successive_complete_failures,
        last_run=(last.time_ended or last.time_began) if last else None,
        last_result=last.state if last else None,
        last_error=last.error.code if last and last.error else None,
        quarantine_reason=quarantine.reason if quarantine else None,
        severity=_severity(job.code, status),
    )


def since(code: str | None, status: SyncStatus) -> datetime | None:
    """See the module docstring; the CLI's help repeats it."""
    if code == QUARANTINE and status.quarantine:
        return status.quarantine.series_began or status.quarantine.current_began
    for execution in (status.last_successful_execution, status.last_execution):
        if execution and execution.time_began:
            return execution.time_began
    return None


def _severity(code: str | None, status: SyncStatus) -> str:
    if code == QUARANTINE:
        return "critical"
    failing = (status.count_successive_complete_failures or 0) > 0
    return "warning" if code == PAUSED or failing else "info"


@dataclass(frozen=True)
class NoiseRow:
    """A job whose Teams cards are being held back (muted, flapping), stalled, or that had cards withheld."""

    app: str
    job_id: str
    muted_until: datetime | None
    mute_reason: str
    flapping: bool
    stalled: bool
    withheld: int  # cards kept from Teams so far: muted, flapping, inhibited

    def cells(self) -> tuple[str, ...]:
        states = [f"muted until {when(self.muted_until)}" + (f" ({self.mute_reason})" if self.mute_reason else "")] if self.muted_until else []
        states += [name for name, on in (("flapping", self.flapping), ("stalled", self.stalled)) if on]
        return self.app, self.job_id, ", ".join(states) or NONE_SHOWN, str(self.withheld)

    def to_json(self) -> dict[str, Any]:
        mute = {"until": iso(self.muted_until), "reason": self.mute_reason} if self.muted_until else None
        return {"app": self.app, "jobId": self.job_id, "muted": mute, "flapping": self.flapping, "stalled": self.stalled,
                "keptFromTeams": self.withheld}


NOISE_HEADERS = ("APP", "JOB", "NOISE CONTROL", "CARDS KEPT FROM TEAMS")


def noise_rows(stored: StoredState, *, now: datetime) -> list[NoiseRow]:
    """Active mutes (also of jobs not in the snapshot), flapping and stalled jobs, and every job that had cards
    withheld; expired mutes are left out (the next tick deletes them)."""
    mutes = {job_id: mute for job_id, mute in stored.mutes.items() if mute.active(now)}
    rows = []
    for key, job in stored.jobs.items():
        memory, mute = stored.memory.get(key, JobMemory()), mutes.pop(key.job_id, None)
        if mute or memory.flapping or memory.stalled or memory.withheld:
            rows.append(NoiseRow(job.service_principal.display_name or key.service_principal_id, key.job_id,
                                 mute and mute.until, mute.reason if mute else "", memory.flapping, memory.stalled,
                                 memory.withheld))
    rows += [NoiseRow(NONE_SHOWN, job_id, mute.until, mute.reason, False, False, 0) for job_id, mute in mutes.items()]
    return sorted(rows, key=lambda row: (row.app.casefold(), row.job_id))


def noise_text(rows: Sequence[NoiseRow]) -> str:
    return aligned([NOISE_HEADERS, *(row.cells() for row in rows)]) if rows else ""


def status_json(rows: Sequence[JobRow], *, source: str, read_at: datetime | None, not_read: Sequence[ReadFailure] = ()) -> dict[str, Any]:
    """`source` is "graph" (read live) or "snapshot" (as the last tick stored it)."""
    return {
        "source": source,
        "readAt": iso(read_at),
        "jobs": [row.to_json() for row in rows],
        "notRead": [{"servicePrincipalId": f.service_principal_id, "message": f.message} for f in not_read],
    }


def status_plain(rows: Sequence[JobRow]) -> str:
    """Space-aligned columns, no colour and no wrapping: for pipes, files and logs."""
    return aligned([STATUS_HEADERS, *(row.cells() for row in rows)])


def status_table(rows: Sequence[JobRow], *, title: str | None = None) -> Table:
    """For a terminal: the code coloured by severity, quarantine reasons in red."""
    table = Table(title=title, title_justify="left", header_style="bold")
    for header in STATUS_HEADERS:
        table.add_column(header, no_wrap=header in ("CODE", "SINCE (UTC)", "LAST RUN (UTC)", "FAILURES"),
                         justify="right" if header == "FAILURES" else "left")
    for row in rows:
        cells = list(row.cells())
        style = _SEVERITY_STYLE[row.severity]
        table.add_row(
            Text(cells[0], style="bold" if row.severity == "critical" else ""), cells[1],
            Text(cells[2], style=_CODE_STYLE.get(row.code or "", "dim")), cells[3],
            Text(cells[4], style=style if (row.successive_failures or 0) > 0 else ""), cells[5],
            Text(cells[6], style="red" if row.last_error else ""), Text(cells[7], style=style if row.quarantine_reason else ""),
        )
    return table


def status_counts(rows: Sequence[JobRow]) -> str:
    """"5 jobs: 1 Quarantine, 1 Paused, 3 Active"."""
    codes = Counter(row.code or "unknown" for row in rows)
    parts = ", ".join(f"{count} {code}" for code, count in sorted(codes.items(), key=lambda item: (-item[1], item[0])))
    return f"{len(rows)} job{'s' if len(rows) != 1 else ''}" + (f": {parts}" if parts else "")


@dataclass(frozen=True)
class OutboxRow:
    """One delivery still owed to one sink."""

    sink: str
    state: str  # pending (due now or backing off) or dead-lettered
    event_id: str
    event_type: str
    app: str
    template_id: str | None
    change: str
    severity: str
    created_at: datetime
    attempts: int
    next_attempt_at: datetime | None
    last_error: str | None

    def to_json(self) -> dict[str, Any]:
        return {
            "sink": self.sink, "state": self.state, "eventId": self.event_id, "eventType": self.event_type,
            "app": self.app, "templateId": self.template_id, "change": self.change, "severity": self.severity,
            "createdAt": iso(self.created_at), "attempts": self.attempts, "nextAttemptAt": iso(self.next_attempt_at),
            "lastError": self.last_error,
        }


def outbox_rows(entries: Iterable[OutboxEntry]) -> list[OutboxRow]:
    rows = [_outbox_row(entry) for entry in entries]
    return sorted(rows, key=lambda r: (r.sink, r.state != "dead-lettered", r.created_at, r.event_id))


def _outbox_row(entry: OutboxEntry) -> OutboxRow:
    data = entry.event.data
    return OutboxRow(
        sink=entry.sink,
        state="dead-lettered" if entry.dead_lettered else "pending",
        event_id=entry.event.id,
        event_type=entry.event.type.rsplit(".", 1)[-1],
        app=str(data.get("servicePrincipalName") or data.get("servicePrincipalId") or entry.event.key.service_principal_id),
        template_id=data.get("templateId"),
        change=f"{data.get('previousCode') or '—'} → {data.get('currentCode') or '—'}",
        severity=entry.event.severity.value,
        created_at=entry.created_at,
        attempts=entry.attempts,
        next_attempt_at=entry.next_attempt_at,
        last_error=entry.last_error,
    )


def outbox_json(rows: Sequence[OutboxRow], sinks: Sequence[str]) -> dict[str, Any]:
    """`sinks`: the configured sink ids, listed even when nothing is owed to them."""
    return {
        "sinks": [
            {"sink": sink, "pending": sum(r.state == "pending" for r in rows if r.sink == sink),
             "deadLettered": sum(r.state == "dead-lettered" for r in rows if r.sink == sink)}
            for sink in _sink_order(rows, sinks)
        ],
        "entries": [row.to_json() for row in rows],
    }


def outbox_text(rows: Sequence[OutboxRow], sinks: Sequence[str], *, now: datetime) -> str:
    """Per sink a count line, then one line per owed delivery."""
    lines: list[str] = []
    for sink in _sink_order(rows, sinks):
        mine = [row for row in rows if row.sink == sink]
        pending = sum(row.state == "pending" for row in mine)
        dead = len(mine) - pending
        note = "" if sink in sinks else " (no longer configured)"
        lines.append(f"{sink}{note}: {pending} pending, {dead} dead-lettered" if mine else f"{sink}: nothing owed")
        table = [
            (f"  {row.state}", row.severity, row.event_type, row.app, row.template_id or NONE_SHOWN, row.change,
             f"attempts {row.attempts}", _next(row, now), f"id {row.event_id}", f"last error: {row.last_error or NONE_SHOWN}")
            for row in mine
        ]
        if table:
            lines.append(aligned(table))
    return "\n".join(lines)


def _next(row: OutboxRow, now: datetime) -> str:
    if row.state == "dead-lettered":
        return "not retried"
    if row.next_attempt_at is None or row.next_attempt_at <= now:
        return "due now"
    return f"next {when(row.next_attempt_at)}"


def _sink_order(rows: Sequence[OutboxRow], sinks: Sequence[str]) -> list[str]:
    """Configured sinks in their order, then sinks that are owed something but no longer configured."""
    return list(dict.fromkeys([*sinks, *(row.sink for row in rows)]))


def aligned(rows: Sequence[Sequence[str]]) -> str:
    """Columns padded to their widest cell, two spaces apart; the last column is not padded."""
    if not rows:
        return ""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip() for row in rows)


def when(moment: datetime | None) -> str:
    """Minutes, in UTC (the column headers say so)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M") if moment else NONE_SHOWN
