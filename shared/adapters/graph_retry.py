"""Workaround for kiota's RetryHandler, which parses Retry-After with int().

Graph sends fractional seconds ("2.128" in its own docs); kiota then ignores the header and falls
back to its own backoff, which can be shorter than Graph asked for. Everything else is kiota's.
"""

from __future__ import annotations

import httpx
from kiota_http.kiota_client_factory import KiotaClientFactory
from kiota_http.middleware import RetryHandler
from kiota_http.middleware.options import RetryHandlerOption
from msgraph_core import GraphClientFactory
from msgraph_core.middleware.telemetry import GraphTelemetryHandler


class FractionalRetryAfterHandler(RetryHandler):
    def _parse_retry_after(self, retry_after: str) -> float | None:
        try:
            return max(0.0, float(retry_after))
        except ValueError:
            return super()._parse_retry_after(retry_after)  # an HTTP date


def graph_http_client(*, retry: RetryHandlerOption, timeout: httpx.Timeout) -> httpx.AsyncClient:
    """msgraph's default middleware chain, with the retry handler swapped for the fixed one."""
    middleware = [
        FractionalRetryAfterHandler(options=retry) if isinstance(handler, RetryHandler) else handler
        for handler in KiotaClientFactory.get_default_middleware({retry.get_key(): retry})
    ]
    middleware.append(GraphTelemetryHandler())
    return GraphClientFactory.create_with_custom_middleware(middleware, client=httpx.AsyncClient(timeout=timeout))
