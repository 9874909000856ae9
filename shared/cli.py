"""The command line: builds settings and calls the tick, like the timer function does, plus the operator's
commands (status, check, outbox).

Each error owns its exit code and prints one line to stderr: 2 for settings or usage, 1 for something not
read or not delivered (retried next tick; for `check`, any failed check), 0 when all went well. Secrets
(webhook URLs, connection strings, keys) are never printed: routes show their host, storage its account.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from shared import __version__
from shared.errors import (
    EXIT_INCOMPLETE,
    EXIT_OK,
    EXIT_USAGE,
    AnotherTickRunning,
    SyncwatchError,
)
from shared.checks import CheckResult, describe_settings, run_checks
from shared.model import Job, ReadFailure, Transition
from shared.tick import TickReport

if TYPE_CHECKING:
    from shared.model import Mute
    from shared.outbox import OutboxEntry
    from shared.settings import Settings
    from shared.snapshot_plan import StoredState

app = typer.Typer(
    add_completion=False,
    pretty_exceptions_enable=False,
    no_args_is_help=True,
    rich_markup_mode="markdown",  # paragraphs reflow to the terminal; indented blocks stay as written
    help=(
        "syncwatch: watches Entra ID provisioning jobs and reports every status transition.\n\n"
        "Run it as `syncwatch` (after `pip install -e .`) or as `python -m shared`. Settings come from the "
        "environment, then from local.settings.json in the repo root.\n\n"
        "Exit codes: 0 ok; 1 something not read or not delivered (for `check`: a check failed); 2 settings or usage."
        "\n\nExamples:\n\n    syncwatch check\n    syncwatch status\n    syncwatch poll --once\n    syncwatch outbox --help"
    ),
)
outbox_app = typer.Typer(no_args_is_help=False, rich_markup_mode="markdown")
app.add_typer(outbox_app, name="outbox")
tenants_app = typer.Typer(no_args_is_help=True, rich_markup_mode="markdown")
app.add_typer(tenants_app, name="tenants")



def _version(value: bool) -> None:
    if value:
        typer.echo(f"syncwatch {__version__}")
        raise typer.Exit(EXIT_OK)


_chosen_tenant: list[str] = []  # --tenant, for the commands that work on one tenant


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Print the version and exit."),
    tenant: str = typer.Option("", "--tenant", help="With WATCH_TENANTS: the tenant (id or displayName) that status, "
                               "mute, unmute, outbox, discover and check work on; poll and tenants take them all."),
) -> None:
    """The commands share settings and exit codes; see `syncwatch COMMAND --help`."""
    _chosen_tenant[:] = [tenant] if tenant else []


@app.command()
def poll(
    once: bool = typer.Option(False, "--once", help="Run exactly one tick and exit with its code."),
    interval: int = typer.Option(300, "--interval", min=10, help="Seconds between ticks when not --once."),
) -> None:
    """Read every job, diff against the snapshot, deliver the transitions.

    Prints one line per transition, then the tick's summary. On a terminal, a spinner with the elapsed
    time runs on stderr while a tick works; piped or redirected, the output stays plain.

    Examples:

        syncwatch poll --once
        syncwatch poll --interval 60
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

    Example:

        syncwatch discover
    """
    raise typer.Exit(_guarded(_discover))


@app.command()
def status(
    as_json: bool = typer.Option(False, "--json", help="Print JSON for scripts: `{source, readAt, jobs, notRead}`."),
    from_snapshot: bool = typer.Option(
        False, "--from-snapshot", help="Show what the last tick stored instead of reading Graph (works while Graph is down)."
    ),
) -> None:
    """A table of every watched job, live from Graph or from the snapshot.

    Columns: app, template, code, since when, failed runs in a row, last run and its result, quarantine
    reason. Most severe first, coloured by severity on a terminal; plain aligned columns when piped.

    Live (the default) reads every watched job from Graph now, outside any tick: nothing is diffed,
    delivered or written to the snapshot (only discovery's bookkeeping advances, as in a tick).

    SINCE is when the job entered its present state, as far as Graph tells: in Quarantine, the start of
    the quarantine series (`quarantine.seriesBegan`, else `quarantine.currentBegan`); with any other code,
    the start of the last successful run (`lastSuccessfulExecution.timeBegan`), else of the last run
    (`lastExecution.timeBegan`). LAST RUN is when the last run ended (or began). Times are UTC.

    Exits 1 when a service principal could not be read: one line on stderr names it, the table shows the rest.

    Examples:

        syncwatch status
        syncwatch status --from-snapshot
        syncwatch status --json | jq -r '.jobs[] | select(.code == "Quarantine") | .app'
    """
    raise typer.Exit(_guarded(lambda: _status(as_json=as_json, from_snapshot=from_snapshot)))


@app.command()
def check(
    send_test_card: bool = typer.Option(
        False, "--send-test-card", help="Also post a clearly marked test card to each Teams route."
    ),
) -> None:
    """Check that syncwatch can run here: settings, table, queue, Graph permissions, Teams.

    Listing one service principal tells whether Application.Read.All is granted; reading one service
    principal's synchronization jobs (from GRAPH_SERVICE_PRINCIPAL_IDS or the snapshot, else the one just
    listed) tells whether Synchronization.Read.All is. A missing table or queue is created, as the first
    tick would create it.

    Passed checks print on stdout; each failed check is one line on stderr that ends with what to fix.
    Exits 0 when every check passed, 1 when one failed, 2 when a setting is invalid.

    Examples:

        syncwatch check
        syncwatch check --send-test-card
    """
    raise typer.Exit(_guarded(lambda: _check(send_test_card=send_test_card)))


@outbox_app.callback(invoke_without_command=True)
def outbox(
    ctx: typer.Context,
    as_json: bool = typer.Option(False, "--json", help="Print JSON for scripts: `{sinks, entries}`."),
) -> None:
    """The deliveries still owed, per sink: pending and dead-lettered. `outbox retry` retries them.

    Sinks are the queue and each Teams route. Pending deliveries are due now or backing off after a failure;
    dead-lettered ones failed for longer than OUTBOX_DEAD_LETTER_AFTER and are no longer retried. Exits 0
    when the outbox was read, whatever it holds.

    Examples:

        syncwatch outbox
        syncwatch outbox --json
        syncwatch outbox retry
    """
    if ctx.invoked_subcommand is None:
        raise typer.Exit(_guarded(lambda: _outbox_list(as_json=as_json)))


@outbox_app.command("retry")
def outbox_retry(
    sink: Annotated[list[str] | None, typer.Option(
        "--sink", help="Only this sink: `queue`, `teams:ROUTE` or a route name. Repeatable. Default: every sink."
    )] = None,
    then_poll: bool = typer.Option(False, "--poll", help="Then run one tick at once (as `poll --once`) and exit with its code."),
) -> None:
    """Make every owed delivery due now, dead-lettered ones included; the next tick delivers them.

    Each chosen delivery's next attempt becomes now and its dead-letter mark is cleared; its attempts and
    last error are kept. This command sends nothing itself: the next tick does (the timer's, or
    `syncwatch poll --once`; `--poll` runs that tick right away). A delivery older than
    OUTBOX_DEAD_LETTER_AFTER gets one more attempt, and is dead-lettered again if that fails too. Runs
    under the tick lease, so it never races a tick.

    Examples:

        syncwatch outbox retry
        syncwatch outbox retry --sink teams:default --poll
    """
    code = _guarded(lambda: _outbox_retry(sink or []))
    if code == EXIT_OK and then_poll:
        code = _guarded(_tick)
    raise typer.Exit(code)


@app.command()
def demo() -> None:
    """Run the built-in demo: Azurite plus the Graph simulator, ticking through a scripted scenario.

    Needs no settings, and never reads or writes local.settings.json.

    Example:

        syncwatch demo
    """
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
    details = ", ".join(f"{key}={value}" for key, value in transition.details if value is not None)
    change = f"{before} → {after}" if before != after else after
    line = f"[{transition.severity.value:>8}] {transition.kind.value:<23} {name} / {job.template_id}: {change}"
    line += f" ({details})" if details else ""
    return line + (f"  [kept from Teams: {transition.withheld}]" if transition.withheld else "")


def _settings() -> Settings:
    """The settings of the tenant `--tenant` names, or of AZURE_TENANT_ID; poll takes every tenant's itself."""
    settings = _watched_settings()
    if not _chosen_tenant:
        return settings
    wanted = _chosen_tenant[0].lower()
    for tenant in settings.tenants:
        if wanted in (tenant.tenant_id.lower(), (tenant.display_name or "").lower()):
            return settings.for_tenant(tenant)
    names = ", ".join(tenant.display_name or tenant.tenant_id for tenant in settings.tenants) or "no tenant"
    raise typer.BadParameter(f"no watched tenant is {_chosen_tenant[0]!r}; {settings.tenants_source} has {names}",
                             param_hint="--tenant")


def _watched_settings() -> Settings:
    """Every setting, with the tenants table's rows read when WATCH_TENANTS names one."""
    from shared.settings import load_settings, read_environment
    from shared.tenant_table import resolve_tenants

    return asyncio.run(resolve_tenants(load_settings(read_environment())))


def _tick() -> int:
    from shared.bootstrap import run_configured_tick

    settings = _settings()
    if settings.many_tenants:
        return _tick_every_tenant(settings)
    with _busy("tick: reading jobs") as progress:
        report = asyncio.run(run_configured_tick(settings, progress=progress))
    print_report(report)
    return report.exit_code


def _tick_every_tenant(settings: Settings) -> int:
    """WATCH_TENANTS inline: each tenant's transitions and summary under its name; the worst exit code wins."""
    from shared.fanout import run_every_tenant

    with _busy(f"tick: reading the jobs of {len(settings.tenants)} tenants") as progress:
        outcomes = asyncio.run(run_every_tenant(settings, progress=progress))
    codes = [_tenant_problems(settings)]
    for outcome in outcomes:
        typer.echo(f"── tenant {outcome.tenant.name} ({outcome.tenant.tenant_id})")
        if outcome.report is not None:
            print_report(outcome.report)
            codes.append(outcome.report.exit_code)
        elif outcome.error is not None:
            typer.echo(f"syncwatch: tenant {outcome.tenant.name}: {outcome.error}", err=True)
            codes.append(outcome.error.exit_code)
    return max(codes, default=EXIT_OK)


def _discover() -> int:
    from shared.bootstrap import run_discovery

    settings = _settings()
    with _busy("discovery: listing every service principal and reading their jobs"):
        observation = asyncio.run(run_discovery(settings))
    with_jobs = len({job.service_principal.id for job in observation.jobs})
    typer.echo(f"discovery: {len(observation.listed_sps)} service principals read, {with_jobs} with provisioning jobs "
               f"({len(observation.jobs)} jobs) now on the watchlist")
    for failure in observation.failures:
        typer.echo(f"syncwatch: not read: {failure.message}", err=True)
    return EXIT_INCOMPLETE if observation.failures else EXIT_OK


@contextmanager
def _busy(label: str) -> Iterator[Callable[[int, int], None]]:
    """A progress bar on stderr while something slow runs, only on a terminal (nothing when piped): it
    pulses until the first service principal's jobs are read, then counts them."""
    console = Console(stderr=True)
    if not console.is_terminal:
        yield lambda done, total: None
        return
    columns = (SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task(label, total=None)
        yield lambda done, total: bar.update(task, completed=done, total=total)


def _tenant_problems(settings: Settings) -> int:
    """Each bad tenants table row, one line on stderr; exit 2 when there is one (the other tenants still ran)."""
    for problem in settings.tenant_problems:
        typer.echo(f"syncwatch: {problem}", err=True)
    return EXIT_USAGE if settings.tenant_problems else EXIT_OK


# ── mute ────────────────────────────────────────────────────────────────────────────────────────────


@app.command()
def mute(
    job_id: Annotated[str, typer.Argument(help="The job's id, as `syncwatch status --json` shows it (jobId).")],
    duration: Annotated[str, typer.Option("--for", help="How long: 90m, 4h, 2d (or seconds).")],
    reason: Annotated[str, typer.Option("--reason", help="Why, for the next person who reads `status`.")] = "",
) -> None:
    """Keep a job's Teams cards quiet for a while; the queue still gets every event.

    The mute is stored in the snapshot table, listed by `syncwatch status`, and expires by itself (the
    next tick after it ends deletes it). Muting again replaces the mute; `syncwatch unmute` ends it now.
    Withheld cards are counted in each tick's summary and in `status`.

    Examples:

        syncwatch mute salesforce.f10ba5b3ec9d4aacb71b50a821845028 --for 4h --reason "credential rotation"
        syncwatch unmute salesforce.f10ba5b3ec9d4aacb71b50a821845028
    """
    raise typer.Exit(_guarded(lambda: _mute(job_id, duration, reason)))


@app.command()
def unmute(job_id: Annotated[str, typer.Argument(help="The muted job's id.")]) -> None:
    """End a job's mute now: its next cards reach Teams again."""
    raise typer.Exit(_guarded(lambda: _unmute(job_id)))


def _mute(job_id: str, duration: str, reason: str) -> int:
    from shared.model import Mute
    from shared.settings import parse_duration

    span = parse_duration(duration)
    if span is None:
        raise typer.BadParameter(f"must be a duration such as 90m, 4h or 2d, got {duration!r}", param_hint="--for")
    settings = _settings()
    now = datetime.now(UTC)
    mute = Mute(job_id, now + span, reason, now)
    app_name = asyncio.run(_store_mute(settings, mute))
    typer.echo(f"muted {app_name} / {job_id} on Teams until {mute.until:%Y-%m-%d %H:%M} UTC"
               f"{f' ({reason})' if reason else ''}; the queue still gets every event")
    return EXIT_OK


async def _store_mute(settings: Settings, mute: Mute) -> str:
    """The app's name; a job id no watched job has is refused, naming it."""
    from shared.bootstrap import open_adapters

    async with open_adapters(settings) as adapters:
        stored = await adapters.store.load()  # creates the table on a first run
        names = [job.service_principal.display_name or job.service_principal.id
                 for key, job in stored.jobs.items() if key.job_id == mute.job_id]
        if not names:
            raise typer.BadParameter(f"no watched job has id {mute.job_id!r}; `syncwatch status --json` lists the jobIds",
                                     param_hint="JOB_ID")
        await adapters.mutes.put(mute)
        return ", ".join(names)


def _unmute(job_id: str) -> int:
    from shared.bootstrap import open_adapters

    settings = _settings()  # outside the event loop below: reading a tenants table runs one of its own

    async def remove() -> bool:
        async with open_adapters(settings) as adapters:
            return await adapters.mutes.remove(job_id)

    if not asyncio.run(remove()):
        typer.echo(f"syncwatch: job {job_id} is not muted; `syncwatch status` lists the mutes", err=True)
        return EXIT_USAGE
    typer.echo(f"unmuted {job_id}: its cards reach Teams again")
    return EXIT_OK


# ── status ──────────────────────────────────────────────────────────────────────────────────────────


def _status(*, as_json: bool, from_snapshot: bool) -> int:
    from shared.status_view import job_rows, noise_rows, noise_text, status_counts, status_json, status_plain, status_table

    settings = _settings()
    now = datetime.now(UTC)
    with _busy("reading the snapshot" if from_snapshot else "reading every watched job from Graph"):
        jobs, failures, stored = asyncio.run(_read_jobs(settings, now, from_snapshot=from_snapshot))
    rows, noise = job_rows(jobs), noise_rows(stored, now=now)
    if as_json:
        document = status_json(rows, source="snapshot" if from_snapshot else "graph",
                               read_at=None if from_snapshot else now, not_read=failures)
        typer.echo(json.dumps({**document, "noise": [row.to_json() for row in noise]}, indent=2, ensure_ascii=False))
    else:
        console = Console(highlight=False)
        if console.is_terminal:
            title = "From the snapshot (as the last tick stored it)" if from_snapshot else f"Live from Graph, {now:%Y-%m-%d %H:%M} UTC"
            console.print(status_table(rows, title=title))
            console.print(status_counts(rows) if rows else "No job is watched yet: run `syncwatch discover`, or wait for a tick.")
        else:
            typer.echo(status_plain(rows))
        if noise:
            typer.echo(f"\nNoise control (the queue gets every event; these cards were or are kept from Teams):\n{noise_text(noise)}")
    if failures:
        typer.echo(f"syncwatch: not read: {'; '.join(f.message for f in failures)}", err=True)
        return EXIT_INCOMPLETE
    return EXIT_OK


async def _read_jobs(
    settings: Settings, now: datetime, *, from_snapshot: bool
) -> tuple[Sequence[Job], Sequence[ReadFailure], StoredState]:
    """The jobs, live or as stored, and the stored state, which holds the mutes and what each job's
    noise control remembers."""
    from shared.bootstrap import open_adapters

    async with open_adapters(settings) as adapters:
        stored = await adapters.store.load()  # creates the table on a first run: discovery keeps its watchlist there
        if from_snapshot:
            return tuple(stored.jobs.values()), (), stored
        observation = await adapters.source.read(now)
        return observation.jobs, observation.failures, stored


# ── check ───────────────────────────────────────────────────────────────────────────────────────────


def _check(*, send_test_card: bool) -> int:
    settings = _settings()  # an invalid setting raises SettingsError: one line, exit 2
    results = [_emit(CheckResult("settings", True, describe_settings(settings)))]
    results += asyncio.run(run_checks(settings, send_test_card=send_test_card, emit=_emit))
    failed = sum(result.ok is False for result in results)
    tried = sum(result.ok is not None for result in results)
    typer.echo(f"check: {failed} of {tried} checks failed" if failed else f"check: all {tried} checks passed")
    return EXIT_INCOMPLETE if failed else EXIT_OK


def _emit(result: CheckResult) -> CheckResult:
    """Passed and skipped checks on stdout; a failed one is one line on stderr ending in what to fix."""
    if result.ok is False:
        typer.echo(f"syncwatch: check failed: {result.name}: {result.detail}; fix: {result.fix}", err=True)
    else:
        mark, colour = ("ok  ", "green") if result.ok else ("skip", "yellow")
        typer.echo(typer.style(mark, fg=colour, bold=True) + f"  {result.name}: {result.detail}")
    return result



# ── outbox ──────────────────────────────────────────────────────────────────────────────────────────


def _outbox_list(*, as_json: bool) -> int:
    from shared.status_view import outbox_json, outbox_rows, outbox_text

    settings = _settings()
    entries, sinks = asyncio.run(_load_outbox(settings))
    rows = outbox_rows(entries)
    if as_json:
        typer.echo(json.dumps(outbox_json(rows, sinks), indent=2, ensure_ascii=False))
    else:
        typer.echo(outbox_text(rows, sinks, now=datetime.now(UTC)))
    return EXIT_OK


async def _load_outbox(settings: Settings) -> tuple[tuple[OutboxEntry, ...], list[str]]:
    from shared.bootstrap import open_adapters

    async with open_adapters(settings) as adapters:
        stored = await adapters.store.load()
        return stored.outbox, [sink.id for sink in adapters.sinks]


def _outbox_retry(sinks: Sequence[str]) -> int:
    settings = _settings()
    now = datetime.now(UTC)
    try:
        made_due, total = asyncio.run(_make_due(settings, sinks, now))
    except AnotherTickRunning:
        raise SyncwatchError("another tick is running for this tenant, so nothing was changed: run `syncwatch outbox "
                             "retry` again in a minute") from None
    if not total:
        typer.echo("outbox: nothing owed" + (f" to {', '.join(sinks)}" if sinks else "") + "; nothing to retry")
        return EXIT_OK
    for entry in made_due:
        data = entry.event.data
        was = " (was dead-lettered)" if entry.dead_lettered else ""
        typer.echo(f"due now: {entry.sink}  {entry.event.severity.value} {entry.event.type.rsplit('.', 1)[-1]} "
                   f"{data.get('servicePrincipalName') or data.get('servicePrincipalId')} / {data.get('templateId')}{was}")
    dead = sum(entry.dead_lettered for entry in made_due)
    typer.echo(f"outbox: {total} deliveries owed, {len(made_due)} made due now ({dead} were dead-lettered); "
               "the next tick delivers them: `syncwatch poll --once`, or wait for the timer")
    return EXIT_OK


async def _make_due(settings: Settings, sinks: Sequence[str], now: datetime) -> tuple[list[OutboxEntry], int]:
    """Under the tick lease: the chosen entries rewritten with no next attempt and no dead-letter mark (their
    attempts and last error kept). Returns the entries as they were, and how many were owed in all."""
    from shared.bootstrap import open_adapters
    from shared.outbox import Settlement

    async with open_adapters(settings) as adapters, adapters.lease.held():
        stored = await adapters.store.load()
        wanted = _sink_ids(sinks, [sink.id for sink in adapters.sinks], [entry.sink for entry in stored.outbox])
        chosen = [entry for entry in stored.outbox if wanted is None or entry.sink in wanted]
        stale = [entry for entry in chosen if entry.dead_lettered or not entry.is_due(now)]
        fresh = tuple(replace(entry, next_attempt_at=None, dead_lettered=False) for entry in stale)
        await adapters.store.settle(Settlement(retried=fresh))
        return stale, len(chosen)


def _sink_ids(given: Sequence[str], configured: Sequence[str], owed: Sequence[str]) -> set[str] | None:
    """`--sink` values as sink ids (a bare route name means its Teams sink); None for every sink."""
    if not given:
        return None
    known = set(configured) | set(owed)
    ids = {value if value in known else f"teams:{value}" for value in given}
    unknown = sorted(value for value in given if value not in known and f"teams:{value}" not in known)
    if unknown:
        raise typer.BadParameter(f"no sink {', '.join(unknown)}; the sinks are {', '.join(sorted(known))}", param_hint="--sink")
    return ids


# ── tenants ─────────────────────────────────────────────────────────────────────────────────────────


@tenants_app.callback()
def tenants() -> None:
    """The watched tenants: `list` shows them; with `WATCH_TENANTS=table:NAME`, `add` and `remove` edit that table.

    A tenants table holds one row per tenant (PartitionKey `tenant`, RowKey the tenant id); the timer reads it
    on every run. With WATCH_TENANTS as a JSON list, edit that setting instead.

    Examples:

        syncwatch tenants list
        syncwatch tenants add contoso.onmicrosoft.com --name Contoso
        syncwatch tenants remove contoso.onmicrosoft.com
    """


@tenants_app.command("list")
def tenants_list(
    as_json: bool = typer.Option(False, "--json", help="Print JSON for scripts: `{source, tenants, problems}`."),
) -> None:
    """The watched tenants: WATCH_TENANTS' JSON list, its table's rows, or AZURE_TENANT_ID alone.

    Columns: tenant id, display name, Graph endpoint (blank: GRAPH_BASE_URL), the tenant's own Teams routes.
    A tenants table row that is not valid is not ticked: each is one line on stderr naming the row and what
    is wrong. Exits 0 when the tenants were read.

    Examples:

        syncwatch tenants list
        syncwatch tenants list --json | jq -r '.tenants[].tenantId'
    """
    raise typer.Exit(_guarded(lambda: _tenants_list(as_json=as_json)))


@tenants_app.command("add")
def tenants_add(
    tenant_id: Annotated[str, typer.Argument(help="The tenant's id: a GUID or a domain such as contoso.onmicrosoft.com.")],
    name: Annotated[str, typer.Option("--name", help="Its display name, for logs, cards and `--tenant`.")] = "",
    graph_base_url: Annotated[str, typer.Option("--graph-base-url", help="Its Graph endpoint (a national cloud); "
                                                "default GRAPH_BASE_URL.")] = "",
    teams_routes: Annotated[str, typer.Option("--teams-routes", help="Its own Teams routes, as a JSON list in "
                                              "TEAMS_ROUTES' format; they hear of this tenant only.")] = "",
) -> None:
    """Add a tenant to the tenants table (`WATCH_TENANTS=table:NAME`), or replace its row.

    The row is validated as a tick reads it before it is written, so a bad one is refused with one line naming
    what is wrong; every urlSetting of --teams-routes must be set here as in the Function App. The table is
    created when missing. The next timer run fans the tenant out with the others. With WATCH_TENANTS as a JSON
    list, edit that setting instead.

    Examples:

        syncwatch tenants add 99999999-8888-7777-6666-555555555555 --name Fabrikam
        syncwatch tenants add contoso.onmicrosoft.us --graph-base-url https://graph.microsoft.us/v1.0
        syncwatch tenants add contoso.com --teams-routes '[{"name": "contoso", "urlSetting": "TEAMS_URL_CONTOSO"}]'
    """
    from shared.tenants import tenant_row

    row = tenant_row(tenant_id, name=name, graph_base_url=graph_base_url, teams_routes=teams_routes)
    raise typer.Exit(_guarded(lambda: _tenants_add(row)))


@tenants_app.command("remove")
def tenants_remove(
    tenant_id: Annotated[str, typer.Argument(help="The tenant's id, as `syncwatch tenants list` shows it.")],
) -> None:
    """Remove a tenant from the tenants table: its ticks stop, and its work items still queued are refused.

    Its snapshot, outbox and health rows stay in SNAPSHOT_TABLE: adding it again carries on from them.

    Example:

        syncwatch tenants remove 99999999-8888-7777-6666-555555555555
    """
    raise typer.Exit(_guarded(lambda: _tenants_remove(tenant_id)))


def _tenants_list(*, as_json: bool) -> int:
    settings = _watched_settings()
    source = settings.tenants_source if settings.many_tenants else "AZURE_TENANT_ID"
    if as_json:
        rows = [{"tenantId": t.tenant_id, "displayName": t.display_name, "graphBaseUrl": t.graph_base_url,
                 "teamsRoutes": [route.name for route in t.teams_routes]} for t in settings.tenants]
        typer.echo(json.dumps({"source": source, "tenants": rows, "problems": list(settings.tenant_problems)}, indent=2))
    else:
        typer.echo(f"{len(settings.tenants)} tenants from {source}")
        for t in settings.tenants:
            routes = ", ".join(route.name for route in t.teams_routes)
            typer.echo(f"{t.tenant_id:<38} {t.display_name or '-':<24} {t.graph_base_url or '-':<40} {routes or '-'}")
    _tenant_problems(settings)
    return EXIT_OK


def _tenants_add(row: dict[str, str]) -> int:
    from shared.settings import load_settings, read_environment
    from shared.tenant_table import add_tenant

    settings = load_settings(read_environment())
    tenant = asyncio.run(add_tenant(settings, row))
    typer.echo(f"tenant {tenant.name} ({tenant.tenant_id}) is in {settings.tenants_source}: the next timer run ticks it")
    return EXIT_OK


def _tenants_remove(tenant_id: str) -> int:
    from shared.settings import load_settings, read_environment
    from shared.tenant_table import remove_tenant

    settings = load_settings(read_environment())
    if not asyncio.run(remove_tenant(settings, tenant_id)):
        typer.echo(f"syncwatch: tenant {tenant_id} is not in {settings.tenants_source}; "
                   "`syncwatch tenants list` lists them", err=True)
        return EXIT_USAGE
    typer.echo(f"removed tenant {tenant_id} from {settings.tenants_source}: its ticks stop")
    return EXIT_OK


def _guarded(action: Callable[[], int]) -> int:
    try:
        return action()
    except SyncwatchError as error:
        typer.echo(f"syncwatch: {error}", err=True)
        return error.exit_code
    except typer.BadParameter as error:
        typer.echo(f"syncwatch: {error.format_message()}", err=True)
        return EXIT_USAGE


def main() -> None:
    # A Teams retry is summed up in the tick's one problem line; stamina's own warning per retry would reach
    # stderr through logging's last-resort handler as extra lines.
    logging.getLogger("stamina").setLevel(logging.ERROR)
    app(prog_name="syncwatch")
