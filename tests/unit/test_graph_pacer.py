import asyncio

from shared.adapters.graph_pacer import SlidingWindowPacer


class FakeClock:
    """Time that moves only when the pacer sleeps, so the test measures decisions, not the machine."""

    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def paced(pacer, clock, units_list, monkeypatch):
    async def sleep(seconds):
        clock.now += seconds

    monkeypatch.setattr(asyncio, "sleep", sleep)

    async def run():
        stamps = []
        for units in units_list:
            await pacer.acquire(units)
            stamps.append(clock.now)
        return stamps

    return asyncio.run(run())


def test_units_in_any_sliding_window_stay_under_the_limit(monkeypatch):
    clock = FakeClock()
    pacer = SlidingWindowPacer(100, window_seconds=10, margin_seconds=0, clock=clock)
    stamps = paced(pacer, clock, [20] * 12, monkeypatch)
    assert stamps[:5] == [0.0] * 5  # 100 units at once
    spent = list(zip(stamps, [20] * 12))
    for start, _ in spent:
        assert sum(u for t, u in spent if start - 10 < t <= start) <= 100


def test_retry_after_pauses_every_request(monkeypatch):
    clock = FakeClock()
    pacer = SlidingWindowPacer(100, clock=clock)
    pacer.observe({"Retry-After": "2.5"})
    assert paced(pacer, clock, [1], monkeypatch) == [2.5]


def test_high_throttle_percentage_tightens_the_limit():
    pacer = SlidingWindowPacer(1000)
    pacer.observe({"x-ms-throttle-limit-percentage": "0.8"})
    assert pacer.limit == 1000
    pacer.observe({"x-ms-throttle-limit-percentage": "0.95"})
    assert pacer.limit == 900


def test_many_answers_with_a_high_percentage_tighten_the_limit_only_once():
    """Bug found by the benchmark: every answer of a busy window shrank the limit by a tenth again,
    until the pacer let one unit through per window and the tick hung."""
    pacer = SlidingWindowPacer(8000)
    for _ in range(500):
        pacer.observe({"x-ms-throttle-limit-percentage": "0.97"})
    assert pacer.limit == 7200


def test_units_are_kept_a_margin_longer_than_graph_keeps_them(monkeypatch):
    clock = FakeClock()
    pacer = SlidingWindowPacer(10, window_seconds=10, margin_seconds=1, clock=clock)
    assert paced(pacer, clock, [10, 1], monkeypatch) == [0.0, 11.0]


def test_holding_is_set_once_a_request_has_to_wait(monkeypatch):
    """The tick starts its storage work then: Graph takes no more for now."""
    clock = FakeClock()
    pacer = SlidingWindowPacer(100, window_seconds=10, margin_seconds=0, clock=clock)
    paced(pacer, clock, [50, 50], monkeypatch)
    assert not pacer.holding.is_set()
    paced(pacer, clock, [1], monkeypatch)
    assert pacer.holding.is_set()
