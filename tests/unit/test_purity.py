"""The core stays pure: it imports no SDK, no network library, no os and no logging."""

import ast
from pathlib import Path

import pytest

CORE = ["model", "graph_json", "diff", "severity", "events", "fit", "cloud", "snapshot_plan", "outbox", "errors", "cards", "routing",
        "rules", "attention", "policy", "iso_duration"]
FORBIDDEN = ("azure", "msgraph", "kiota", "httpx", "aiohttp", "os", "logging", "cloudevents", "socket", "subprocess")
PACKAGE = Path(__file__).resolve().parents[2] / "shared"


@pytest.mark.parametrize("module", CORE)
def test_core_module_imports_nothing_impure(module):
    tree = ast.parse((PACKAGE / f"{module}.py").read_text())
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    imported |= {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
    assert not [name for name in imported if name.split(".")[0] in FORBIDDEN]
