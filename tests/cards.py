"""The official Adaptive Card 1.5 schema (vendored, MIT), applied the way Teams reads a card."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from jsonschema import Draft6Validator

_SCHEMA = json.loads((Path(__file__).parent / "data" / "adaptive-cards" / "adaptive-card-1.5.schema.json").read_text())
CARD_VALIDATOR = Draft6Validator(_SCHEMA)


def card_of(message: dict[str, Any]) -> dict[str, Any]:
    """The card inside a Workflows message, checking the envelope on the way."""
    assert message["type"] == "message"
    [attachment] = message["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    return attachment["content"]


def assert_valid_card(card: dict[str, Any]) -> None:
    """Schema-valid once the Teams-only `msteams` key is set aside; type and version checked by hand
    because the schema accepts a card without them."""
    assert card["type"] == "AdaptiveCard" and card["version"] == "1.5"
    CARD_VALIDATOR.validate({k: v for k, v in card.items() if k != "msteams"})
    actions = [a for a in _walk(card) if isinstance(a, dict) and str(a.get("type", "")).startswith("Action.")]
    assert all(a["type"] == "Action.OpenUrl" for a in actions)


def card_texts(card: dict[str, Any]) -> str:
    """Every text a person would read on the card, joined."""
    parts = []
    for node in _walk(card):
        if isinstance(node, dict):
            parts += [node.get(k) for k in ("text", "title", "value") if isinstance(node.get(k), str)]
    return "\n".join(parts)


def _walk(node: Any):
    yield node
    if isinstance(node, dict):
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for item in node:
            yield from _walk(item)
