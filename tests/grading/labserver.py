"""JupyterLab servers for the tests, started the way users start them: through grading/grading.mk's targets.

Each server runs in its own process group on 127.0.0.1 at a free port with token authentication; the caller
passes the environment (usually harness.hermetic_env), so a developer's ~/.jupyter plays no part. Used by the
grading pipeline's HTTP checks and by the browser tests.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

import harness

TOKEN = "course-tests"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Lab:
    """`make <target>` in ``folder`` (the course root or a student's clone), until stopped."""

    def __init__(self, target: str, folder: Path, env: dict[str, str]):
        self.folder, self.port = folder, free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        lab_args = [f"--port={self.port}", "--ip=127.0.0.1", "--no-browser", f"--ServerApp.token={TOKEN}"]
        if os.geteuid() == 0:  # containers and CI runners
            lab_args.append("--allow-root")
        self.log = folder / f"{target}.log"
        with self.log.open("w") as log:
            # A new session, so that the server (a child of make) is stopped with its process group.
            self.proc = subprocess.Popen(
                ["make", "--no-print-directory", "-C", str(folder), "-f", str(harness.ROOT / "grading" / "grading.mk"),
                 target, f"BIN={harness.BIN}", f"LAB_ARGS={' '.join(lab_args)}"],
                env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 120
        while True:
            try:
                self.open("api/status").close()
                break
            except (urllib.error.URLError, ConnectionError):
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    pytest.fail(f"JupyterLab did not start:\n{self.output()}")
                time.sleep(0.5)

    def link(self, path: str) -> str:
        """The address of ``path`` with the token, as `jupyter lab` prints it for the user to open."""
        return f"{self.url}{path}{'&' if '?' in path else '?'}token={TOKEN}"

    def open(self, path: str, data: dict | None = None, redirect: bool = True):
        """The response to GET (or POST ``data``, form-encoded) ``path``; raises urllib's HTTPError."""
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        req = urllib.request.Request(f"{self.url}{path}", data=body, headers={"Authorization": f"token {TOKEN}"})
        opener = urllib.request.build_opener() if redirect else urllib.request.build_opener(NoRedirect)
        return opener.open(req, timeout=120)

    def request(self, path: str, data: dict | None = None) -> str:
        """The body of a successful request; any HTTP error fails the test with the server's log."""
        try:
            with self.open(path, data) as response:
                return response.read().decode()
        except urllib.error.HTTPError as error:
            pytest.fail(f"{path}: HTTP {error.code}\n{self.output()}")

    def get(self, path: str) -> str:
        return self.request(path)

    def status(self, path: str) -> int:
        try:
            with self.open(path) as response:
                return response.status
        except urllib.error.HTTPError as error:
            return error.code

    def output(self, tail: int = 5000) -> str:
        """The end of the server's log, for failure messages."""
        return self.log.read_text(errors="replace")[-tail:]

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
