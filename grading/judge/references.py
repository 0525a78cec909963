"""The instructor's solution on every graded check's inputs, in a Python process of its own (no student code).

Usage::

    python references.py a01_recurrent_neuron.ipynb a01_checks.py '[["neuron_step", null, "neuron_step"], ...]'
    python references.py --release solutions/a01/a01_recurrent_neuron.ipynb

The first (trusted_judge.py runs it, from the solution's folder) runs every code cell of the source notebook except
its test cells (the setup and the solutions), then for each (check, seed, function) computes the checker module's
``cases_<check>`` for that seed and the record ``produce_<check>(function, case)`` of every case, and prints one
JSON line: ``{"check/seed": [record, ...]}``.

The second (``make exercises``) does the same for the visible checks of the notebook's test cells (those without a
seed) and writes them to ``<a>_references.json`` beside it, which nbgrader releases with the notebook: Validate, in
the student's kernel with no grader present, judges against the solution's own records (rnnlib.checking.Checker),
and the checker module needs no code that computes an answer.
"""

from __future__ import annotations

import ast
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


def check_calls(source: str) -> list[tuple[str, int | None, str]]:
    """The ``check(name, fn[, seed=N])`` calls of a test cell, in order: (name, seed, function name)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    calls = []
    for node in ast.walk(tree):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "check"
                and len(node.args) >= 2 and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str) and isinstance(node.args[1], ast.Name)):
            seed = next((k.value.value for k in node.keywords if k.arg == "seed"
                         and isinstance(k.value, ast.Constant)), None)
            calls.append(((node.lineno, node.col_offset), (node.args[0].value, seed, node.args[1].id)))
    return [call for _, call in sorted(calls)]


def visible_calls(notebook: Path) -> list[tuple[str, None, str]]:
    """The check calls without a seed in the notebook's test cells, each once, in order."""
    calls = [call for cell in nbformat.read(notebook, as_version=4).cells if is_test_cell(cell)
             for call in check_calls(cell.source) if call[1] is None]
    return list(dict.fromkeys(calls))


def load(checker_path: str):
    spec = importlib.util.spec_from_file_location("checker", checker_path)
    checker = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(checker)
    return checker


def main(notebook: str, checker_path: str, calls: str) -> dict:
    sys.path.insert(0, str(Path(notebook).resolve().parent))  # the setup cell imports the checker module by name
    checker = load(checker_path)
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


def released(records: list, checker) -> list:
    """The records as released: without the fields no visible judge reads (the checker module's NOT_RELEASED,
    e.g. a trained model's weights)."""
    fields = getattr(checker, "NOT_RELEASED", ())
    return [{k: v for k, v in r.items() if k not in fields} if isinstance(r, dict) else r for r in records]


def release(notebook: Path) -> Path:
    """Write the visible checks' references beside ``notebook`` (solutions/<a>/<a>_references.json)."""
    assignment = notebook.parent.name
    out = notebook.parent / f"{assignment}_references.json"
    checker_path = str(notebook.parent / f"{assignment}_checks.py")
    result = main(str(notebook), checker_path, json.dumps(visible_calls(notebook)))
    checker = load(checker_path)
    lines = [f"{json.dumps(k)}: {json.dumps(released(records, checker))}" for k, records in sorted(result.items())]
    out.write_text("{\n" + ",\n".join(lines) + "\n}\n")
    return out


if __name__ == "__main__":
    if sys.argv[1] == "--release":
        print(release(Path(sys.argv[2]).resolve()))
    else:
        print(json.dumps(main(*sys.argv[1:4])))
