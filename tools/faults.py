"""Fault injection for the crash tests and the soak: a process death at a chosen step boundary."""

from __future__ import annotations

from typing import Any

import httpx


class Crash(BaseException):
    """The process dies here: not an Exception, so no handler in the product catches it."""


class CrashAfter:
    """Wraps an adapter: the named coroutine method does its real work, then the process 'dies'."""

    def __init__(self, inner: Any, method: str) -> None:
        self._inner, self._method = inner, method

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._inner, name)
        if name != self._method:
            return attribute

        async def then_crash(*args: Any, **kwargs: Any) -> None:
            await attribute(*args, **kwargs)
            raise Crash(f"after {name}")

        return then_crash


class CrashOnRequest(httpx.AsyncBaseTransport):
    """An HTTP transport that lets `allowed` requests through, then dies before sending the next."""

    def __init__(self, allowed: int) -> None:
        self._inner, self._allowed = httpx.AsyncHTTPTransport(), allowed

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self._allowed == 0:
            raise Crash("between two posts")
        self._allowed -= 1
        return await self._inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self._inner.aclose()
