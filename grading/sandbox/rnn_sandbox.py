"""Autograde untrusted notebooks in a sandboxed kernel; nbgrader_config.py plugs this into ``nbgrader autograde``.

:class:`SandboxKernelManager` starts the ``rnn-sandbox`` kernel (``kernels/rnn-sandbox``: bubblewrap, no
network, limits) with its connection file and Unix sockets in a private folder of its own.
:class:`SandboxedExecute` replaces nbgrader's ``Execute`` step of autograding and adds what stock nbgrader lacks:

* a kernel that dies (``os._exit``, a crash, a sandbox limit) no longer makes nbgrader drop the student: the
  cell it died in and every code cell after it get an error output saying why, so each test that did not run
  scores 0, the student reads the reason in the feedback, and grading goes on with the next student;
* a kernel that does not stop when interrupted after the cell timeout, or a notebook past its total time,
  is killed the same way;
* output is capped per notebook while it streams in, so printing forever cannot exhaust the grader's memory;
* the grading machinery is checked after every code cell: if a cell replaced a function of the modules the
  tests rely on (numpy, numpy.testing, math, builtins, torch, torch.testing, rnnlib.gradcheck) or hooked into
  IPython's execution (input or AST transformers, run_cell, showtraceback, tracing), every later test cell
  scores 0 with a comment naming the change, for the instructor to review by hand.

These checks run inside the student's own process and can be defeated by a student who studies them; the
sandbox (kernel side) is what keeps the gradebook and other students safe. See the instructor guide.
"""

from __future__ import annotations

import ast
import io
import json
import os
import shutil
import signal
import tempfile
import time
import tokenize
from pathlib import Path

from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import AsyncKernelManager
from jupyter_core.utils import run_sync
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbformat import NotebookNode
from nbgrader.preprocessors import Execute
from nbclient import NotebookClient
from nbconvert.preprocessors import ExecutePreprocessor
from traitlets import Bool, Dict, Integer, List, Unicode, default

KERNELS = Path(__file__).resolve().parent / "kernels"
RECORD_MIME = "application/vnd.rnn-course.check+json"  # rnnlib.checking.MIME, not imported: no rnnlib here
KERNEL_NAME = "rnn-sandbox"

# Modules whose functions the tests call or compare against; replacing one of their attributes is tampering.
WATCHED = ("builtins", "math", "numpy", "numpy.testing", "torch", "torch.testing", "torch.nn.functional",
           "rnnlib.gradcheck")
# IPython's ways to run, transform or report a cell: hooking any of them can make failing tests look passed.
SHELL_METHODS = ("run_cell", "run_cell_async", "run_ast_nodes", "run_code", "transform_cell",
                 "should_run_async", "showtraceback", "_showtraceback", "showsyntaxerror", "user_expressions")

SIGNALS = {signal.SIGKILL: "killed (out of memory, or the process limit)",
           signal.SIGXCPU: "stopped at the CPU time limit", signal.SIGXFSZ: "stopped at the file size limit",
           signal.SIGSEGV: "crashed (segmentation fault)", signal.SIGABRT: "aborted"}


class SandboxKernelManager(AsyncKernelManager):
    """Start kernels from kernels/ only, over Unix sockets in a private folder with the sandbox's settings."""

    settings = Dict(help="sandbox.json for the launcher: limits, the uid a root grader drops to, "
                         "environment variables passed in").tag(config=True)

    @default("settings")
    def _settings_default(self):
        return default_settings()

    @default("transport")
    def _transport_default(self):
        return "ipc"

    @default("kernel_spec_manager")
    def _kernel_spec_manager_default(self):
        return KernelSpecManager(parent=self, kernel_dirs=[str(KERNELS)])

    async def _async_pre_start_kernel(self, **kw):
        self._private = Path(tempfile.mkdtemp(prefix="rnn-sandbox-"))
        self.connection_file = str(self._private / "kernel.json")
        self.ip = str(self._private / "ipc")
        (self._private / "sandbox.json").write_text(json.dumps(self.settings))
        return await super()._async_pre_start_kernel(**kw)

    async def _async_cleanup_resources(self, restart: bool = False) -> None:
        await super()._async_cleanup_resources(restart=restart)
        private = getattr(self, "_private", None)
        if private is not None and not restart:
            shutil.rmtree(private, ignore_errors=True)


def probe_expression() -> str:
    """One expression, evaluated in the kernel, giving a digest of every watched module and of the shell."""
    methods = repr(SHELL_METHODS)
    return (
        "(lambda sys, ip: dict([(m, (id(sys.modules[m]), hash(tuple(sorted((k, id(v)) for k, v in "
        "vars(sys.modules[m]).items()))))) for m in %r if m in sys.modules] + [('<shell>', (0, hash(tuple("
        "[id(getattr(getattr(ip, n), '__func__', getattr(ip, n))) for n in %s] + "
        "[id(f) for f in ip.input_transformers_cleanup + ip.input_transformers_post + ip.ast_transformers"
        " + ip.input_transformer_manager.line_transforms + ip.events.callbacks['pre_run_cell']"
        " + ip.events.callbacks['pre_execute']] + [id(sys.gettrace()), id(sys.getprofile())]))))]))"
        "(__import__('sys'), get_ipython())" % (WATCHED, methods))


def detail_expression(module: str) -> str:
    return "{k: id(v) for k, v in vars(__import__('sys').modules[%r]).items()}" % module


class SandboxedExecute(Execute):
    """nbgrader's Execute, in the sandbox kernel, surviving dead kernels and catching tampered tests."""

    kernel_name = Unicode(KERNEL_NAME, help="Kernel that runs the submissions.").tag(config=True)
    notebook_timeout = Integer(600, help="Seconds for a whole notebook; then the kernel is killed.").tag(
        config=True)
    interrupt_grace = Integer(10, help="Seconds a kernel gets to stop after a cell timeout interrupt.").tag(
        config=True)
    max_output_bytes = Integer(2_000_000, help="Output kept per notebook; the rest is dropped.").tag(config=True)
    tamper_probe = Bool(True, help="Check the grading machinery after every cell and fail the tests after a change "
                                   "(a second line behind the trusted judge; tests turn it off to prove the judge "
                                   "alone).").tag(config=True)
    preload = List(["numpy", "numpy.testing", "math"],
                   help="Modules imported before the first cell, so they are checked from the start.").tag(
        config=True)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("kernel_manager_class", SandboxKernelManager)
        super().__init__(*args, **kwargs)

    # ------------------------------------------------------------------------------------------ notebook

    def preprocess(self, nb: NotebookNode, resources=None, km=None):
        if shutil.which("bwrap") is None:
            raise RuntimeError("bwrap not found: the grading sandbox needs the Debian package 'bubblewrap' "
                               "(or set RNN_GRADING_SANDBOX=off to grade trusted notebooks without it)")
        NotebookClient.__init__(self, nb, km)
        self.reset_execution_trackers()
        self._check_assign_resources(resources)
        self._stopped = None  # why the kernel is gone
        self._output_bytes, self._record_bytes, self._truncated = 0, 0, False
        tampered_at = None
        deadline = time.monotonic() + self.notebook_timeout
        with self.setup_kernel():
            info = self.wait_for_reply(self.kc.kernel_info())
            self.nb.metadata["language_info"] = info["content"]["language_info"]
            guard = _Guard(self, nb) if self.tamper_probe else None
            for index, cell in enumerate(self.nb.cells):
                if cell.cell_type != "code":
                    continue
                if self._stopped is None and time.monotonic() > deadline:
                    self._kill(f"the notebook ran past its time limit of {self.notebook_timeout} s")
                if self._stopped is not None:
                    _add_error(cell, "NotRun", f"This cell did not run: {self._stopped}. It scores 0.")
                    continue
                try:
                    ExecutePreprocessor.preprocess_cell(self, cell, resources, index)
                except DeadKernelError:
                    self._stopped = f"the kernel stopped in cell {_cell_name(cell, index)}: {self._death_reason()}"
                    _add_error(cell, "KernelDied", f"The kernel stopped while running this cell: "
                                                   f"{self._death_reason()}. Later cells did not run.")
                    continue
                except CellTimeoutError:  # interrupted, and not even the kernel's status came back
                    unresponsive = True
                else:
                    timed_out = any(o.get("ename") == "CellTimeoutError" for o in cell.outputs)
                    unresponsive = timed_out and not self._responds()
                if unresponsive:
                    self._kill(f"the kernel did not stop when cell {_cell_name(cell, index)} was interrupted "
                               f"after {self.timeout} s")
                    _add_error(cell, "KernelKilled", f"This cell ran past the time limit of {self.timeout} s and "
                                                     f"ignored the interrupt, so the kernel was stopped. "
                                                     f"It scores 0, as do the cells after it.")
                    continue
                if guard is not None and tampered_at is None:
                    change = guard.changes()
                    if change:
                        tampered_at = (index, change)
            if tampered_at is not None:
                _zero_tests_after(self.nb, *tampered_at)
        self.set_widgets_metadata()
        return self.nb, self.resources

    def output(self, outs, msg, display_id, cell_index):
        size = len(json.dumps(msg.get("content", {})))
        if RECORD_MIME in msg.get("content", {}).get("data", {}):
            # The checks' records (rnnlib.checking) have a budget of their own, so that a notebook that printed
            # too much still hands its later test cells' results to the trusted judge.
            self._record_bytes += size
            if self._record_bytes <= self.max_output_bytes:
                return super().output(outs, msg, display_id, cell_index)
        self._output_bytes += size
        if self._output_bytes > self.max_output_bytes:
            if not self._truncated:
                self._truncated = True
                outs.append(NotebookNode(output_type="stream", name="stdout", text=(
                    f"\n[grading: output truncated here; the notebook printed more than "
                    f"{self.max_output_bytes:,} bytes]\n")))
            return None
        return super().output(outs, msg, display_id, cell_index)

    # ------------------------------------------------------------------------------------------ kernel

    def _death_reason(self) -> str:
        code = run_sync(self.km.provisioner.poll)() if self.km and self.km.provisioner else None
        if code is None:
            return "it stopped answering"
        # bwrap reports a child killed by signal N as exit status 128 + N.
        signum = -code if code < 0 else code - 128 if code > 128 else None
        if signum in SIGNALS:
            return f"it was {SIGNALS[signum]}"
        if signum is not None:
            return f"it was killed by signal {signum}"
        return f"the process exited with status {code} (for example os._exit, or a crash)"

    def _reply(self, msg_id: str, timeout: float):
        """The kernel's shell reply to ``msg_id``, or None if none comes within ``timeout`` seconds."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            try:
                reply = run_sync(self.kc.shell_channel.get_msg)(timeout=max(0.1, end - time.monotonic()))
            except Exception:  # queue.Empty, or a dead channel
                return None
            if reply["parent_header"].get("msg_id") == msg_id:
                return reply
        return None

    def _responds(self) -> bool:
        """Whether the kernel, interrupted after a timeout, answers a request within the grace period."""
        return self._reply(self.kc.kernel_info(), self.interrupt_grace) is not None

    def _kill(self, reason: str) -> None:
        self._stopped = reason
        run_sync(self.km.shutdown_kernel)(now=True)

    def evaluate(self, expression: str, timeout: float = 30):
        """Evaluate ``expression`` in the kernel without touching the cell counter; the value, or None."""
        reply = self._reply(self.kc.execute("", silent=True, store_history=False,
                                            user_expressions={"v": expression}), timeout)
        value = reply["content"].get("user_expressions", {}).get("v", {}) if reply else {}
        if value.get("status") != "ok":
            return None
        try:
            return ast.literal_eval(value["data"]["text/plain"])
        except (KeyError, ValueError, SyntaxError):
            return None


class _Guard:
    """Digests of the watched modules and the shell, taken before the first cell and compared after each."""

    def __init__(self, client: SandboxedExecute, nb: NotebookNode):
        self.client = client
        code = [c.source for c in nb.cells if c.cell_type == "code"]
        modules = list(client.preload)
        if any(mentions(source, "torch") for source in code):
            modules += ["torch", "torch.testing", "torch.nn.functional"]
        if any(mentions(source, "rnnlib") for source in code):
            modules += ["rnnlib.gradcheck"]
        client.kc.execute("import " + ", ".join(modules), silent=True, store_history=False)
        self.digests = client.evaluate(probe_expression(), timeout=120) or {}
        self.details = {m: client.evaluate(detail_expression(m)) or {} for m in self.digests if m != "<shell>"}

    def changes(self) -> str | None:
        """What changed since the last check, or None; new module attributes (lazy imports) are fine."""
        digests = self.client.evaluate(probe_expression())
        if digests is None:
            return "the grader's check could not run in the kernel (sys, get_ipython or eval were replaced)"
        for module, (module_id, digest) in self.digests.items():
            if module not in digests:
                return f"the module {module} was removed from sys.modules"
            if digests[module][0] != module_id:
                return f"the module {module} was replaced in sys.modules"
        if digests.get("<shell>") != self.digests.get("<shell>"):
            return "IPython's execution machinery was changed (run_cell, transformers, showtraceback or tracing)"
        for module, (module_id, digest) in digests.items():
            if module == "<shell>" or self.digests.get(module, (None, None))[1] == digest:
                continue
            now = self.client.evaluate(detail_expression(module)) or {}
            before = self.details.get(module, {})
            changed = sorted(k for k, v in before.items() if now.get(k) != v)
            if changed:
                return f"{module}.{changed[0]} was replaced" + (f" (and {len(changed) - 1} more)" if changed[1:]
                                                                else "")
            self.details[module] = now
            self.digests[module] = (module_id, digest)
        return None


def mentions(source: str, name: str) -> bool:
    """Whether ``name`` occurs in a cell's code outside its comments.

    Importing torch costs a kernel about a second, so a notebook that names it only in comments does not pay for
    watching it; strings count (``__import__("torch")``), and a cell that does not tokenize counts as a mention.
    """
    if name not in source:
        return False
    try:
        return any(name in token.string for token in tokenize.generate_tokens(io.StringIO(source).readline)
                   if token.type != tokenize.COMMENT)
    except (tokenize.TokenError, SyntaxError):
        return True


def _cell_name(cell, index: int) -> str:
    grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
    return f"'{grade_id}'" if grade_id else f"#{index + 1}"


def _add_error(cell, ename: str, evalue: str) -> None:
    cell.setdefault("outputs", []).append(NotebookNode(
        output_type="error", ename=ename, evalue=evalue, traceback=[f"\x1b[0;31m{ename}\x1b[0m: {evalue}"]))


def _zero_tests_after(nb: NotebookNode, index: int, change: str) -> None:
    """Fail every graded code cell from ``index`` on: their passing can no longer be trusted."""
    for cell in nb.cells[index:]:
        if cell.cell_type == "code" and cell.get("metadata", {}).get("nbgrader", {}).get("grade"):
            _add_error(cell, "GradingIntegrityError",
                       f"This test does not count: before it ran, {change} (in cell "
                       f"{_cell_name(nb.cells[index], index)}). Tests after that point score 0; your instructor "
                       f"will review the notebook by hand.")


def default_settings(root_uid: int = 61000) -> dict:
    """The launcher's settings: limits per kernel and the environment variables that reach the notebook."""
    return {"cpu_seconds": 600, "memory_bytes": 4 * 2**30, "file_bytes": 64 * 2**20, "open_files": 256,
            "processes": 64, "root_uid": int(os.environ.get("RNN_SANDBOX_UID", root_uid)),
            "pass_env": ["NBGRADER_EXECUTION", "NBGRADER_VALIDATING"]}
