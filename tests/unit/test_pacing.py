"""How many requests may be in flight: Little's law from the observed latency, with a cap."""

from __future__ import annotations

import threading

import pytest

from target_gong_di.delivery.pacing import (
    FAILURE_WINDOW,
    SLOWDOWN,
    ConcurrencySizer,
    RateLimiter,
    ThrottleStreak,
)


def test_one_request_until_the_first_answer_says_what_latency_is():
    assert ConcurrencySizer(rate=20, cap=64).limit == 1


def test_limit_is_rate_times_latency_with_headroom():
    sizer = ConcurrencySizer(rate=20, cap=64)
    sizer.observe(0.3, failed=False)
    assert sizer.limit == 10  # 20/s x 0.3 s = 6, x1.5 headroom = 9, +1


def test_limit_follows_latency_as_it_changes():
    sizer = ConcurrencySizer(rate=100, cap=64)
    sizer.observe(0.05, failed=False)
    low = sizer.limit
    for _ in range(30):
        sizer.observe(0.3, failed=False)
    assert sizer.limit > 3 * low


def test_max_concurrency_caps_the_limit():
    sizer = ConcurrencySizer(rate=10_000, cap=64)
    sizer.observe(1.0, failed=False)
    assert sizer.limit == 64


def test_a_cluster_of_failures_halves_the_limit():
    sizer = ConcurrencySizer(rate=100, cap=64)
    sizer.observe(1.0, failed=False)
    assert sizer.limit == 64
    for _ in range(FAILURE_WINDOW):
        sizer.observe(1.0, failed=True)
    assert sizer.limit <= 32


def test_scattered_failures_leave_the_limit_alone():
    sizer = ConcurrencySizer(rate=100, cap=64)
    for number in range(100):
        sizer.observe(1.0, failed=number % 10 == 0)
    assert sizer.limit == 64


def test_the_limit_recovers_after_failures_stop():
    sizer = ConcurrencySizer(rate=100, cap=64)
    for _ in range(FAILURE_WINDOW):
        sizer.observe(1.0, failed=True)
    halved = sizer.limit
    for _ in range(2000):
        sizer.observe(1.0, failed=False)
    assert sizer.limit > halved


def test_a_429_slows_the_pace_below_the_configured_rate():
    limiter = RateLimiter(60, threading.Event())
    limiter.throttled(0.0)
    assert limiter.rate == pytest.approx(60 / SLOWDOWN)


def test_429s_from_requests_already_in_flight_slow_the_pace_once():
    limiter = RateLimiter(60, threading.Event())
    for _ in range(5):
        limiter.throttled(1.0)
    assert limiter.rate == pytest.approx(60 / SLOWDOWN)


def test_a_throttle_streak_lasts_from_its_first_429():
    streak = ThrottleStreak()
    assert [streak.throttled(now) for now in (10.0, 11.0, 13.5)] == [0.0, 1.0, 3.5]


def test_an_event_gong_accepts_ends_the_throttle_streak():
    streak = ThrottleStreak()
    streak.throttled(10.0)
    streak.answered()
    assert streak.throttled(20.0) == 0.0
