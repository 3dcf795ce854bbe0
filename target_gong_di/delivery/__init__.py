"""Sending bodies to Gong: one request, what its answer means, how fast and how wide.

Owns the pipeline (``pipeline``: queue, dispatcher, workers), one request and its answer
(``client``, ``answers``: the one place that says which answers and errors are transient),
the pace (``pacing``, and ``shared_pacing`` across processes on one PostgreSQL ledger),
the credentials and OAuth tokens (``credentials``) and the assembly of all of them for a
run (``assembly``). Imports ``ledger``, ``validation``, ``settings`` and the base modules.
"""
