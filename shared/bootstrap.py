"""The one place that builds adapters from settings and runs a tick with them.

SDKs are imported here, inside the functions, so that importing function_app.py stays cheap.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from shared.cards import health_card, teams_message
from shared.cloud import Cloud, cloud_for
from shared.errors import SinkError, StorageError, SyncwatchError
from shared.health import Health, Notice, after_tick, is_stale, schedule_period
from shared.model import Observation
from shared.settings import Settings
from shared.teams_settings import DEFAULT_ROUTE
from shared.tick import TickReport, run_tick

if TYPE_CHECKING:
    from shared.adapters.graph_jobs import GraphJobSource
    from shared.adapters.table_health import TableHealth
    from shared.adapters.table_lease import TableTickLease
    from shared.adapters.table_mutes import TableMutes
    from shared.adapters.table_store import TableSnapshotStore
    from shared.ports import EventSink


@dataclass(frozen=True)
class Adapters:
    source: GraphJobSource
    store: TableSnapshotStore
    sinks: list[EventSink]
    lease: TableTickLease
    health: TableHealth
    mutes: TableMutes
    cloud: Cloud


async def run_configured_tick(
    settings: Settings,
    *,
    now: datetime | None = None,
    retry_delay: float | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> TickReport:
    """Exactly one tick, under the tenant's lease; raises AnotherTickRunning when another tick holds it.
    Its outcome is recorded as syncwatch's own health, which `GET /api/health` reports."""
    now = now or datetime.now(timezone.utc)
    async with open_adapters(settings, retry_delay=retry_delay, progress=progress) as adapters, adapters.lease.held():
        try:
            report = await run_tick(
                adapters.source, adapters.store, adapters.sinks, tenant_id=settings.tenant_id, cloud=adapters.cloud,
                now=now, dead_letter_age=settings.dead_letter_after, policy=settings.policy,
            )
        except SyncwatchError as error:
            await _record_health(adapters, settings, now, succeeded=False, summary="", problem=str(error))
            raise
        problems = report.problems()
        await _record_health(adapters, settings, now, succeeded=not problems, summary=report.summary(),
                             problem=problems[0] if problems else "")
        return report


async def read_health(settings: Settings, *, now: datetime | None = None) -> tuple[dict[str, Any], bool]:
    """The last tick's outcome, and whether syncwatch is healthy: a successful tick within 3 schedule periods."""
    now = now or datetime.now(timezone.utc)
    async with open_adapters(settings) as adapters:
        health = await adapters.health.load()
    healthy = not is_stale(health, now=now, period=schedule_period(settings.poll_schedule))
    body = {
        "healthy": healthy, "lastTickAt": _iso(health.last_tick_at), "lastSuccessAt": _iso(health.last_success_at),
        "consecutiveFailures": health.consecutive_failures, "lastSummary": health.last_summary,
        "lastProblem": health.last_problem,
    }
    return body, healthy


async def _record_health(adapters: Adapters, settings: Settings, now: datetime, *, succeeded: bool, summary: str, problem: str) -> None:
    """Best effort: when storage itself is down the tick's own error says so, and this stays quiet."""
    try:
        health, notice = after_tick(await adapters.health.load(), now=now, succeeded=succeeded, summary=summary, problem=problem)
        if notice is not Notice.NONE and not await _tell_people(adapters, settings, health, notice):
            # Not told: keep the state that makes the next tick try again.
            health = replace(health, alerted=notice is Notice.RECOVERED)
        await adapters.health.save(health)
    except StorageError:
        logging.getLogger(__name__).warning("syncwatch: could not record this tick's health", exc_info=False)


async def _tell_people(adapters: Adapters, settings: Settings, health: Health, notice: Notice) -> bool:
    """The health card goes to the default Teams route; without one, the log line has to do."""
    default = next((sink for sink in adapters.sinks if getattr(sink, "id", "") == f"teams:{DEFAULT_ROUTE}"), None)
    logging.getLogger(__name__).warning("syncwatch: %s: %s", notice.value, health.last_problem or health.last_summary)
    if default is None:
        return True
    card = health_card(unhealthy=notice is Notice.UNHEALTHY, failures=health.consecutive_failures,
                       problem=health.last_problem, tenant_id=settings.tenant_id)
    try:
        await default.post_message(teams_message(card))  # type: ignore[attr-defined]
    except SinkError:
        return False
    return True


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


async def run_discovery(settings: Settings, *, now: datetime | None = None) -> Observation:
    """A full discovery now, under the tenant's lease: every SP listed, the watchlist rebuilt."""
    async with open_adapters(settings) as adapters, adapters.lease.held():
        await adapters.store.load()  # creates the table on a first run
        return await adapters.source.discover_all(now or datetime.now(timezone.utc))


@asynccontextmanager
async def open_adapters(
    settings: Settings,
    *,
    retry_delay: float | None = None,
    graph_timeout: float | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> AsyncIterator[Adapters]:
    """The adapters the settings describe, closed on exit; the table and queue are created on first use.
    `retry_delay` and `graph_timeout` (seconds) shorten waits for tests and the soak."""
    from shared.adapters.graph_client import create_graph_client
    from shared.adapters.graph_jobs import Discovery, GraphJobSource
    from shared.adapters.storage_queue import StorageQueueSink
    from shared.adapters.table_lease import TableTickLease
    from shared.adapters.table_health import TableHealth
    from shared.adapters.table_mutes import TableMutes
    from shared.adapters.table_store import TableSnapshotStore
    from shared.adapters.table_watchlist import TableWatchlist

    cloud = cloud_for(settings.graph_base_url)
    async with AsyncExitStack() as stack:
        credential = home_credential(stack, settings, cloud)
        graph = create_graph_client(
            cloud, settings.graph_base_url, credential=graph_credential(stack, settings, cloud, credential),
            units_per_window=settings.graph_units_per_10s,
            **_graph_options(retry_delay, graph_timeout),
        )
        stack.push_async_callback(graph.aclose)
        store = TableSnapshotStore(settings.storage, settings.snapshot_table, settings.tenant_id, credential=credential)
        stack.push_async_callback(store.aclose)
        queue = StorageQueueSink(settings.storage, settings.transitions_queue, ttl_seconds=settings.message_ttl, credential=credential)
        stack.push_async_callback(queue.aclose)
        watchlist = TableWatchlist(store.table, store.tenant_partition, settings.storage)
        discovery = Discovery(watchlist, settings.discovery_interval, settings.discovery_pages_per_tick)
        yield Adapters(
            source=GraphJobSource(
                graph, discovery=discovery, service_principal_ids=settings.service_principal_ids, progress=progress
            ),
            store=store,
            sinks=[queue, *await _teams_sinks(stack, settings, store.table)],
            lease=TableTickLease(store.table, store.tenant_partition, settings.storage),
            health=TableHealth(store.table, store.tenant_partition, settings.storage),
            mutes=TableMutes(store.table, store.tenant_partition, settings.storage),
            cloud=cloud,
        )


def _graph_options(retry_delay: float | None, timeout: float | None) -> dict[str, Any]:
    import httpx

    options: dict[str, Any] = {} if retry_delay is None else {"retry_delay": retry_delay}
    if timeout is not None:
        options["timeout"] = httpx.Timeout(timeout)
    return options


async def _teams_sinks(stack: AsyncExitStack, settings: Settings, table: Any) -> list[Any]:
    """One sink per route, sharing one HTTP client and one pacer (routes may share a webhook). With many
    tenants, ticks run on many instances: the pacer then keeps its record in the table, shared by all."""
    teams = settings.teams
    if not teams.routes:
        return []
    import httpx

    from shared.adapters.log_redaction import redact_http_client_logs
    from shared.adapters.table_webhook_pacer import TableWebhookPacer
    from shared.adapters.teams_webhook import TeamsWebhookSink, WebhookPacer

    redact_http_client_logs()
    client = await stack.enter_async_context(httpx.AsyncClient(timeout=httpx.Timeout(10.0, connect=5.0)))
    pacer = TableWebhookPacer(table, settings.storage) if settings.many_tenants else WebhookPacer()
    return [TeamsWebhookSink(route, client, digest_threshold=teams.digest_threshold, pacer=pacer) for route in teams.routes]


def graph_credential(stack: AsyncExitStack, settings: Settings, cloud: Cloud, home: Any) -> Any:
    """Graph of the home tenant takes syncwatch's own identity; a customer tenant, with CROSS_TENANT_CLIENT_ID
    set, the multi-tenant app's token obtained with the managed identity's assertion (no secret)."""
    if cloud.loopback or not settings.cross_tenant_client_id or _same_tenant(settings.tenant_id, settings.home_tenant_id):
        return home
    from shared.adapters.cross_tenant import cross_tenant_credential

    credential = cross_tenant_credential(
        settings.tenant_id, settings.cross_tenant_client_id, cloud,
        managed_identity_client_id=settings.client_id or settings.storage.client_id,
    )
    stack.push_async_callback(credential.close)
    return credential


def _same_tenant(one: str, other: str) -> bool:
    return one.lower() == other.lower()


def home_credential(stack: AsyncExitStack, settings: Settings, cloud: Cloud) -> Any:
    """DefaultAzureCredential, when anything needs a token: the managed identity in Azure
    (AZURE_CLIENT_ID picks a user-assigned one), the environment or an Azure CLI sign-in locally."""
    if cloud.loopback and settings.storage.connection_string:
        return None
    from azure.identity.aio import DefaultAzureCredential

    client_id = settings.client_id or settings.storage.client_id
    credential = DefaultAzureCredential(managed_identity_client_id=client_id, authority=cloud.authority_host)
    stack.push_async_callback(credential.close)
    return credential
