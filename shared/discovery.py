"""The watchlist: the service principals that have provisioning jobs, found by a discovery that is paced
over ticks. Pure. No I/O.

Full discovery lists every SP and asks each for jobs: costly in big tenants. So ticks poll only the
watchlist, and discovery re-runs every interval, a few listing pages per tick, so no tick blows its time
or throttling budget. A new provisioning app appears within one discovery cycle.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from shared.model import ServicePrincipal

EMPTY_READS_TO_DROP = 2  # an SP leaves the watchlist once two reads in a row found no jobs


@dataclass(frozen=True)
class WatchedSp:
    service_principal: ServicePrincipal
    empty_reads: int = 0


@dataclass(frozen=True)
class DiscoveryState:
    """Where the current cycle is: `cursor` is the next listing page (None: the cycle is done)."""

    cursor: str | None = None
    cycle_started_at: datetime | None = None
    last_completed_at: datetime | None = None

    def pages_due(self, now: datetime, *, interval: timedelta, pages_per_tick: int) -> int:
        """How many listing pages this tick reads: all of them the first time, else a slice when due."""
        if self.last_completed_at is None and self.cursor is None:
            return -1  # never completed: discover everything now (the baseline)
        if self.cursor is not None:
            return pages_per_tick
        return pages_per_tick if now - self.last_completed_at >= interval else 0  # type: ignore[operator]


def after_reads(
    watchlist: Mapping[str, WatchedSp], candidates: Iterable[ServicePrincipal], job_counts: Mapping[str, int]
) -> dict[str, WatchedSp]:
    """The new watchlist, given how many jobs each SP read in this tick has (absent: not read)."""
    updated = dict(watchlist)
    for sp in candidates:
        if job_counts.get(sp.id, 0) > 0 and sp.id not in updated:
            updated[sp.id] = WatchedSp(sp)
    for sp_id, count in job_counts.items():
        entry = updated.get(sp_id)
        if entry is None:
            continue
        if count > 0:
            updated[sp_id] = replace(entry, empty_reads=0)
        elif entry.empty_reads + 1 >= EMPTY_READS_TO_DROP:
            del updated[sp_id]
        else:
            updated[sp_id] = replace(entry, empty_reads=entry.empty_reads + 1)
    return updated


def advanced(state: DiscoveryState, next_cursor: str | None, now: datetime, *, started: bool) -> DiscoveryState:
    """The state after reading pages up to `next_cursor` (None: the listing ended, the cycle is complete)."""
    began = now if started else state.cycle_started_at
    if next_cursor is None:
        return DiscoveryState(None, began, now)
    return DiscoveryState(next_cursor, began, state.last_completed_at)
