"""The snapshot and the outbox in Azure Table Storage: one partition per service principal.

A job's row and the outbox rows of its events are written in one entity-group transaction, guarded by
the ETags read at load: if another tick changed the partition meanwhile, the commit fails whole.
Large JSON is split across properties so that no string property exceeds Table's 64 KiB limit.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import replace
from functools import partial
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

from azure.core import MatchConditions
from azure.core.exceptions import AzureError, ResourceExistsError, ResourceNotFoundError
from azure.data.tables import TableTransactionError, UpdateMode
from azure.data.tables.aio import TableClient

from shared.adapters.storage_common import escape_key, gather_limited, open_client, storage_error
from shared.adapters.table_mutes import is_mute, mute_from, mute_keys
from shared.errors import StorageError
from shared.events import event_from_record, event_to_record
from shared.fit import fit
from shared.graph_json import decode_as, parse_schedule, parse_status, to_graph_json
from shared.model import Job, JobKey, JobMemory, ServicePrincipal
from shared.outbox import OutboxEntry, Settlement
from shared.snapshot_plan import CommitPlan, StoredState
from shared.storage_account import StorageAccount

FORMAT_VERSION = 1
JOB_ROW = "job|"
OUTBOX_ROW = "out|"
CHUNK_CHARS = 30_000  # JSON is ASCII-escaped, so 30,000 chars are 60,000 bytes of UTF-16
MAX_STATUS_CHARS = 14 * CHUNK_CHARS  # keeps the whole entity well under 1 MiB
MAX_TRANSACTION = 100
Operation = tuple[Any, ...]
MakeOperation = Callable[[], Operation]
T = TypeVar("T")


class TableSnapshotStore:
    def __init__(self, account: StorageAccount, table_name: str, tenant_id: str, *, credential: Any = None) -> None:
        self._account = account
        self._table_name = table_name
        self._tenant = escape_key(tenant_id)
        self._etags: dict[tuple[str, str], str] = {}
        self._table: TableClient = open_client(
            TableClient, account, account.table_endpoint, credential, table_name=table_name
        )

    @property
    def table(self) -> TableClient:
        return self._table

    @property
    def tenant_partition(self) -> str:
        """The prefix of every partition of this tenant (the lease lives beside them)."""
        return self._tenant

    async def load(self) -> StoredState:
        """The tenant's snapshot and pending outbox in one paged query; a missing table is created, empty."""
        query = f"PartitionKey ge '{self._tenant}|' and PartitionKey lt '{self._tenant}}}'"
        state, outbox = StoredState({}, ()), []
        self._etags = {}
        try:
            async for page in self._table.query_entities(query).by_page():
                # Each page is read as it arrives: reading 10,000 rows at the end held the event loop for
                # a second, and the tick's Graph reads, sharing that loop, waited.
                for entity in [entity async for entity in page]:
                    self._take(entity, state, outbox)
        except ResourceNotFoundError:
            await self._create_table()
            return StoredState({}, ())
        except AzureError as error:
            raise self._error(error) from error
        return replace(state, outbox=tuple(outbox))

    def _take(self, entity: dict[str, Any], state: StoredState, outbox: list[OutboxEntry]) -> None:
        """One loaded entity into the state being built, whose outbox is gathered apart until the end."""
        self._etags[(entity["PartitionKey"], entity["RowKey"])] = entity.metadata["etag"]
        if entity["RowKey"].startswith(JOB_ROW):
            job = self._job_from(entity)
            state.jobs[job.key] = job
            if entity.get("Memory"):
                state.memory[job.key] = self._memory_from(entity)
        elif entity["RowKey"].startswith(OUTBOX_ROW):
            outbox.append(self._entry_from(entity))
        elif is_mute(entity):
            mute = mute_from(entity)
            state.mutes[mute.job_id] = mute

    async def commit(self, plan: CommitPlan) -> int:
        """Each job's row with its events' outbox rows, atomically; returns entities written."""
        groups: dict[tuple[str, str], list[MakeOperation]] = defaultdict(list)
        for job in plan.upserts:
            groups[(self._partition(job.key), job.id)].append(partial(self._upsert_job, job, plan.memory.get(job.key)))
        for key in plan.deletes:
            groups[(self._partition(key), key.job_id)].append(partial(self._delete, self._partition(key), JOB_ROW + escape_key(key.job_id)))
        for entry in plan.outbox:
            groups[(self._partition(entry.event.key), entry.event.key.job_id)].append(partial(self._create_entry, entry))
        for job_id in plan.expired_mutes:
            keys = mute_keys(self._tenant, job_id)
            groups[(keys["PartitionKey"], job_id)].append(partial(self._delete, keys["PartitionKey"], keys["RowKey"]))
        await self._submit(groups)
        return len(plan)

    async def settle(self, settlement: Settlement) -> int:
        """Delivered entries are deleted; failed ones rewritten with their attempts and next attempt."""
        groups: dict[tuple[str, str], list[MakeOperation]] = defaultdict(list)
        for entry in settlement.delivered:
            groups[(self._entry_keys(entry)[0], "")].append(partial(self._delete, *self._entry_keys(entry)))
        for entry in settlement.retried:
            groups[(self._entry_keys(entry)[0], "")].append(partial(self._rewrite_entry, entry))
        await self._submit(groups)
        return len(settlement.delivered) + len(settlement.retried)

    async def aclose(self) -> None:
        await self._table.close()

    async def _submit(self, groups: dict[tuple[str, str], list[MakeOperation]]) -> None:
        """Operations are made just before their transaction is sent: at baseline there are tens of
        thousands, and holding all their entities at once would dominate the tick's memory."""

        async def submit(makers: list[MakeOperation]) -> None:
            batch = [make() for make in makers]
            self._remember_etags(batch, await self._table.submit_transaction(batch))

        try:
            await gather_limited(partial(submit, batch) for batch in transactions(groups))
        except TableTransactionError as error:
            if error.status_code in (409, 412):
                raise StorageError(
                    f"table {self._table_name}: the snapshot changed under this tick (another tick ran at the same "
                    "time); nothing was written in that partition, and the next tick starts from what is stored"
                ) from error
            raise self._error(error) from error
        except AzureError as error:
            raise self._error(error) from error

    def _remember_etags(self, batch: Sequence[Operation], results: Sequence[Any]) -> None:
        """Rows written this tick can be rewritten by it later (a failed delivery after the commit)."""
        for (kind, entity, *_), result in zip(batch, results):
            key = (entity["PartitionKey"], entity["RowKey"])
            if kind == "delete":
                self._etags.pop(key, None)
            else:
                self._etags[key] = result["etag"]

    def _upsert_job(self, job: Job, memory: JobMemory | None) -> Operation:
        return self._write({**self._job_entity(job), "Memory": _memory_json(memory)})

    def _create_entry(self, entry: OutboxEntry) -> Operation:
        return ("create", self._entry_entity(entry))

    def _rewrite_entry(self, entry: OutboxEntry) -> Operation:
        return self._write(self._entry_entity(entry))

    def _write(self, entity: dict[str, Any]) -> Operation:
        """Replace when the row was read at load (guarded by its ETag), else create (fails if it appeared)."""
        etag = self._etags.get((entity["PartitionKey"], entity["RowKey"]))
        if etag is None:
            return ("create", entity)
        return ("update", entity, {"mode": UpdateMode.REPLACE, "etag": etag, "match_condition": MatchConditions.IfNotModified})

    def _delete(self, partition: str, row: str) -> Operation:
        keys = {"PartitionKey": partition, "RowKey": row}
        etag = self._etags.get((partition, row))
        return ("delete", keys, {"etag": etag, "match_condition": MatchConditions.IfNotModified}) if etag else ("delete", keys)

    def _job_entity(self, job: Job) -> dict[str, Any]:
        sp = job.service_principal
        return {
            "PartitionKey": self._partition(job.key), "RowKey": JOB_ROW + escape_key(job.id),
            "FormatVersion": FORMAT_VERSION, "ServicePrincipalId": sp.id, "AppId": sp.app_id, "DisplayName": sp.display_name,
            "JobId": job.id, "TemplateId": job.template_id, "Code": job.code,
            "Schedule": json.dumps(to_graph_json(job.schedule)),
            **chunked("Status", json.dumps(fit(to_graph_json(job.status), MAX_STATUS_CHARS))),
        }

    def _entry_entity(self, entry: OutboxEntry) -> dict[str, Any]:
        pk, rk = self._entry_keys(entry)
        return {
            "PartitionKey": pk, "RowKey": rk, "FormatVersion": FORMAT_VERSION, "Sink": entry.sink,
            "EventId": entry.event.id, "EventType": entry.event.type, "CreatedAt": entry.created_at,
            "Baseline": entry.baseline, "Attempts": entry.attempts, "NextAttemptAt": entry.next_attempt_at,
            "LastError": (entry.last_error or "")[:1000], "DeadLettered": entry.dead_lettered,
            **chunked("Event", json.dumps(event_to_record(entry.event))),
        }

    def _job_from(self, entity: dict[str, Any]) -> Job:
        with self._readable(entity):
            sp = ServicePrincipal(entity["ServicePrincipalId"], entity.get("AppId"), entity.get("DisplayName"))
            schedule = parse_schedule(json.loads(entity["Schedule"]))
            status = parse_status(json.loads(unchunked("Status", entity)))
            return Job(sp, entity["JobId"], entity.get("TemplateId"), schedule, status)

    def _memory_from(self, entity: dict[str, Any]) -> JobMemory:
        with self._readable(entity):
            return decode_as(JobMemory, json.loads(entity["Memory"]))

    def _entry_from(self, entity: dict[str, Any]) -> OutboxEntry:
        with self._readable(entity):
            return OutboxEntry(
                event=event_from_record(json.loads(unchunked("Event", entity))), sink=entity["Sink"],
                created_at=entity["CreatedAt"], baseline=bool(entity.get("Baseline")),
                attempts=int(entity.get("Attempts") or 0), next_attempt_at=entity.get("NextAttemptAt"),
                last_error=entity.get("LastError") or None, dead_lettered=bool(entity.get("DeadLettered")),
            )

    def _readable(self, entity: dict[str, Any]) -> _ReadGuard:
        return _ReadGuard(self._table_name, entity)

    def _entry_keys(self, entry: OutboxEntry) -> tuple[str, str]:
        return self._partition(entry.event.key), f"{OUTBOX_ROW}{escape_key(entry.sink)}|{entry.event.id}"

    def _partition(self, key: JobKey) -> str:
        return f"{self._tenant}|{escape_key(key.service_principal_id)}"

    async def _create_table(self) -> None:
        try:
            await self._table.create_table()
        except ResourceExistsError:
            pass  # another instance created it meanwhile
        except AzureError as error:
            raise self._error(error) from error

    def _error(self, error: AzureError) -> StorageError:
        return storage_error(error, self._account, f"table {self._table_name}")


class _ReadGuard:
    """Turns an unreadable or newer-format entity into one StorageError naming it."""

    def __init__(self, table: str, entity: dict[str, Any]) -> None:
        self._table, self._entity = table, entity

    def __enter__(self) -> None:
        version = self._entity.get("FormatVersion")
        if version != FORMAT_VERSION:
            raise StorageError(
                f"table {self._table}: entity {self._entity.get('RowKey')} has format version {version}; "
                f"this syncwatch reads version {FORMAT_VERSION}: upgrade syncwatch"
            )

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, _: object) -> None:
        if isinstance(error, (KeyError, TypeError, ValueError)):
            raise StorageError(
                f"table {self._table}: entity {self._entity.get('PartitionKey')}/{self._entity.get('RowKey')} is "
                f"unreadable ({type(error).__name__}: {error}); delete it and the next tick rebuilds it"
            ) from error


def _memory_json(memory: JobMemory | None) -> str | None:
    """None (no property) for a job with nothing to remember, the usual case."""
    if memory is None or memory == JobMemory():
        return None
    return json.dumps(to_graph_json(memory))


def chunked(name: str, text: str) -> dict[str, Any]:
    """`text` over as many properties as it takes (name, name1, ...) to keep each within Table's 64 KiB."""
    chunks = {f"{name}{i or ''}": text[start : start + CHUNK_CHARS] for i, start in enumerate(range(0, len(text), CHUNK_CHARS))}
    return {**chunks, f"{name}Chunks": len(chunks)}


def unchunked(name: str, entity: dict[str, Any]) -> str:
    return "".join(entity[f"{name}{i or ''}"] for i in range(entity[f"{name}Chunks"]))


def transactions(groups: dict[tuple[str, str], list[T]]) -> Iterable[list[T]]:
    """At most 100 operations, one partition each; a job's operations are never split across two."""
    by_partition: dict[str, list[list[T]]] = defaultdict(list)
    for (partition, _), operations in groups.items():
        by_partition[partition].append(operations)
    for job_groups in by_partition.values():
        yield from _packed(job_groups)


def _packed(job_groups: Sequence[list[T]]) -> Iterable[list[T]]:
    batch: list[T] = []
    for operations in job_groups:
        if batch and len(batch) + len(operations) > MAX_TRANSACTION:
            yield batch
            batch = []
        batch.extend(operations)  # one job's row plus its few events always fits in 100
    if batch:
        yield batch
