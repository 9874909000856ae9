"""Reads the transitions queue the way a Functions queue trigger would: base64, then JSON."""

from __future__ import annotations

import base64
import json
from typing import Any

from azure.storage.queue import QueueClient

from shared.settings import Settings


def queued_events(settings: Settings) -> list[dict[str, Any]]:
    """Every message currently on the queue, decoded, oldest first (receive + delete)."""
    assert settings.storage.connection_string
    client = QueueClient.from_connection_string(settings.storage.connection_string, settings.transitions_queue)
    events = []
    with client:
        while batch := list(client.receive_messages(max_messages=32)):
            for message in batch:
                events.append(json.loads(base64.b64decode(message.content)))
                client.delete_message(message)
    return events
