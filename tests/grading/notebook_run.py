"""Run a made-up student's notebook in this process and collect each test cell's verdict, in seconds.

The grader proofs (test_assignments.py) grade with nbgrader, which takes minutes per assignment; the hint tests
only need to know which test cells fail and with which message. So: the source notebook's code cells, in order,
with the answers of the case's solution (or a mutant's), the test cells whole (their hidden tests included, as
when graded), in one namespace, with the assignment's folder on sys.path as the notebook's own folder is.
"""

from __future__ import annotations

import contextlib
import io
import sys
from pathlib import Path

import nbformat

import harness


def verdicts(case: harness.Case, replacements: dict[str, str] | None = None,
             folder: Path | None = None) -> dict[str, str | None]:
    """Test cell grade_id -> None if it passes, else its error ("Type: message"; a failed check is an
    AssertionError)."""
    return run(case, replacements, folder=folder)[1]


def run(case: harness.Case, replacements: dict[str, str] | None = None, tests: bool = True,
        folder: Path | None = None):
    """(the notebook's namespace, the test cells' verdicts); ``tests=False`` runs the other cells only.

    ``folder`` is the notebook's own folder, where its setup cell finds the checker module: solutions/<a>/ (the
    instructor's copy, with its diagnoses) unless it is the release, exercises/<a>/ (the students' copy)."""
    solved = {**harness.answers(case), **(replacements or {})}
    folder = str(folder or case.source_path.parent)
    checker = f"{case.assignment}_checks"
    sys.modules.pop(checker, None)  # imported from whichever folder ran before
    sys.path.insert(0, folder)
    namespace = {"__name__": "__main__"}
    results = {}
    try:
        for cell in nbformat.read(case.source_path, as_version=4).cells:
            if cell.cell_type != "code":
                continue
            grade_id = harness.nbgrader_meta(cell).get("grade_id")
            if harness.is_test_cell(cell) and not tests:
                continue
            source = solved[grade_id] if harness.is_code_answer(cell) else cell.source
            try:
                with contextlib.redirect_stdout(io.StringIO()):
                    exec(compile(source, f"<{grade_id}>", "exec"), namespace)
            except Exception as error:  # the student's mistake, reported as the grader would
                if harness.is_test_cell(cell):
                    kind = "AssertionError" if isinstance(error, AssertionError) else type(error).__name__
                    results[grade_id] = f"{kind}: {str(error)}"
            else:
                if harness.is_test_cell(cell):
                    results[grade_id] = None
    finally:
        sys.path.remove(folder)
        sys.modules.pop(checker, None)
    return namespace, results


def points(case: harness.Case, results: dict[str, str | None]) -> float:
    """The autograded points of the test cells that passed."""
    nb = nbformat.read(case.source_path, as_version=4)
    return sum(harness.nbgrader_meta(c).get("points", 0) for c in nb.cells
               if harness.is_test_cell(c) and results.get(harness.nbgrader_meta(c)["grade_id"]) is None)
