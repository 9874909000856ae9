"""Posts Adaptive Cards to one Teams Workflows webhook, for one route.

The URL's query carries the signature that grants posting, so it never appears in a message: errors
name the route and the host only. 429 honours Retry-After; 5xx and timeouts back off with jitter;
other 4xx fail at once. Posts to one webhook are paced to at most 4 a second.
"""

from __future__ import annotations

import asyncio
import time
from typing import Protocol

import httpx
import stamina

from shared.adapters.log_redaction import redact_urls
from shared.cards import plan_posts
from shared.errors import SinkError
from shared.ports import EventBatch, SinkOutcome
from shared.events import Event
from shared.routing import takes
from shared.teams_settings import TeamsRoute

POSTS_PER_SECOND = 4
_LEGACY_ERROR = "returned HTTP error"  # old connectors answered 200 with this text, even when throttled


class _Transient(Exception):
    """A failure worth retrying; `retry_after` is the server's wish, in seconds."""

    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.retry_after = retry_after


class Pacer(Protocol):
    async def wait(self, url: str) -> object: ...


class WebhookPacer:
    """Spaces posts to the same webhook at least 1/POSTS_PER_SECOND apart, across routes sharing it."""

    def __init__(self, per_second: float = POSTS_PER_SECOND) -> None:
        self._interval = 1.0 / per_second
        self._next: dict[str, float] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    async def wait(self, url: str) -> None:
        async with self._locks.setdefault(url, asyncio.Lock()):
            delay = self._next.get(url, 0.0) - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            self._next[url] = time.monotonic() + self._interval


class TeamsWebhookSink:
    def __init__(
        self,
        route: TeamsRoute,
        client: httpx.AsyncClient,
        *,
        digest_threshold: int,
        pacer: Pacer,
        attempts: int = 4,
        max_seconds: float = 30.0,
        first_wait: float = 1.0,
    ) -> None:
        self.id = f"teams:{route.name}"
        self.name = f"Teams route '{route.name}'"
        self._route = route
        self._client = client
        self._digest_threshold = digest_threshold
        self._pacer = pacer
        self._retry = {"attempts": attempts, "timeout": max_seconds, "wait_initial": first_wait}

    def accepts(self, event: Event) -> bool:
        """Never an event withheld from people (muted, flapping, inhibited): the queue still gets it."""
        return event.withheld is None and takes(self._route, event)

    async def send(self, batch: EventBatch) -> SinkOutcome:
        """Events that need no card (a healthy baseline) count as accepted."""
        events = batch.events
        posts = plan_posts(events, baseline=batch.baseline, digest_threshold=self._digest_threshold)
        accepted = len(events) - sum(len(post.event_ids) for post in posts)
        for index, post in enumerate(posts):
            try:
                await self.post_message(post.message)
            except SinkError as error:
                # A webhook that is down stays down for the rest of this tick; don't queue behind it.
                failed = frozenset().union(*(p.event_ids for p in posts[index:]))
                return SinkOutcome(self.id, accepted, failed, str(error))
            accepted += len(post.event_ids)
        return SinkOutcome(self.id, accepted)

    async def post_message(self, message: dict[str, object]) -> None:
        """One message, with the retries and pacing above; raises SinkError naming the route, not the URL."""
        try:
            async for attempt in stamina.retry_context(on=_backoff, **self._retry):
                with attempt:
                    await self._pacer.wait(self._route.url)
                    _check(await self._client.post(self._route.url, json=message))
        except _Transient as error:
            raise SinkError(f"{self._where()}: gave up after retries: {error}") from None
        except SinkError as error:
            raise SinkError(f"{self._where()}: {error}") from None
        except httpx.HTTPError as error:
            raise SinkError(f"{self._where()}: {type(error).__name__}") from None

    def _where(self) -> str:
        return f"{self.name} ({self._route.host})"


def _check(response: httpx.Response) -> None:
    """Returns on 200/202 success; raises _Transient to retry, SinkError to give up."""
    text = response.text[:200]
    if response.status_code in (200, 202) and _LEGACY_ERROR not in text:
        return
    if response.status_code == 429 or (_LEGACY_ERROR in text and "429" in text):
        raise _Transient("throttled (429)", _seconds(response.headers.get("Retry-After")))
    if response.status_code >= 500:
        raise _Transient(f"answered {response.status_code}", _seconds(response.headers.get("Retry-After")))
    raise SinkError(f"answered {response.status_code}: {_scrub(text)}")


def _backoff(error: Exception) -> bool | float:
    """stamina's hook: the server's Retry-After when it gave one, else its exponential backoff with jitter."""
    if isinstance(error, _Transient):
        return error.retry_after if error.retry_after is not None else True
    return isinstance(error, (httpx.TimeoutException, httpx.TransportError))


def _seconds(value: str | None) -> float | None:
    try:
        return max(0.0, float(value)) if value else None
    except ValueError:
        return None


def _scrub(text: str) -> str:
    """A body may echo the request URL, signature included."""
    return redact_urls(text).strip() or "(empty body)"
