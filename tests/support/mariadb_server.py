"""A throwaway MariaDB server on 127.0.0.1 for the MySQL end-to-end test, from Debian's binaries.

``mariadb-install-db`` and ``mariadbd`` from Debian's ``mariadb-server`` (``.ci/run`` installs
it when missing). The data directory is a fresh temporary folder; the server listens on a free
loopback port (its socket in that folder), runs as root only with ``--user=root``, and is
stopped and removed by ``stop``. Its time zone is +02:00, as many production servers keep local
time: a tap that drops its session time-zone line then shifts TIMESTAMP values, visibly.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from postgres_server import free_port

MARIADB_BIN = Path(os.environ.get("GONG_DI_MARIADB_BIN", "/usr/sbin"))
CLIENT = shutil.which("mariadb") or "/usr/bin/mariadb"
DATABASE = "shop"
USER = "gongdi"
PASSWORD = "gongdi-test"  # a throwaway server on loopback, removed at the end
TIME_ZONE = "+02:00"


class MariaDBServer:
    """One throwaway server with database ``shop`` and a read-only user ``gongdi``."""

    def __init__(self) -> None:
        self.directory = Path(tempfile.mkdtemp(prefix="gong-di-mariadb-"))
        self.data = self.directory / "data"
        self.socket = self.directory / "mariadb.sock"
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    def _as_root(self) -> list[str]:
        return ["--user=root"] if os.geteuid() == 0 else []

    def sql(self, statements: str, database: str = "") -> None:
        """Run SQL as the server's root user over its socket (utf8mb4, so emoji arrive whole)."""
        subprocess.run(
            [CLIENT, "--no-defaults", f"--socket={self.socket}", "-uroot",
             "--default-character-set=utf8mb4", *([database] if database else [])],
            input=statements.encode(), check=True, capture_output=True, timeout=60,
        )  # fmt: skip

    def start(self) -> MariaDBServer:
        """Create the data directory, start on loopback, create the user and the database."""
        daemon = MARIADB_BIN / "mariadbd"
        if not daemon.exists():
            raise FileNotFoundError(f"{daemon} not found: apt-get install mariadb-server")
        subprocess.run(
            ["mariadb-install-db", "--no-defaults", f"--datadir={self.data}", *self._as_root(),
             "--auth-root-authentication-method=socket", "--skip-test-db"],
            check=True, capture_output=True, timeout=120,
        )  # fmt: skip
        self.process = subprocess.Popen(
            [str(daemon), "--no-defaults", f"--datadir={self.data}", *self._as_root(),
             "--bind-address=127.0.0.1", f"--port={self.port}", f"--socket={self.socket}",
             f"--pid-file={self.directory / 'mariadb.pid'}", f"--default-time-zone={TIME_ZONE}",
             "--skip-log-bin", "--innodb-buffer-pool-size=16M", "--skip-name-resolve",
             f"--log-error={self.directory / 'server.log'}"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 60
        while not self.socket.exists():
            if self.process.poll() is not None or time.monotonic() > deadline:
                log = (self.directory / "server.log").read_text(errors="replace")
                raise RuntimeError(f"mariadbd did not start: {log[-2000:]}")
            time.sleep(0.1)
        self.sql(
            f"CREATE DATABASE {DATABASE};"
            f"CREATE USER '{USER}'@'127.0.0.1' IDENTIFIED BY '{PASSWORD}';"
            f"GRANT SELECT ON {DATABASE}.* TO '{USER}'@'127.0.0.1';"
        )
        return self

    def stop(self) -> None:
        """Stop the server at once and remove its files."""
        try:
            if self.process is not None:
                self.process.kill()
                self.process.wait(timeout=30)
        finally:
            shutil.rmtree(self.directory, ignore_errors=True)
