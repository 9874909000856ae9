"""What the table and queue adapters share: how to build a client and how to report its errors.

Storage errors name the account and the table or queue, never a key: SDK messages can quote
connection strings or SAS URLs, so only their type, status and error code are shown.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, TypeVar

from azure.core.exceptions import AzureError, HttpResponseError, ServiceRequestError

from shared.errors import StorageError
from shared.storage_account import StorageAccount

# Bounded so that unreachable storage fails a tick within 30 s rather than hanging it.
TRANSPORT_OPTIONS: dict[str, Any] = {
    "connection_timeout": 5,
    "read_timeout": 10,
    "retry_total": 2,
    "retry_backoff_factor": 0.5,
    "retry_backoff_max": 4,
}

ClientT = TypeVar("ClientT")
_FORBIDDEN = {c: f"%{ord(c):02X}" for c in "%/\\#?|"}
# Storage calls in flight at once: enough to hide round trips at baseline, few enough to be polite.
CONCURRENCY = 16


def open_client(cls: type[ClientT], account: StorageAccount, endpoint: str, credential: Any, **options: Any) -> ClientT:
    """A table or queue client by connection string, or by endpoint and identity credential."""
    if account.connection_string:
        return cls.from_connection_string(account.connection_string, **options, **TRANSPORT_OPTIONS)  # type: ignore[attr-defined, no-any-return]
    return cls(endpoint, credential=credential, **options, **TRANSPORT_OPTIONS)


def storage_error(error: AzureError, account: StorageAccount, what: str) -> StorageError:
    """`what` names the resource, e.g. "table syncsnapshot"."""
    where = f"{what} in storage account {account.account_name}"
    if isinstance(error, ServiceRequestError):
        return StorageError(f"{where}: storage is unreachable ({type(error).__name__})")
    if isinstance(error, HttpResponseError):
        code = getattr(error, "error_code", None) or ""
        return StorageError(f"{where}: storage answered {error.status_code} {code}".rstrip())
    return StorageError(f"{where}: {type(error).__name__}")


async def gather_limited(calls: Iterable[Callable[[], Awaitable[object]]], *, limit: int = CONCURRENCY) -> None:
    """Awaits every call, at most `limit` at a time, in `limit` workers that pull from `calls` as they go:
    at baseline there are tens of thousands, and a task each would cost more memory than the work.
    The first error is raised once every call has run."""
    pending = iter(calls)
    errors: list[BaseException] = []

    async def worker() -> None:
        for call in pending:
            try:
                await call()
            except Exception as error:  # noqa: BLE001 - collected, the first one is raised below
                errors.append(error)

    await asyncio.gather(*(worker() for _ in range(limit)))
    if errors:
        raise errors[0]


def escape_key(value: str) -> str:
    """Table keys may not hold / \\ # ? or control characters; percent-encode them (and % and our | separator)."""
    return "".join(_FORBIDDEN.get(c, f"%{ord(c):02X}" if ord(c) < 32 or 127 <= ord(c) < 160 else c) for c in value)
