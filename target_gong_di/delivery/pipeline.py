"""Streams events to Gong: a bounded queue in, one dispatcher, requests in flight, outcomes out.

Gong takes one event per request, so nothing is gained by holding events back: each one
handed to ``submit`` is sent as soon as the rate allows. First the ledger settles the
events Gong already has, in chunks of ``LOOKUP_CHUNK``, so they cost no request and no rate
slot: a full chunk is checked by the thread that submits it, the rest by a checker thread
(waiting at most ``LINGER_SECONDS`` for a chunk to fill, not at all after a STATE or at the
end of input). The dispatcher thread picks the
next event (a retry whose wait is over first, else the oldest fresh one), takes a slot from
the ``RateLimiter`` and, while the ``ConcurrencySizer`` allows another request in flight,
hands it to a worker thread. A worker makes one attempt; an event that must wait (backoff
or Retry-After) goes back to the dispatcher with a due time instead of holding its worker,
so waiting never keeps fresh events from the free capacity. Order of delivery does not
matter to Gong; the order of STATE does, and ``Checkpoints`` keeps that.
"""

from __future__ import annotations

import collections
import heapq
import itertools
import threading
import time
import typing as t
from concurrent.futures import ThreadPoolExecutor
from http import HTTPStatus

from target_gong_di.delivery.answers import Refused, RetryPolicy, Settled, Stop, TryAgain
from target_gong_di.delivery.events import Event, Outcome
from target_gong_di.delivery.pacing import ThrottleStreak
from target_gong_di.delivery.send_limit import SendLimit
from target_gong_di.exceptions import DeliveryStopped, RetriesExhausted
from target_gong_di.ledger import LOOKUP_CHUNK, SkipStatus

LINGER_SECONDS = 0.02
"""How long the checker thread waits for a chunk to fill once an event is waiting.

A re-sync reads a chunk of ``LOOKUP_CHUNK`` records in about 15 ms (and checks it itself,
``submit``); checking whatever had arrived at each wake-up took ~60 records per lookup and a
thread switch per record. A quiet tap's lone record waits this long at most, and a STATE or
the end of input (``hurry``) does not wait at all.
"""

if t.TYPE_CHECKING:
    import logging

    from target_gong_di.delivery.client import GongClient
    from target_gong_di.delivery.pacing import ConcurrencySizer, Pacer
    from target_gong_di.ledger import DeliveryLedger
    from target_gong_di.stop import Stop as RunStop  # not the answer ``Stop``


class DeliveryPipeline:
    """Sends submitted events under one rate limit; says how each ended through its owner."""

    def __init__(
        self,
        client: GongClient,
        limiter: Pacer,
        sizer: ConcurrencySizer,
        policy: RetryPolicy,
        logger: logging.Logger,
        *,
        ledger: DeliveryLedger,
        queue_size: int,
        max_concurrency: int,
        stop: RunStop,
        on_stop: t.Callable[[DeliveryStopped], None] = lambda cause: None,
        send_limit: int | None = None,
    ) -> None:
        """Start the checker and the dispatcher.

        ``send_limit`` (``--send-sample``): deliver at most that many events, then send
        nothing more and drop what is queued or submitted later (``limit_reached``).
        """
        self._client = client
        self._ledger = ledger
        self._limiter = limiter
        self._sizer = sizer
        self._policy = policy
        self._logger = logger
        self._queue_size = queue_size
        self._stop = stop
        self._stopped = stop.requested
        self._on_stop = on_stop
        # What follows is guarded by ``_mutex`` (taken directly: a Condition's own ``with``
        # is two Python calls, paid per record); ``_changed`` is waited on and notified.
        self._mutex = threading.RLock()
        self._changed = threading.Condition(self._mutex)
        self._unchecked: collections.deque[Event] = collections.deque()  # not yet in ledger
        self._hurried = False  # check what waits now, until nothing does (``hurry``)
        self._fresh: collections.deque[Event] = collections.deque()  # news for Gong
        self._waiting: list[tuple[float, int, Event]] = []  # (due, tie-break, event) heap
        self._tie = itertools.count()
        self._in_flight = 0
        self._unsettled = 0
        self._answered = False
        self._limit = SendLimit(send_limit)
        self._streak = ThrottleStreak()
        self._workers = ThreadPoolExecutor(max_concurrency, thread_name_prefix="gong-di")
        self._threads = [
            threading.Thread(target=self._check, name="gong-di-ledger-check", daemon=True),
            threading.Thread(target=self._dispatch, name="gong-di-dispatcher", daemon=True),
        ]
        for thread in self._threads:
            thread.start()

    # The producer's side.

    def submit(self, event: Event) -> None:
        """Queue ``event`` for sending; blocks while the queue is full (memory stays flat).

        The event that fills a chunk has the chunk checked here, in the submitting thread: a
        re-sync's lookups then cost no thread switches (the checker thread taking the GIL
        back cost a re-sync a quarter of its CPU time). Once nothing more is sent
        (``sends_nothing_more``) the event is dropped: it is not sent, not settled.
        """
        with self._mutex:
            while self._full() and self._stop.cause is None and not self._limit.reached:
                self._changed.wait()
            self._raise_if_stopped()
            if self._limit.reached or self._stop.finishing:
                return
            self._unchecked.append(event)
            self._unsettled += 1
            unchecked = len(self._unchecked)
            chunk = self._take_chunk() if unchecked >= LOOKUP_CHUNK else None
            if unchecked == 1 or self._full():  # what the checker waits for
                self._changed.notify_all()
        if chunk:
            self._check_or_stop(chunk)
            with self._mutex:
                self._raise_if_stopped()

    def hurry(self) -> None:
        """Check what waits without waiting for a full chunk: a STATE or the input's end.

        Until nothing waits to be checked; then chunks fill again (``LINGER_SECONDS``).
        """
        with self._mutex:
            if self._unchecked:
                self._hurried = True
                self._changed.notify_all()

    def wait_until_settled(self, timeout: float | None = None) -> None:
        """Return once every submitted event has its outcome (or after ``timeout``).

        Raises if delivery stopped, unless for a cause the run finishes at (then what has
        not settled never will). A stop waits with a ``timeout``: what has not settled by
        then is simply not covered by the STATE it forwards.
        """
        with self._mutex:
            if self._unchecked:
                self._hurried = True
                self._changed.notify_all()
            self._changed.wait_for(
                lambda: self._unsettled == 0 or self._stop.cause is not None, timeout
            )
            self._raise_if_stopped()

    def _waiting_count(self) -> int:
        return len(self._unchecked) + len(self._fresh)

    def _full(self) -> bool:
        """Whether ``submit`` blocks: no chunk fills further until the checker takes some."""
        return self._waiting_count() >= self._queue_size

    def _raise_if_stopped(self) -> None:
        if self._stop.cause is not None and not self._stop.finishing:
            raise self._stop.cause

    @property
    def limit_reached(self) -> bool:
        """True once ``send_limit`` events were delivered: what comes next is not sent."""
        with self._mutex:
            return self._limit.reached

    @property
    def sends_nothing_more(self) -> bool:
        """True once what is submitted is dropped, so the reader only reads on.

        The send limit is reached, or a daily limit the run finishes at: no body is built.
        Read without the lock, once per record: both only ever turn true, and ``submit``
        asks again under the lock, so a record read as the limit was reached is dropped there.
        """
        return self._limit.reached or self._stop.finishing

    @property
    def limit_delivered(self) -> int:
        """Events counted toward ``send_limit`` so far (each one Gong keeps from this run)."""
        with self._mutex:
            return self._limit.delivered

    def _drop_unsent(self) -> None:
        """The send limit is reached: forget what waits to be checked or sent (lock held)."""
        self._unsettled -= len(self._unchecked) + len(self._fresh)
        self._unchecked.clear()
        self._fresh.clear()

    @property
    def in_flight(self) -> int:
        """Requests sent and not yet answered."""
        return self._in_flight

    @property
    def stop_cause(self) -> DeliveryStopped | None:
        """Why delivery stopped, once it has."""
        return self._stop.cause

    def stop(self, cause: DeliveryStopped) -> None:
        """Start no new request; requests in flight finish. The first cause is kept.

        Whoever gives the run's stop its cause tells ``on_stop``, so that someone carries
        it out even when the main thread is blocked reading a quiet tap.
        """
        with self._mutex:
            first = self._stop.request(cause)
            self._changed.notify_all()
        if first:
            self._on_stop(cause)

    def wait_idle(self, timeout: float) -> bool:
        """Block until no request is in flight, or ``timeout`` seconds; True when idle.

        ``request_timeout_seconds`` bounds each wait for a byte, not a whole answer: a server
        trickling one out could otherwise hold a stopping run forever.
        """
        with self._mutex:
            return self._changed.wait_for(lambda: self._in_flight == 0, timeout)

    def close(self, timeout: float) -> None:
        """Stop the threads; waits for requests in flight unless delivery stopped.

        The checker and the dispatcher are each waited for at most ``timeout`` (they are
        daemons: one stuck on a frozen ledger does not keep the process alive).
        """
        with self._mutex:
            self._stop.request()
            self._changed.notify_all()
        for thread in self._threads:
            thread.join(timeout)
        self._workers.shutdown(wait=self._stop.cause is None, cancel_futures=True)
        self._limiter.close()
        self._client.close()

    # The ledger check.

    def _check(self) -> None:
        """The checker thread: chunks that linger, or that a STATE hurries."""
        while (chunk := self._next_unchecked()) and self._check_or_stop(chunk):
            pass

    def _check_or_stop(self, chunk: list[Event]) -> bool:
        """Check ``chunk`` against the ledger; False once that stopped delivery.

        A bug raises after stopping the run, so it does not hang.
        """
        try:
            statuses = self._ledger.known(
                [event.body for event in chunk], [event.ledger_hash for event in chunk]
            )
            news = [event for event, status in zip(chunk, statuses, strict=True) if status is None]
            self._settle_known(chunk, statuses)
            with self._mutex:
                if self._limit.reached:  # checked while the last place was delivered
                    self._unsettled -= len(news)
                else:
                    self._fresh.extend(news)
                self._changed.notify_all()
        except DeliveryStopped as cause:
            self.stop(cause)
            return False
        except BaseException as error:
            self.stop(self._failure(error))
            raise
        return True

    def _settle_known(self, chunk: list[Event], statuses: t.Sequence[SkipStatus | None]) -> None:
        """Settle the chunk's events the ledger has: a call per owner, one lock, one wake-up.

        Grouped by owner and status whatever their order (streams' records interleave).
        """
        settled = 0
        groups: dict[tuple[t.Any, SkipStatus], list[Event]] = {}
        for event, status in zip(chunk, statuses, strict=True):
            if status is not None:
                groups.setdefault((event.owner, status), []).append(event)
        try:
            for (owner, status), events in groups.items():
                settled += len(events)
                owner.settle_known(events, Outcome(status))
        finally:
            if settled:
                with self._mutex:
                    self._unsettled -= settled
                    self._changed.notify_all()

    def _next_unchecked(self) -> list[Event]:
        """What waits to be checked, at most a chunk; [] to stop.

        Once an event waits, a chunk has ``LINGER_SECONDS`` to fill, unless hurried or
        the queue is full (``batch_size_rows`` below a chunk). A chunk that filled meanwhile
        was taken by ``submit``: then the wait starts again.
        """
        with self._mutex:
            while not self._stopped.is_set():
                self._changed.wait_for(lambda: self._unchecked or self._stopped.is_set())
                if not self._hurried:
                    self._changed.wait_for(
                        lambda: self._full() or self._hurried or self._stopped.is_set(),
                        LINGER_SECONDS,
                    )
                if self._unchecked and not self._stopped.is_set():
                    return self._take_chunk()
            return []

    def _take_chunk(self) -> list[Event]:
        """At most ``LOOKUP_CHUNK`` of the events waiting to be checked (lock held)."""
        count = min(len(self._unchecked), LOOKUP_CHUNK)
        chunk = [self._unchecked.popleft() for _ in range(count)]
        if not self._unchecked:
            self._hurried = False
        return chunk

    # The dispatcher.

    def _dispatch(self) -> None:
        try:
            while True:
                event = self._next_event()
                if event is None or not self._limiter.acquire():
                    return
                self._ledger.spend()  # every request counts, retries and 429s included
                with self._mutex:
                    if self._stopped.is_set():
                        return
                    self._in_flight += 1
                self._workers.submit(self._attempt, event)
        except DeliveryStopped as cause:
            self.stop(cause)
        except BaseException as error:  # a bug must stop the run, not hang it
            self.stop(self._failure(error))
            raise

    def _next_event(self) -> Event | None:
        """The next event to send once a request may start; None when stopping."""
        with self._mutex:
            while not self._stopped.is_set():
                timeout = None  # at the limit: an answer (or a stop) wakes the dispatcher
                if self._in_flight < (self._sizer.limit if self._answered else 1):
                    now = time.monotonic()
                    if self._waiting and self._waiting[0][0] <= now:
                        return heapq.heappop(self._waiting)[2]
                    if self._fresh and self._limit.allows_another():
                        self._limit.take()
                        return self._fresh.popleft()
                    timeout = self._waiting[0][0] - now if self._waiting else None
                self._changed.wait(timeout)
            return None

    # The workers.

    def _attempt(self, event: Event) -> None:
        started = time.monotonic()
        try:
            verdict = self._client.attempt(event.payload)
            self._sizer.observe(
                time.monotonic() - started,
                failed=isinstance(verdict, TryAgain) and verdict.retry_after is None,
            )
            self._act_on(event, verdict)
        except DeliveryStopped as cause:
            self.stop(cause)
        except BaseException as error:  # a bug must stop the run, not hang it
            self.stop(self._failure(error))
            raise
        finally:
            with self._mutex:
                self._in_flight -= 1
                self._answered = True
                self._changed.notify_all()

    def _failure(self, error: BaseException) -> DeliveryStopped:
        """An unexpected error, as the stop it causes (credentials blanked)."""
        return DeliveryStopped(
            f"delivery failed: {type(error).__name__}: {self._client.redacted(str(error))}"
        )

    def _act_on(self, event: Event, verdict: Settled | Refused | TryAgain | Stop) -> None:
        if isinstance(verdict, Settled):
            self._streak.answered()
            outcome = Outcome(verdict.status, verdict.request_id, (), event.retries)
            self._settle(event, outcome, sent=True)
        elif isinstance(verdict, Refused):
            self._streak.answered()
            outcome = Outcome("rejected", verdict.request_id, verdict.errors, event.retries)
            self._settle(event, outcome, sent=True)
        elif isinstance(verdict, TryAgain):
            self._try_again(event, verdict)
        else:
            if verdict.status == HTTPStatus.TOO_MANY_REQUESTS:
                event.owner.throttled()
            until = None
            if verdict.kind == "quota" and verdict.retry_after is not None:
                until = self._ledger.remember_quota_spent(verdict.retry_after)
            self.stop(self._client.stop_error(verdict, event.event_id, until))

    def _settle(self, event: Event, outcome: Outcome, *, sent: bool = False) -> None:
        """Tell the owner; ``sent`` when the event was dispatched (it holds a limit place)."""
        try:
            event.owner.settle(event, outcome)
        finally:
            with self._mutex:
                self._unsettled -= 1
                if sent:
                    self._limit.settled(delivered=outcome.stored_by_this_run)
                    if self._limit.reached:
                        self._drop_unsent()
                self._changed.notify_all()

    def _try_again(self, event: Event, verdict: TryAgain) -> None:
        now = time.monotonic()
        if verdict.retry_after is not None:
            event.owner.throttled()
            self._streak.raise_if_too_long(
                now, verdict.retry_after, self._policy.max_retry_after, self._client.url
            )
            self._logger.info(
                "HTTP 429: all requests wait %.1fs (Retry-After)", verdict.retry_after
            )
            self._limiter.throttled(verdict.retry_after)
            due = now
        else:
            if self._policy.exhausted(event.retries):
                raise RetriesExhausted(
                    f"eventId {event.event_id!r} failed after {event.retries} retries "
                    f"(last: {verdict.reason}) at {self._client.url}; nothing after it is "
                    "checkpointed, so rerunning from the last STATE resends it"
                )
            delay = self._policy.backoff(event.retries)
            event.retries += 1
            self._logger.info(
                "Retrying eventId %r in %.1fs after %s", event.event_id, delay, verdict.reason
            )
            due = now + delay
        with self._mutex:
            heapq.heappush(self._waiting, (due, next(self._tie), event))
            self._changed.notify_all()
