"""Adaptive Card rendering in headless Chromium, for browser tests and PNG previews."""

from tools.card_render.renderer import CardRenderer, RenderResult

__all__ = ["CardRenderer", "RenderResult"]
