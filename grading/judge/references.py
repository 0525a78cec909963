"""The instructor's solution on every graded check's inputs, in a Python process of its own (no student code).

Usage (trusted_judge.py runs it, from the solution's folder)::

    python references.py a01_recurrent_neuron.ipynb a01_checks.py '[["neuron_step", null, "neuron_step"], ...]'

Runs every code cell of the source notebook except its test cells (the setup and the solutions), then for each
(check, seed, function) computes the checker module's ``cases_<check>`` for that seed and the record
``produce_<check>(function, case)`` of every case. Prints one JSON line: ``{"check/seed": [record, ...]}``.
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import json
import sys
from pathlib import Path

import nbformat
import numpy as np


def is_test_cell(cell) -> bool:
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return cell.cell_type == "code" and meta.get("grade", False) and not meta.get("solution", False)


def main(notebook: str, checker_path: str, calls: str) -> dict:
    sys.path.insert(0, str(Path(notebook).resolve().parent))  # the setup cell imports the checker module by name
    spec = importlib.util.spec_from_file_location("checker", checker_path)
    checker = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(checker)
    namespace = {"__name__": "__main__"}
    with contextlib.redirect_stdout(io.StringIO()):  # the solution's prints are not the answer
        for cell in nbformat.read(notebook, as_version=4).cells:
            if cell.cell_type == "code" and not is_test_cell(cell):
                code = "\n".join(line for line in cell.source.splitlines() if not line.lstrip().startswith(("%", "!")))
                exec(compile(code, f"<{notebook} cell>", "exec"), namespace)
    result = {}
    for name, seed, fn_name in json.loads(calls):
        cases = getattr(checker, f"cases_{name}")(np.random.default_rng(0 if seed is None else seed))
        produce = getattr(checker, f"produce_{name}")
        result[f"{name}/{seed}"] = [produce(namespace[fn_name], case) for case in cases]
    return result


if __name__ == "__main__":
    print(json.dumps(main(*sys.argv[1:4])))
