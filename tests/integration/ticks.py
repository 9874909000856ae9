"""Runs whole ticks the way the timer does, five simulated minutes apart."""

import asyncio
from datetime import timedelta

from shared.bootstrap import run_configured_tick
from shared.model import TransitionKind
from shared.settings import Settings
from shared.simulator.graph import GraphSimulator
from shared.tick import TickReport

TICK_INTERVAL = timedelta(minutes=5)


def tick(settings: Settings, sim: GraphSimulator) -> TickReport:
    """One tick at the simulator's clock, which then moves on by one interval."""
    report = asyncio.run(run_configured_tick(settings, now=sim.clock, retry_delay=0))
    sim.advance(TICK_INTERVAL)
    return report


STATUS_KINDS = ("added", "removed", "statusChanged")
# Entering quarantine in the simulator is four facts: the status change, a new series, the first failure
# of a streak and the failed run. The queue gets all four; Teams one card (docs/events.md, inhibition).
FACTS_PER_QUARANTINE = 4


def seen(report: TickReport, *, kinds: tuple[str, ...] = STATUS_KINDS) -> list[str]:
    """"kind:app" of each transition of these kinds (by default the status changes), sorted."""
    return sorted(f"{t.kind.value}:{t.job.service_principal.display_name}" for t in report.transitions if t.kind.value in kinds)


def everything(report: TickReport) -> list[str]:
    return seen(report, kinds=tuple(kind.value for kind in TransitionKind))


def delivered_ids(report: TickReport, sink: str = "queue") -> list[str]:
    return [entry.event.id for entry in report.settlement.delivered if entry.sink == sink]
