"""Shrinks a JSON document to a size limit by capping its longest strings. Pure. No I/O.

Queue messages (64 KiB) and table properties (64 KiB) have hard limits; an alert with a shortened
error message is worth more than no alert.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from shared.graph_json import MAX_TEXT, TRUNCATED

_MIN_CAP = 64


def json_bytes(document: Any) -> int:
    """Size as json.dumps writes it by default (ASCII-escaped), the way the CloudEvents SDK does."""
    return len(json.dumps(document))


def fit(document: Any, limit: int, *, size: Callable[[Any], int] = json_bytes) -> Any:
    """The document with strings capped ever shorter until it fits, or at the smallest cap."""
    fitted, cap = document, MAX_TEXT
    while size(fitted) > limit and cap >= _MIN_CAP:
        fitted = cap_strings(document, cap)
        cap //= 2
    return fitted


def cap_strings(document: Any, cap: int) -> Any:
    if isinstance(document, str):
        return document if len(document) <= cap else document[: cap - len(TRUNCATED)] + TRUNCATED
    if isinstance(document, dict):
        return {key: cap_strings(value, cap) for key, value in document.items()}
    if isinstance(document, list):
        return [cap_strings(item, cap) for item in document]
    return document
