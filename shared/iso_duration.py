"""ISO 8601 durations as Graph writes `schedule.interval`: PT40M, P1D, and P10675199DT2H48M5.4775807S
(.NET's TimeSpan.MaxValue, about 29,000 years, for a job that never runs). Pure. No I/O."""

from __future__ import annotations

import re
from datetime import timedelta
from functools import lru_cache

_DURATION = re.compile(
    r"^P(?:(?P<weeks>\d+)W)?(?:(?P<days>\d+)D)?"
    r"(?:T(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?(?:(?P<seconds>\d+(?:\.\d+)?)S)?)?$"
)
_MAX_DAYS = timedelta.max.days


@lru_cache(maxsize=256)  # a tenant has a handful of distinct intervals, asked for every job every tick
def parse_iso_duration(text: str | None) -> timedelta | None:
    """None for anything that is not a day-time duration (years and months have no fixed length)."""
    match = _DURATION.match(text or "")
    if not match or text in ("P", "PT") or (text or "").endswith("T"):
        return None
    parts = {name: float(value) for name, value in match.groupdict().items() if value}
    days = parts.get("weeks", 0) * 7 + parts.get("days", 0)
    if days >= _MAX_DAYS:
        return timedelta.max
    return timedelta(days=days, hours=parts.get("hours", 0), minutes=parts.get("minutes", 0), seconds=parts.get("seconds", 0))
