"""Noise control for people: flap damping, quarantine reminders, inhibition and mutes. Pure. No I/O.

Programs get every fact; people get what is worth their attention, deliberately repeated. A withheld
transition still becomes an event for the queue; only Teams leaves it out, and each is counted.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from shared.graph_json import iso
from shared.model import QUARANTINE, Detail, Job, JobKey, JobMemory, Mute, Severity, Transition, TransitionKind
from shared.rules import RuleSettings, is_stalled

MUTED, FLAPPING, INHIBITED = "muted", "flapping", "inhibited"
# While a job is in quarantine these say nothing its one card does not.
INHIBITED_KINDS = frozenset({
    TransitionKind.FAILURE_STREAK, TransitionKind.EXECUTION_FAILED, TransitionKind.QUARANTINE_SERIES_STARTED,
})
# Nor do these beside a status change of the same tick (Paused moves the schedule's state with the code);
# a schedule disabled later, in quarantine, is news.
ECHO_KINDS = INHIBITED_KINDS | {TransitionKind.SCHEDULE_CHANGED}


@dataclass(frozen=True)
class NoiseSettings:
    flap_max_changes: int = 3  # more status changes than this within the window is flapping
    flap_window: timedelta = timedelta(hours=6)
    flap_cooldown: timedelta = timedelta(hours=2)  # stable this long ends it
    remind_interval: timedelta = timedelta(hours=24)


@dataclass(frozen=True)
class Attention:
    """Every transition (facts, then flapping and reminders), each marked when people are not told;
    the memory of every current job; and how many were withheld, by reason."""

    transitions: tuple[Transition, ...]
    memory: dict[JobKey, JobMemory]
    withheld: Counter[str]


@dataclass(frozen=True)
class _Scene:
    """One job's part of a tick."""

    previous: Job | None
    current: Job | None
    facts: tuple[Transition, ...]
    memory: JobMemory
    mute: Mute | None


def review(
    facts: Sequence[Transition],
    previous: Mapping[JobKey, Job],
    current: Sequence[Job],
    memory: Mapping[JobKey, JobMemory],
    mutes: Mapping[str, Mute],
    *,
    now: datetime,
    noise: NoiseSettings,
    rules: RuleSettings,
) -> Attention:
    by_job: dict[JobKey, list[Transition]] = defaultdict(list)
    for transition in facts:
        by_job[transition.job.key].append(transition)
    jobs = {job.key: job for job in current}
    transitions: list[Transition] = []
    remembered: dict[JobKey, JobMemory] = {}
    withheld: Counter[str] = Counter()
    for key in sorted(jobs.keys() | by_job.keys()):
        job = jobs.get(key)
        if job is not None and key not in by_job and key not in memory and _at_rest(job, mutes, now, rules):
            continue  # the usual job: nothing found, nothing remembered, nothing to remind of
        scene = _Scene(previous.get(key), job, tuple(by_job.get(key, ())), memory.get(key, JobMemory()),
                       mutes.get(key.job_id))
        told, after = _review_job(scene, now, noise, rules)
        transitions += told
        withheld.update(t.withheld for t in told if t.withheld)
        if job is not None:
            remembered[key] = after
    return Attention(tuple(transitions), remembered, withheld)


def _at_rest(job: Job, mutes: Mapping[str, Mute], now: datetime, rules: RuleSettings) -> bool:
    return job.code != QUARANTINE and job.id not in mutes and not is_stalled(job, now, rules)


def _review_job(scene: _Scene, now: datetime, noise: NoiseSettings, rules: RuleSettings) -> tuple[list[Transition], JobMemory]:
    memory, extra = _flap(scene, now, noise)
    memory, reminder = _remind(scene, memory, now, noise)
    told = [_withheld(t, scene, memory, now) for t in (*scene.facts, *extra, *reminder)]
    stalled = scene.previous is not None and scene.current is not None and is_stalled(scene.current, now, rules)
    return told, replace(memory, stalled=stalled, withheld=memory.withheld + sum(bool(t.withheld) for t in told))


def _flap(scene: _Scene, now: datetime, noise: NoiseSettings) -> tuple[JobMemory, list[Transition]]:
    """One card when changes in the window exceed the limit; one more when stable for the cooldown."""
    memory = scene.memory
    count = sum(t.kind is TransitionKind.STATUS_CHANGED for t in scene.facts)
    changes = tuple(t for t in memory.changes if now - t < noise.flap_window) + (now,) * count
    last = now if count else memory.last_change_at
    memory = replace(memory, changes=changes, last_change_at=last)
    if scene.current is None:
        return memory, []
    if not memory.flapping and len(changes) > noise.flap_max_changes:
        began = _about(scene, TransitionKind.FLAPPING, Severity.WARNING, state="began", changes=len(changes),
                       windowSeconds=_seconds(noise.flap_window), cooldownSeconds=_seconds(noise.flap_cooldown))
        return replace(memory, flapping=True), [began]
    if memory.flapping and last is not None and now - last >= noise.flap_cooldown:
        ended = _about(scene, TransitionKind.FLAPPING, Severity.RESOLVED, state="ended", changes=len(changes),
                       windowSeconds=_seconds(noise.flap_window), cooldownSeconds=_seconds(noise.flap_cooldown))
        return replace(memory, flapping=False, changes=()), [ended]  # heard again, counting afresh
    return memory, []


def _remind(scene: _Scene, memory: JobMemory, now: datetime, noise: NoiseSettings) -> tuple[JobMemory, list[Transition]]:
    """Every interval after the quarantine card (or the baseline summary), with the duration so far."""
    job = scene.current
    if job is None or job.code != QUARANTINE:
        return replace(memory, reminded_at=None, reminders=0), []
    entered = any(t.kind in (TransitionKind.ADDED, TransitionKind.STATUS_CHANGED) for t in scene.facts)
    if entered or memory.reminded_at is None:
        return replace(memory, reminded_at=now, reminders=0), []
    if now - memory.reminded_at < noise.remind_interval:
        return memory, []
    quarantine = job.status.quarantine
    since = (quarantine.series_began or quarantine.current_began) if quarantine else None
    reminder = _about(scene, TransitionKind.QUARANTINE_REMINDER, Severity.CRITICAL, reminder=memory.reminders + 1,
                      quarantinedSince=iso(since),
                      quarantinedSeconds=_seconds(now - since) if since else None)
    return replace(memory, reminded_at=now, reminders=memory.reminders + 1), [reminder]


def _withheld(transition: Transition, scene: _Scene, memory: JobMemory, now: datetime) -> Transition:
    """Muted beats flapping beats inhibited; the flapping cards themselves and reminders break through
    inhibition, and reason changes are never inhibited."""
    if scene.mute is not None and scene.mute.active(now):
        return replace(transition, withheld=MUTED)
    if memory.flapping and transition.kind is not TransitionKind.FLAPPING:
        return replace(transition, withheld=FLAPPING)
    if _inhibited(transition, scene):
        return replace(transition, withheld=INHIBITED)
    return transition


def _inhibited(transition: Transition, scene: _Scene) -> bool:
    in_quarantine = scene.current is not None and scene.current.code == QUARANTINE
    status_changed = any(t.kind is TransitionKind.STATUS_CHANGED for t in scene.facts)
    return (transition.kind in INHIBITED_KINDS and in_quarantine) or (transition.kind in ECHO_KINDS and status_changed)


def _about(scene: _Scene, kind: TransitionKind, severity: Severity, **details: Detail) -> Transition:
    return Transition(kind, severity, scene.previous or scene.current, scene.current, tuple(details.items()))


def _seconds(span: timedelta) -> int:
    return int(span.total_seconds())
