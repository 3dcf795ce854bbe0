"""The Gong-compatible local server (``gong-di-sandbox``): a second product, not the target.

Owns what the sandbox is told and keeps (``store``: ``SandboxOptions``, ``SandboxStore``,
``OAuthStore``), its HTTP server and fault modes (``server``: ``Sandbox``) and its command
line (``cli``: the ``gong-di-sandbox`` entry point, ``target_gong_di.sandbox.cli:main``).
Imports only ``validation`` (it checks bodies as Gong does) and the base modules; nothing
of the target imports it. Tests, scripts and the bench import it from here, the package,
not from its modules; ``cli`` is not imported here, so ``python -m`` runs it cleanly.
"""

from target_gong_di.sandbox.server import Sandbox
from target_gong_di.sandbox.store import OAuthStore, SandboxOptions, SandboxStore

__all__ = ["OAuthStore", "Sandbox", "SandboxOptions", "SandboxStore"]
