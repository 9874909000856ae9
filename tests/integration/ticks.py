"""Runs whole ticks the way the timer does, five simulated minutes apart."""

import asyncio
from datetime import timedelta

from shared.bootstrap import run_configured_tick
from shared.settings import Settings
from shared.simulator.graph import GraphSimulator
from shared.tick import TickReport

TICK_INTERVAL = timedelta(minutes=5)


def tick(settings: Settings, sim: GraphSimulator) -> TickReport:
    """One tick at the simulator's clock, which then moves on by one interval."""
    report = asyncio.run(run_configured_tick(settings, now=sim.clock, retry_delay=0))
    sim.advance(TICK_INTERVAL)
    return report


def delivered_ids(report: TickReport, sink: str = "queue") -> list[str]:
    return [entry.event.id for entry in report.settlement.delivered if entry.sink == sink]
