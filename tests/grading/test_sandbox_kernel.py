"""The sandbox kernel on its own (grading/sandbox/kernels/rnn-sandbox): started by Jupyter's kernel machinery, and
refusing to start where it could not be contained."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import nbformat
import pytest

import harness
from rnn_sandbox import default_settings, mentions

SANDBOX = harness.ROOT / "grading" / "sandbox"
LAUNCH = SANDBOX / "kernels" / "rnn-sandbox" / "launch.py"

# Runs in a fresh Python: start the kernel through SandboxKernelManager, run CODE, print what it printed.
CLIENT = textwrap.dedent("""
    import asyncio, sys
    sys.path.insert(0, {sandbox!r})
    from rnn_sandbox import SandboxKernelManager, default_settings

    async def main():
        km = SandboxKernelManager(kernel_name="rnn-sandbox")
        km.settings = default_settings()
        await km.start_kernel(cwd={workdir!r})
        kc = km.client()
        kc.start_channels()
        out = []
        try:
            await kc.wait_for_ready(timeout=120)
            await kc.execute_interactive({code!r}, timeout=120,
                output_hook=lambda m: out.append(m["content"].get("text", "")))
        finally:
            kc.stop_channels()
            await km.shutdown_kernel(now=True)
        print("".join(out))

    asyncio.run(main())
""")

PROBE = textwrap.dedent("""
    import os, socket
    print("uid", os.getuid())
    print("root entries", sorted(os.listdir("/")))
    try:
        socket.create_connection(("1.1.1.1", 53), timeout=3)
        print("network open")
    except OSError:
        print("network closed")
    open("written.txt", "w").write("ok")
    try:
        open("/usr/evil", "w")
    except OSError:
        print("usr read-only")
""")


def run_client(workdir: Path, code: str) -> subprocess.CompletedProcess:
    script = CLIENT.format(sandbox=str(SANDBOX), workdir=str(workdir), code=code)
    env = dict(os.environ, PATH=f"{harness.BIN}{os.pathsep}{os.environ['PATH']}")
    return subprocess.run([sys.executable, "-c", script], cwd=workdir, env=env, capture_output=True, text=True,
                          timeout=300)


@pytest.fixture
def workdir():
    """A folder anyone may enter: pytest's own temporary root is private to the user running the tests."""
    path = Path(tempfile.mkdtemp(prefix="rnn-sandbox-test-"))
    path.chmod(0o777)
    yield path
    shutil.rmtree(path, ignore_errors=True)


def check_probe(proc: subprocess.CompletedProcess, workdir: Path, uid: int) -> None:
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = proc.stdout
    assert f"uid {uid}" in out, out
    assert "network closed" in out and "usr read-only" in out, out
    entries = eval(out.split("root entries ", 1)[1].splitlines()[0])  # a list literal printed by the probe
    assert not {"home", "srv", "var", "opt", "mnt", "media"} & set(entries), entries
    assert (workdir / "written.txt").read_text() == "ok"


def test_the_kernel_runs_contained_through_jupyters_kernel_machinery(workdir):
    """A root grader's kernel runs as uid 61000 (root ignores the process limit); anyone else's as themselves,
    in a user namespace."""
    check_probe(run_client(workdir, PROBE), workdir, 61000 if os.geteuid() == 0 else os.getuid())


def launch(tmp_path: Path, connection: dict, settings: dict | None) -> subprocess.CompletedProcess:
    (tmp_path / "kernel.json").write_text(json.dumps(connection))
    if settings is not None:
        (tmp_path / "sandbox.json").write_text(json.dumps(settings))
    return subprocess.run([sys.executable, str(LAUNCH), "-f", str(tmp_path / "kernel.json")], cwd=tmp_path,
                          capture_output=True, text=True, timeout=60)


def test_the_launcher_refuses_a_kernel_without_its_private_folder(tmp_path):
    proc = launch(tmp_path, {"transport": "ipc", "ip": str(tmp_path / "ipc")}, None)
    assert proc.returncode == 2 and "sandbox.json" in proc.stderr and "SandboxKernelManager" in proc.stderr


def test_the_launcher_refuses_tcp(tmp_path):
    proc = launch(tmp_path, {"transport": "tcp", "ip": "127.0.0.1"}, default_settings())
    assert proc.returncode == 2 and "needs 'ipc'" in proc.stderr


@pytest.mark.parametrize("source, watched", [
    ("import torch", True),
    ("from torch import nn", True),
    ('nn = __import__("torch").nn', True),
    ("# against torch.nn.RNNCell\nx = 1", False),
    ("x = 1  # torch would agree", False),
    ("x = 1", False),
    ('s = """unterminated\nimport torch', True),
])
def test_the_tamper_guard_watches_torch_only_where_the_code_names_it(source, watched):
    assert mentions(source, "torch") is watched


def test_a01_does_not_pay_for_watching_torch():
    """a01 names torch in comments only; importing torch to watch it was 1.1 of its 2.6 CPU s per student."""
    def code(notebook):
        return [c.source for c in nbformat.read(notebook, as_version=4).cells if c.cell_type == "code"]

    exercises = harness.ROOT / "exercises"
    assert not any(mentions(s, "torch") for s in code(exercises / "a01" / "a01_recurrent_neuron.ipynb"))
    assert any(mentions(s, "torch") for s in code(exercises / "a02" / "a02_rnn_layer.ipynb"))
