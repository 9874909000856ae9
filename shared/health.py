"""syncwatch's own health: the last tick's outcome, and when to tell people that syncwatch itself is
failing. Pure. No I/O.

A revoked Graph permission fails every tick quietly; nobody else would notice. After 3 failed ticks in a
row, one "syncwatch is unhealthy" card goes out, and one recovery card when a tick succeeds again.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

FAILURES_BEFORE_ALERT = 3
STALE_AFTER_PERIODS = 3
_UNITS = (1, 60, 3600, 86400)  # NCRONTAB: second, minute, hour, day of month …
_STEP = re.compile(r"^\*/(\d+)$")


@dataclass(frozen=True)
class Health:
    last_tick_at: datetime | None = None
    last_success_at: datetime | None = None
    consecutive_failures: int = 0
    last_summary: str = ""
    last_problem: str = ""
    alerted: bool = False


class Notice(enum.Enum):
    NONE = "none"
    UNHEALTHY = "unhealthy"
    RECOVERED = "recovered"


def after_tick(health: Health, *, now: datetime, succeeded: bool, summary: str, problem: str) -> tuple[Health, Notice]:
    """The new health and whether people must be told. `succeeded` means nothing was left unread or owed."""
    if succeeded:
        notice = Notice.RECOVERED if health.alerted else Notice.NONE
        return Health(now, now, 0, summary, "", False), notice
    updated = replace(health, last_tick_at=now, consecutive_failures=health.consecutive_failures + 1,
                      last_summary=summary or health.last_summary, last_problem=problem)
    if updated.consecutive_failures >= FAILURES_BEFORE_ALERT and not health.alerted:
        return replace(updated, alerted=True), Notice.UNHEALTHY
    return updated, Notice.NONE


def is_stale(health: Health, *, now: datetime, period: timedelta) -> bool:
    """No successful tick within STALE_AFTER_PERIODS schedule periods (or ever)."""
    return health.last_success_at is None or now - health.last_success_at > STALE_AFTER_PERIODS * period


def schedule_period(ncrontab: str | None, *, default: timedelta = timedelta(minutes=5)) -> timedelta:
    """The interval of the usual timer schedules: `0 */5 * * * *` is 5 minutes, `0 0 * * * *` an hour.
    Walking up from seconds, the first field that is not one fixed value sets the period."""
    if not ncrontab:
        return default
    for field, unit in zip(ncrontab.split()[:4], _UNITS):
        if field.isdigit():
            continue
        if field == "*":
            return timedelta(seconds=unit)
        step = _STEP.match(field)
        if step:
            return timedelta(seconds=int(step[1]) * unit)
        values = sorted(int(v) for v in field.split(",") if v.isdigit())
        if len(values) > 1:
            return timedelta(seconds=min(b - a for a, b in zip(values, values[1:])) * unit)
        return default
    return timedelta(days=1)
