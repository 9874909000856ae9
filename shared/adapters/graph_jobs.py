"""Reads every watched provisioning job from Graph: list service principals, then each one's jobs.

A failure stays with the SP it happened to: the others are read, and the failed one is marked
unread so that the diff never mistakes it for removed jobs.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from shared.adapters.graph_client import GraphClient, GraphResponse
from shared.errors import GraphError, MalformedJobError
from shared.graph_json import bounded_text, parse_job
from shared.model import Job, Observation, ReadFailure, ServicePrincipal

SP_FIELDS = "id,appId,displayName"
_PERMISSION_HINT = {401: "check the credential", 403: "grant Application.Read.All and Synchronization.Read.All"}


@dataclass(frozen=True)
class _Listing:
    service_principals: tuple[ServicePrincipal, ...]
    complete: bool
    failures: tuple[ReadFailure, ...]


@dataclass(frozen=True)
class _SpRead:
    jobs: tuple[Job, ...]
    failures: tuple[ReadFailure, ...]
    complete: bool


class GraphJobSource:
    def __init__(self, client: GraphClient, *, service_principal_ids: Sequence[str] = (), concurrency: int = 8) -> None:
        self._client = client
        self._watch_only = tuple(service_principal_ids)
        self._limit = asyncio.Semaphore(concurrency)

    async def read(self) -> Observation:
        listing = await (self._get_listed(self._watch_only) if self._watch_only else self._list_all())
        reads = await asyncio.gather(*(self._read_jobs(sp) for sp in listing.service_principals))
        return Observation(
            jobs=tuple(job for read in reads for job in read.jobs),
            listed_sps=frozenset(sp.id for sp in listing.service_principals),
            unread_sps=frozenset(sp.id for sp, read in zip(listing.service_principals, reads) if not read.complete),
            listing_complete=listing.complete,
            failures=listing.failures + tuple(f for read in reads for f in read.failures),
        )

    async def _list_all(self) -> _Listing:
        found: list[ServicePrincipal] = []
        url: str | None = f"/servicePrincipals?$select={SP_FIELDS}&$top=999"
        while url:
            try:
                page = _expect_ok(await self._client.get(url), "listing service principals")
            except GraphError as error:
                return _Listing(tuple(found), False, (ReadFailure(None, str(error)),))
            found.extend(_service_principals(page.get("value")))
            url = page.get("@odata.nextLink")
        return _Listing(tuple(found), True, ())

    async def _get_listed(self, ids: Iterable[str]) -> _Listing:
        results = await asyncio.gather(*(self._get_service_principal(sp_id) for sp_id in ids))
        found = tuple(sp for sp, _ in results if sp is not None)
        failures = tuple(failure for _, failure in results if failure is not None)
        return _Listing(found, not failures, failures)

    async def _get_service_principal(self, sp_id: str) -> tuple[ServicePrincipal | None, ReadFailure | None]:
        async with self._limit:
            try:
                response = await self._client.get(f"/servicePrincipals/{sp_id}?$select={SP_FIELDS}")
            except GraphError as error:
                return None, ReadFailure(sp_id, str(error))
        if response.status == 404:
            return None, None  # deleted: its jobs are gone, which the diff reports as removed
        if not response.ok or not isinstance(response.body, dict):
            return None, ReadFailure(sp_id, _describe(response, f"reading service principal {sp_id}"))
        return next(iter(_service_principals([response.body])), None), None

    async def _read_jobs(self, sp: ServicePrincipal) -> _SpRead:
        async with self._limit:
            try:
                response = await self._client.get(f"/servicePrincipals/{sp.id}/synchronization/jobs")
            except GraphError as error:
                return _SpRead((), (ReadFailure(sp.id, f"{_name(sp)}: {error}"),), False)
        if response.status == 404:
            return _SpRead((), (), True)  # an SP without provisioning may answer 404 instead of []
        try:
            raw_jobs = _expect_ok(response, f"reading jobs of {_name(sp)}").get("value")
        except GraphError as error:
            return _SpRead((), (ReadFailure(sp.id, str(error)),), False)
        return _parse_jobs(raw_jobs, sp)


def _parse_jobs(raw_jobs: object, sp: ServicePrincipal) -> _SpRead:
    if not isinstance(raw_jobs, list):
        return _SpRead((), (ReadFailure(sp.id, f"{_name(sp)}: job list is not a JSON array"),), False)
    jobs, failures = [], []
    for raw in raw_jobs:
        try:
            jobs.append(parse_job(raw, sp))
        except MalformedJobError as error:
            failures.append(ReadFailure(sp.id, f"{_name(sp)}: skipped malformed job: {error}"))
    if failures:
        # The SP stays untouched this tick: no transitions for its other jobs, and nothing looks removed.
        return _SpRead((), tuple(failures), False)
    return _SpRead(tuple(jobs), (), True)


def _service_principals(raw: object) -> list[ServicePrincipal]:
    if not isinstance(raw, list):
        return []
    return [
        ServicePrincipal(item["id"], _text(item.get("appId")), _text(item.get("displayName")))
        for item in raw
        if isinstance(item, dict) and isinstance(item.get("id"), str)
    ]


def _expect_ok(response: GraphResponse, what: str) -> dict[str, object]:
    if not response.ok:
        raise GraphError(_describe(response, what), status=response.status)
    if not isinstance(response.body, dict):
        raise GraphError(f"{what}: Graph answered {response.status} without a JSON object", status=response.status)
    return response.body


def _describe(response: GraphResponse, what: str) -> str:
    hint = _PERMISSION_HINT.get(response.status)
    return f"{what}: Graph answered {response.error_text()}" + (f" ({hint})" if hint else "")


def _name(sp: ServicePrincipal) -> str:
    return f"service principal {sp.id}" + (f" ({sp.display_name})" if sp.display_name else "")


def _text(value: object) -> str | None:
    return bounded_text(value) if isinstance(value, str) and value else None
