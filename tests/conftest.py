"""Shared fixtures: real Azurite (started once per session) and a fresh Graph simulator per test."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
import stamina

from shared.settings import Settings, load_settings
from shared.simulator.azurite import Azurite, start_azurite
from shared.simulator.graph import GraphSimulator
from shared.simulator.teams_sink import TeamsSink
from tests.builders import TENANT


@pytest.fixture(scope="session")
def azurite() -> Iterator[Azurite]:
    with start_azurite() as running:
        yield running


@pytest.fixture
def sim() -> Iterator[GraphSimulator]:
    with GraphSimulator(tenant_id=TENANT) as running:
        yield running


@pytest.fixture
def environ(azurite: Azurite, sim: GraphSimulator) -> dict[str, str]:
    """Settings as app settings, with a table and queue of the test's own."""
    suffix = uuid.uuid4().hex[:10]
    return {
        "AZURE_TENANT_ID": TENANT,
        "GRAPH_BASE_URL": sim.base_url,
        "AzureWebJobsStorage": azurite.connection_string,
        "SNAPSHOT_TABLE": f"snap{suffix}",
        "TRANSITIONS_QUEUE": f"transitions-{suffix}",
        "DISCOVERY_INTERVAL": "5m",  # a discovery cycle every tick, so SPs added mid-test are found at once
    }


@pytest.fixture
def settings(environ: dict[str, str]) -> Settings:
    return load_settings(environ)


@pytest.fixture
def teams() -> Iterator[TeamsSink]:
    with TeamsSink() as running:
        yield running


@pytest.fixture
def no_retry_waits() -> Iterator[None]:
    """stamina's test mode: Teams retries happen (up to 3 attempts) but without waiting."""
    with stamina.set_testing(True, attempts=3):
        yield
