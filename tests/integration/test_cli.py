"""`python -m shared` as a user runs it: real processes, exit codes and output."""

import os
import subprocess
import sys
from pathlib import Path

from shared import __version__
from shared.simulator.scenarios import DemoTenant

REPO = Path(__file__).resolve().parents[2]


def cli(*args, env):
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("AZURE_", "GRAPH_", "AzureWebJobs", "SNAPSHOT", "TRANSITIONS"))}
    return subprocess.run([sys.executable, "-m", "shared", *args], cwd=REPO, env={**clean, **env}, capture_output=True, text=True, timeout=120)


def test_version():
    result = cli("--version", env={})
    assert result.returncode == 0 and result.stdout.strip() == f"syncwatch {__version__}"


def test_poll_once_exits_0_and_prints_each_transition(environ, sim):
    tenant = DemoTenant(sim)
    first = cli("poll", "--once", env=environ)
    assert first.returncode == 0, first.stderr
    assert first.stdout.count("added") >= 5 and "(baseline)" in first.stdout
    sim.set_status(tenant.salesforce, tenant.salesforce_job, code="Quarantine")
    second = cli("poll", "--once", env=environ)
    assert second.returncode == 0
    assert "Salesforce / salesforce: Active → Quarantine" in second.stdout and "critical" in second.stdout


def test_poll_once_exits_1_with_one_stderr_line_naming_the_unread_sp(environ, sim):
    tenant = DemoTenant(sim)
    sim.fail(f"/servicePrincipals/{tenant.workday}/synchronization/jobs", status=500)
    result = cli("poll", "--once", env=environ)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and tenant.workday in lines[0] and "retried next tick" in lines[0]


def test_bad_setting_exits_2_naming_it_and_no_secret(environ):
    result = cli("poll", "--once", env={**environ, "TRANSITIONS_QUEUE": "Not_Valid"})
    assert result.returncode == 2
    assert "TRANSITIONS_QUEUE" in result.stderr and result.stderr.count("\n") == 1
    assert "Eby8vdM02x" not in result.stderr + result.stdout


def test_plain_http_graph_url_is_refused_with_https_in_the_line(environ):
    result = cli("poll", "--once", env={**environ, "GRAPH_BASE_URL": "http://graph.example.com/v1.0"})
    assert result.returncode == 2 and "https" in result.stderr and "GRAPH_BASE_URL" in result.stderr


def test_unknown_command_is_a_usage_error():
    assert cli("frobnicate", env={}).returncode == 2
