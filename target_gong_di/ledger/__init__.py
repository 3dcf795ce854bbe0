"""What Gong has confirmed and what today's requests cost, kept in SQLite or PostgreSQL.

Owns the ledger's tables and their schema steps (``schema``), the two databases behind one
interface (``databases``), OAuth token storage (``tokens``), its clock (``clock``), the
ledger itself (``store``), the rejected records it keeps until a later run delivers them
(``pending``) and one run's view of it: one ``api_url``, one daily budget (``run_view``).
Imports only the base modules.
"""

from target_gong_di.ledger.clock import TEST_CLOCK_SHIFT, utc_now
from target_gong_di.ledger.databases import (
    POSTGRES_STATEMENT_TIMEOUT_SECONDS,
    bounded,
    postgres_connect,
)
from target_gong_di.ledger.pending import (
    API_STAGE,
    Kept,
    PendingRecord,
    Rejection,
    new_claimer,
)
from target_gong_di.ledger.run_view import LOOKUP_CHUNK, DeliveryLedger, SkipStatus, Standing
from target_gong_di.ledger.store import (
    DELIVERED,
    POSTGRES_SCHEMES,
    SETTING,
    Confirmation,
    Ledger,
    body_hash,
    ledger_url_errors,
    open_ledger,
)
from target_gong_di.ledger.tokens import StoredTokens, token_origin

__all__ = [
    "API_STAGE",
    "DELIVERED",
    "LOOKUP_CHUNK",
    "POSTGRES_SCHEMES",
    "POSTGRES_STATEMENT_TIMEOUT_SECONDS",
    "SETTING",
    "TEST_CLOCK_SHIFT",
    "Confirmation",
    "DeliveryLedger",
    "Kept",
    "Ledger",
    "PendingRecord",
    "Rejection",
    "SkipStatus",
    "Standing",
    "StoredTokens",
    "body_hash",
    "bounded",
    "ledger_url_errors",
    "new_claimer",
    "open_ledger",
    "postgres_connect",
    "token_origin",
    "utc_now",
]
