"""Reading the Bicep templates with pycep-parser (no Bicep compiler exists here) and resolving simple values.

pycep gives plain dicts. A reference to a parameter or variable is a bare string holding its name, so a string is
resolved as a reference when it names one; anything else is a literal. Interpolated strings stay raw (`${...}`).
"""

from __future__ import annotations

import json
import os
import re
from functools import cache
from pathlib import Path
from typing import Any

from pycep import BicepParser

REPO_ROOT = Path(__file__).resolve().parents[2]
INFRA = REPO_ROOT / "infra"
BICEP_DIR = INFRA / "bicep"
MAIN = BICEP_DIR / "main.bicep"
MAIN_PARAMS = BICEP_DIR / "main.bicepparam"
GRAPH_ROLES = BICEP_DIR / "graph-roles.bicep"
FIXTURES = Path(__file__).resolve().parent / "fixtures"

# Returned by resolve() for values only known at deployment time (resource properties, tenant(), ...).
COMPUTED = "<computed at deployment>"
# Returned by resolve() for a parameter without a default: the deployment must supply it.
REQUIRED = "<required parameter>"

_INTERPOLATION = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


def bicep_files() -> list[Path]:
    """Every .bicep file of the repo (templates and test fixtures), skipping venvs, node_modules and caches."""
    found = []
    for folder, subfolders, files in os.walk(REPO_ROOT):
        subfolders[:] = [name for name in subfolders if not name.startswith(".") and name != "node_modules"]
        found += [Path(folder) / name for name in files if name.endswith(".bicep")]
    return sorted(found)


@cache
def parse(path: Path) -> dict[str, Any]:
    return BicepParser().parse(file_path=path)


def parse_text(text: str) -> dict[str, Any]:
    return BicepParser().parse(text=text)


def parse_bicepparam(text: str) -> dict[str, Any]:
    """A .bicepparam file's values: pycep has no `using`, so `param x = v` is read as `var x = v`."""
    lines = [line for line in text.splitlines() if not line.lstrip().startswith("using ")]
    body = "\n".join(re.sub(r"^param\s+", "var ", line) for line in lines) + "\n"
    variables = parse_text(body).get("variables", {})
    return {name: conf["value"] for name, conf in variables.items()}


def using_target(text: str) -> str:
    match = re.search(r"^using\s+'([^']+)'", text, re.MULTILINE)
    assert match, "a .bicepparam file starts with `using '<template>.bicep'`"
    return match.group(1)


class Template:
    """One parsed template, with helpers to find resources and resolve values to their defaults."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.text = path.read_text(encoding="utf-8")
        self.tree = parse(path)
        self.parameters: dict[str, Any] = self.tree.get("parameters", {})
        self.variables: dict[str, Any] = self.tree.get("variables", {})
        self.resources: dict[str, Any] = self.tree.get("resources", {})
        self.outputs: dict[str, Any] = self.tree.get("outputs", {})

    def resource(self, name: str) -> dict[str, Any]:
        """A resource's body; a conditional one (`= if (...) {...}`) without its condition."""
        config = self.resources[name]["config"]
        return config["config"] if "condition" in config else config

    def condition(self, name: str) -> Any:
        """A conditional resource's condition (resolve it to see when it is deployed); True for the others."""
        return self.resources[name]["config"].get("condition", True)

    def of_type(self, resource_type: str) -> dict[str, dict[str, Any]]:
        return {name: r for name, r in self.resources.items() if r["type"] == resource_type}

    def only(self, resource_type: str) -> tuple[str, dict[str, Any]]:
        found = self.of_type(resource_type)
        assert len(found) == 1, f"expected one {resource_type}, found {sorted(found)}"
        ((name, resource),) = found.items()
        return name, resource["config"]

    def variable(self, name: str) -> Any:
        return self.variables[name]["value"]

    def resolve(self, value: Any, overrides: dict[str, Any] | None = None) -> Any:
        """The value as deployed with every parameter at its default (or as in `overrides`).

        Handles what the templates use for settings: literals, parameter and variable references, string(),
        empty(), interpolation, `!` and the conditional operator. Resource properties and other functions are COMPUTED.
        """
        overrides = overrides or {}
        if isinstance(value, bool | int) or value is None:
            return value
        if isinstance(value, str):
            if value in overrides:
                return overrides[value]
            if value in self.parameters:
                default = self.parameters[value].get("default")
                return REQUIRED if default is None else self.resolve(default, overrides)
            if value in self.variables:
                return self.resolve(self.variable(value), overrides)
            return self._interpolate(value, overrides)
        if isinstance(value, list):
            return [self.resolve(item, overrides) for item in value]
        if isinstance(value, dict) and "function" in value:
            function = value["function"]
            if function["type"] == "string":
                inner = self.resolve(function["parameters"]["value_to_convert"], overrides)
                return inner if inner in (COMPUTED, REQUIRED) else _bicep_string(inner)
            if function["type"] == "empty":
                inner = self.resolve(function["parameters"]["item_to_test"], overrides)
                return COMPUTED if inner in (COMPUTED, REQUIRED) or inner is None else len(inner) == 0
            return COMPUTED
        if isinstance(value, dict) and "operator" in value:
            operator = value["operator"]
            if operator["type"] == "conditional":
                operands = operator["operands"]
                condition = self.resolve(operands["condition"], overrides)
                if isinstance(condition, bool):
                    return self.resolve(operands["true_value" if condition else "false_value"], overrides)
            if operator["type"] == "not":
                inner = self.resolve(operator["operands"]["bool_value"], overrides)
                return not inner if isinstance(inner, bool) else COMPUTED
            return COMPUTED
        if isinstance(value, dict):
            return {key: self.resolve(item, overrides) for key, item in value.items()}
        return COMPUTED

    def _interpolate(self, text: str, overrides: dict[str, Any]) -> str:
        if "${" not in text:
            return text

        def replace(match: re.Match[str]) -> str:
            resolved = self.resolve(match.group(1), overrides)
            if not isinstance(resolved, str | int) or resolved in (COMPUTED, REQUIRED) or resolved == match.group(1):
                raise _Unresolvable
            return str(resolved)

        try:
            result = _INTERPOLATION.sub(replace, text)
        except _Unresolvable:
            return COMPUTED
        return COMPUTED if "${" in result else result


class _Unresolvable(Exception):
    pass


def _bicep_string(value: Any) -> str:
    """What Bicep's string() makes of a value: JSON for objects and arrays, lowercase booleans."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | dict):
        return json.dumps(value, separators=(",", ":"))
    return str(value)


@cache
def main_template() -> Template:
    return Template(MAIN)


@cache
def graph_template() -> Template:
    return Template(GRAPH_ROLES)
