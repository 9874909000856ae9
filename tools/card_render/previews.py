"""Writes PNG previews of Teams cards: one per card kind (`make previews`), or the demo's posted cards."""

from __future__ import annotations

import argparse
import json
import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from tools.card_render.renderer import CardRenderer
from tools.card_samples import sample_messages

log = logging.getLogger(__name__)


def write_previews(cards: Mapping[str, dict[str, Any]], outdir: Path) -> list[Path]:
    """Render each card with one browser and write `<name>.png`; log renderer errors, fail if nothing rendered."""
    outdir.mkdir(parents=True, exist_ok=True)
    written = []
    with CardRenderer() as renderer:
        for name, card in cards.items():
            if not name or Path(name).name != name:
                raise ValueError(f"card name {name!r} is not a plain file name")
            result = renderer.render(card)
            for error in result.errors:
                log.warning("%s: %s", name, error)
            if not result.png:
                raise RuntimeError(f"card {name!r} did not render: {'; '.join(result.errors)}")
            path = outdir / f"{name}.png"
            path.write_bytes(result.png)
            written.append(path)
    return written


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Write PNG previews of syncwatch's Teams cards.")
    parser.add_argument("outdir", type=Path, help="where the <name>.png files go")
    parser.add_argument("--messages", action="store_true",
                        help="render the Teams messages saved as *.json in OUTDIR (the demo's) instead of one sample per card kind")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")
    messages = _saved_messages(args.outdir) if args.messages else sample_messages()
    for path in write_previews({name: card_of(message) for name, message in messages.items()}, args.outdir):
        print(path)


def card_of(message: dict[str, Any]) -> dict[str, Any]:
    """The Adaptive Card inside a Teams Workflows message."""
    return message["attachments"][0]["content"]  # type: ignore[no-any-return]


def _saved_messages(folder: Path) -> dict[str, dict[str, Any]]:
    return {path.stem: json.loads(path.read_text(encoding="utf-8")) for path in sorted(folder.glob("*.json"))}


if __name__ == "__main__":
    main()
