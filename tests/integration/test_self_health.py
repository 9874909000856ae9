"""syncwatch watching itself: the health endpoint and the unhealthy / recovered cards."""

import asyncio
import json
from datetime import timedelta

import pytest
from azure.functions import HttpRequest

from shared.bootstrap import read_health
from shared.settings import load_settings
from shared.simulator.scenarios import DemoTenant
from tests.cards import assert_valid_card, card_of, card_texts
from tests.integration.functions import functions
from tests.integration.ticks import tick


def test_three_failed_ticks_post_one_unhealthy_card_naming_the_cause_then_one_recovery_card(environ, sim, teams):
    settings = load_settings({**environ, "TEAMS_WEBHOOK_URL": teams.new_webhook("default")})
    DemoTenant(sim)
    tick(settings, sim)
    sim.fail("/servicePrincipals?", status=403, times=4)  # a revoked Application.Read.All
    for _ in range(4):
        assert tick(settings, sim).exit_code == 1
    [alert] = teams.posts("default")
    card = card_of(alert)
    assert_valid_card(card)
    assert "syncwatch is unhealthy: 3 ticks in a row failed" in card_texts(card)
    assert "403" in card_texts(card) and "Application.Read.All" in card_texts(card)
    assert tick(settings, sim).exit_code == 0
    assert "healthy again" in card_texts(card_of(teams.posts("default")[-1])) and len(teams.posts("default")) == 2


def health_body(health_function, environ, monkeypatch):
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    request = HttpRequest(method="GET", url="/api/health", body=b"")
    response = asyncio.run(health_function(request))
    return response.status_code, json.loads(response.get_body())


@pytest.fixture(scope="module")
def health_function():
    return functions()["health"].get_user_function()


def test_health_endpoint_is_200_after_a_successful_tick_and_503_when_stale(environ, sim, monkeypatch, health_function):
    settings = load_settings(environ)
    DemoTenant(sim)
    tick(settings, sim)  # the tick records its health at the simulator's clock
    status, body = health_body(health_function, environ, monkeypatch)
    assert status == 503 and body["healthy"] is False  # the simulator's clock is hours behind the wall clock
    fresh, healthy = asyncio.run(read_health(settings, now=sim.clock))
    assert healthy and fresh["consecutiveFailures"] == 0 and "tick" in fresh["lastSummary"]
    _, stale = asyncio.run(read_health(settings, now=sim.clock + timedelta(minutes=16)))
    assert not stale


def test_health_without_any_tick_is_503(environ, monkeypatch, health_function):
    status, body = health_body(health_function, environ, monkeypatch)
    assert status == 503 and body["lastSuccessAt"] is None
