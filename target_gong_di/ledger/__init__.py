"""What Gong has confirmed and what today's requests cost, kept in SQLite or PostgreSQL.

Owns the ledger's tables and their schema steps (``schema``), the two databases behind one
interface (``databases``), OAuth token storage (``tokens``), the ledger itself (``store``)
and one run's view of it: one ``api_url``, one daily budget (``run_view``). Imports only
the base modules.
"""
