"""Noise control over several ticks, pure: flap damping, reminders, inhibition and mutes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from shared.attention import FLAPPING, INHIBITED, MUTED, NoiseSettings, review
from shared.diff import diff
from shared.model import Job, JobKey, JobMemory, Mute, Quarantine, Severity, SyncError, Transition, TransitionKind
from shared.rules import RuleSettings
from tests.builders import NOW, job, observed, run, with_schedule, with_status

TICK = timedelta(minutes=5)
NOISE = NoiseSettings(flap_max_changes=3, flap_window=timedelta(hours=6), flap_cooldown=timedelta(hours=2),
                      remind_interval=timedelta(hours=24))


@dataclass
class Watch:
    """Ticks over one job, keeping the snapshot and memory the way the store would."""

    now: datetime = NOW
    previous: dict[JobKey, Job] = field(default_factory=dict)
    memory: dict[JobKey, JobMemory] = field(default_factory=dict)
    mutes: dict[str, Mute] = field(default_factory=dict)
    withheld: list[str] = field(default_factory=list)

    def tick(self, current: Job, *, after: timedelta = TICK) -> list[Transition]:
        self.now += after
        facts = diff(self.previous, observed(current), now=self.now, memory=self.memory)
        attention = review(facts, self.previous, (current,), self.memory, self.mutes, now=self.now, noise=NOISE,
                           rules=RuleSettings())
        self.previous, self.memory = {current.key: current}, attention.memory
        self.withheld += list(attention.withheld.elements())
        return list(attention.transitions)


def told(transitions):
    return [(t.kind, t.severity) for t in transitions if t.withheld is None]


def kept(transitions):
    return [(t.kind, t.withheld) for t in transitions if t.withheld]


ACTIVE, QUARANTINED = job(code="Active"), job(code="Quarantine", reason="TooManyDeletes")


def test_a_flapping_job_posts_one_card_then_stays_quiet_until_stable():
    watch = Watch()
    watch.tick(ACTIVE)
    changes = [watch.tick(QUARANTINED if i % 2 == 0 else ACTIVE) for i in range(6)]
    assert [len(told(c)) for c in changes[:3]] == [1, 1, 1]  # three changes: each its own card
    assert told(changes[3]) == [(TransitionKind.FLAPPING, Severity.WARNING)]
    assert kept(changes[3]) == [(TransitionKind.STATUS_CHANGED, FLAPPING)]
    assert [told(c) for c in changes[4:]] == [[], []]
    assert watch.tick(ACTIVE, after=timedelta(hours=1)) == []  # stable, not yet for the cooldown
    [ended] = watch.tick(ACTIVE, after=timedelta(hours=1))
    assert (ended.kind, ended.severity, dict(ended.details)["state"]) == (TransitionKind.FLAPPING, Severity.RESOLVED, "ended")
    assert ended.withheld is None
    assert told(watch.tick(QUARANTINED)) == [(TransitionKind.STATUS_CHANGED, Severity.CRITICAL)]  # heard again
    assert watch.withheld == [FLAPPING, FLAPPING, FLAPPING]


def test_changes_older_than_the_window_do_not_count():
    watch = Watch()
    watch.tick(ACTIVE)
    for current in (QUARANTINED, ACTIVE, QUARANTINED):
        watch.tick(current, after=timedelta(hours=3))
    assert told(watch.tick(ACTIVE, after=timedelta(hours=3))) == [(TransitionKind.STATUS_CHANGED, Severity.RESOLVED)]


def test_a_job_still_in_quarantine_is_reminded_every_interval_with_the_duration():
    began = NOW + TICK
    quarantined = with_status(QUARANTINED, quarantine=Quarantine(reason="TooManyDeletes", series_began=began, error=SyncError("E")))
    watch = Watch()
    watch.tick(ACTIVE, after=timedelta(0))
    assert told(watch.tick(quarantined)) == [(TransitionKind.STATUS_CHANGED, Severity.CRITICAL)]
    assert watch.tick(quarantined, after=timedelta(hours=23)) == []
    [first] = watch.tick(quarantined, after=timedelta(hours=1))
    assert (first.kind, first.severity) == (TransitionKind.QUARANTINE_REMINDER, Severity.CRITICAL)
    assert dict(first.details) == {"reminder": 1, "quarantinedSince": "2026-11-25T10:05:00Z", "quarantinedSeconds": 24 * 3600}
    [second] = watch.tick(quarantined, after=timedelta(hours=24))
    assert dict(second.details)["reminder"] == 2
    watch.tick(ACTIVE)
    assert watch.memory[ACTIVE.key].reminders == 0 and watch.memory[ACTIVE.key].reminded_at is None


def test_a_job_quarantined_at_baseline_is_reminded_a_day_later():
    watch = Watch()
    assert [t.kind for t in watch.tick(QUARANTINED)] == [TransitionKind.ADDED]
    assert [t.kind for t in watch.tick(QUARANTINED, after=timedelta(hours=24))] == [TransitionKind.QUARANTINE_REMINDER]


def test_going_into_quarantine_is_one_card_and_its_symptoms_are_inhibited():
    watch = Watch()
    watch.tick(with_status(ACTIVE, count_successive_complete_failures=0))
    entering = with_status(QUARANTINED, count_successive_complete_failures=1, last_execution=run("Failed", error="E"),
                           quarantine=Quarantine(reason="TooManyDeletes", series_began=NOW, error=SyncError("E")))
    transitions = watch.tick(entering)
    assert told(transitions) == [(TransitionKind.STATUS_CHANGED, Severity.CRITICAL)]
    assert {kind for kind, why in kept(transitions) if why == INHIBITED} == {
        TransitionKind.QUARANTINE_SERIES_STARTED, TransitionKind.FAILURE_STREAK, TransitionKind.EXECUTION_FAILED}
    # Still in quarantine: a worse streak stays quiet, a new reason speaks.
    worse = with_status(entering, count_successive_complete_failures=3,
                        quarantine=Quarantine(reason="EncounteredQuarantineException", series_began=NOW, error=SyncError("E")))
    transitions = watch.tick(worse)
    assert told(transitions) == [(TransitionKind.QUARANTINE_REASON_CHANGED, Severity.CRITICAL)]
    assert kept(transitions) == [(TransitionKind.FAILURE_STREAK, INHIBITED)]


def test_failures_before_quarantine_are_told():
    watch = Watch()
    watch.tick(with_status(ACTIVE, count_successive_complete_failures=0))
    transitions = watch.tick(with_status(ACTIVE, count_successive_complete_failures=1, last_execution=run("Failed", error="E")))
    assert told(transitions) == [(TransitionKind.FAILURE_STREAK, Severity.WARNING), (TransitionKind.EXECUTION_FAILED, Severity.WARNING)]


def test_a_muted_job_is_kept_from_people_until_the_mute_expires():
    watch = Watch()
    watch.tick(ACTIVE)
    watch.mutes = {ACTIVE.id: Mute(ACTIVE.id, NOW + timedelta(hours=1), "maintenance", NOW)}
    assert kept(watch.tick(QUARANTINED)) == [(TransitionKind.STATUS_CHANGED, MUTED)]
    assert told(watch.tick(ACTIVE, after=timedelta(hours=1))) == [(TransitionKind.STATUS_CHANGED, Severity.RESOLVED)]
    assert watch.memory[ACTIVE.key].withheld == 1


def test_a_pause_is_one_card_but_a_later_disable_in_quarantine_is_news():
    watch = Watch()
    watch.tick(with_schedule(ACTIVE))
    paused = watch.tick(with_schedule(job(code="Paused"), state="Paused"))
    assert told(paused) == [(TransitionKind.STATUS_CHANGED, Severity.WARNING)]
    assert kept(paused) == [(TransitionKind.SCHEDULE_CHANGED, INHIBITED)]
    watch.tick(with_schedule(QUARANTINED))
    disabled = watch.tick(with_schedule(QUARANTINED, state="Disabled"))
    assert told(disabled) == [(TransitionKind.SCHEDULE_CHANGED, Severity.CRITICAL)]
