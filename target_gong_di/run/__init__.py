"""One run's life: records in, events settled, STATE out, and how the run ends.

Owns the lifecycle (``lifecycle``: open, stop, finish), which STATE is safe and when it is
written (``checkpoints``, ``state_writer``), one stream's path from record to event
(``stream_events``), the input reader (``reader``), the report (``report``), the backlog
in days and what remains of the input with its ETA (``planning``), and the files a
run writes (``files``: dead letters and dry-run output; ``dead_letters``: the fields of a
dead letter, written here and read by ``--replay``; ``dry_run``; ``summary``: the run
summary file). Imports ``delivery``,
``ledger``, ``mapping``, ``validation``, ``settings`` and the base modules.
"""

from target_gong_di.run.dead_letters import REPLAY_NEEDS, DeadLetter
from target_gong_di.run.files import new_run_id
from target_gong_di.run.lifecycle import RunLifecycle
from target_gong_di.run.reader import SingerReader, read_message, tolerant
from target_gong_di.run.report import RunReport, records
from target_gong_di.run.stream_events import StreamEvents
from target_gong_di.run.summary import RunSummary

__all__ = [
    "REPLAY_NEEDS",
    "DeadLetter",
    "RunLifecycle",
    "RunReport",
    "RunSummary",
    "SingerReader",
    "StreamEvents",
    "new_run_id",
    "read_message",
    "records",
    "tolerant",
]
