"""The embedded default: Azurite plus the Graph simulator, ticking through a scripted scenario.

Everything runs on loopback with its own settings; the demo never reads or writes local.settings.json.
"""

from __future__ import annotations

import asyncio
import json
import shutil
from datetime import timedelta
from pathlib import Path

import typer

from shared.bootstrap import run_configured_tick
from shared.errors import EXIT_INCOMPLETE, EXIT_OK
from shared.settings import Settings, load_settings
from shared.simulator.azurite import REPO_ROOT, start_azurite
from shared.simulator.graph import GraphSimulator
from shared.simulator.scenarios import DEMO_TENANT_ID, DemoTenant, Step
from shared.simulator.teams_sink import TeamsSink

_TICK_GAP = timedelta(minutes=5)
DEMO_CARDS_DIR = REPO_ROOT / "previews" / "demo"


def run_demo(cards_dir: Path = DEMO_CARDS_DIR) -> int:
    """0 when every step produced exactly the transitions it scripted."""
    with start_azurite() as azurite, GraphSimulator(tenant_id=DEMO_TENANT_ID) as sim, TeamsSink() as teams:
        tenant = DemoTenant(sim)
        settings = load_settings({
            "AZURE_TENANT_ID": DEMO_TENANT_ID,
            "GRAPH_BASE_URL": sim.base_url,
            "AzureWebJobsStorage": azurite.connection_string,
            "DISCOVERY_INTERVAL": "5m",  # ticks are 5 minutes apart here: each one runs a discovery slice
            "TEAMS_WEBHOOK_URL": teams.new_webhook("default"),
            "TEAMS_ROUTES": json.dumps([{"name": "hr", "urlSetting": "DEMO_HR_URL", "minSeverity": "critical", "match": {"appDisplayName": "Workday*"}}]),
            "DEMO_HR_URL": teams.new_webhook("hr"),
        })
        typer.secho(f"Graph simulator at {sim.base_url}; Azurite table :{azurite.table.port}, queue :{azurite.queue.port}; "
                    f"Teams sink with routes 'default' (warning and above) and 'hr' (critical, Workday*)", dim=True)
        ok = all(_run_step(number, step, sim, settings) for number, step in enumerate(tenant.steps(), 1))
        _show_queue(settings)
        _save_cards(teams, cards_dir)
    return EXIT_OK if ok else EXIT_INCOMPLETE


def _run_step(number: int, step: Step, sim: GraphSimulator, settings: Settings) -> bool:
    from shared.cli import print_report

    typer.secho(f"\n── Tick {number}: {step.title}", bold=True)
    step.change(sim)
    report = asyncio.run(run_configured_tick(settings, now=sim.clock))
    sim.advance(_TICK_GAP)
    print_report(report)
    seen = sorted(f"{t.kind.value}:{t.job.service_principal.display_name}" for t in report.transitions)
    if seen != sorted(step.expected) or report.exit_code != EXIT_OK:
        typer.secho(f"unexpected: saw {seen}, scripted {sorted(step.expected)}", fg="red", err=True)
        return False
    return True


def _save_cards(teams: TeamsSink, cards_dir: Path) -> None:
    """The Teams messages as posted, one JSON file each, for `make demo` to render as PNG previews."""
    shutil.rmtree(cards_dir, ignore_errors=True)
    cards_dir.mkdir(parents=True)
    saved = 0
    for route in ("default", "hr"):
        for number, message in enumerate(teams.posts(route), 1):
            (cards_dir / f"{route}-{number:02}.json").write_text(json.dumps(message, indent=2, ensure_ascii=False), encoding="utf-8")
            saved += 1
    typer.secho(f"\n── Teams: {saved} cards posted ({len(teams.posts('default'))} to 'default', {len(teams.posts('hr'))} to 'hr'); "
                f"saved in {cards_dir}", bold=True)


def _show_queue(settings: Settings) -> None:
    from azure.storage.queue import QueueClient, TextBase64DecodePolicy

    assert settings.storage.connection_string
    queue = QueueClient.from_connection_string(
        settings.storage.connection_string, settings.transitions_queue, message_decode_policy=TextBase64DecodePolicy()
    )
    with queue:
        messages = list(queue.peek_messages(max_messages=32))
    typer.secho(f"\n── Queue {settings.transitions_queue}: {len(messages)} CloudEvents (first 32 peeked)", bold=True)
    quarantine = next((m for m in messages if '"currentCode": "Quarantine"' in m.content), None)
    if quarantine:
        event = json.loads(quarantine.content)
        event["data"]["status"] = "{…the whole synchronizationStatus…}"
        typer.echo(json.dumps(event, indent=2, ensure_ascii=False))
