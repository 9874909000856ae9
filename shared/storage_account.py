"""Where the snapshot table and the transitions queue live, from `AzureWebJobsStorage`.

Either a connection string (a secret: never printed) or identity-based settings
(`AzureWebJobsStorage__accountName`, `__tableServiceUri`, `__queueServiceUri`, `__clientId`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from shared.errors import SettingsError

SETTING = "AzureWebJobsStorage"
# Azurite's published well-known development account; not a secret.
DEV_ACCOUNT = "devstoreaccount1"
DEV_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="


@dataclass(frozen=True)
class StorageAccount:
    account_name: str
    table_endpoint: str
    queue_endpoint: str
    connection_string: str | None = field(default=None, repr=False)
    client_id: str | None = None


def storage_account_from(environ: Mapping[str, str]) -> StorageAccount:
    connection_string = environ.get(SETTING, "").strip()
    if connection_string:
        return _from_connection_string(connection_string)
    if any(environ.get(f"{SETTING}__{part}") for part in ("accountName", "tableServiceUri", "queueServiceUri")):
        return _from_identity_settings(environ)
    raise SettingsError(
        f"{SETTING} is required: a storage connection string, or {SETTING}__accountName for a managed identity"
    )


def development_connection_string(table_endpoint: str, queue_endpoint: str) -> str:
    return (
        f"DefaultEndpointsProtocol=http;AccountName={DEV_ACCOUNT};AccountKey={DEV_KEY};"
        f"TableEndpoint={table_endpoint};QueueEndpoint={queue_endpoint};"
    )


def _from_connection_string(value: str) -> StorageAccount:
    parts = _parse_pairs(value)
    if parts.get("usedevelopmentstorage", "").lower() == "true":
        value = development_connection_string(
            f"http://127.0.0.1:10002/{DEV_ACCOUNT}", f"http://127.0.0.1:10001/{DEV_ACCOUNT}"
        )
        parts = _parse_pairs(value)
    name = parts.get("accountname")
    if not name or not (parts.get("accountkey") or parts.get("sharedaccesssignature")):
        raise SettingsError(f"{SETTING} is not a usable connection string: it needs AccountName and AccountKey (or a SAS)")
    protocol = parts.get("defaultendpointsprotocol", "https")
    suffix = parts.get("endpointsuffix", "core.windows.net")
    return StorageAccount(
        account_name=name,
        table_endpoint=parts.get("tableendpoint") or f"{protocol}://{name}.table.{suffix}",
        queue_endpoint=parts.get("queueendpoint") or f"{protocol}://{name}.queue.{suffix}",
        connection_string=value,
    )


def _from_identity_settings(environ: Mapping[str, str]) -> StorageAccount:
    name = environ.get(f"{SETTING}__accountName", "").strip()
    table = environ.get(f"{SETTING}__tableServiceUri", "").strip() or (name and f"https://{name}.table.core.windows.net")
    queue = environ.get(f"{SETTING}__queueServiceUri", "").strip() or (name and f"https://{name}.queue.core.windows.net")
    if not table or not queue:
        raise SettingsError(f"{SETTING}__accountName, or both __tableServiceUri and __queueServiceUri, must be set")
    for setting, uri in ((f"{SETTING}__tableServiceUri", table), (f"{SETTING}__queueServiceUri", queue)):
        if urlsplit(uri).scheme != "https":
            raise SettingsError(f"{setting} must be an https:// URL, got {uri!r}")
    account = name or (urlsplit(table).hostname or "").split(".")[0]
    client_id = environ.get(f"{SETTING}__clientId", "").strip() or environ.get("AZURE_CLIENT_ID", "").strip() or None
    return StorageAccount(account, table, queue, client_id=client_id)


def _parse_pairs(value: str) -> dict[str, str]:
    pairs = {}
    for item in value.split(";"):
        key, sep, val = item.partition("=")
        if sep:
            pairs[key.strip().lower()] = val.strip()
    return pairs
