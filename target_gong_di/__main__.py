"""``python -m target_gong_di`` runs the target, as the ``target-gong-di`` script does."""

from target_gong_di.target import TargetGongDI

TargetGongDI.cli()
