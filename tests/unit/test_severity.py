import pytest

from shared.model import Severity, TransitionKind
from shared.severity import severity_of

ADDED, REMOVED, CHANGED = TransitionKind.ADDED, TransitionKind.REMOVED, TransitionKind.STATUS_CHANGED


@pytest.mark.parametrize(
    ("kind", "before", "after", "expected"),
    [
        (CHANGED, "Active", "Quarantine", Severity.CRITICAL),
        (ADDED, None, "Quarantine", Severity.CRITICAL),
        (CHANGED, "Paused", "Quarantine", Severity.CRITICAL),
        (CHANGED, "Quarantine", "Active", Severity.RESOLVED),
        (CHANGED, "Quarantine", "NotRun", Severity.RESOLVED),
        (CHANGED, "Quarantine", "SomeFutureCode", Severity.RESOLVED),
        (CHANGED, "Quarantine", "Paused", Severity.WARNING),
        (CHANGED, "Active", "Paused", Severity.WARNING),
        (ADDED, None, "Paused", Severity.WARNING),
        (REMOVED, "Active", None, Severity.WARNING),
        (REMOVED, "Quarantine", None, Severity.WARNING),
        (ADDED, None, "Active", Severity.INFO),
        (CHANGED, "Paused", "Active", Severity.INFO),
        (CHANGED, "NotRun", "Active", Severity.INFO),
        (CHANGED, "Active", None, Severity.INFO),
    ],
)
def test_severity_table(kind, before, after, expected):
    assert severity_of(kind, before, after) is expected
