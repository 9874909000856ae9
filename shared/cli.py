"""The command line: builds settings and calls the tick, like the timer function does.

Each error owns its exit code and prints one line to stderr: 2 for settings or usage, 1 for a tick
that left something unread or undelivered (retried next tick), 0 when everything was delivered.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import typer

from shared import __version__
from shared.errors import EXIT_INCOMPLETE, EXIT_OK, SyncwatchError
from shared.model import Transition
from shared.tick import TickReport

app = typer.Typer(
    add_completion=False,
    pretty_exceptions_enable=False,
    no_args_is_help=True,
    help="syncwatch: watches Entra ID provisioning jobs and reports every status transition.",
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"syncwatch {__version__}")
        raise typer.Exit(EXIT_OK)


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Print the version and exit."),
) -> None:
    """Settings come from the environment, then from local.settings.json in the repo root."""


@app.command()
def poll(
    once: bool = typer.Option(False, "--once", help="Run exactly one tick and exit with its code."),
    interval: int = typer.Option(300, "--interval", min=10, help="Seconds between ticks when not --once."),
) -> None:
    """Read every job, diff against the snapshot, deliver the transitions.

    Examples:\n
      python -m shared poll --once\n
      python -m shared poll --interval 60
    """
    while True:
        code = _guarded(_tick)
        if once:
            raise typer.Exit(code)
        time.sleep(interval)


@app.command()
def discover() -> None:
    """List every service principal now and rebuild the watchlist of those with provisioning jobs.

    Ticks poll only the watchlist; discovery also runs by itself, a slice per tick, every
    DISCOVERY_INTERVAL. Run this after connecting a new app to see it at once.

    Example:\n
      python -m shared discover
    """
    raise typer.Exit(_guarded(_discover))


@app.command()
def demo() -> None:
    """Run the built-in demo: Azurite plus the Graph simulator, ticking through a scripted scenario."""
    from shared.demo import run_demo

    raise typer.Exit(_guarded(run_demo))


def print_report(report: TickReport) -> None:
    """Each transition on stdout; problems as one line on stderr."""
    for transition in report.transitions:
        typer.echo(describe_transition(transition))
    typer.echo(report.summary())
    if report.problems():
        typer.echo(f"syncwatch: incomplete, retried next tick: {'; '.join(report.problems())}", err=True)


def describe_transition(transition: Transition) -> str:
    job = transition.job
    before = transition.previous.code if transition.previous else "—"
    after = transition.current.code if transition.current else "—"
    name = job.service_principal.display_name or job.service_principal.id
    return f"[{transition.severity.value:>8}] {transition.kind.value:<13} {name} / {job.template_id}: {before} → {after}"


def _tick() -> int:
    from shared.bootstrap import run_configured_tick
    from shared.settings import load_settings, read_environment

    settings = load_settings(read_environment())
    report = asyncio.run(run_configured_tick(settings))
    print_report(report)
    return report.exit_code


def _discover() -> int:
    from shared.bootstrap import run_discovery
    from shared.settings import load_settings, read_environment

    observation = asyncio.run(run_discovery(load_settings(read_environment())))
    with_jobs = len({job.service_principal.id for job in observation.jobs})
    typer.echo(f"discovery: {len(observation.listed_sps)} service principals read, {with_jobs} with provisioning jobs "
               f"({len(observation.jobs)} jobs) now on the watchlist")
    for failure in observation.failures:
        typer.echo(f"syncwatch: not read: {failure.message}", err=True)
    return EXIT_INCOMPLETE if observation.failures else EXIT_OK


def _guarded(action: Callable[[], int]) -> int:
    try:
        return action()
    except SyncwatchError as error:
        typer.echo(f"syncwatch: {error}", err=True)
        return error.exit_code


def main() -> None:
    app(prog_name="syncwatch")

