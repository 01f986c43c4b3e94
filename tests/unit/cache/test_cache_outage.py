import logging

import pytest

from fastmvc.cache._outage import OutageTracker


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_failure_opens_a_backoff_window(caplog: pytest.LogCaptureFixture) -> None:
    clock = FakeClock()
    tracker = OutageTracker(backoff=2, warn_interval=30, clock=clock)
    assert not tracker.skipping
    tracker.failed("get", ConnectionError("down"))
    assert tracker.skipping
    clock.now = 1.99
    assert tracker.skipping
    clock.now = 2.0
    assert not tracker.skipping


def test_warnings_are_rate_limited_and_recovery_logged_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock = FakeClock()
    tracker = OutageTracker(backoff=1, warn_interval=30, clock=clock)
    with caplog.at_level(logging.INFO, logger="fastmvc.cache"):
        for second in range(30):
            clock.now = float(second)
            tracker.failed("get", ConnectionError("down"))
        clock.now = 30.0
        tracker.failed("set", ConnectionError("down"))
        tracker.succeeded()
        tracker.succeeded()
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    infos = [r for r in caplog.records if r.levelno == logging.INFO]
    assert len(warnings) == 2
    assert "during get" in warnings[0].getMessage()
    assert "during set" in warnings[1].getMessage()
    assert len(infos) == 1
