"""Judge the graded checks outside the student's process; nbgrader_config.py runs this right after the sandbox.

A ported test cell is one or two calls such as ``check("neuron_step", neuron_step)`` (and, below ``### BEGIN
HIDDEN TESTS``, ``check("neuron_step", neuron_step, seed=20260101)``). While autograding, the student's kernel
only *produces*: rnnlib.checking calls the student's function on the check's inputs and displays the records
(plain data) in that cell's output. :class:`TrustedJudge`, running in nbgrader's own process, which runs no
student code, then for every such cell:

1. reads which checks the cell makes from the instructor's source notebook (solutions/<a>/), never from the
   submission;
2. computes the inputs from the instructor's checker module (solutions/<a>/<a>_checks.py) and the seed, and the
   references by running the instructor's solution on them in a separate Python process (references.py), once
   per assignment, cached;
3. judges the records that the cell displayed, in order, with the checker module's ``judge_<name>``: a record
   that is missing, extra, of the wrong form or unreadable fails;
4. rewrites the cell's outputs: the success lines, or one error whose message is the judge's (the sandbox's own
   errors, a dead kernel, a timeout, a tampering report, are kept when they explain a missing record).

nbgrader's next steps then score the cell as before (an error output scores 0), so partial credit, feedback,
the output limit and the gradebook checks are unchanged. Cells without ``check`` calls are left alone.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat
import numpy as np
from nbformat import NotebookNode
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Float, Unicode

from references import check_calls, is_test_cell  # noqa: F401 -- also read from here by the tests

HERE = Path(__file__).resolve().parent
# The sandbox's own verdicts: when a record is missing, these say why, and are kept.
SANDBOX_ERRORS = ("NotRun", "KernelDied", "KernelKilled", "GradingIntegrityError", "CellTimeoutError",
                  "KeyboardInterrupt")
_MEMORY: dict[str, dict] = {}  # references by cache key, for the students graded by this process


def load_checker(path: Path):
    """The instructor's checker module, imported under a name of its own (never the student's copy)."""
    spec = importlib.util.spec_from_file_location(f"trusted_{path.stem}_{os.getpid()}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def references(source: Path, checker: Path, calls: list[tuple[str, int | None, str]], cache_dir: str,
               timeout: float) -> dict[str, list]:
    """``"name/seed" -> [record of the solution on each case]``, from references.py, cached by content."""
    digest = hashlib.sha256(source.read_bytes() + checker.read_bytes() + (HERE / "references.py").read_bytes()
                            + json.dumps(calls).encode()).hexdigest()[:24]
    if digest in _MEMORY:
        return _MEMORY[digest]
    cached = Path(cache_dir) / f"{source.stem}-{digest}.json" if cache_dir else None
    if cached is not None and cached.is_file():
        _MEMORY[digest] = json.loads(cached.read_text())
        return _MEMORY[digest]
    env = {k: v for k, v in os.environ.items() if not k.startswith("NBGRADER_")}
    env.setdefault("OMP_NUM_THREADS", "1")
    proc = subprocess.run([sys.executable, str(HERE / "references.py"), str(source), str(checker), json.dumps(calls)],
                          cwd=source.parent, env=env, capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0:
        raise RuntimeError(f"the instructor's solution {source} failed to compute the references:\n"
                           f"{proc.stderr[-3000:]}")
    result = json.loads(proc.stdout.splitlines()[-1])
    if cached is not None:
        cached.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile("w", dir=cached.parent, delete=False, suffix=".tmp") as f:
            f.write(json.dumps(result))
        os.replace(f.name, cached)  # atomic: parallel graders read a whole file or none
    _MEMORY[digest] = result
    return result


def key(name: str, seed: int | None) -> str:
    return f"{name}/{seed}"


def displayed_records(cell) -> list[dict]:
    """The check records a cell displayed, in order (whatever the student's process put there)."""
    from rnnlib.checking import MIME

    found = []
    for output in cell.get("outputs", []):
        if output.get("output_type") in ("display_data", "execute_result") and MIME in output.get("data", {}):
            found.append(output["data"][MIME])
    return found


def judge_cell(cell, calls, checker, refs) -> tuple[list[str], str | None, bool]:
    """(success lines, the first failure's message or None, whether that failure is a missing record)."""
    found = displayed_records(cell)
    lines = []
    for i, (name, seed, fn_name) in enumerate(calls):
        entry = found[i] if i < len(found) else None
        if not (isinstance(entry, dict) and entry.get("name") == name and entry.get("seed") == seed):
            stopped = next((f" The cell stopped at {o.get('ename')}: {str(o.get('evalue'))[:300]}" for o in
                            cell.get("outputs", []) if o.get("output_type") == "error"), "")
            return lines, (f"{fn_name}: the check {name!r} did not record its results (the cell stopped before it, "
                           f"or something replaced the check), so it scores 0.{stopped}"), True
        try:
            records = json.loads(entry["records"]) if isinstance(entry.get("records"), str) else None
        except ValueError:
            records = None
        cases = getattr(checker, f"cases_{name}")(np.random.default_rng(0 if seed is None else seed))
        reference = refs[key(name, seed)]
        if not (isinstance(records, list) and len(records) == len(cases)):
            return lines, f"{fn_name}: the records of the check {name!r} are unreadable; it scores 0", False
        judge = getattr(checker, f"judge_{name}")
        for case, record, ref in zip(cases, records, reference):
            try:
                judge(case, record, ref)
            except AssertionError as error:
                return lines, str(error) or f"{fn_name}: wrong result in the check {name!r}", False
            except Exception as error:  # a record that decodes into something the judge cannot compare
                return lines, f"{fn_name}: unreadable result in the check {name!r} ({type(error).__name__})", False
        if seed is None:
            lines.append(checker.PASSED.get(name, f"{name}: passed"))
    if len(found) > len(calls):
        return lines, "this cell displayed more check records than it makes checks; it scores 0", False
    return lines, None, False


def _error(message: str) -> NotebookNode:
    """The judge's verdict as the cell's error: its message alone, wrapped as the student's kernel shows it."""
    from rnnlib.checking import render

    return NotebookNode(output_type="error", ename="AssertionError", evalue=message, traceback=render(message))


class TrustedJudge(NbGraderPreprocessor):
    """Rewrite the outputs of every test cell made of ``check`` calls with the verdict judged here."""

    solutions = Unicode("", help="The instructor's source folder (solutions/); its notebooks say which checks "
                                 "each test cell makes, its checker modules judge them.").tag(config=True)
    cache_dir = Unicode("", help="Folder for the solution's references, shared by parallel graders "
                                 "('' keeps them in memory only).").tag(config=True)
    timeout = Float(600, help="Seconds the solution gets to compute the references.").tag(config=True)

    def preprocess(self, nb: NotebookNode, resources: dict):
        info = resources.get("nbgrader", {})
        assignment, notebook = info.get("assignment"), info.get("notebook")
        source = Path(self.solutions) / str(assignment) / f"{notebook}.ipynb"
        if not self.solutions or not source.is_file():
            return nb, resources
        expected = {c.metadata.nbgrader["grade_id"]: check_calls(c.source)
                    for c in nbformat.read(source, as_version=4).cells if is_test_cell(c)}
        if not any(expected.values()):
            return nb, resources
        checker_path = source.parent / f"{assignment}_checks.py"
        checker = load_checker(checker_path)
        calls = sorted({call for cs in expected.values() for call in cs}, key=lambda c: (c[0], c[1] or 0, c[2]))
        refs = references(source, checker_path, calls, self.cache_dir, self.timeout)
        for cell in nb.cells:
            calls = expected.get(cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")) if is_test_cell(
                cell) else None
            if not calls:
                continue
            lines, failure, missing = judge_cell(cell, calls, checker, refs)
            kept = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"
                    and o.get("ename") in SANDBOX_ERRORS]
            if failure is None and not any(o.get("ename") == "GradingIntegrityError" for o in kept):
                cell.outputs = [NotebookNode(output_type="stream", name="stdout", text="\n".join(lines) + "\n")]
            elif failure is None or (missing and kept):
                cell.outputs = kept
            else:
                cell.outputs = [_error(failure)] + [o for o in kept if o.get("ename") == "GradingIntegrityError"]
        return nb, resources
