"""Sending bodies to Gong: one request, what its answer means, how fast and how wide.

Owns the pipeline (``pipeline``: queue, dispatcher, workers, and ``events``, what travels
in it; ``send_limit``: the cap a ``--send-sample`` run puts on it), one request and its
answer (``client``, ``answers``: the one place that says which answers and errors are
transient), the pace (``pacing``, and ``shared_pacing`` across processes on one PostgreSQL
ledger), the credentials and OAuth tokens (``credentials``) and the assembly of all of them
for a run (``assembly``). Imports ``ledger``, ``validation``, ``settings`` and the base modules.
"""

from target_gong_di.delivery.assembly import open_delivery, retry_policy
from target_gong_di.delivery.oauth import open_credentials
from target_gong_di.delivery.pacing import RateLimiter
from target_gong_di.delivery.pipeline import DeliveryPipeline, Event, Outcome
from target_gong_di.delivery.shared_pacing import SharedRateLimiter

__all__ = [
    "DeliveryPipeline",
    "Event",
    "Outcome",
    "RateLimiter",
    "SharedRateLimiter",
    "open_credentials",
    "open_delivery",
    "retry_policy",
]
