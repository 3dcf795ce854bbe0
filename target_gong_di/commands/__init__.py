"""The command's side tools: everything the target does besides a run.

Owns the extra command-line options and their dispatch (``options``), ``--validate-config``
(``stream_check``), ``--suggest-mappings`` (``suggest``), ``--replay`` (``replay``),
``--send-sample`` (in ``options``: a run built with its limit) and the ledger flags
(``ledger_flags``). Imports ``run`` and everything below it; only ``target`` imports it.
"""

from target_gong_di.commands.options import OPTIONS, SideTools

__all__ = [
    "OPTIONS",
    "SideTools",
]
