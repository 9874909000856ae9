"""Reads the watched provisioning jobs from Graph: the watchlist's SPs, plus the slice of discovery due
this tick, with job lists read through `$batch`.

A failure stays with the SP it happened to: the others are read, and the failed one is marked unread so
that the diff never mistakes it for removed jobs.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from shared.adapters.graph_batch import CONCURRENCY, MAX_BATCH, get_many
from shared.adapters.graph_client import GraphClient, GraphResponse
from shared.adapters.table_watchlist import TableWatchlist
from shared.discovery import DiscoveryState, advanced, after_reads
from shared.errors import GraphError, MalformedJobError
from shared.graph_json import bounded_text, is_plain_id, parse_job
from shared.model import Job, Observation, ReadFailure, ServicePrincipal

SP_FIELDS = "id,appId,displayName"
Progress = Callable[[int, int], None]
FIRST_PAGE = f"/servicePrincipals?$select={SP_FIELDS}&$top=999"
_PERMISSION_HINT = {401: "check the credential", 403: "grant Application.Read.All and Synchronization.Read.All"}


@dataclass(frozen=True)
class Discovery:
    """How the watchlist is kept: its store, the cycle length and the listing pages read per tick."""

    watchlist: TableWatchlist
    interval: timedelta
    pages_per_tick: int = 1


@dataclass(frozen=True)
class _Listing:
    service_principals: tuple[ServicePrincipal, ...]
    next_cursor: str | None
    failures: tuple[ReadFailure, ...] = ()


@dataclass(frozen=True)
class _SpRead:
    jobs: tuple[Job, ...]
    failures: tuple[ReadFailure, ...]
    complete: bool


class GraphJobSource:
    def __init__(
        self,
        client: GraphClient,
        *,
        discovery: Discovery | None = None,
        service_principal_ids: Sequence[str] = (),
        progress: Progress | None = None,
    ) -> None:
        """`service_principal_ids` bypasses discovery: exactly those SPs are watched. `progress(done, total)`
        hears of every SP whose jobs were read (a progress bar on a terminal)."""
        self._client = client
        self._discovery = discovery
        self._watch_only = tuple(service_principal_ids)
        self._progress = progress

    @property
    def client(self) -> GraphClient:
        """The Graph client it reads with (same credential, cloud, retries and pacing)."""
        return self._client

    def stats(self) -> dict[str, int]:
        return dict(self._client.stats)

    async def read(self, now: datetime, *, sent: asyncio.Event | None = None) -> Observation:
        """`sent` is set once Graph has every job read it can take for now: all of them sent, or the rest
        held back by the throttling window (at the latest when the read ends)."""
        sent = sent or asyncio.Event()
        try:
            if self._watch_only:
                return await self._observe(await self._get_listed(self._watch_only), sent)
            assert self._discovery is not None, "discovery is needed unless GRAPH_SERVICE_PRINCIPAL_IDS is set"
            return await self._read_watched(self._discovery, now, sent)
        finally:
            sent.set()

    async def discover_all(self, now: datetime) -> Observation:
        """A full discovery now: every listing page, every SP's jobs; the watchlist is rebuilt from it."""
        assert self._discovery is not None
        return await self._read_watched(self._discovery, now, asyncio.Event(), pages=-1)

    async def _read_watched(self, discovery: Discovery, now: datetime, sent: asyncio.Event, pages: int | None = None) -> Observation:
        reads = _Reads(self._client, self._progress, sent)
        try:
            # Watched SPs are read page by page as the watchlist loads: Graph's throttle is the floor of the
            # tick, so its reads start at once rather than after the watchlist (and the snapshot beside it).
            watchlist, state = await discovery.watchlist.load(on_page=lambda page: reads.add(e.service_principal for e in page))
            due = pages if pages is not None else state.pages_due(now, interval=discovery.interval, pages_per_tick=discovery.pages_per_tick)
            listing = await self._list(state, due)
            candidates = [sp for sp in listing.service_principals if sp.id not in watchlist]
            reads.add(candidates)
            results = await reads.results()
        finally:
            reads.cancel()  # after a failure, no read outlives it
        counts = {sp_id: len(read.jobs) for sp_id, read in results.items() if read.complete}
        # A failed listing page is read again next tick: the cycle does not move on past it.
        new_state = advanced(state, listing.next_cursor, now, started=state.cursor is None) if due and not listing.failures else state
        written = await discovery.watchlist.save(after_reads(watchlist, candidates, counts), new_state)
        watched = [entry.service_principal for entry in watchlist.values()]
        observation = _observation(watched + candidates, results, listing.failures)
        return replace(observation, bookkeeping_read=discovery.watchlist.rows_read, bookkeeping_written=written)

    async def _observe(self, listing: _Listing, sent: asyncio.Event) -> Observation:
        """A configured SP that could not be looked up is not known to be gone: no removals for it."""
        reads = _Reads(self._client, self._progress, sent)
        try:
            reads.add(listing.service_principals)
            results = await reads.results()
        finally:
            reads.cancel()
        observation = _observation(listing.service_principals, results, listing.failures)
        return replace(observation, listing_complete=not listing.failures)

    async def _list(self, state: DiscoveryState, pages: int) -> _Listing:
        """`pages` listing pages from the cursor (-1: all of them, from the start)."""
        found: list[ServicePrincipal] = []
        url: str | None = FIRST_PAGE if pages < 0 or state.cursor is None else state.cursor
        read = 0
        while url and (pages < 0 or read < pages):
            try:
                page = _expect_ok(await self._client.get(url), "listing service principals")
            except GraphError as error:
                return _Listing(tuple(found), state.cursor, (ReadFailure(None, str(error)),))
            found.extend(_service_principals(page.get("value")))
            link = page.get("@odata.nextLink")
            url, read = (link if isinstance(link, str) and link else None), read + 1
        return _Listing(tuple(found), url if read else state.cursor)

    async def _get_listed(self, ids: Sequence[str]) -> _Listing:
        answers = await get_many(self._client, [f"/servicePrincipals/{sp_id}?$select={SP_FIELDS}" for sp_id in ids],
                                 lambda _, answer: answer)
        found: list[ServicePrincipal] = []
        failures: list[ReadFailure] = []
        for sp_id, answer in zip(ids, answers):
            if isinstance(answer, GraphError):
                failures.append(ReadFailure(sp_id, str(answer)))
            elif answer.ok and isinstance(answer.body, dict):
                found.extend(_service_principals([answer.body]))
            elif answer.status != 404:  # 404: deleted, so its jobs are gone, which the diff reports as removed
                failures.append(ReadFailure(sp_id, _describe(answer, f"reading service principal {sp_id}")))
        return _Listing(tuple(found), None, tuple(failures))

class _Reads:
    """Job reads started as SPs become known, in whole batches, all sharing one bound on batches in flight.

    `sent` is set when no read is left to send, or when pacing holds the rest back: from then on, the
    tick's storage work fills the wait for Graph instead of slowing the first window's burst of reads."""

    def __init__(self, client: GraphClient, progress: Progress | None, sent: asyncio.Event) -> None:
        self._client = client
        self._progress = progress
        self._sent = sent
        self._limit = asyncio.Semaphore(CONCURRENCY)
        self._waiting: list[ServicePrincipal] = []
        self._tasks: list[asyncio.Task[dict[str, _SpRead]]] = []
        self._started = self._done = self._unsent = 0
        self._held = asyncio.create_task(self._when_held())

    def add(self, sps: Iterable[ServicePrincipal]) -> None:
        """Reads start in multiples of 20, so a watchlist that arrives in pages costs no extra request."""
        added = list(sps)
        self._waiting += added
        self._unsent += len(added)
        self._start(len(self._waiting) - len(self._waiting) % MAX_BATCH)

    async def results(self) -> dict[str, _SpRead]:
        """Every SP's read, in the order the SPs were added."""
        self._start(len(self._waiting))
        self._went_out(0)  # nothing to read at all is also nothing left to send
        return {sp_id: read for part in await asyncio.gather(*self._tasks) for sp_id, read in part.items()}

    def cancel(self) -> None:
        for task in [*self._tasks, self._held]:
            task.cancel()

    async def _when_held(self) -> None:
        await self._client.holding.wait()
        self._sent.set()

    def _went_out(self, count: int) -> None:
        self._unsent -= count
        if self._unsent <= 0:
            self._sent.set()

    def _start(self, count: int) -> None:
        if count:
            self._tasks.append(asyncio.create_task(self._read(self._waiting[:count])))
            del self._waiting[:count]
            self._started += count

    async def _read(self, sps: list[ServicePrincipal]) -> dict[str, _SpRead]:
        paths = [f"/servicePrincipals/{sp.id}/synchronization/jobs" for sp in sps]
        reads = await get_many(self._client, paths, lambda index, answer: self._heard(_sp_read(sps[index], answer)),
                               limit=self._limit, on_sent=self._went_out)
        return {sp.id: sp_read for sp, sp_read in zip(sps, reads)}

    def _heard(self, sp_read: _SpRead) -> _SpRead:
        self._done += 1
        if self._progress:
            self._progress(self._done, self._started + len(self._waiting))
        return sp_read


def _observation(sps: Sequence[ServicePrincipal], reads: dict[str, _SpRead], failures: Sequence[ReadFailure]) -> Observation:
    return Observation(
        jobs=tuple(job for read in reads.values() for job in read.jobs),
        listed_sps=frozenset(sp.id for sp in sps),
        unread_sps=frozenset(sp_id for sp_id, read in reads.items() if not read.complete),
        listing_complete=True,  # the watchlist (or the configured ids) is the whole universe
        failures=tuple(failures) + tuple(f for read in reads.values() for f in read.failures),
    )


def _sp_read(sp: ServicePrincipal, answer: GraphResponse | GraphError) -> _SpRead:
    if isinstance(answer, GraphError):
        return _SpRead((), (ReadFailure(sp.id, f"{_name(sp)}: {answer}"),), False)
    if answer.status == 404:
        return _SpRead((), (), True)  # an SP without provisioning may answer 404 instead of []
    try:
        raw_jobs = _expect_ok(answer, f"reading jobs of {_name(sp)}").get("value")
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
        if isinstance(item, dict) and is_plain_id(item.get("id"))
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
