"""Each health rule on its own: a pure function of (previous, current, now, settings)."""

from dataclasses import replace
from datetime import timedelta

import pytest

from shared import rules
from shared.model import JobMemory, Quarantine, Severity, SyncError, TransitionKind
from shared.rules import Before, RuleSettings, stall_threshold
from tests.builders import NOW, job, run, with_schedule, with_status

SETTINGS = RuleSettings()
HOUR = timedelta(hours=1)


def check(rule, previous, current, *, now=NOW, memory=JobMemory(), settings=SETTINGS):
    return rule(Before(previous, memory), current, now, settings)


def details(transition):
    return dict(transition.details)


def quarantined(reason="TooManyDeletes", series_began=NOW - HOUR, series_count=1):
    quarantine = Quarantine(reason=reason, series_began=series_began, series_count=series_count, error=SyncError("E", "m"))
    return with_status(job(code="Quarantine"), quarantine=quarantine)


# statusChanged ------------------------------------------------------------------------------------------------

def test_status_changed_only_when_the_code_changes():
    assert check(rules.status_changed, job(code="Active"), job(code="Active")) is None
    found = check(rules.status_changed, job(code="Active"), job(code="Quarantine"))
    assert (found.kind, found.severity) == (TransitionKind.STATUS_CHANGED, Severity.CRITICAL)


# quarantineReasonChanged -------------------------------------------------------------------------------------

def test_reason_changed_within_one_quarantine_is_critical_with_both_reasons():
    found = check(rules.quarantine_reason_changed, quarantined("TooManyDeletes"), quarantined("EncounteredQuarantineException"))
    assert (found.kind, found.severity) == (TransitionKind.QUARANTINE_REASON_CHANGED, Severity.CRITICAL)
    assert details(found) == {"previousReason": "TooManyDeletes", "reason": "EncounteredQuarantineException"}


def test_entering_quarantine_is_not_a_reason_change():
    assert check(rules.quarantine_reason_changed, job(code="Active"), quarantined()) is None
    assert check(rules.quarantine_reason_changed, quarantined(), quarantined()) is None


# quarantineSeriesStarted -------------------------------------------------------------------------------------

def test_a_new_series_began_is_a_warning():
    found = check(rules.quarantine_series_started, quarantined(series_began=NOW - 5 * HOUR),
                  quarantined(series_began=NOW, series_count=1))
    assert (found.kind, found.severity) == (TransitionKind.QUARANTINE_SERIES_STARTED, Severity.WARNING)
    assert details(found) == {"seriesBegan": "2026-11-25T10:00:00Z", "seriesCount": 1}


def test_the_same_series_is_no_news():
    assert check(rules.quarantine_series_started, quarantined(series_count=1), quarantined(series_count=2)) is None


# failureStreak -----------------------------------------------------------------------------------------------

def failures(count):
    return with_status(job(), count_successive_complete_failures=count)


@pytest.mark.parametrize(("old", "new", "threshold", "severity"), [
    (0, 1, 1, Severity.WARNING),
    (1, 3, 3, Severity.WARNING),
    (0, 4, 3, Severity.WARNING),  # two crossed at once: the highest is reported
    (9, 10, 10, Severity.CRITICAL),
    (2, 25, 10, Severity.CRITICAL),
])
def test_crossing_a_threshold_upwards(old, new, threshold, severity):
    found = check(rules.failure_streak, failures(old), failures(new))
    assert (found.kind, found.severity) == (TransitionKind.FAILURE_STREAK, severity)
    assert details(found) == {"count": new, "previousCount": old, "threshold": threshold}


@pytest.mark.parametrize(("old", "new"), [(1, 2), (3, 9), (11, 12), (0, 0), (5, 2)])
def test_no_threshold_crossed_is_quiet(old, new):
    assert check(rules.failure_streak, failures(old), failures(new)) is None


def test_back_to_zero_is_resolved():
    found = check(rules.failure_streak, failures(4), failures(0))
    assert found.severity is Severity.RESOLVED and details(found)["threshold"] == 0


def test_thresholds_come_from_settings():
    settings = RuleSettings(failure_thresholds=(5,))
    assert check(rules.failure_streak, failures(0), failures(3), settings=settings) is None
    assert check(rules.failure_streak, failures(3), failures(5), settings=settings).severity is Severity.CRITICAL


# executionFailed ---------------------------------------------------------------------------------------------

def runs(previous, current):
    return with_status(job(), last_execution=previous), with_status(job(), last_execution=current)


def test_a_new_failed_run_is_a_warning_with_its_error():
    found = check(rules.execution_failed, *runs(run(began=NOW - HOUR), run("Failed", NOW, error="InvalidCredentials")))
    assert (found.kind, found.severity) == (TransitionKind.EXECUTION_FAILED, Severity.WARNING)
    assert details(found) == {"state": "Failed", "errorCode": "InvalidCredentials", "errorMessage": "InvalidCredentials happened",
                              "timeBegan": "2026-11-25T10:00:00Z", "timeEnded": "2026-11-25T10:02:00Z"}


def test_entry_level_errors_are_info():
    assert check(rules.execution_failed, *runs(None, run("EntryLevelErrors"))).severity is Severity.INFO


def test_the_same_failed_run_seen_twice_is_reported_once():
    failed = run("Failed", NOW, error="E")
    assert check(rules.execution_failed, *runs(failed, failed)) is None


def test_a_succeeded_run_is_quiet():
    assert check(rules.execution_failed, *runs(run("Failed", NOW - HOUR), run("Succeeded"))) is None


def test_a_huge_error_message_is_clipped():
    current = with_status(job(), last_execution=replace(run("Failed"), error=SyncError("E", "x" * 5000)))
    found = check(rules.execution_failed, job(), current)
    assert len(details(found)["errorMessage"]) == rules.MAX_DETAIL_CHARS


# stalled -----------------------------------------------------------------------------------------------------

def last_success(ago, *, interval="PT40M", code="Active"):
    return with_schedule(with_status(job(code=code), last_successful_execution=run(began=NOW - ago - timedelta(minutes=2))),
                         interval=interval)


def test_active_without_success_beyond_the_floor_is_stalled():
    found = check(rules.stalled, last_success(HOUR), last_success(3 * HOUR))
    assert (found.kind, found.severity) == (TransitionKind.STALLED, Severity.WARNING)
    assert details(found) == {"state": "began", "lastSuccessAt": "2026-11-25T07:00:00Z", "thresholdSeconds": 7200}


def test_three_intervals_beat_the_floor():
    assert check(rules.stalled, last_success(HOUR, interval="PT1H"), last_success(timedelta(minutes=150), interval="PT1H")) is None
    assert check(rules.stalled, last_success(HOUR, interval="PT1H"), last_success(4 * HOUR, interval="PT1H")) is not None


def test_a_stall_is_reported_once_and_ends_resolved():
    stalled = JobMemory(stalled=True)
    assert check(rules.stalled, last_success(3 * HOUR), last_success(4 * HOUR), memory=stalled) is None
    found = check(rules.stalled, last_success(4 * HOUR), last_success(timedelta(minutes=5)), memory=stalled)
    assert found.severity is Severity.RESOLVED and details(found)["state"] == "ended"


def test_a_stalled_job_that_leaves_active_ends_silently():
    assert check(rules.stalled, last_success(4 * HOUR), last_success(5 * HOUR, code="Quarantine"), memory=JobMemory(stalled=True)) is None


def test_never_and_week_long_intervals_switch_the_rule_off():
    never = "P10675199DT2H48M5.4775807S"
    assert check(rules.stalled, last_success(HOUR, interval=never), last_success(300 * 24 * HOUR, interval=never)) is None
    assert stall_threshold(last_success(HOUR, interval="P8D"), SETTINGS) is None
    assert stall_threshold(last_success(HOUR, interval="P7D"), SETTINGS) == timedelta(days=21)


def test_a_job_that_never_succeeded_is_not_stalled():
    assert check(rules.stalled, with_schedule(job()), with_schedule(job()), now=NOW + 100 * HOUR) is None


# scheduleChanged ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("old", "new", "severity"), [
    ("Active", "Disabled", Severity.CRITICAL),
    ("Active", "Paused", Severity.WARNING),
    ("Paused", "Active", Severity.RESOLVED),
    ("Disabled", "SomethingNew", Severity.INFO),
])
def test_schedule_state_changes(old, new, severity):
    found = check(rules.schedule_changed, with_schedule(job(), state=old), with_schedule(job(), state=new))
    assert (found.kind, found.severity) == (TransitionKind.SCHEDULE_CHANGED, severity)
    assert details(found) == {"previousState": old, "state": new}


def test_same_or_unknown_schedule_is_quiet():
    assert check(rules.schedule_changed, with_schedule(job()), with_schedule(job())) is None
    assert check(rules.schedule_changed, with_schedule(job(), state=None), with_schedule(job(), state="Paused")) is None


# escrowSpike -------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("old", "new", "spike"), [
    (10, 21, True),
    (10, 20, False),  # exactly the factor is no spike
    (0, 10, True),
    (0, 9, False),  # fewer than ESCROW_SPIKE_MIN new entries
    (100, 150, False),
])
def test_escrow_spike_between_runs(old, new, spike):
    found = check(rules.escrow_spike, *runs(run(began=NOW - HOUR, escrowed=old), run(escrowed=new)))
    assert (found is not None) == spike
    if spike:
        assert (found.kind, found.severity) == (TransitionKind.ESCROW_SPIKE, Severity.WARNING)
        assert details(found) == {"previousEscrowed": old, "escrowed": new, "factor": 2.0}


def test_escrow_of_the_same_run_is_not_compared_again():
    same = run(escrowed=50)
    assert check(rules.escrow_spike, *runs(same, same)) is None


# detect ------------------------------------------------------------------------------------------------------

def test_detect_gives_the_status_change_first():
    previous = with_status(job(), count_successive_complete_failures=0)
    current = with_status(quarantined(), count_successive_complete_failures=1, last_execution=run("Failed", error="E"))
    kinds = [t.kind for t in rules.detect(Before(previous), current, NOW, SETTINGS)]
    assert kinds[0] is TransitionKind.STATUS_CHANGED
    assert set(kinds) == {TransitionKind.STATUS_CHANGED, TransitionKind.QUARANTINE_SERIES_STARTED,
                          TransitionKind.FAILURE_STREAK, TransitionKind.EXECUTION_FAILED}
