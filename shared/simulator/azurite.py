"""Starts Azurite, Microsoft's storage emulator, for the demo and the tests.

Table and queue run as two processes on free loopback ports. In memory by default; with a data
folder, a restart keeps the data as real storage does.
"""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from shared.storage_account import DEV_ACCOUNT, development_connection_string

REPO_ROOT = Path(__file__).resolve().parents[2]
_BIN = REPO_ROOT / "node_modules" / ".bin"
_START_TIMEOUT = 20.0


class AzuriteNotInstalled(RuntimeError):
    pass


@dataclass
class AzuriteService:
    """One Azurite process (table or queue) that can be stopped and started again on the same port."""

    kind: str
    port: int
    location: Path | None
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}/{DEV_ACCOUNT}"

    def start(self) -> None:
        args = [str(_executable(self.kind)), f"--{self.kind}Host", "127.0.0.1", f"--{self.kind}Port", str(self.port)]
        args += ["--disableTelemetry", "--skipApiVersionCheck", "--silent", "--loose"]
        args += ["--location", str(self.location)] if self.location else ["--inMemoryPersistence"]
        # A file, not a pipe: nobody reads Azurite's output while it runs, and a full pipe would block it.
        self.process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=tempfile.TemporaryFile())
        _wait_for_port(self.port, self.process, self.kind)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)  # Azurite saves its data folder on SIGINT, not on SIGTERM
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None


@dataclass
class Azurite:
    table: AzuriteService
    queue: AzuriteService

    @property
    def connection_string(self) -> str:
        return development_connection_string(self.table.endpoint, self.queue.endpoint)

    def stop(self) -> None:
        self.table.stop()
        self.queue.stop()

    def __enter__(self) -> Azurite:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start_azurite(*, location: Path | None = None) -> Azurite:
    """Both services started and accepting connections, or AzuriteNotInstalled/RuntimeError."""
    if location:
        location.mkdir(parents=True, exist_ok=True)
    azurite = Azurite(AzuriteService("table", free_port(), location), AzuriteService("queue", free_port(), location))
    try:
        azurite.table.start()
        azurite.queue.start()
    except BaseException:
        azurite.stop()
        raise
    return azurite


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _executable(kind: str) -> Path:
    path = _BIN / f"azurite-{kind}"
    if not path.exists() or not shutil.which("node"):
        raise AzuriteNotInstalled(f"Azurite is not installed at {path}: run `make setup` (needs Node 20 and npm)")
    return path


def _wait_for_port(port: int, process: subprocess.Popen[bytes], kind: str) -> None:
    deadline = time.monotonic() + _START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"azurite-{kind} exited with {process.returncode} (is the port taken, or the data folder unusable?)")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    process.kill()
    raise RuntimeError(f"azurite-{kind} did not listen on port {port} within {_START_TIMEOUT:.0f}s")
