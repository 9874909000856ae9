"""Seeded soak: hundreds of ticks against the simulators with random faults, then a tally of what the
sinks received against what Graph showed. `python -m tools.soak --ticks 300 --seed 1` (or `make soak`).

Faults: Graph 429/5xx/timeouts, Azurite's table or queue service stopped and restarted (it keeps its data
in a folder, as real storage does), Teams 429/500, and process deaths between steps.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import random
import tempfile
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import stamina
from azure.storage.queue import QueueClient

from shared.adapters.teams_webhook import TeamsWebhookSink, WebhookPacer
from shared.bootstrap import open_adapters
from shared.errors import SyncwatchError
from shared.settings import Settings, load_settings
from shared.simulator.azurite import Azurite, start_azurite
from shared.simulator.graph import GraphSimulator
from shared.simulator.teams_sink import TeamsSink
from shared.storage_account import DEV_KEY
from shared.tick import TickReport, run_tick
from tools.faults import Crash, CrashAfter, CrashOnRequest

CODES = ("Active", "Quarantine", "Paused", "NotRun")
TEAMS_SEVERITIES = {"critical", "warning", "resolved"}  # what the default route takes
TICK = timedelta(minutes=5)
Transition = tuple[str, str, str]  # (app, previous code, current code)


@dataclass
class SoakResult:
    ticks: int
    expected: Counter[Transition] = field(default_factory=Counter)
    queue: Counter[Transition] = field(default_factory=Counter)
    queue_ids: Counter[str] = field(default_factory=Counter)
    teams: Counter[Transition] = field(default_factory=Counter)
    faults: Counter[str] = field(default_factory=Counter)
    logs: list[str] = field(default_factory=list)
    secrets: tuple[str, ...] = ()  # what must never appear in any log line, error or event

    @property
    def lost(self) -> Counter[Transition]:
        """Expected transitions no queue message carries (by content, whatever the id)."""
        return self.expected - self.queue

    @property
    def unexpected(self) -> Counter[Transition]:
        """Delivered under a different id than an expected transition: a real double, or a false alarm."""
        return self.queue - self.expected

    @property
    def duplicates(self) -> int:
        """Messages delivered more than once under the same id (consumers drop them by id)."""
        return sum(count - 1 for count in self.queue_ids.values())

    @property
    def teams_lost(self) -> Counter[Transition]:
        return Counter({t: n for t, n in self.expected_for_teams.items()}) - self.teams

    @property
    def expected_for_teams(self) -> Counter[Transition]:
        return Counter({t: n for t, n in self.expected.items() if _severity(t) in TEAMS_SEVERITIES})

    def table(self) -> str:
        rows = [
            ("ticks", self.ticks),
            ("transitions expected", sum(self.expected.values())),
            ("queue: transitions delivered", sum(self.queue.values())),
            ("queue: lost", sum(self.lost.values())),
            ("queue: unexpected (other id)", sum(self.unexpected.values())),
            ("queue: duplicates with the same id", self.duplicates),
            ("teams: transitions expected on the route", sum(self.expected_for_teams.values())),
            ("teams: lost", sum(self.teams_lost.values())),
            ("teams: shown more than once", sum((self.teams - self.expected_for_teams).values())),
            *((f"faults: {kind}", count) for kind, count in sorted(self.faults.items())),
        ]
        width = max(len(name) for name, _ in rows)
        return "\n".join(f"{name:<{width}}  {value}" for name, value in rows)


class Soak:
    def __init__(self, *, seed: int, ticks: int, jobs: int, fault_rate: float, data_dir: Path) -> None:
        self.rng = random.Random(seed)
        self.ticks, self.fault_rate = ticks, fault_rate
        self.result = SoakResult(ticks)
        self._stack = ExitStack()
        self.azurite: Azurite = self._stack.enter_context(start_azurite(location=data_dir))
        self.sim = self._stack.enter_context(GraphSimulator(tenant_id="0b5c1c6a-53ae-4b6c-9f05-50f3c7b8a001"))
        self.teams = self._stack.enter_context(TeamsSink())
        self.jobs = {f"App {i:03}": self._add_app(f"App {i:03}") for i in range(jobs)}
        self.codes = dict.fromkeys(self.jobs, "Active")
        self.settled = dict.fromkeys(self.jobs, False)
        webhook = self.teams.new_webhook("default")
        self.result.secrets = (webhook.split("sig=")[1], DEV_KEY)
        self.settings = load_settings({
            "AZURE_TENANT_ID": self.sim.tenant_id, "GRAPH_BASE_URL": self.sim.base_url,
            "AzureWebJobsStorage": self.azurite.connection_string, "TEAMS_WEBHOOK_URL": webhook,
            "TEAMS_DIGEST_THRESHOLD": "1000",  # one card per transition, so each can be matched
            # Jobs change often here, which flap damping would rightly keep from Teams: this soak is about
            # delivery, so it is off (tests/integration/test_health_rules.py covers it).
            "FLAP_MAX_CHANGES": "1000000",
        })

    def close(self) -> None:
        self._stack.close()

    def run(self) -> SoakResult:
        with stamina.set_testing(True, attempts=2):  # Teams retries without waiting; the outbox retries later
            for _ in range(self.ticks):
                self._change_some_jobs()
                self._tick_with_faults()
            self._drain()
        self._collect()
        return self.result

    def _add_app(self, name: str) -> tuple[str, str]:
        sp = self.sim.add_service_principal(display_name=name)
        return sp, self.sim.add_job(sp, template_id="scim")

    def _change_some_jobs(self) -> None:
        """Only a job whose last change some tick has committed changes again, so each change is observable."""
        for name, (sp, job) in self.jobs.items():
            if self.settled[name] and self.rng.random() < 0.08:
                new = self.rng.choice([code for code in CODES if code != self.codes[name]])
                self.result.expected[(name, self.codes[name], new)] += 1
                self.sim.set_status(sp, job, code=new, quarantine_reason="EncounteredEscrowProportionThreshold")
                self.codes[name], self.settled[name] = new, False

    def _tick_with_faults(self) -> None:
        with self._faults() as wrap:
            try:
                report = asyncio.run(self._one_tick(wrap))
            except Crash:
                self.result.faults["crash " + wrap.crash] += 1
            except SyncwatchError as error:
                self.result.logs.append(str(error))
            else:
                self._settle_read_jobs(report)
        self.sim.advance(TICK)

    async def _one_tick(self, wrap: _Wrap) -> TickReport:
        async with open_adapters(self.settings, retry_delay=0, graph_timeout=1.0) as adapters, adapters.lease.held():
            report = await run_tick(
                wrap.source(adapters.source), wrap.store(adapters.store), wrap.sinks(adapters.sinks, self.settings),
                tenant_id=self.settings.tenant_id, cloud=adapters.cloud, now=self.sim.clock, policy=self.settings.policy,
            )
        self.result.logs += report.problems()
        return report

    def _settle_read_jobs(self, report: TickReport) -> None:
        unread = {f.service_principal_id for f in report.read_failures}
        if None in unread:
            return  # the listing failed: nothing is known to be read
        for name, (sp, _) in self.jobs.items():
            if sp not in unread:
                self.settled[name] = True

    @contextmanager
    def _faults(self) -> Iterator[_Wrap]:
        wrap = _Wrap()
        if self.rng.random() < self.fault_rate:
            self._graph_fault()
        if self.rng.random() < self.fault_rate / 2:
            self._teams_fault()
        if self.rng.random() < self.fault_rate / 2:
            wrap.crash = self.rng.choice(["after reading Graph", "after the commit", "after the queue send", "between Teams posts"])
        stopped = self._storage_fault() if self.rng.random() < self.fault_rate / 4 else None
        try:
            yield wrap
        finally:
            if stopped:
                stopped.start()

    def _graph_fault(self) -> None:
        sp, _ = self.jobs[self.rng.choice(list(self.jobs))]
        kind = self.rng.choice(["429", "500", "503", "timeout", "listing 500"])
        self.result.faults[f"graph {kind}"] += 1
        if kind == "timeout":
            self.sim.delay(f"{sp}/synchronization", seconds=1.5)
        elif kind == "listing 500":
            self.sim.fail("/servicePrincipals?", status=500)
        else:
            self.sim.fail(f"{sp}/synchronization", status=int(kind), retry_after="0.05" if kind != "500" else None)

    def _teams_fault(self) -> None:
        status = self.rng.choice([429, 500])
        self.result.faults[f"teams {status}"] += 1
        self.teams.respond("default", status=status, times=self.rng.randint(1, 4), retry_after="0.05" if status == 429 else None)

    def _storage_fault(self) -> Any:
        service = self.rng.choice([self.azurite.table, self.azurite.queue])
        self.result.faults[f"azurite {service.kind} restarted"] += 1
        service.stop()
        return service

    def _drain(self) -> None:
        """Faults off; ticks an hour apart until nothing is owed (backoff is at most an hour)."""
        self.sim.clear_faults()
        self.teams.clear_scripts()
        for _ in range(12):
            self.sim.advance(timedelta(hours=1))
            report = asyncio.run(self._one_tick(_Wrap()))
            if not report.undelivered and not report.read_failures:
                return

    def _collect(self) -> None:
        for event in _drain_queue(self.settings):
            self.result.logs.append(json.dumps(event))
            data = event["data"]
            self.result.queue_ids[event["id"]] += 1
            if self.result.queue_ids[event["id"]] == 1 and event["type"] == "syncwatch.job.statusChanged":
                self.result.queue[(data["servicePrincipalName"], data["previousCode"], data["currentCode"])] += 1
        for message in self.teams.posts("default"):
            facts = {f["title"]: f["value"] for f in _facts(message)}
            if "Change" not in facts:
                continue  # a health rule's or a reminder's card, not a status transition
            before, after = facts["Change"].split(" → ")
            self.result.teams[(facts["App"], before, after)] += 1


@dataclass
class _Wrap:
    """Which step boundary this tick dies at, if any."""

    crash: str = ""

    def source(self, source: Any) -> Any:
        return CrashAfter(source, "read") if self.crash == "after reading Graph" else source

    def store(self, store: Any) -> Any:
        return CrashAfter(store, "commit") if self.crash == "after the commit" else store

    def sinks(self, sinks: list[Any], settings: Settings) -> list[Any]:
        if self.crash == "after the queue send":
            return [CrashAfter(sinks[0], "send"), *sinks[1:]]
        if self.crash == "between Teams posts":
            client = httpx.AsyncClient(transport=CrashOnRequest(allowed=1))
            return [sinks[0], TeamsWebhookSink(settings.teams.routes[0], client, digest_threshold=1000, pacer=WebhookPacer())]
        return sinks


def _severity(transition: Transition) -> str:
    _, before, after = transition
    if after == "Quarantine":
        return "critical"
    if after == "Paused":
        return "warning"
    return "resolved" if before == "Quarantine" else "info"


def _facts(message: dict[str, Any]) -> list[dict[str, str]]:
    body = message["attachments"][0]["content"]["body"]
    return next(item["facts"] for item in body if item.get("type") == "FactSet")


def _drain_queue(settings: Settings) -> Iterator[dict[str, Any]]:
    assert settings.storage.connection_string
    with QueueClient.from_connection_string(settings.storage.connection_string, settings.transitions_queue) as queue:
        while batch := list(queue.receive_messages(max_messages=32)):
            for message in batch:
                yield json.loads(base64.b64decode(message.content))
                queue.delete_message(message)


def run_soak(*, seed: int, ticks: int, jobs: int = 20, fault_rate: float = 0.3) -> SoakResult:
    with tempfile.TemporaryDirectory(prefix="syncwatch-soak-") as data_dir:
        soak = Soak(seed=seed, ticks=ticks, jobs=jobs, fault_rate=fault_rate, data_dir=Path(data_dir))
        try:
            return soak.run()
        finally:
            soak.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--ticks", type=int, default=300)
    parser.add_argument("--jobs", type=int, default=20)
    parser.add_argument("--fault-rate", type=float, default=0.3)
    args = parser.parse_args(argv)
    result = run_soak(seed=args.seed, ticks=args.ticks, jobs=args.jobs, fault_rate=args.fault_rate)
    print(result.table())
    return 1 if result.lost or result.unexpected or result.teams_lost else 0


if __name__ == "__main__":
    raise SystemExit(main())
