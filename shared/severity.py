"""The severity of a transition: one table, read top to bottom. Pure. No I/O."""

from __future__ import annotations

from shared.model import PAUSED, QUARANTINE, Severity, TransitionKind


def severity_of(kind: TransitionKind, previous_code: str | None, current_code: str | None) -> Severity:
    """First match wins: a job now in quarantine is critical even when it was just added."""
    if kind is TransitionKind.REMOVED:
        return Severity.WARNING  # a vanished job may be a deleted app or a broken permission
    if current_code == QUARANTINE:
        return Severity.CRITICAL
    if current_code == PAUSED:
        return Severity.WARNING
    if previous_code == QUARANTINE:
        return Severity.RESOLVED
    return Severity.INFO
