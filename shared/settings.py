"""Settings from environment variables (the Function App settings), validated once at start.

Locally, `local.settings.json` fills in only the names the environment lacks. Error messages name the
setting and never echo a secret value.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import timedelta
from pathlib import Path

from shared.attention import NoiseSettings
from shared.errors import SettingsError
from shared.policy import Exclusions, Policy
from shared.rules import RuleSettings
from shared.storage_account import StorageAccount, storage_account_from
from shared.teams_settings import DEFAULT_DIGEST_THRESHOLD, TeamsSettings, teams_settings_from, unique_routes
from shared.tenants import TABLE_PREFIX, Tenant, graph_base_url, is_guid, is_tenant_id, watch_tenants

DEFAULT_MESSAGE_TTL = 7 * 24 * 3600
# Every app setting the product reads, with its default ("" for none). The README's settings table and
# the deployment templates document exactly these; a test keeps the templates in step.
DEFAULTS: dict[str, str] = {
    "AZURE_TENANT_ID": "",
    "AZURE_CLIENT_ID": "",
    "GRAPH_BASE_URL": "https://graph.microsoft.com/v1.0",
    "GRAPH_SERVICE_PRINCIPAL_IDS": "",
    "AzureWebJobsStorage": "",
    "SNAPSHOT_TABLE": "syncsnapshot",
    "TRANSITIONS_QUEUE": "sync-transitions",
    "TRANSITIONS_MESSAGE_TTL": str(DEFAULT_MESSAGE_TTL),
    "OUTBOX_DEAD_LETTER_AFTER": str(7 * 24 * 3600),
    "DISCOVERY_INTERVAL": "6h",
    "DISCOVERY_PAGES_PER_TICK": "1",
    "GRAPH_UNITS_PER_10S": "8000",
    "POLL_SCHEDULE": "",
    "TEAMS_WEBHOOK_URL": "",
    "TEAMS_ROUTES": "",
    "TEAMS_DIGEST_THRESHOLD": str(DEFAULT_DIGEST_THRESHOLD),
    "EXCLUDE_SERVICE_PRINCIPAL_IDS": "",
    "EXCLUDE_TEMPLATE_IDS": "",
    "FAILURE_STREAK_THRESHOLDS": "1,3,10",
    "STALL_FLOOR": "2h",
    "ESCROW_SPIKE_FACTOR": "2",
    "ESCROW_SPIKE_MIN": "10",
    "FLAP_MAX_CHANGES": "3",
    "FLAP_WINDOW": "6h",
    "FLAP_COOLDOWN": "2h",
    "REMIND_INTERVAL": "24h",
    "WATCH_TENANTS": "",
    "WORK_QUEUE": "syncwatch-work",
    "CROSS_TENANT_CLIENT_ID": "",
}
LOCAL_SETTINGS_FILE = Path(__file__).resolve().parent.parent / "local.settings.json"

_TABLE = re.compile(r"^[A-Za-z][A-Za-z0-9]{2,62}$")
_TABLE_RULE = "3-63 letters and digits, starting with a letter"
_DURATION = re.compile(r"^(?P<amount>\d+)\s*(?P<unit>[smhd])?$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_QUEUE = re.compile(r"^(?!.*--)[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$")
_QUEUE_RULE = "3-63 lowercase letters, digits and single hyphens"


@dataclass(frozen=True)
class Settings:
    tenant_id: str
    client_id: str | None
    graph_base_url: str
    service_principal_ids: tuple[str, ...]
    storage: StorageAccount
    snapshot_table: str
    transitions_queue: str
    message_ttl: int
    dead_letter_after: timedelta
    discovery_interval: timedelta
    discovery_pages_per_tick: int
    graph_units_per_10s: int
    poll_schedule: str | None
    teams: TeamsSettings = TeamsSettings()
    policy: Policy = Policy()
    watch_tenants: tuple[Tenant, ...] = ()  # WATCH_TENANTS; empty: AZURE_TENANT_ID alone, inline as ever
    work_queue: str = DEFAULTS["WORK_QUEUE"]
    cross_tenant_client_id: str | None = None
    home_tenant_id: str = ""  # AZURE_TENANT_ID: where syncwatch's managed identity lives
    # WATCH_TENANTS=table:<name>. Its rows are read at run time (shared/tenant_table.py) into watch_tenants, and
    # each bad row into tenant_problems, which fan-out logs, health and check report.
    tenants_table: str | None = None
    tenant_problems: tuple[str, ...] = ()
    # The app settings as read: a tenants table row's teamsRoutes name URL settings known only once it is read.
    environ: Mapping[str, str] = field(default_factory=dict, repr=False, compare=False)

    @property
    def many_tenants(self) -> bool:
        """WATCH_TENANTS is set (a JSON list or a table): the timer fans out, each tenant ticks on its own."""
        return bool(self.watch_tenants) or self.tenants_table is not None

    @property
    def tenants_source(self) -> str:
        """Where the tenants come from, for messages."""
        return f"WATCH_TENANTS table {self.tenants_table}" if self.tenants_table else "WATCH_TENANTS"

    @property
    def tenants(self) -> tuple[Tenant, ...]:
        if self.many_tenants:
            return self.watch_tenants  # from a table: empty until read, or when it holds no valid row
        return (Tenant(self.home_tenant_id or self.tenant_id),)

    def for_tenant(self, tenant: Tenant) -> Settings:
        """The settings one tenant's tick runs with: its id, Graph endpoint and Teams routes."""
        routes = unique_routes([*self.teams.routes, *tenant.teams_routes], f"WATCH_TENANTS tenant {tenant.tenant_id}")
        return replace(
            self, tenant_id=tenant.tenant_id, graph_base_url=tenant.graph_base_url or self.graph_base_url,
            teams=replace(self.teams, routes=routes), watch_tenants=(tenant,) if self.many_tenants else (),
        )


def load_settings(environ: Mapping[str, str]) -> Settings:
    """Every setting validated; the first bad one raises SettingsError naming it."""
    home = _tenant(environ)
    listed, table = _watch_tenants(environ)
    settings = Settings(
        tenant_id=home,
        client_id=_optional_guid(environ, "AZURE_CLIENT_ID"),
        graph_base_url=graph_base_url(_value(environ, "GRAPH_BASE_URL")),
        service_principal_ids=_guid_list(environ, "GRAPH_SERVICE_PRINCIPAL_IDS"),
        storage=storage_account_from(environ),
        snapshot_table=_named(environ, "SNAPSHOT_TABLE", _TABLE, _TABLE_RULE),
        transitions_queue=_named(environ, "TRANSITIONS_QUEUE", _QUEUE, _QUEUE_RULE),
        message_ttl=_ttl(environ),
        dead_letter_after=timedelta(seconds=_positive_int(environ, "OUTBOX_DEAD_LETTER_AFTER", "seconds")),
        discovery_interval=_duration(environ, "DISCOVERY_INTERVAL"),
        discovery_pages_per_tick=_positive_int(environ, "DISCOVERY_PAGES_PER_TICK", "listing pages"),
        graph_units_per_10s=_positive_int(environ, "GRAPH_UNITS_PER_10S", "units"),
        poll_schedule=_schedule(environ),
        teams=teams_settings_from(environ),
        policy=_policy(environ),
        watch_tenants=listed,
        work_queue=_named(environ, "WORK_QUEUE", _QUEUE, _QUEUE_RULE),
        cross_tenant_client_id=_optional_guid(environ, "CROSS_TENANT_CLIENT_ID"),
        home_tenant_id=home,
        tenants_table=table,
        environ=dict(environ),
    )
    for tenant in settings.tenants:
        settings.for_tenant(tenant)  # a tenant's own routes may clash with the global ones: say so at start
    return settings


def _policy(environ: Mapping[str, str]) -> Policy:
    return Policy(
        exclusions=Exclusions(
            frozenset(_guid_list(environ, "EXCLUDE_SERVICE_PRINCIPAL_IDS")), frozenset(_list(environ, "EXCLUDE_TEMPLATE_IDS"))
        ),
        rules=RuleSettings(
            failure_thresholds=_thresholds(environ, "FAILURE_STREAK_THRESHOLDS"),
            stall_floor=_duration(environ, "STALL_FLOOR"),
            escrow_spike_factor=_factor(environ, "ESCROW_SPIKE_FACTOR"),
            escrow_spike_min=_positive_int(environ, "ESCROW_SPIKE_MIN", "escrowed entries"),
        ),
        noise=NoiseSettings(
            flap_max_changes=_positive_int(environ, "FLAP_MAX_CHANGES", "status changes"),
            flap_window=_duration(environ, "FLAP_WINDOW"),
            flap_cooldown=_duration(environ, "FLAP_COOLDOWN"),
            remind_interval=_duration(environ, "REMIND_INTERVAL"),
        ),
    )


def read_environment(local_settings: Path = LOCAL_SETTINGS_FILE) -> dict[str, str]:
    """The process environment over the `Values` of local.settings.json, when that file exists."""
    merged = dict(_local_values(local_settings))
    merged.update(os.environ)
    return merged


def _local_values(path: Path) -> Mapping[str, str]:
    if not path.is_file():
        return {}
    try:
        values = json.loads(path.read_text(encoding="utf-8")).get("Values", {})
    except (ValueError, AttributeError) as error:
        raise SettingsError(f"{path.name} is not valid JSON with a 'Values' object: {error}") from error
    return {str(k): str(v) for k, v in values.items() if v is not None}


def _tenant(environ: Mapping[str, str]) -> str:
    value = _value(environ, "AZURE_TENANT_ID")
    if not value:
        raise SettingsError("AZURE_TENANT_ID is required: the directory (tenant) id to watch")
    if not is_tenant_id(value):
        raise SettingsError("AZURE_TENANT_ID must be a tenant GUID or a domain such as contoso.onmicrosoft.com")
    return value


def _optional_guid(environ: Mapping[str, str], name: str) -> str | None:
    value = _value(environ, name)
    if value and not is_guid(value):
        raise SettingsError(f"{name} must be a GUID, got {value!r}")
    return value or None


def _list(environ: Mapping[str, str], name: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(item.strip() for item in _value(environ, name).split(",") if item.strip()))


def _guid_list(environ: Mapping[str, str], name: str) -> tuple[str, ...]:
    items = _list(environ, name)
    bad = [item for item in items if not is_guid(item)]
    if bad:
        raise SettingsError(f"{name} must be comma-separated object ids (GUIDs); not a GUID: {bad[0]!r}")
    return tuple(dict.fromkeys(item.lower() for item in items))


def _value(environ: Mapping[str, str], name: str) -> str:
    """The setting, or its default when unset or blank."""
    return environ.get(name, "").strip() or DEFAULTS[name]


def _named(environ: Mapping[str, str], name: str, pattern: re.Pattern[str], rule: str) -> str:
    value = _value(environ, name)
    if not pattern.match(value):
        raise SettingsError(f"{name} must be {rule}, got {value!r}")
    return value


def _watch_tenants(environ: Mapping[str, str]) -> tuple[tuple[Tenant, ...], str | None]:
    """WATCH_TENANTS: a JSON list of tenants, validated now; or `table:<name>`, whose rows are read at run time."""
    raw = _value(environ, "WATCH_TENANTS")
    if not raw.startswith(TABLE_PREFIX):
        return (watch_tenants(raw, environ) if raw else ()), None
    table = raw.removeprefix(TABLE_PREFIX).strip()
    if not _TABLE.match(table):
        raise SettingsError(f"WATCH_TENANTS=table:<name> needs a table name of {_TABLE_RULE}, got {table!r}")
    if table.lower() == _value(environ, "SNAPSHOT_TABLE").lower():
        raise SettingsError(f"WATCH_TENANTS=table:{table} must name a table of its own, not SNAPSHOT_TABLE")
    return (), table


def _ttl(environ: Mapping[str, str]) -> int:
    raw = _value(environ, "TRANSITIONS_MESSAGE_TTL")
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value == -1 or value >= 1:
        return value
    raise SettingsError(f"TRANSITIONS_MESSAGE_TTL must be seconds >= 1, or -1 for never expires, got {raw!r}")


def _positive_int(environ: Mapping[str, str], name: str, unit: str) -> int:
    raw = _value(environ, name)
    if not raw.isdigit() or int(raw) < 1:
        raise SettingsError(f"{name} must be a whole number of {unit} >= 1, got {raw!r}")
    return int(raw)


def parse_duration(raw: str) -> timedelta | None:
    """Seconds, or a number with a unit: 90s, 30m, 6h, 1d; None for anything else or zero."""
    match = _DURATION.match(raw.strip())
    if not match or int(match["amount"]) < 1:
        return None
    return timedelta(seconds=int(match["amount"]) * _UNIT_SECONDS[match["unit"] or "s"])


def _duration(environ: Mapping[str, str], name: str) -> timedelta:
    raw = _value(environ, name)
    duration = parse_duration(raw)
    if duration is None:
        raise SettingsError(f"{name} must be a duration such as 6h, 90m or 3600 (seconds), got {raw!r}")
    return duration


def _thresholds(environ: Mapping[str, str], name: str) -> tuple[int, ...]:
    items = _list(environ, name)
    if not items or not all(item.isdigit() and int(item) >= 1 for item in items):
        raise SettingsError(f"{name} must be comma-separated whole numbers >= 1 such as 1,3,10, got {_value(environ, name)!r}")
    return tuple(sorted({int(item) for item in items}))


def _factor(environ: Mapping[str, str], name: str) -> float:
    raw = _value(environ, name)
    try:
        value = float(raw)
    except ValueError:
        value = 0.0
    if not 1 < value < float("inf"):
        raise SettingsError(f"{name} must be a number above 1 (2 means the escrowed count more than doubled), got {raw!r}")
    return value


def _schedule(environ: Mapping[str, str]) -> str | None:
    value = _value(environ, "POLL_SCHEDULE")
    if value and len(value.split()) != 6:
        raise SettingsError(f"POLL_SCHEDULE must be a 6-field NCRONTAB expression such as '0 */5 * * * *', got {value!r}")
    return value or None
