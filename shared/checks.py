"""`syncwatch check`: is a deployment wired correctly, before the first real quarantine? Each check names
what to fix: a setting, a storage role, a Graph application permission, a Teams route.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from shared import __version__
from shared.errors import GraphError, SinkError, SyncwatchError
from shared.teams_settings import DEFAULT_ROUTE

if TYPE_CHECKING:
    from shared.adapters.graph_client import GraphClient
    from shared.adapters.teams_webhook import TeamsWebhookSink
    from shared.bootstrap import Adapters
    from shared.settings import Settings
    from shared.teams_settings import TeamsRoute

LISTING_PROBE = "/servicePrincipals?$select=id&$top=1"
TEST_CARD_TITLE = "syncwatch test card — no action needed"
_GRANT_HINT = "an administrator grants it to the identity (docs/deploy.md, step 4); a new grant takes a few minutes to reach tokens"
_CREDENTIAL_FIX = ("check the credential: `az login` (or AZURE_CLIENT_ID/AZURE_CLIENT_SECRET) locally, "
                   "the managed identity (AZURE_CLIENT_ID) in Azure")



@dataclass(frozen=True)
class CheckResult:
    name: str
    ok: bool | None  # None: skipped, it could not be tried
    detail: str
    fix: str = ""


def describe_settings(settings: Settings) -> str:
    watched = (f"{len(settings.service_principal_ids)} configured service principals" if settings.service_principal_ids
               else f"discovery every {_duration(settings.discovery_interval)}")
    teams = ", ".join(f"{r.name} ({r.min_severity.value} and above) → {r.host}" for r in settings.teams.routes) or "off"
    return (f"valid: tenant {settings.tenant_id}, Graph {urlsplit(settings.graph_base_url).hostname} ({watched}), "
            f"storage account {settings.storage.account_name}, table {settings.snapshot_table}, "
            f"queue {settings.transitions_queue}, Teams {teams}")


def _duration(value: timedelta) -> str:
    """As DISCOVERY_INTERVAL is written: 90s, 30m, 6h, 1d."""
    seconds = int(value.total_seconds())
    unit, size = next(((u, s) for u, s in (("d", 86400), ("h", 3600), ("m", 60)) if seconds % s == 0), ("s", 1))
    return f"{seconds // size}{unit}"


async def run_checks(settings: Settings, *, send_test_card: bool, emit: Callable[[CheckResult], CheckResult]) -> list[CheckResult]:
    """Storage, Graph permissions and Teams routes, each reported through `emit` as soon as it is known."""
    from shared.bootstrap import open_adapters

    results = [emit(result) for result in tenant_checks(settings)]
    async with open_adapters(settings) as adapters:
        (table, snapshot_sp), queue = await asyncio.gather(_check_table(adapters, settings), _check_queue(adapters, settings))
        results += [emit(table), emit(queue)]
        graph = _graph_client(adapters)
        host = urlsplit(settings.graph_base_url).hostname or "?"
        listing, listed_sp = await _check_listing(graph, host)
        results.append(emit(listing))
        probe_sp = next(iter(settings.service_principal_ids), None) or snapshot_sp or listed_sp
        results.append(emit(await _check_jobs(graph, probe_sp)))
        results += [emit(result) for result in await _check_teams(adapters, settings, send_test_card=send_test_card)]
    return results


def tenant_checks(settings: Settings) -> list[CheckResult]:
    """With a tenants table: how many tenants it holds, and one failed check per bad row (read by the CLI)."""
    if settings.tenants_table is None:
        return []
    name = f"tenants table {settings.tenants_table}"
    fix = ("`syncwatch tenants add <tenantId> ...` writes a valid row (replacing a bad one), "
           "`syncwatch tenants remove <tenantId>` drops one")
    names = ", ".join(tenant.name for tenant in settings.watch_tenants)
    found = [CheckResult(name, True, f"reachable; tenants: {names}")] if names else []
    return found + [CheckResult(name, False, problem, fix) for problem in settings.tenant_problems]


async def _check_table(adapters: Adapters, settings: Settings) -> tuple[CheckResult, str | None]:
    """One query (the first job row of this tenant's snapshot); a missing table is created."""
    from azure.core.exceptions import AzureError, ResourceNotFoundError

    from shared.adapters.table_store import JOB_ROW

    name = f"table {settings.snapshot_table}"
    tenant = adapters.store.tenant_partition
    query = (f"PartitionKey ge '{tenant}|' and PartitionKey lt '{tenant}}}' "
             f"and RowKey ge '{JOB_ROW}' and RowKey lt '{JOB_ROW[:-1]}}}'")
    try:
        rows = adapters.store.table.query_entities(query, results_per_page=1, select=["ServicePrincipalId"])
        first = await anext(aiter(rows), None)
    except ResourceNotFoundError:
        try:
            await ensure_table(adapters, settings)
        except SyncwatchError as error:
            return CheckResult(name, False, f"missing, and creating it failed: {error}", _storage_fix(error, "Table")), None
        return CheckResult(name, True, "reachable; it was missing and is now created (empty)"), None
    except AzureError as error:
        problem = _storage_problem(error, settings, name)
        return CheckResult(name, False, problem, _storage_fix(problem, "Table")), None
    sp = first.get("ServicePrincipalId") if first else None
    return CheckResult(name, True, "reachable" + ("" if first else "; no job stored yet (no tick has run)")), sp


async def _check_queue(adapters: Adapters, settings: Settings) -> CheckResult:
    """Its properties; a missing queue is created."""
    from azure.core.exceptions import AzureError, ResourceExistsError, ResourceNotFoundError
    from azure.storage.queue.aio import QueueClient

    from shared.adapters.storage_common import open_client

    name = f"queue {settings.transitions_queue}"
    # The table client's credential is the one the tick's queue client gets (ignored for a connection string).
    # The queue SDK's own retry starts at 15 s and triples: shortened as StorageQueueSink does.
    queue = open_client(QueueClient, settings.storage, settings.storage.queue_endpoint, adapters.store.table.credential,
                        queue_name=settings.transitions_queue, initial_backoff=1, increment_base=2, random_jitter_range=1)
    try:
        async with queue:
            try:
                properties = await queue.get_queue_properties()
            except ResourceNotFoundError:
                try:
                    await queue.create_queue()
                except ResourceExistsError:
                    pass  # created meanwhile
                return CheckResult(name, True, "reachable; it was missing and is now created")
            count = properties.approximate_message_count
            return CheckResult(name, True, f"reachable (about {count} messages waiting)")
    except AzureError as error:
        problem = _storage_problem(error, settings, name)
        return CheckResult(name, False, problem, _storage_fix(problem, "Queue"))


def _storage_problem(error: Exception, settings: Settings, what: str) -> str:
    from azure.core.exceptions import AzureError, ClientAuthenticationError

    from shared.adapters.storage_common import storage_error

    if isinstance(error, ClientAuthenticationError) and not getattr(error, "status_code", None):
        return f"{what} in storage account {settings.storage.account_name}: no token ({type(error).__name__})"
    return str(storage_error(error, settings.storage, what)) if isinstance(error, AzureError) else str(error)


def _storage_fix(problem: object, kind: str) -> str:
    text = str(problem)
    if "no token" in text:
        return _CREDENTIAL_FIX
    if "unreachable" in text:
        return ("check AzureWebJobsStorage (account name, endpoints) and that this machine reaches the account "
                "(its firewall, private endpoint, DNS)")
    if " 403" in text:
        return (f"give the identity the role Storage {kind} Data Contributor on the storage account "
                "(main.bicep assigns it), or use a connection string that is still valid")
    if " 401" in text:
        return "the account key or SAS in AzureWebJobsStorage is wrong or expired"
    return "check AzureWebJobsStorage and the storage account's health in the Azure portal"


def _graph_client(adapters: Adapters) -> GraphClient:
    """The Graph client the tick reads with (same credential, cloud, retries and pacing)."""
    return adapters.source.client


async def _check_listing(graph: GraphClient, host: str) -> tuple[CheckResult, str | None]:
    name = "Graph Application.Read.All"
    try:
        response = await graph.get(LISTING_PROBE)
    except GraphError as error:
        return CheckResult(name, False, f"{host}: {error}", "check GRAPH_BASE_URL and that this machine reaches it (proxy, firewall)"), None
    except Exception as error:  # noqa: BLE001 - the credential failed before a request went out
        return CheckResult(name, False, f"no token for {host} ({type(error).__name__})", _CREDENTIAL_FIX), None
    if response.status == 403:
        return CheckResult(name, False, f"listing service principals: Graph answered {response.error_text()}",
                           f"grant the Microsoft Graph application permission Application.Read.All: {_GRANT_HINT}"), None
    if not response.ok:
        return CheckResult(name, False, f"listing service principals: Graph answered {response.error_text()}",
                           _graph_fix(response.status)), None
    listed = response.body.get("value") if isinstance(response.body, dict) else None
    first = listed[0].get("id") if isinstance(listed, list) and listed and isinstance(listed[0], dict) else None
    return CheckResult(name, True, f"granted: listing service principals on {host} works"), first if isinstance(first, str) else None


async def _check_jobs(graph: GraphClient, sp_id: str | None) -> CheckResult:
    name = "Graph Synchronization.Read.All"
    if sp_id is None:
        return CheckResult(name, None, "not tried: no service principal known to read the jobs of")
    what = f"reading the synchronization jobs of service principal {sp_id}"
    try:
        response = await graph.get(f"/servicePrincipals/{sp_id}/synchronization/jobs")
    except GraphError as error:
        return CheckResult(name, False, f"{what}: {error}", "check GRAPH_BASE_URL and that this machine reaches it (proxy, firewall)")
    except Exception as error:  # noqa: BLE001 - the credential failed before a request went out
        return CheckResult(name, False, f"{what}: no token ({type(error).__name__})", _CREDENTIAL_FIX)
    if response.status == 403:
        return CheckResult(name, False, f"{what}: Graph answered {response.error_text()}",
                           f"grant the Microsoft Graph application permission Synchronization.Read.All: {_GRANT_HINT}")
    if response.status == 404:
        return CheckResult(name, True, f"granted: {what} answered 404 (that one has no provisioning), not 403")
    if not response.ok:
        return CheckResult(name, False, f"{what}: Graph answered {response.error_text()}", _graph_fix(response.status))
    jobs = response.body.get("value") if isinstance(response.body, dict) else None
    return CheckResult(name, True, f"granted: {what} works ({len(jobs) if isinstance(jobs, list) else 0} jobs)")


def _graph_fix(status: int) -> str:
    if status == 401:
        return _CREDENTIAL_FIX + "; and that AZURE_TENANT_ID is the tenant the identity lives in"
    if status in (429, 503, 504):
        return "Graph is throttling or busy: run the check again in a minute"
    return "check GRAPH_BASE_URL; if it is right, run the check again later"


async def _check_teams(adapters: Adapters, settings: Settings, *, send_test_card: bool) -> list[CheckResult]:
    routes = settings.teams.routes
    if not routes:
        return [CheckResult("Teams", True, "off (no TEAMS_WEBHOOK_URL or TEAMS_ROUTES): cards are not posted")]
    if not send_test_card:
        return [CheckResult(f"Teams route '{r.name}'", None, f"posts to {r.host}; not tried: add --send-test-card to post a test card")
                for r in routes]
    from shared.adapters.teams_webhook import TeamsWebhookSink

    sinks = {sink.id: sink for sink in adapters.sinks if isinstance(sink, TeamsWebhookSink)}
    now = datetime.now(UTC)
    return [await _post_test_card(sinks[f"teams:{route.name}"], route, settings.tenant_id, now) for route in routes]


async def _post_test_card(sink: TeamsWebhookSink, route: TeamsRoute, tenant_id: str, now: datetime) -> CheckResult:
    """Through the route's own sink: the same retries, pacing and redaction as a real card."""
    name = f"Teams route '{route.name}'"
    setting = "TEAMS_WEBHOOK_URL" if route.name == DEFAULT_ROUTE else "the setting its urlSetting names in TEAMS_ROUTES"
    try:
        await sink.post_message(build_test_card(route.name, tenant_id, now))
    except SinkError as error:  # names the route and host, never the URL
        reason = str(error).removeprefix(f"{sink.name} ({route.host}): ")
        if any(f"answered {status}" in reason for status in (401, 403, 404)):
            fix = f"the workflow is off or deleted, or its URL changed: copy the URL of its trigger into {setting}"
        elif "gave up after retries" in reason:
            fix = "the workflow keeps failing or throttling: look at its run history in Power Automate, then check again"
        elif "answered" in reason:
            fix = f"the workflow refused the card: it should be 'Post to a channel when a webhook request is received' ({setting})"
        else:
            fix = f"check that this machine reaches {route.host}, and the URL in {setting}"
        return CheckResult(name, False, f"posting to {route.host} failed: {reason}", fix)
    return CheckResult(name, True, f"test card posted to {route.host}")


def build_test_card(route: str, tenant_id: str, now: datetime) -> dict[str, Any]:
    """A Workflows message with an Adaptive Card 1.5 that says plainly it is a test."""
    from shared.cards import CARD_VERSION, teams_message

    card = {
        "type": "AdaptiveCard",
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "version": CARD_VERSION,
        "body": [
            {"type": "Container", "style": "accent", "bleed": True, "items": [
                {"type": "TextBlock", "text": f"🧪 {TEST_CARD_TITLE}", "weight": "Bolder", "size": "Medium", "wrap": True},
                {"type": "TextBlock", "text": "Sent by `syncwatch check --send-test-card` to check this route.",
                 "isSubtle": True, "spacing": "None", "wrap": True},
            ]},
            {"type": "FactSet", "facts": [
                {"title": "Route", "value": route},
                {"title": "Tenant", "value": tenant_id},
                {"title": "Sent", "value": now.strftime("%Y-%m-%d %H:%M:%S UTC")},
                {"title": "syncwatch", "value": __version__},
            ]},
            {"type": "TextBlock", "text": "Provisioning alerts for this route will appear in this channel.", "wrap": True},
        ],
        "msteams": {"width": "Full"},
    }
    return teams_message(card)


async def ensure_table(adapters: Adapters, settings: Settings) -> bool:
    """True when the table had to be created."""
    from azure.core.exceptions import AzureError, ResourceExistsError

    from shared.adapters.storage_common import storage_error

    try:
        await adapters.store.table.create_table()
    except ResourceExistsError:
        return False
    except AzureError as error:
        raise storage_error(error, settings.storage, f"table {settings.snapshot_table}") from error
    return True
