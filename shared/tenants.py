"""Which tenants syncwatch watches: the entries of WATCH_TENANTS (a JSON list, or the rows of a table), or the one
tenant of AZURE_TENANT_ID. Pure.

Each tenant has its own snapshot partitions, outbox, watchlist, lease and Graph throttling budget; what
differs per tenant in settings is its Graph endpoint and its own Teams routes.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from shared.cloud import is_loopback
from shared.errors import SettingsError
from shared.teams_settings import TeamsRoute, routes_from, unique_routes

_DOMAIN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9.-]*[A-Za-z0-9]$")
_KEYS = {"tenantId", "displayName", "graphBaseUrl", "teamsRoutes"}


@dataclass(frozen=True)
class Tenant:
    tenant_id: str
    display_name: str | None = None
    graph_base_url: str | None = None  # None: GRAPH_BASE_URL
    teams_routes: tuple[TeamsRoute, ...] = ()  # besides TEAMS_WEBHOOK_URL and TEAMS_ROUTES, which hear of every tenant

    @property
    def name(self) -> str:
        return self.display_name or self.tenant_id


def is_tenant_id(value: str) -> bool:
    """A directory id: a GUID, or a domain such as contoso.onmicrosoft.com."""
    return is_guid(value) or bool(_DOMAIN.match(value))


def is_guid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return len(value) == 36


def graph_base_url(value: str, setting: str = "GRAPH_BASE_URL") -> str:
    """https anywhere; plain http only on loopback, for the local simulator."""
    parts = urlsplit(value.strip())
    if parts.hostname and (parts.scheme == "https" or (parts.scheme == "http" and is_loopback(parts.hostname))):
        return value.strip().rstrip("/")
    raise SettingsError(f"{setting} must be an https:// URL (plain http is allowed only on loopback), got {value!r}")


def watch_tenants(raw: str, environ: Mapping[str, str]) -> tuple[Tenant, ...]:
    """WATCH_TENANTS, validated: a JSON list of {tenantId, displayName?, graphBaseUrl?, teamsRoutes?}."""
    try:
        items = json.loads(raw)
    except ValueError as error:
        raise SettingsError(f"WATCH_TENANTS is not valid JSON: {error}") from error
    if not isinstance(items, list) or not items:
        raise SettingsError("WATCH_TENANTS must be a non-empty JSON list of tenants, e.g. [{\"tenantId\": \"…\"}]")
    tenants = [tenant_from(item, environ, where=f"WATCH_TENANTS[{index}]") for index, item in enumerate(items)]
    ids = [tenant.tenant_id.lower() for tenant in tenants]
    if len(set(ids)) != len(ids):
        raise SettingsError("WATCH_TENANTS: each tenantId may appear once")
    return tuple(tenants)


def tenant_from(item: object, environ: Mapping[str, str], *, where: str, named: str | None = None) -> Tenant:
    """One tenant, as a WATCH_TENANTS entry writes it (a tenants table row is turned into one first).
    `where` names it in errors; once its tenantId is known good, `named` does (default: WATCH_TENANTS tenant <id>)."""
    if not isinstance(item, dict) or not isinstance(item.get("tenantId"), str) or not is_tenant_id(item["tenantId"]):
        raise SettingsError(f"{where} must be an object whose \"tenantId\" is a tenant GUID or a domain")
    unknown = set(item) - _KEYS
    if unknown:
        raise SettingsError(f"{where}: unknown key(s) {sorted(unknown)}; use {', '.join(sorted(_KEYS))}")
    name = item.get("displayName")
    if name is not None and not isinstance(name, str):
        raise SettingsError(f"{where}: displayName must be a string")
    url = item.get("graphBaseUrl")
    if url is not None and not isinstance(url, str):
        raise SettingsError(f"{where}: graphBaseUrl must be a string")
    where = named or f"WATCH_TENANTS tenant {item['tenantId']}"
    routes = routes_from(item.get("teamsRoutes", []), environ, f"{where}: teamsRoutes")
    return Tenant(item["tenantId"], name, graph_base_url(url, f"{where}: graphBaseUrl") if url else None, tuple(routes))


# WATCH_TENANTS=table:<name>: the tenants are the rows of that table in the storage account, one per tenant.
TABLE_PREFIX = "table:"
PARTITION = "tenant"
COLUMNS = {"DisplayName": "displayName", "GraphBaseUrl": "graphBaseUrl", "TeamsRoutes": "teamsRoutes"}


def tenant_of_row(
    row: Mapping[str, object], table: str, environ: Mapping[str, str], *, global_routes: Sequence[TeamsRoute] = ()
) -> Tenant:
    """A tenants table row, turned into a WATCH_TENANTS entry and validated like one; errors name table and row.
    Its own routes may not reuse the name of a global route (TEAMS_WEBHOOK_URL, TEAMS_ROUTES)."""
    tenant_id = row.get("RowKey")
    where = f"WATCH_TENANTS table {table} row {tenant_id}"
    if not isinstance(tenant_id, str) or tenant_id != tenant_id.lower():
        raise SettingsError(f"{where}: RowKey must be the tenant id (a GUID or a domain) in lower case")
    unknown = set(row) - {"PartitionKey", "RowKey", *COLUMNS}
    if unknown:
        raise SettingsError(f"{where}: unknown column(s) {sorted(unknown)}; use {', '.join(COLUMNS)}")
    entry: dict[str, object] = {"tenantId": tenant_id}
    entry.update((key, row[column]) for column, key in COLUMNS.items() if row.get(column) not in (None, ""))
    if isinstance(entry.get("teamsRoutes"), str):
        try:
            entry["teamsRoutes"] = json.loads(str(entry["teamsRoutes"]))
        except ValueError as error:
            raise SettingsError(f"{where}: TeamsRoutes is not valid JSON: {error}") from error
    tenant = tenant_from(entry, environ, where=where, named=where)
    unique_routes([*global_routes, *tenant.teams_routes], f"{where}: teamsRoutes")
    return tenant


def tenant_row(tenant_id: str, *, name: str = "", graph_base_url: str = "", teams_routes: str = "") -> dict[str, str]:
    """The row `syncwatch tenants add` writes (empty columns left out); validate it with tenant_of_row first."""
    columns = {"DisplayName": name, "GraphBaseUrl": graph_base_url, "TeamsRoutes": teams_routes}
    return {"PartitionKey": PARTITION, "RowKey": tenant_id.strip().lower(), **{k: v for k, v in columns.items() if v}}


def tenants_of_rows(
    rows: Iterable[Mapping[str, object]],
    table: str,
    environ: Mapping[str, str],
    *,
    global_routes: Sequence[TeamsRoute] = (),
) -> tuple[tuple[Tenant, ...], tuple[str, ...]]:
    """The valid tenants, and one problem per bad row: a bad row never keeps the others from running.
    No valid tenant at all is a problem too, saying how to add one."""
    tenants: list[Tenant] = []
    problems: list[str] = []
    for row in rows:
        try:
            tenants.append(tenant_of_row(row, table, environ, global_routes=global_routes))
        except SettingsError as error:
            problems.append(str(error))
    if not tenants:
        problems.append(f"WATCH_TENANTS table {table} has no{' valid' if problems else ''} tenants: add one with "
                        "`syncwatch tenants add <tenantId>` (a row with PartitionKey 'tenant' and RowKey the tenant id)")
    return tuple(tenants), tuple(problems)
