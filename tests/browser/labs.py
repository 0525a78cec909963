"""JupyterLab servers for the browser tests, started the way users start them: through mk/grading.mk's targets.

Each server runs in its own process group on 127.0.0.1 at a free port with token authentication, and with
Jupyter's per-user folders in a temporary home (harness.hermetic_env), so a developer's ~/.jupyter plays no part.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

import harness

TOKEN = "browser-tests"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Lab:
    """`make <target>` in ``folder`` (the course root or the student's clone), until stopped."""

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
                ["make", "--no-print-directory", "-C", str(folder), "-f", str(harness.ROOT / "mk" / "grading.mk"),
                 target, f"BIN={harness.BIN}", f"LAB_ARGS={' '.join(lab_args)}"],
                env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 120
        while True:
            try:
                request = urllib.request.Request(f"{self.url}api/status", headers={"Authorization": f"token {TOKEN}"})
                urllib.request.urlopen(request, timeout=10).close()
                break
            except (urllib.error.URLError, ConnectionError):
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    pytest.fail(f"JupyterLab did not start:\n{self.output()}")
                time.sleep(0.5)

    def link(self, path: str) -> str:
        """The address of ``path`` with the token, as `jupyter lab` prints it for the user to open."""
        return f"{self.url}{path}{'&' if '?' in path else '?'}token={TOKEN}"

    def output(self, tail: int = 5000) -> str:
        return self.log.read_text(errors="replace")[-tail:]

    def stop(self):
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()


# ------------------------------------------------------------------------------------------------ JupyterLab's UI

def menu_items(page, menu: str) -> list[str]:
    """The labels of a main-menu menu (``Nbgrader``), read by opening it as a user would."""
    page.locator("#jp-MainMenu .lm-MenuBar-itemLabel", has_text=menu).click()
    items = page.locator(".lm-Menu:visible .lm-Menu-itemLabel")
    items.first.wait_for()
    labels = [label.strip() for label in items.all_text_contents()]
    page.keyboard.press("Escape")
    return labels


def side_tabs(page) -> list[str]:
    """The titles of the tabs of both side bars (File Browser, Table of Contents, ...)."""
    tabs = page.locator(".jp-SideBar .lm-TabBar-tab")
    return [tab.get_attribute("title") or tab.text_content().strip() for tab in tabs.all()]
