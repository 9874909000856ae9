"""GETs sent through Graph's JSON batching, 20 a call, written by hand on purpose.

msgraph-sdk 1.65's batch helpers are broken: they need an undeclared package, send absolute item URLs
(Graph answers 400), ignore the ids given and drop JSON bodies. This posts `$batch` through the same
request adapter instead (so auth, national clouds and middleware still apply), with relative URLs.
Items answered 429/503/504 are retried after their Retry-After; every other item stands on its own.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import httpx

from shared.adapters.graph_client import GraphClient, GraphResponse
from shared.errors import GraphError

MAX_BATCH = 20
CONCURRENCY = 16  # batches in flight: enough to reach the throttle floor at 100 ms a round trip
RETRIED_STATUSES = {429, 503, 504}
MAX_ATTEMPTS = 4
_DEFAULT_RETRY_AFTER = 1.0


Answer = GraphResponse | GraphError
T = TypeVar("T")


async def get_many(
    client: GraphClient,
    paths: Sequence[str],
    read: Callable[[int, Answer], T],
    *,
    limit: asyncio.Semaphore | None = None,
    on_sent: Callable[[int], None] | None = None,
) -> list[T]:
    """`read(index, answer)` for every path, in order; the answer is a response (any status) or the
    GraphError that kept it from one. Each batch is read as it arrives, so no raw body outlives its batch.
    `limit` bounds the batches in flight (CONCURRENCY unless given); calls that run side by side share one.
    `on_sent(count)` hears of each batch as it goes out, after pacing."""
    limit = limit or asyncio.Semaphore(CONCURRENCY)

    async def chunk(start: int) -> list[T]:
        answers = await _chunk(client, list(paths[start : start + MAX_BATCH]), limit, on_sent)
        return [read(start + offset, answer) for offset, answer in enumerate(answers)]

    chunks = await asyncio.gather(*(chunk(start) for start in range(0, len(paths), MAX_BATCH)))
    return [item for items in chunks for item in items]


async def _chunk(
    client: GraphClient, paths: list[str], limit: asyncio.Semaphore, on_sent: Callable[[int], None] | None
) -> list[GraphResponse | GraphError]:
    answers: dict[int, GraphResponse | GraphError] = {}
    pending = list(range(len(paths)))
    for attempt in range(1, MAX_ATTEMPTS + 1):
        async with limit:
            results = await _post(client, [paths[i] for i in pending], on_sent)
        retry = [i for i, result in zip(pending, results) if _retryable(result) and attempt < MAX_ATTEMPTS]
        client.count("batch_items", len(pending))
        client.count("throttled", sum(isinstance(r, GraphResponse) and r.status == 429 for r in results))
        client.count("retried_items", len(retry))
        answers.update({i: result for i, result in zip(pending, results) if i not in retry})
        if not retry:
            break
        await asyncio.sleep(max(_retry_after(results[pending.index(i)]) for i in retry))
        pending = retry
    return [answers[i] for i in range(len(paths))]


async def _post(client: GraphClient, paths: list[str], on_sent: Callable[[int], None] | None) -> list[GraphResponse | GraphError]:
    await client.pace(len(paths))
    if on_sent:
        on_sent(len(paths))
    body = {"requests": [{"id": str(i), "method": "GET", "url": path} for i, path in enumerate(paths)]}
    try:
        envelope = await client.post("/$batch", body, paced=False)
    except GraphError as error:
        return [error] * len(paths)
    if not envelope.ok or not isinstance(envelope.body, dict):
        return [GraphError(f"$batch answered {envelope.error_text()}", status=envelope.status)] * len(paths)
    return _items(envelope.body.get("responses"), len(paths), client)


def _items(raw: Any, count: int, client: GraphClient) -> list[GraphResponse | GraphError]:
    by_id = {item.get("id"): item for item in raw if isinstance(item, dict)} if isinstance(raw, list) else {}
    results: list[GraphResponse | GraphError] = []
    for i in range(count):
        item = by_id.get(str(i))
        if item is None:
            results.append(GraphError("$batch answer left this request out"))
            continue
        headers = httpx.Headers(item.get("headers") or {})
        client.observe(headers)
        results.append(GraphResponse(int(item.get("status", 500)), item.get("body"), headers))
    return results


def _retryable(result: GraphResponse | GraphError) -> bool:
    return isinstance(result, GraphResponse) and result.status in RETRIED_STATUSES


def _retry_after(result: GraphResponse | GraphError) -> float:
    assert isinstance(result, GraphResponse)
    try:
        return max(0.0, float(result.headers.get("Retry-After", _DEFAULT_RETRY_AFTER)))
    except ValueError:
        return _DEFAULT_RETRY_AFTER
