"""One process-wide rate: a pause after a 429 holds back requests that already had a slot."""

from __future__ import annotations

import threading

from virtual_clock import VirtualClock, VirtualStop

from target_gong_di.delivery import pacing
from target_gong_di.delivery.pacing import RateLimiter


def test_a_pause_after_429_holds_back_requests_that_already_had_a_slot(monkeypatch):
    # The limiter's time is a virtual clock the test moves: which request starts before or
    # after the pause is then a fact of the order of events, not of this machine's speed.
    clock = VirtualClock()
    monkeypatch.setattr(pacing, "time", clock)
    stopped = VirtualStop(clock)
    limiter = RateLimiter(3, stopped)
    starts: list[float] = []

    def request() -> None:
        limiter.acquire()
        starts.append(clock.monotonic())

    threads = [threading.Thread(target=request) for _ in range(4)]

    def waiting() -> int:
        return len(threads) - len(starts)

    for thread in threads:
        thread.start()
    clock.settle(waiting)  # the first starts at once; three hold slots after it
    clock.advance(0.05)
    clock.settle(waiting)
    paused_at = clock.monotonic()
    resume = paused_at + 1.0
    limiter.throttled(1.0)
    for _ in range(100):  # 5 s of virtual time: far past the pause and every slot
        if not waiting():
            break
        clock.advance(0.05)
        clock.settle(waiting)
    stopped.set()
    for thread in threads:
        thread.join(timeout=10)
    later = [start for start in starts if start >= paused_at]
    assert len(starts) == 4
    assert len(later) == 3  # only the first slot comes before the pause
    assert min(later) >= resume
