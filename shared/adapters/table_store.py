"""The job snapshot in Azure Table Storage: one entity per job, one partition per service principal.

Entities carry a format version for later migrations; the status JSON is split across properties
so that no string property exceeds Table's 64 KiB limit.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from azure.core.exceptions import AzureError, ResourceExistsError, ResourceNotFoundError
from azure.data.tables.aio import TableClient

from shared.adapters.storage_common import open_client, storage_error
from shared.errors import StorageError
from shared.fit import fit
from shared.graph_json import parse_schedule, parse_status, to_graph_json
from shared.model import Job, JobKey, ServicePrincipal
from shared.snapshot_plan import SnapshotPlan
from shared.storage_account import StorageAccount

FORMAT_VERSION = 1
JOB_ROW_PREFIX = "job|"
CHUNK_CHARS = 30_000  # JSON is ASCII-escaped, so 30,000 chars are 60,000 bytes of UTF-16
MAX_STATUS_CHARS = 14 * CHUNK_CHARS  # keeps the whole entity well under 1 MiB
MAX_TRANSACTION = 100
_FORBIDDEN = {c: f"%{ord(c):02X}" for c in "%/\\#?"}


class TableSnapshotStore:
    def __init__(self, account: StorageAccount, table_name: str, tenant_id: str, *, credential: Any = None) -> None:
        self._account = account
        self._table_name = table_name
        self._tenant = tenant_id
        self._table: TableClient = open_client(
            TableClient, account, account.table_endpoint, credential, table_name=table_name
        )

    async def load(self) -> dict[JobKey, Job]:
        """The tenant's whole snapshot in one paged query; a missing table is created, and empty."""
        query = (
            f"PartitionKey ge '{_escape(self._tenant)}|' and PartitionKey lt '{_escape(self._tenant)}}}' "
            f"and RowKey ge '{JOB_ROW_PREFIX}' and RowKey lt 'job}}'"
        )
        try:
            entities = [entity async for entity in self._table.query_entities(query)]
        except ResourceNotFoundError:
            await self._create_table()
            return {}
        except AzureError as error:
            raise self._error(error) from error
        jobs = (self._job_from(entity) for entity in entities)
        return {job.key: job for job in jobs}

    async def apply(self, plan: SnapshotPlan) -> int:
        """Upserts and deletes, in transactions of at most 100 per partition; returns entities written."""
        operations: dict[str, list[tuple[str, Any]]] = defaultdict(list)
        for job in plan.upserts:
            entity = self._entity_for(job)
            operations[entity["PartitionKey"]].append(("upsert", entity))
        for key in plan.deletes:
            operations[self._partition(key.service_principal_id)].append(("delete", self._keys(key)))
        try:
            for batch in _chunks(operations.values()):
                await self._table.submit_transaction(batch)
        except AzureError as error:
            raise self._error(error) from error
        return len(plan)

    async def aclose(self) -> None:
        await self._table.close()

    async def _create_table(self) -> None:
        try:
            await self._table.create_table()
        except ResourceExistsError:
            pass  # another instance created it meanwhile
        except AzureError as error:
            raise self._error(error) from error

    def _entity_for(self, job: Job) -> dict[str, Any]:
        status = json.dumps(fit(to_graph_json(job.status), MAX_STATUS_CHARS))
        chunks = {f"Status{i or ''}": status[start : start + CHUNK_CHARS] for i, start in enumerate(range(0, len(status), CHUNK_CHARS))}
        sp = job.service_principal
        return {
            **self._keys(job.key),
            "FormatVersion": FORMAT_VERSION,
            "ServicePrincipalId": sp.id,
            "AppId": sp.app_id,
            "DisplayName": sp.display_name,
            "JobId": job.id,
            "TemplateId": job.template_id,
            "Code": job.code,
            "Schedule": json.dumps(to_graph_json(job.schedule)),
            "StatusChunks": len(chunks),
            **chunks,
        }

    def _job_from(self, entity: dict[str, Any]) -> Job:
        version = entity.get("FormatVersion")
        if version != FORMAT_VERSION:
            raise StorageError(
                f"table {self._table_name}: entity {entity.get('RowKey')} has format version {version}; "
                f"this syncwatch reads version {FORMAT_VERSION}: upgrade syncwatch"
            )
        try:
            status_json = "".join(entity[f"Status{i or ''}"] for i in range(entity["StatusChunks"]))
            sp = ServicePrincipal(entity["ServicePrincipalId"], entity.get("AppId"), entity.get("DisplayName"))
            schedule = parse_schedule(json.loads(entity["Schedule"]))
            return Job(sp, entity["JobId"], entity.get("TemplateId"), schedule, parse_status(json.loads(status_json)))
        except (KeyError, TypeError, ValueError) as error:
            raise StorageError(
                f"table {self._table_name}: entity {entity.get('PartitionKey')}/{entity.get('RowKey')} is unreadable "
                f"({type(error).__name__}: {error}); delete it and the next tick re-baselines that job"
            ) from error

    def _keys(self, key: JobKey) -> dict[str, str]:
        return {"PartitionKey": self._partition(key.service_principal_id), "RowKey": JOB_ROW_PREFIX + _escape(key.job_id)}

    def _partition(self, service_principal_id: str) -> str:
        return f"{_escape(self._tenant)}|{_escape(service_principal_id)}"

    def _error(self, error: AzureError) -> StorageError:
        return storage_error(error, self._account, f"table {self._table_name}")


def _escape(value: str) -> str:
    """Table keys may not hold / \\ # ? or control characters; percent-encode them (and % itself)."""
    return "".join(_FORBIDDEN.get(c, f"%{ord(c):02X}" if ord(c) < 32 or 127 <= ord(c) < 160 else c) for c in value)


def _chunks(per_partition: Iterable[list[tuple[str, Any]]]) -> Iterable[list[tuple[str, Any]]]:
    for operations in per_partition:
        for start in range(0, len(operations), MAX_TRANSACTION):
            yield operations[start : start + MAX_TRANSACTION]
