"""What the local stand-ins (Graph simulator, Teams sink) share: an HTTP server on a free loopback port,
served from a daemon thread."""

from __future__ import annotations

import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class LoopbackServer(ThreadingHTTPServer):
    daemon_threads = True
    # The default backlog of 5 drops connections under a burst of concurrent requests; the client's SYN
    # retry then costs a whole second, which looks like a slow service.
    request_queue_size = 128

    def __init__(self, handler: type[BaseHTTPRequestHandler]) -> None:
        super().__init__(("127.0.0.1", 0), handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Stay quiet when a client hangs up first (timeouts); report anything else."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


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
            self.server.shutdown()
            self.server.server_close()
            self._thread.join()
            self.server = self._thread = None
