from functools import partial

from shared import diff as diff_module
from shared.model import Severity, TransitionKind
from tests.builders import NOW, job, observed, snapshot

diff = partial(diff_module.diff, now=NOW)


def kinds(transitions):
    return [(t.kind, t.job.key.job_id) for t in transitions]


def test_baseline_emits_one_added_per_job_and_nothing_else():
    jobs = [job("sp-1", "a"), job("sp-1", "b", "Quarantine"), job("sp-2", "c", "Paused")]
    transitions = diff({}, observed(*jobs))
    assert kinds(transitions) == [(TransitionKind.ADDED, "a"), (TransitionKind.ADDED, "b"), (TransitionKind.ADDED, "c")]
    assert [t.severity for t in transitions] == [Severity.INFO, Severity.CRITICAL, Severity.WARNING]


def test_active_to_quarantine_is_a_critical_status_change():
    [transition] = diff(snapshot(job(code="Active")), observed(job(code="Quarantine")))
    assert transition.kind is TransitionKind.STATUS_CHANGED
    assert transition.severity is Severity.CRITICAL
    assert (transition.previous.code, transition.current.code) == ("Active", "Quarantine")


def test_quarantine_to_active_is_resolved():
    [transition] = diff(snapshot(job(code="Quarantine")), observed(job(code="Active")))
    assert transition.severity is Severity.RESOLVED


def test_same_code_with_other_status_changes_is_no_transition():
    before = job(code="Quarantine", message="first error")
    after = job(code="Quarantine", message="another error")
    assert diff(snapshot(before), observed(after)) == ()


def test_job_absent_from_a_completely_read_sp_is_removed():
    [transition] = diff(snapshot(job("sp-1", "a"), job("sp-1", "b")), observed(job("sp-1", "a")))
    assert (transition.kind, transition.job.id, transition.current) == (TransitionKind.REMOVED, "b", None)
    assert transition.severity is Severity.WARNING


def test_jobs_of_an_unread_sp_are_never_removed():
    previous = snapshot(job("sp-1", "a"), job("sp-2", "b"))
    assert diff(previous, observed(job("sp-1", "a"), unread=("sp-2",))) == ()


def test_sp_missing_from_an_incomplete_listing_is_not_gone():
    previous = snapshot(job("sp-1", "a"), job("sp-2", "b"))
    assert diff(previous, observed(job("sp-1", "a"), listing_complete=False)) == ()


def test_sp_missing_from_a_complete_listing_has_its_jobs_removed():
    previous = snapshot(job("sp-1", "a"), job("sp-2", "b"))
    assert kinds(diff(previous, observed(job("sp-1", "a")))) == [(TransitionKind.REMOVED, "b")]


def test_listed_sp_with_no_jobs_left_has_its_jobs_removed_even_if_listing_incomplete():
    previous = snapshot(job("sp-2", "b"))
    transitions = diff(previous, observed(listing_complete=False, extra_sps=("sp-2",)))
    assert kinds(transitions) == [(TransitionKind.REMOVED, "b")]


def test_unknown_future_code_is_a_transition_kept_as_written():
    [transition] = diff(snapshot(job(code="Active")), observed(job(code="Throttled")))
    assert transition.current.code == "Throttled"
    assert transition.severity is Severity.INFO


def test_same_job_id_under_two_sps_are_two_jobs():
    transitions = diff(snapshot(job("sp-1", "x")), observed(job("sp-1", "x"), job("sp-2", "x")))
    assert [(t.kind, t.job.service_principal.id) for t in transitions] == [(TransitionKind.ADDED, "sp-2")]
