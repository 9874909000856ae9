"""What the local stand-ins (Graph simulator, Teams sink) share: an HTTP server on a free loopback port,
served from a daemon thread."""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Mapping
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

# (method, path with query, body, request headers) -> (status, response headers, response body)
Answer = Callable[[str, str, bytes, Message], tuple[int, Mapping[str, str], bytes]]


class LoopbackServer(ThreadingHTTPServer):
    daemon_threads = True
    # The default backlog of 5 drops connections under a burst of concurrent requests; the client's SYN
    # retry then costs a whole second, which looks like a slow service.
    request_queue_size = 128

    def __init__(self, answer: Answer) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.answer = answer
        self.stopped = False

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Stay quiet when a client hangs up first (timeouts); report anything else."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    server: LoopbackServer
    # Keep-alive, as Graph and Teams answer: a connection (and a thread) per request made the stand-ins,
    # not the code under test, the bottleneck of the benchmarks.
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # else the body, written after the headers, waits ~40 ms for an ACK

    def _serve(self) -> None:
        if self.server.stopped:
            self.close_connection = True  # a stopped stand-in answers nothing, on old connections too
            return
        length = int(self.headers.get("Content-Length") or 0)
        status, headers, body = self.server.answer(self.command, self.path, self.rfile.read(length), self.headers)
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's signature
        """Quiet: the stand-ins keep their own logs, and a Teams request line carries the webhook's sig."""


class BackgroundServer:
    """Starts and stops one LoopbackServer in a daemon thread."""

    def __init__(self, name: str) -> None:
        self._name = name
        self.server: LoopbackServer | None = None
        self._thread: threading.Thread | None = None

    def start(self, server: LoopbackServer) -> str:
        """Serves `server`; returns its `http://127.0.0.1:<port>` address."""
        if self.server is not None:
            raise RuntimeError(f"{self._name} is already started")
        self.server = server
        self._thread = threading.Thread(target=server.serve_forever, args=(0.05,), name=self._name, daemon=True)
        self._thread.start()
        host, port = server.server_address[:2]
        return f"http://{host!s}:{port}"

    def stop(self) -> None:
        if self.server is not None and self._thread is not None:
            self.server.stopped = True
            self.server.shutdown()
            self.server.server_close()
            self._thread.join()
            self.server = self._thread = None
