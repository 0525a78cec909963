"""A throw-away PostgreSQL server for the tests: Debian's postgresql, started once per test session.

``cluster()`` runs ``initdb`` in a temporary folder and ``pg_ctl start`` on 127.0.0.1 (a free port, its Unix
socket in the same folder, trust authentication for the superuser ``gradebook``), and stops it and deletes the
folder when the session ends. PostgreSQL refuses to run as root, so a root test runner starts it as ``nobody``.
Anything missing raises :class:`ServiceError` naming it (``initdb``, ``pg_ctl``, the port already in use).
"""

from __future__ import annotations

import atexit
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path


class ServiceError(RuntimeError):
    """A service the tests need cannot start; the message names what is missing."""


def find_tool(name: str, path: str | None = None) -> str:
    """``name`` on PATH, or in Debian's /usr/lib/postgresql/<version>/bin, which Debian does not put on PATH."""
    found = shutil.which(name, path=path)
    if found:
        return found
    versions = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"), key=lambda p: int(p.parts[-3]))
    if versions and path is None:
        return str(versions[-1])
    raise ServiceError(f"{name} not found: install Debian's postgresql package (apt-get install postgresql) "
                       "to run the PostgreSQL gradebook tests")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_in_use(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


class Cluster:
    """One PostgreSQL server in a temporary folder."""

    def __init__(self, port: int | None = None, path: str | None = None):
        self.port = port or free_port()
        self.initdb, self.pg_ctl = find_tool("initdb", path), find_tool("pg_ctl", path)
        self.folder = Path(tempfile.mkdtemp(prefix="rnn-pg-"))
        self.data, self.log = self.folder / "data", self.folder / "server.log"
        self.user = None
        if os.geteuid() == 0:
            self.user = pwd.getpwnam("nobody")
            os.chown(self.folder, self.user.pw_uid, self.user.pw_gid)
        self.running = False

    def _run(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
        as_user = {}
        if self.user:
            as_user = dict(user=self.user.pw_uid, group=self.user.pw_gid, extra_groups=[])
        env = dict(os.environ, HOME=str(self.folder), LC_ALL="C.UTF-8")
        return subprocess.run(args, capture_output=True, text=True, timeout=timeout, env=env, cwd=self.folder,
                              **as_user)

    def start(self) -> "Cluster":
        if port_in_use(self.port):
            raise ServiceError(f"PostgreSQL cannot start: port {self.port} on 127.0.0.1 is already in use")
        init = self._run(self.initdb, "-D", str(self.data), "-U", "gradebook", "--auth=trust", "-E", "UTF8",
                         "--no-sync")
        if init.returncode != 0:
            raise ServiceError(f"initdb failed: {init.stderr.strip()[-2000:]}")
        options = (f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.folder} -c fsync=off "
                   "-c max_connections=200")
        started = self._run(self.pg_ctl, "-D", str(self.data), "-l", str(self.log), "-o", options, "-w",
                            "-t", "60", "start")
        if started.returncode != 0:
            log = self.log.read_text()[-2000:] if self.log.exists() else ""
            if "already in use" in log or "could not bind" in log:
                raise ServiceError(f"PostgreSQL cannot start: port {self.port} on 127.0.0.1 is already in use")
            raise ServiceError(f"pg_ctl start failed: {started.stderr.strip()[-1000:]}\n{log}")
        self.running = True
        return self

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://gradebook@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        """A new empty database ``name``; its SQLAlchemy URL."""
        import psycopg

        with psycopg.connect(self.url(), autocommit=True) as con:
            con.execute(f'DROP DATABASE IF EXISTS "{name}"')
            con.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def stop(self) -> None:
        if self.running:
            self._run(self.pg_ctl, "-D", str(self.data), "-m", "immediate", "-w", "stop")
            self.running = False
        shutil.rmtree(self.folder, ignore_errors=True)


_shared: Cluster | None = None


def cluster() -> Cluster:
    """The session's PostgreSQL server, started on first use and stopped when the test process exits."""
    global _shared
    if _shared is None:
        started = time.monotonic()
        _shared = Cluster().start()
        atexit.register(_shared.stop)
        print(f"PostgreSQL started on 127.0.0.1:{_shared.port} in {time.monotonic() - started:.1f} s")
    return _shared
