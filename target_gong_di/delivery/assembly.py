"""Puts delivery together for a run: one session, client, limiter, sizer and pipeline.

One of each serves the whole process, so every stream and every retry shares one
connection pool and Gong's per-company limit. On a PostgreSQL ``ledger_url`` the limiter is
shared with every other process using that ledger, as the limit is shared with them too.
"""

from __future__ import annotations

import threading
import typing as t

from target_gong_di.delivery.answers import RetryPolicy
from target_gong_di.delivery.client import GongClient, pooled_session
from target_gong_di.delivery.pacing import ConcurrencySizer, Pacer, RateLimiter
from target_gong_di.delivery.pipeline import DeliveryPipeline
from target_gong_di.delivery.shared_pacing import SharedRateLimiter, shares_pace

if t.TYPE_CHECKING:
    import logging

    from target_gong_di.delivery.credentials import Credentials
    from target_gong_di.exceptions import DeliveryStopped
    from target_gong_di.ledger import DeliveryLedger
    from target_gong_di.settings import Settings
    from target_gong_di.stop import Stop


def retry_policy(settings: Settings) -> RetryPolicy:
    """The retry policy the settings ask for."""
    return RetryPolicy(
        max_retries=settings.max_retries, max_retry_after=settings.max_retry_after_seconds
    )


def open_delivery(
    settings: Settings,
    ledger: DeliveryLedger,
    logger: logging.Logger,
    *,
    credentials: Credentials,
    api_url: str,
    stop: Stop,
    on_stop: t.Callable[[DeliveryStopped], None],
    send_limit: int | None = None,
) -> DeliveryPipeline:
    """A running pipeline to ``api_url``; ``on_stop`` hears why delivery stopped.

    ``credentials`` and ``api_url`` come from ``oauth.open_credentials``: the configured
    ones, or an OAuth app's token and the base URL its token response names.
    ``send_limit``: at most that many events delivered (``--send-sample``).
    """
    client = GongClient(
        pooled_session(settings.max_concurrency),
        api_url,
        credentials,
        retry_policy(settings),
        settings.request_timeout_seconds,
    )
    return pipeline_for(
        client,
        settings,
        ledger,
        logger,
        api_url=api_url,
        stop=stop,
        on_stop=on_stop,
        send_limit=send_limit,
    )


def pipeline_for(
    client: GongClient,
    settings: Settings,
    ledger: DeliveryLedger,
    logger: logging.Logger,
    *,
    api_url: str,
    stop: Stop,
    on_stop: t.Callable[[DeliveryStopped], None],
    send_limit: int | None = None,
) -> DeliveryPipeline:
    """A running pipeline that sends through ``client``, paced and sized by the settings.

    The pipeline and the limiter share the run's ``stop``: a stop asked for anywhere keeps
    both from starting anything new.
    """
    return DeliveryPipeline(
        client,
        open_limiter(settings, api_url, stop.requested),
        ConcurrencySizer(settings.max_requests_per_second, settings.max_concurrency),
        retry_policy(settings),
        logger,
        ledger=ledger,
        queue_size=settings.queue_size,
        max_concurrency=settings.max_concurrency,
        stop=stop,
        on_stop=on_stop,
        send_limit=send_limit,
    )


def open_limiter(settings: Settings, api_url: str, stopped: threading.Event) -> Pacer:
    """The pace of this process alone, or of every process on the same PostgreSQL ledger."""
    if shares_pace(settings.ledger_url):
        return SharedRateLimiter(
            settings.ledger_url, api_url, settings.max_requests_per_second, stopped
        )
    return RateLimiter(settings.max_requests_per_second, stopped)
