"""One error type per boundary, each with the CLI exit code it maps to. Messages never carry secrets."""

from __future__ import annotations

EXIT_OK = 0
EXIT_INCOMPLETE = 1
EXIT_USAGE = 2


class SyncwatchError(Exception):
    """Base of every error the product raises on purpose; its message is one line a user can act on."""

    exit_code = EXIT_INCOMPLETE


class SettingsError(SyncwatchError):
    """A setting is missing or invalid. The message names the setting, never its secret value."""

    exit_code = EXIT_USAGE


class GraphError(SyncwatchError):
    """Graph could not be read (network, HTTP status, or an unreadable answer)."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class StorageError(SyncwatchError):
    """Table or queue storage failed. The message names the account and table or queue, never a key."""


class SinkError(SyncwatchError):
    """A sink refused or could not take an event."""


class AnotherTickRunning(SyncwatchError):
    """Not a failure: another tick holds the lease, so this one leaves everything to it."""

    exit_code = EXIT_OK


class MalformedJobError(ValueError):
    """One job's JSON cannot be understood; the tick skips that job and reports it."""
