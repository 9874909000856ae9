from datetime import timedelta

import pytest

from shared.iso_duration import parse_iso_duration


@pytest.mark.parametrize(("text", "expected"), [
    ("PT40M", timedelta(minutes=40)),
    ("PT1H30M", timedelta(hours=1, minutes=30)),
    ("P1D", timedelta(days=1)),
    ("P1W", timedelta(days=7)),
    ("P1DT2H", timedelta(days=1, hours=2)),
    ("PT0.5S", timedelta(seconds=0.5)),
    ("P10675199DT2H48M5.4775807S", timedelta(days=10675199, hours=2, minutes=48, seconds=5.4775807)),  # Graph's "never"
    ("P99999999999D", timedelta.max),  # beyond what Python holds
])
def test_graph_intervals(text, expected):
    assert parse_iso_duration(text) == expected


@pytest.mark.parametrize("text", [None, "", "P", "PT", "P1DT", "P1M", "P1Y", "40 minutes", "-PT5M"])
def test_anything_else_is_none(text):
    assert parse_iso_duration(text) is None
