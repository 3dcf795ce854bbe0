"""One process-wide rate: a pause after a 429 holds back requests that already had a slot."""

from __future__ import annotations

import threading
import time

from target_gong_di.delivery.pacing import RateLimiter


def test_a_pause_after_429_holds_back_requests_that_already_had_a_slot():
    stopped = threading.Event()
    limiter = RateLimiter(3, stopped)
    starts: list[float] = []

    def request() -> None:
        limiter.acquire()
        starts.append(time.monotonic())

    threads = [threading.Thread(target=request) for _ in range(4)]
    for thread in threads:
        thread.start()
    time.sleep(0.05)
    paused_at = time.monotonic()
    resume = paused_at + 1.0
    limiter.throttled(1.0)
    for thread in threads:
        thread.join(timeout=10)
    later = [start for start in starts if start >= paused_at]
    assert len(starts) == 4
    assert len(later) >= 2  # normally 3: only the first slot comes before the pause
    assert min(later) >= resume
