"""Renders hand-written Adaptive Cards 1.5 in headless Chromium with the official JS renderer (no skips)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft6Validator

from tools.card_render import CardRenderer, RenderResult
from tools.card_render.previews import write_previews

SCHEMA = Path(__file__).resolve().parents[1] / "data" / "adaptive-cards" / "adaptive-card-1.5.schema.json"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
RUNBOOK = "https://learn.microsoft.com/entra/identity/app-provisioning/application-provisioning-quarantine-status"
PORTAL = "https://entra.microsoft.com/#view/Microsoft_AAD_IAM/StartboardApplicationsMenuBlade"


def card(*body: dict[str, Any], actions: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    result: dict[str, Any] = {"type": "AdaptiveCard", "version": "1.5", "body": list(body)}
    if actions is not None:
        result["actions"] = actions
    return result


def text(value: str, **props: Any) -> dict[str, Any]:
    return {"type": "TextBlock", "text": value, "wrap": True, **props}


def open_url(title: str, url: str) -> dict[str, Any]:
    return {"type": "Action.OpenUrl", "title": title, "url": url}


QUARANTINE_CARD = card(
    text("Provisioning job **quarantined**", size="large", weight="bolder"),
    {
        "type": "Container",
        "style": "attention",
        "items": [text("Reason: TooManyDeletes", color="attention")],
    },
    {
        "type": "FactSet",
        "facts": [
            {"title": "Application", "value": "Contoso HR"},
            {"title": "Job", "value": "AD2AADProvisioning.e1f2"},
        ],
    },
    {
        "type": "ColumnSet",
        "columns": [
            {"type": "Column", "width": "auto", "items": [text("Previous")]},
            {"type": "Column", "width": "stretch", "items": [text("Active")]},
        ],
    },
    {"type": "ActionSet", "actions": [open_url("Runbook", RUNBOOK)]},
    actions=[open_url("Open in Entra", PORTAL)],
)
UNKNOWN_ELEMENT_CARD = card({"type": "Media2", "sources": []}, text("after the unknown element"))
SUBMIT_CARD = card(
    text("Acknowledge?"),
    actions=[{"type": "Action.Submit", "title": "Acknowledge"}, open_url("Details", RUNBOOK)],
)


@pytest.fixture(scope="module")
def renderer() -> Iterator[CardRenderer]:
    with CardRenderer() as running:
        yield running


@pytest.fixture(scope="module")
def quarantine(renderer: CardRenderer) -> RenderResult:
    return renderer.render(QUARANTINE_CARD)


def test_hand_written_cards_are_valid_against_the_1_5_schema() -> None:
    validator = Draft6Validator(json.loads(SCHEMA.read_text(encoding="utf-8")))
    for sample in (QUARANTINE_CARD, SUBMIT_CARD):
        validator.validate(sample)


def test_valid_card_renders_without_errors(quarantine: RenderResult) -> None:
    assert quarantine.errors == ()


def test_visible_text_includes_markdown_bold_facts_and_columns(quarantine: RenderResult) -> None:
    lines = quarantine.text.splitlines()
    assert "Provisioning job quarantined" in lines  # ** markers consumed by markdown-it
    assert "**" not in quarantine.text
    for expected in ("Reason: TooManyDeletes", "Contoso HR", "AD2AADProvisioning.e1f2", "Previous", "Active"):
        assert expected in lines


def test_markdown_bold_becomes_strong(renderer: CardRenderer) -> None:
    result = renderer.render(card(text("plain **strong** plain")))
    assert result.errors == ()
    assert result.text == "plain strong plain"


def test_screenshot_is_a_real_png(quarantine: RenderResult) -> None:
    assert quarantine.png.startswith(PNG_MAGIC)
    assert len(quarantine.png) > 5_000


def test_open_url_actions_are_listed_once(quarantine: RenderResult) -> None:
    assert sorted(quarantine.actions) == [("Open in Entra", PORTAL), ("Runbook", RUNBOOK)]
    assert {"Runbook", "Open in Entra"} <= set(quarantine.text.splitlines())


def test_unknown_element_type_is_reported(renderer: CardRenderer) -> None:
    result = renderer.render(UNKNOWN_ELEMENT_CARD)
    assert any("UnknownElementType" in error and "Media2" in error for error in result.errors)
    assert "after the unknown element" in result.text


def test_unknown_action_type_is_reported(renderer: CardRenderer) -> None:
    result = renderer.render(card(text("x"), actions=[{"type": "Action.Teleport", "title": "Go"}]))
    assert any("UnknownActionType" in error for error in result.errors)


def test_submit_action_renders_but_is_not_an_open_url(renderer: CardRenderer) -> None:
    # Recorded behaviour: at 1.5 the renderer accepts Action.Submit and shows its button; Teams ignores it.
    result = renderer.render(SUBMIT_CARD)
    assert result.actions == (("Details", RUNBOOK),)
    assert result.png.startswith(PNG_MAGIC)


def test_previews_write_one_png_per_card(tmp_path: Path) -> None:
    paths = write_previews({"quarantine": QUARANTINE_CARD, "submit": SUBMIT_CARD}, tmp_path)
    assert [path.name for path in paths] == ["quarantine.png", "submit.png"]
    assert all(path.read_bytes().startswith(PNG_MAGIC) for path in paths)
