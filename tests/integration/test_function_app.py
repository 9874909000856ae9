"""The Functions entry point, called the way the azure-functions library documents: the plain body."""

import asyncio
import logging
import subprocess
import sys
from pathlib import Path

import pytest
from azure.functions.timer import TimerRequest

from shared.simulator.scenarios import DemoTenant
from tests.integration.functions import functions
from tests.integration.queue_reader import queued_events

REPO = Path(__file__).resolve().parents[2]
HEAVY = ("msgraph", "kiota", "azure.storage", "azure.data", "azure.identity", "cloudevents", "httpx", "aiohttp")


@pytest.fixture(scope="module")
def poll_body():
    function = functions()["poll"]
    trigger = function.get_bindings()[0]
    assert trigger.type == "timerTrigger" and trigger.schedule == "%POLL_SCHEDULE%"
    return function.get_user_function()


def test_timer_body_runs_one_tick_and_logs_a_summary(poll_body, environ, settings, sim, monkeypatch, caplog):
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    DemoTenant(sim)
    caplog.set_level(logging.INFO)
    asyncio.run(poll_body(TimerRequest(past_due=True)))
    assert "past due" in caplog.text
    assert sum("tick " in r.message and "7 transitions" in r.message for r in caplog.records) == 1
    assert len(queued_events(settings)) == 7


def test_timer_body_raises_on_invalid_settings(poll_body, monkeypatch):
    monkeypatch.delenv("AZURE_TENANT_ID", raising=False)
    monkeypatch.setenv("AzureWebJobsStorage", "UseDevelopmentStorage=true")
    from shared.errors import SettingsError

    with pytest.raises(SettingsError, match="AZURE_TENANT_ID"):
        asyncio.run(poll_body(TimerRequest(past_due=False)))


def test_importing_function_app_loads_no_sdk():
    code = "import sys, function_app; print(','.join(sorted(m for m in sys.modules if m.startswith(%r))))" % (HEAVY,)
    loaded = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True).stdout.strip()
    assert loaded == ""


def test_health_is_an_http_get_with_function_level_auth():
    function = functions()["health"]
    [trigger] = [b for b in function.get_bindings() if b.type == "httpTrigger"]
    assert trigger.methods == ["GET"] or [str(m) for m in trigger.methods] == ["GET"] or "GET" in str(trigger.methods)
    assert "function" in str(trigger.auth_level).lower() and trigger.route == "health"
