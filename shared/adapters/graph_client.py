"""Raw JSON over msgraph's request adapter, keeping the SDK's auth, national clouds and retry middleware.

The SDK's typed models are skipped on purpose: they turn unknown enum strings into None and parse
slowly. Non-2xx answers come back as values so callers decide what "not found" means.
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from dataclasses import dataclass
from typing import Any

import httpx
from kiota_abstractions.authentication import AnonymousAuthenticationProvider, AuthenticationProvider
from kiota_abstractions.method import Method
from kiota_abstractions.native_response_handler import NativeResponseHandler
from kiota_abstractions.request_information import RequestInformation
from kiota_http.middleware.options import ResponseHandlerOption, RetryHandlerOption
from msgraph.graph_request_adapter import GraphRequestAdapter

from shared.adapters.graph_pacer import GRAPH_LARGE_TENANT_UNITS, SlidingWindowPacer
from shared.adapters.graph_retry import graph_http_client
from shared.cloud import Cloud
from shared.errors import GraphError

DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=10.0)


@dataclass(frozen=True)
class GraphResponse:
    status: int
    body: Any
    headers: httpx.Headers

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    def error_text(self) -> str:
        """Graph's own error code and message, the part of an error answer worth showing a user."""
        error = self.body.get("error") if isinstance(self.body, dict) else None
        if isinstance(error, dict):
            return f"{self.status} {error.get('code', '')}: {error.get('message', '')}".strip()
        return f"{self.status}"


class GraphClient:
    def __init__(self, adapter: GraphRequestAdapter, base_url: str, pacer: SlidingWindowPacer) -> None:
        self._adapter = adapter
        self._pacer = pacer
        self.base_url = base_url
        self.stats: Counter[str] = Counter()

    async def get(self, path_or_url: str) -> GraphResponse:
        """GET a path below the base URL (or an absolute nextLink); transport failures raise GraphError."""
        await self._pacer.acquire(1)
        return await self._send(Method.GET, path_or_url, None)

    async def post(self, path: str, body: Any, *, paced: bool = True) -> GraphResponse:
        """`paced=False` when the caller already paid the units (a `$batch` costs one per item)."""
        if paced:
            await self._pacer.acquire(1)
        return await self._send(Method.POST, path, body)

    async def pace(self, units: int) -> None:
        await self._pacer.acquire(units)

    @property
    def holding(self) -> asyncio.Event:
        """Set once pacing held a request back: the throttling window is spent for now."""
        return self._pacer.holding

    def observe(self, headers: httpx.Headers) -> None:
        self._pacer.observe(headers)

    def count(self, name: str, amount: int = 1) -> None:
        self.stats[name] += amount

    async def aclose(self) -> None:
        await self._adapter._http_client.aclose()  # the adapter owns its client but offers no close

    async def _send(self, method: Method, path_or_url: str, body: Any) -> GraphResponse:
        request = RequestInformation(method)
        request.url = path_or_url if "://" in path_or_url else f"{self.base_url}{path_or_url}"
        if body is not None:
            request.headers.try_add("Content-Type", "application/json")
            request.content = json.dumps(body).encode()
        request.add_request_options([ResponseHandlerOption(NativeResponseHandler())])
        try:
            response: httpx.Response = await self._adapter.send_primitive_async(request, "bytes", {})
        except httpx.TimeoutException as error:
            raise GraphError(f"{method.value} {_path(path_or_url)} timed out") from error
        except httpx.HTTPError as error:
            raise GraphError(f"{method.value} {_path(path_or_url)} failed: {type(error).__name__}") from error
        self._pacer.observe(response.headers)
        self.stats["requests"] += 1
        self.stats["throttled"] += response.status_code == 429
        return GraphResponse(response.status_code, _json_or_none(response), response.headers)


def create_graph_client(
    cloud: Cloud,
    base_url: str,
    *,
    credential: Any | None = None,
    retry_delay: float = RetryHandlerOption.DEFAULT_DELAY,
    timeout: httpx.Timeout = DEFAULT_TIMEOUT,
    units_per_window: int = GRAPH_LARGE_TENANT_UNITS,
) -> GraphClient:
    """A loopback simulator gets no token; every other cloud authenticates with `credential`."""
    http = graph_http_client(retry=RetryHandlerOption(delay=retry_delay), timeout=timeout)
    adapter = GraphRequestAdapter(_auth_provider(cloud, credential), client=http)
    adapter.base_url = base_url
    return GraphClient(adapter, base_url, SlidingWindowPacer(units_per_window))


def _auth_provider(cloud: Cloud, credential: Any | None) -> AuthenticationProvider:
    if cloud.loopback:
        return AnonymousAuthenticationProvider()
    from kiota_authentication_azure.azure_identity_authentication_provider import (
        AzureIdentityAuthenticationProvider,
    )

    assert cloud.token_scope is not None
    return AzureIdentityAuthenticationProvider(credential, scopes=[cloud.token_scope], allowed_hosts=[cloud.graph_host])


def _json_or_none(response: httpx.Response) -> Any:
    try:
        return response.json() if response.content else None
    except ValueError:
        return None


def _path(path_or_url: str) -> str:
    """Only the path: query strings and hosts stay out of messages."""
    return path_or_url.split("?", 1)[0].split("/v1.0", 1)[-1]
