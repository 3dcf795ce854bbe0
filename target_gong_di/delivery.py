"""Puts delivery together for a run: one session, client, limiter, sizer and pipeline.

One of each serves the whole process, so every stream and every retry shares one
connection pool and Gong's per-company limit.
"""

from __future__ import annotations

import threading
import typing as t

from target_gong_di.answers import RetryPolicy
from target_gong_di.client import GongClient, pooled_session
from target_gong_di.oauth import open_credentials
from target_gong_di.pacing import ConcurrencySizer, RateLimiter
from target_gong_di.pipeline import DeliveryPipeline

if t.TYPE_CHECKING:
    import logging

    from target_gong_di.exceptions import DeliveryStopped
    from target_gong_di.settings import Settings


def retry_policy(settings: Settings) -> RetryPolicy:
    """The retry policy the settings ask for."""
    return RetryPolicy(
        max_retries=settings.max_retries, max_retry_after=settings.max_retry_after_seconds
    )


def open_delivery(
    settings: Settings,
    logger: logging.Logger,
    on_stop: t.Callable[[DeliveryStopped], None],
) -> DeliveryPipeline:
    """A running pipeline to Gong; ``on_stop`` hears why delivery stopped.

    It delivers to ``settings.api_url``, or for an OAuth app without one, to the base URL
    its token response names.
    """
    policy = retry_policy(settings)
    stopped = threading.Event()
    credentials, api_url = open_credentials(settings, policy, logger)
    client = GongClient(
        pooled_session(settings.max_concurrency),
        api_url,
        credentials,
        policy,
        settings.request_timeout_seconds,
    )
    return DeliveryPipeline(
        client,
        RateLimiter(settings.max_requests_per_second, stopped),
        ConcurrencySizer(settings.max_requests_per_second, settings.max_concurrency),
        policy,
        logger,
        queue_size=settings.queue_size,
        max_concurrency=settings.max_concurrency,
        stopped=stopped,
        on_stop=on_stop,
    )
