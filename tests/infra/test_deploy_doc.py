"""docs/deploy.md walks from an empty resource group to the first alert, with the commands that exist."""

from __future__ import annotations

import re

from tests.infra.bicep import INFRA, REPO_ROOT, main_template

DOC = (REPO_ROOT / "docs" / "deploy.md").read_text(encoding="utf-8")


def test_the_steps_are_in_order():
    steps = re.findall(r"^## (\d+)\. ", DOC, re.MULTILINE)
    assert steps == [str(n) for n in range(1, len(steps) + 1)] and len(steps) >= 7


def test_the_commands_of_each_step():
    for command in (
        "az group create",
        "--template-file infra/bicep/main.bicep --parameters infra/bicep/",
        "--template-file infra/bicep/graph-roles.bicep --parameters principalId=",
        "infra/grant-graph-roles.sh",
        "az keyvault secret set",
        "make package",
        "az functionapp deployment source config-zip",
        "--src dist/syncwatch.zip",
        "az monitor app-insights query",
        "az storage message peek --auth-mode login",
    ):
        assert command in DOC, command


def test_every_parameter_is_documented():
    missing = [name for name in main_template().parameters if f"`{name}`" not in DOC]
    assert missing == []


def test_every_output_the_doc_reads_exists():
    used = set(re.findall(r"(?:\$\(out|^out) (\w+)", DOC, re.MULTILINE))
    assert used and used <= set(main_template().outputs)


def test_the_package_it_publishes_is_the_one_make_package_builds():
    assert 'DEFAULT_OUTPUT = REPO_ROOT / "dist" / "syncwatch.zip"' in (INFRA / "package.py").read_text(encoding="utf-8")
