from datetime import datetime, timedelta, timezone

import pytest

from shared.health import FAILURES_BEFORE_ALERT, Health, Notice, after_tick, is_stale, schedule_period

NOW = datetime(2026, 11, 25, 10, tzinfo=timezone.utc)


def fail(health, n=1):
    notices = []
    for i in range(n):
        health, notice = after_tick(health, now=NOW + timedelta(minutes=5 * i), succeeded=False, summary="", problem="403")
        notices.append(notice)
    return health, notices


def test_three_failed_ticks_in_a_row_raise_one_unhealthy_notice():
    health, notices = fail(Health(), 5)
    assert notices == [Notice.NONE, Notice.NONE, Notice.UNHEALTHY, Notice.NONE, Notice.NONE]
    assert FAILURES_BEFORE_ALERT == 3 and health.alerted and health.consecutive_failures == 5


def test_a_success_after_an_alert_is_one_recovery_notice():
    health, _ = fail(Health(), 3)
    health, notice = after_tick(health, now=NOW, succeeded=True, summary="ok", problem="")
    assert notice is Notice.RECOVERED and not health.alerted and health.consecutive_failures == 0
    assert after_tick(health, now=NOW, succeeded=True, summary="ok", problem="")[1] is Notice.NONE


def test_a_success_before_the_alert_resets_the_count_quietly():
    health, _ = fail(Health(), 2)
    health, notice = after_tick(health, now=NOW, succeeded=True, summary="ok", problem="")
    assert notice is Notice.NONE
    assert fail(health, 2)[1] == [Notice.NONE, Notice.NONE]


@pytest.mark.parametrize(
    ("schedule", "period"),
    [("0 */5 * * * *", timedelta(minutes=5)), ("0 0 * * * *", timedelta(hours=1)), ("*/30 * * * * *", timedelta(seconds=30)),
     ("0 0,15,30,45 * * * *", timedelta(minutes=15)), ("0 0 */2 * * *", timedelta(hours=2)), (None, timedelta(minutes=5))],
)
def test_schedule_period(schedule, period):
    assert schedule_period(schedule) == period


def test_stale_after_three_periods_without_success():
    period = timedelta(minutes=5)
    assert is_stale(Health(), now=NOW, period=period)
    assert not is_stale(Health(last_success_at=NOW - timedelta(minutes=15)), now=NOW, period=period)
    assert is_stale(Health(last_success_at=NOW - timedelta(minutes=16)), now=NOW, period=period)
