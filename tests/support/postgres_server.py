"""A throwaway PostgreSQL server on 127.0.0.1 for the tests and the bench, from Debian's binaries.

``initdb`` refuses to run as root, so as root the cluster belongs to the ``postgres`` user
(``runuser``). The data directory is a fresh temporary folder; the server listens on a free
loopback port with its socket in that folder, trusts local connections, and is stopped and
removed by ``stop`` (the tests do that at the end of the session).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

PG_BIN = Path(os.environ.get("GONG_DI_PG_BIN", "/usr/lib/postgresql/15/bin"))
USER = "gongdi"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class PostgresServer:
    """One throwaway cluster; ``url`` is a ``postgresql://`` URL of its ``gongdi`` database."""

    def __init__(self) -> None:
        self.directory = Path(tempfile.mkdtemp(prefix="gong-di-pg-"))
        self.data = self.directory / "data"
        self.port = free_port()
        self.url = f"postgresql://{USER}@127.0.0.1:{self.port}/{USER}"

    def _run(self, *command: str) -> None:
        as_owner = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        # Fixed binaries from PG_BIN with arguments this class builds; no shell.
        subprocess.run([*as_owner, *command], check=True, capture_output=True, timeout=60)

    def start(self) -> PostgresServer:
        """initdb, start on loopback, create the database; raises if PostgreSQL is missing."""
        if not (PG_BIN / "initdb").exists():
            raise FileNotFoundError(f"PostgreSQL binaries not found in {PG_BIN}")
        if os.geteuid() == 0:
            shutil.chown(self.directory, "postgres")
        self._run(str(PG_BIN / "initdb"), "-D", str(self.data), "-A", "trust", "-U", USER)
        options = (
            f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1 "
            "-c fsync=off -c max_connections=100"
        )
        self._run(
            str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-w", "-o", options,
            "-l", str(self.directory / "server.log"), "start",
        )  # fmt: skip
        self._run(
            str(PG_BIN / "createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", USER, USER
        )
        return self

    def stop(self) -> None:
        """Stop the server at once and remove its files."""
        try:
            self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop")
        finally:
            shutil.rmtree(self.directory, ignore_errors=True)
