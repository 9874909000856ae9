"""checkov over the Bicep templates, offline, from its own venv (.venv-checkov: it pins an older pycep-parser).

checkov exits 0 even when it cannot parse a file (it reports a parsing error), so the JSON summary is read and
both failed checks and parsing errors must be 0. The custom checks in infra/checkov must pass on main.bicep and
fail on a deliberately insecure fixture: a check that never fails proves nothing.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.infra.bicep import BICEP_DIR, FIXTURES, INFRA, REPO_ROOT

CHECKOV = REPO_ROOT / ".venv-checkov" / "bin" / "checkov"
CONFIG = INFRA / ".checkov.yaml"
CUSTOM_CHECKS = INFRA / "checkov"
INSECURE = FIXTURES / "insecure.bicep"
# Files checkov cannot parse and that are checked with pycep-parser instead (tests/infra/test_graph_roles.py).
NOT_SCANNED = {"graph-roles.bicep"}
# The custom checks the insecure fixture must trip: check id -> resources (symbolic names) that fail it.
EXPECTED_FAILURES = {
    "CKV2_SYNCWATCH_1": {"insecureStorage"},  # shared keys allowed
    "CKV2_SYNCWATCH_2": {"insecureStorage"},  # public blob access
    "CKV2_SYNCWATCH_3": {"insecureStorage"},  # TLS 1.0, plain HTTP
    "CKV2_SYNCWATCH_4": {"insecureSite"},  # plain HTTP, TLS 1.0, FTP
    "CKV2_SYNCWATCH_5": {"insecureSite", "leakyWebhookSite", "keyedStorageSite"},  # plain secrets in app settings
    "CKV2_SYNCWATCH_6": {"insecureSite"},  # deployment storage by connection string
    "CKV2_SYNCWATCH_7": {"insecureInsights"},  # local auth
    "CKV2_SYNCWATCH_8": {"insecureVault"},  # access policies
}


def custom_check_ids() -> set[str]:
    ids = set()
    for path in CUSTOM_CHECKS.glob("*.yaml"):
        match = re.search(r'^\s+id:\s*"?([A-Z0-9_]+)"?\s*$', path.read_text(encoding="utf-8"), re.MULTILINE)
        assert match, f"{path.name} has no metadata id"
        ids.add(match.group(1))
    return ids


@pytest.fixture(scope="module")
def reports() -> dict[str, dict[str, Any]]:
    """Both checkov runs, in parallel: the repo's configuration, and the custom checks over the insecure fixture."""
    if not CHECKOV.exists():
        pytest.fail(
            f"{CHECKOV.relative_to(REPO_ROOT)} is missing: create it with `make .venv-checkov/.ready` "
            "(python3.11 -m venv .venv-checkov && .venv-checkov/bin/pip install -r infra/requirements-checkov.txt)"
        )
    env = {**os.environ, "LOG_LEVEL": "WARNING", "BC_SKIP_MAPPING": "TRUE", "CHECKOV_RUN_SCA_PACKAGE_SCAN_V2": "false"}
    commands = {
        "repo": [str(CHECKOV), "--config-file", str(CONFIG), "--output", "json"],
        "insecure": [
            str(CHECKOV),
            "--file",
            str(INSECURE),
            "--framework",
            "bicep",
            "--skip-download",
            "--external-checks-dir",
            str(CUSTOM_CHECKS),
            "--check",
            ",".join(sorted(custom_check_ids())),
            "--output",
            "json",
            "--compact",
        ],
    }
    running = {
        name: subprocess.Popen(cmd, cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for name, cmd in commands.items()
    }
    results = {}
    for name, process in running.items():
        stdout, stderr = process.communicate(timeout=120)
        # 0: all passed; 1: some check failed (expected for the insecure fixture). Anything else is a crash.
        assert process.returncode in (0, 1), f"checkov ({name}) exited {process.returncode}: {stderr[-2000:]}"
        results[name] = _single_report(stdout, name)
    return results


def test_the_templates_pass_every_check_and_parse(reports):
    report = reports["repo"]
    summary = report["summary"]
    failed = [f"{c['check_id']} {c['resource']}: {c['check_name']}" for c in report["results"]["failed_checks"]]
    assert failed == [], "fix the template, or skip the check in infra/.checkov.yaml with a one-line reason"
    assert summary["failed"] == 0
    assert summary["parsing_errors"] == 0, f"checkov could not parse: {report['results'].get('parsing_errors')}"
    assert summary["passed"] > 0 and summary["resource_count"] > 0


def test_every_template_but_the_graph_one_was_scanned(reports):
    scanned = {Path(c["file_path"]).name for c in reports["repo"]["results"]["passed_checks"]}
    assert scanned == {path.name for path in BICEP_DIR.glob("*.bicep")} - NOT_SCANNED


def test_the_custom_checks_pass_on_the_templates(reports):
    passed = {c["check_id"] for c in reports["repo"]["results"]["passed_checks"]}
    assert custom_check_ids() <= passed


def test_the_custom_checks_fail_on_insecure_resources(reports):
    report = reports["insecure"]
    assert report["summary"]["parsing_errors"] == 0
    failures: dict[str, set[str]] = {}
    for check in report["results"]["failed_checks"]:
        failures.setdefault(check["check_id"], set()).add(check["resource"].split(".")[-1])
    assert set(EXPECTED_FAILURES) == custom_check_ids(), "every custom check needs an insecure example"
    assert failures == EXPECTED_FAILURES


def test_every_skip_has_a_reason_and_the_graph_file_is_the_only_skipped_path():
    lines = CONFIG.read_text(encoding="utf-8").splitlines()
    section = None
    skip_paths = []
    for index, line in enumerate(lines):
        if re.match(r"^[a-z-]+:", line):
            section = line.split(":")[0]
            continue
        item = re.match(r"^\s+-\s+(\S+)\s*$", line)
        if not item:
            continue
        if section == "skip-check":
            assert lines[index - 1].lstrip().startswith("# "), (
                f"skip of {item.group(1)} has no one-line reason above it"
            )
        if section == "skip-path":
            skip_paths.append(item.group(1))
    assert [Path(p).name for p in skip_paths] == sorted(NOT_SCANNED)


def _single_report(stdout: str, name: str) -> dict[str, Any]:
    try:
        data = json.loads(stdout)
    except ValueError as error:
        raise AssertionError(f"checkov ({name}) printed no JSON: {stdout[:2000]}") from error
    reports = data if isinstance(data, list) else [data]
    bicep = [r for r in reports if r.get("check_type") == "bicep"]
    assert len(bicep) == 1, f"checkov ({name}) produced no bicep report: {stdout[:2000]}"
    return bicep[0]
