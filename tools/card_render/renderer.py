"""Renders Adaptive Cards in headless Chromium with the official `adaptivecards` JS renderer, as Teams would."""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
PAGE = Path(__file__).with_name("page.html")
NODE_MODULES = Path(__file__).resolve().parents[2] / "node_modules"
SCRIPTS = (
    NODE_MODULES / "adaptivecards/dist/adaptivecards.min.js",
    NODE_MODULES / "markdown-it/dist/browser/markdown-it.umd.min.js",
)
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--force-device-scale-factor=1",
    "--window-size=1024,2048",
)
WAIT_READY = """
const done = arguments[arguments.length - 1];
window.rendererReady.then(() => done(null), (error) => done(String(error)));
"""


@dataclass(frozen=True)
class RenderResult:
    """What the renderer made of one card; `errors` empty means a clean parse at Adaptive Cards 1.5."""

    errors: tuple[str, ...]  # renderer parse/validation events at version 1.5, plus JS exceptions
    text: str  # the card's visible text, one non-blank line per rendered line
    png: bytes
    actions: tuple[tuple[str, str], ...]  # (title, url) of each Action.OpenUrl in the card


class CardRenderer:
    """One headless Chromium with page.html loaded; render() any number of cards, then close (context manager)."""

    def __init__(self) -> None:
        self._driver: webdriver.Chrome | None = None
        self._profile: str | None = None

    def __enter__(self) -> Self:
        _check_prerequisites()
        self._profile = tempfile.mkdtemp(prefix="card-render-")
        try:
            self._driver = _start_chromium(self._profile)
            _load_page(self._driver)
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        """Quit Chromium and remove its temporary profile."""
        if self._driver is not None:
            self._driver.quit()
            self._driver = None
        if self._profile is not None:
            shutil.rmtree(self._profile, ignore_errors=True)
            self._profile = None

    def render(self, card: dict[str, Any]) -> RenderResult:
        """Render one card (the AdaptiveCard JSON object, not the Teams message around it)."""
        if self._driver is None:
            raise RuntimeError("CardRenderer is not started: use it as a context manager")
        result = self._driver.execute_script("return renderCard(arguments[0]);", card)
        png = self._driver.find_element(By.ID, "card").screenshot_as_png if result["ok"] else b""
        return RenderResult(
            errors=tuple(result["errors"]),
            text=_visible_lines(result["text"]),
            png=png,
            actions=tuple((title, url) for title, url in result["actions"]),
        )


def _visible_lines(inner_text: str) -> str:
    """innerText with each line stripped and blank lines dropped (FactSets render as tables full of tabs)."""
    return "\n".join(line.strip() for line in inner_text.splitlines() if line.strip())


def _check_prerequisites() -> None:
    missing = [str(path) for path in (CHROMIUM, CHROMEDRIVER) if not path.exists()]
    if missing:
        raise RuntimeError(f"missing {', '.join(missing)}: run scripts/install-chromium.sh")
    missing = [str(path) for path in SCRIPTS if not path.exists()]
    if missing:
        raise RuntimeError(f"missing {', '.join(missing)}: run `npm ci` in the repository root")


def _start_chromium(profile: str) -> webdriver.Chrome:
    os.environ.setdefault("SE_OFFLINE", "true")
    os.environ.setdefault("SE_AVOID_STATS", "true")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in (*CHROMIUM_FLAGS, f"--user-data-dir={profile}"):
        options.add_argument(flag)
    return webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)


def _load_page(driver: webdriver.Chrome) -> None:
    modules = Path(os.path.relpath(NODE_MODULES, PAGE.parent)).as_posix()
    driver.set_script_timeout(15)
    driver.get(f"{PAGE.resolve().as_uri()}?modules={modules}")
    failure = driver.execute_async_script(WAIT_READY)
    if failure:
        raise RuntimeError(f"card renderer page failed to load: {failure}")
