"""The graded exercises' checks, seen from the student's notebook: ``check("neuron_step", neuron_step)``.

Each assignment ships a checker module beside its notebook (``a01_checks.py``) with, for every check ``name``:

``cases_<name>(rng)``
    the inputs, a list of dicts in the order of the function's parameters;
``produce_<name>(fn, case)``
    calls ``fn`` on deep copies of one case and returns a *record*: plain data only (see :func:`encode`),
    with what ``fn`` returned, the exception it raised and the inputs it modified;
``judge_<name>(case, record, reference)``
    None, or AssertionError whose first line names the cause; ``reference`` is the record of the instructor's
    solution on the same case.

The module holds no code that computes an answer. The references are the solution's own records: the grader
computes them (grading/judge/references.py), and for the visible checks ``make exercises`` stores them in
``<a>_references.json``, released beside the module, so Validate works with no grader present. Diagnoses that
name a mistake by re-computing what it would give live in ``<a>_diagnoses.py``, which stays in solutions/
(nbgrader_config.py keeps it out of the release); a judge reaches them through :func:`diagnoses`, and without
them (in the students' copy) says what is wrong and where, and leaves the cause to the graded feedback. A
diagnoses module never imports its checker module (it is loaded by path, under another name): the judge passes
it the case, the arrays and its own comparison, so both judge to the same rounding.

In the student's kernel :class:`Checker` (or :func:`check`) runs all three and prints one line or raises the
judge's error as a :class:`CheckFailed`, shown as its message alone (no traceback through the checks). While
nbgrader autogrades (``NBGRADER_EXECUTION=autograde``) it only produces: it calls the student's function and
displays the records under :data:`MIME`. The grader (grading/judge/) then judges those records in its own
process against its own references, so nothing the student's process does to numpy, torch or this module can
change a verdict; it can only change the numbers it reports, and those have to be right.
"""

from __future__ import annotations

import copy
import importlib
import importlib.util
import json
import os
import textwrap
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from rnnlib.gradcheck import rel_error

#: The output type that carries a check's records from the student's kernel to the grader.
MIME = "application/vnd.rnn-course.check+json"

# Array dtypes a record may hold: bools, integers, floats.
_KINDS = "biuf"


# ------------------------------------------------------------------------------------------ records

def encode(value):
    """``value`` as plain, JSON-able data that says what it was: a float is not an array of shape ()."""
    kind = type(value)
    if value is None:
        return {"t": "none"}
    if kind is bool or kind is np.bool_:
        return {"t": "bool", "v": bool(value)}
    if kind is int or (isinstance(value, np.integer) and kind.__module__ == "numpy"):
        return {"t": "int", "v": int(value)}
    if kind is float or (isinstance(value, np.floating) and kind.__module__ == "numpy"):
        return {"t": "float", "v": float(value), "numpy": kind is not float}
    if kind is str:
        return {"t": "str", "v": value}
    if kind is np.ndarray and value.dtype.kind in _KINDS:
        return {"t": "array", "dtype": value.dtype.str, "shape": list(value.shape), "v": value.ravel().tolist()}
    if kind in (tuple, list):
        return {"t": kind.__name__, "v": [encode(v) for v in value]}
    if kind is dict and all(type(k) is str for k in value):  # e.g. gradients by name
        return {"t": "dict", "v": {k: encode(v) for k, v in value.items()}}
    # Anything else (a tensor, an ndarray subclass, an object with its own __eq__, a dict subclass or one whose
    # keys are not plain strings) is named, never trusted.
    return {"t": "object", "type": f"{kind.__module__}.{kind.__qualname__}"}


class Unreadable(AssertionError):
    """A record that is missing, of the wrong form, or holds something the checks cannot read."""


def decode(data):
    """The value :func:`encode` described, rebuilt from plain data; :class:`Unreadable` for anything else."""
    if not isinstance(data, dict) or not isinstance(data.get("t"), str):
        raise Unreadable(f"unreadable record entry {str(data)[:80]!r}")
    t, v = data["t"], data.get("v")
    if t == "none":
        return None
    if t == "bool" and type(v) is bool:
        return v
    if t == "int" and type(v) is int:
        return v
    if t == "float" and type(v) in (float, int):
        return np.float64(v) if data.get("numpy") else float(v)
    if t == "str" and type(v) is str:
        return v
    if t == "array" and type(v) is list:
        dtype, shape = np.dtype(str(data.get("dtype"))), data.get("shape")
        if dtype.kind not in _KINDS or not isinstance(shape, list) or not all(type(n) is int for n in shape):
            raise Unreadable(f"unreadable array of dtype {dtype} and shape {shape!r}")
        if not all(type(x) in (bool, int, float) for x in v) or len(v) != int(np.prod(shape, dtype=np.int64)):
            raise Unreadable("unreadable array values")
        return np.array(v, dtype=dtype).reshape(shape)
    if t in ("tuple", "list") and type(v) is list:
        items = [decode(x) for x in v]
        return tuple(items) if t == "tuple" else items
    if t == "dict" and type(v) is dict and all(type(k) is str for k in v):
        return {k: decode(x) for k, x in v.items()}
    if t == "object" and type(data.get("type")) is str:
        return Opaque(data["type"])
    raise Unreadable(f"unreadable record entry of type {t!r}")


class Opaque:
    """Stands for a returned object that a record names but does not hold."""

    def __init__(self, type_name: str):
        self.type_name = type_name

    def __repr__(self):
        return f"<{self.type_name}>"


def _same(a, b) -> bool:
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return (type(a) is type(b) and a.shape == b.shape and a.dtype == b.dtype
                and bool(np.array_equal(a, b, equal_nan=a.dtype.kind == "f")))
    return type(a) is type(b) and (a == b or (a != a and b != b))


def call(fn: Callable, case: dict, build: Callable[..., tuple] | None = None) -> dict:
    """The record of ``fn(*case.values())``, called on deep copies: what it returned or raised, what it modified.

    ``build(**copies)`` gives the arguments instead when they are not the case's values in order, e.g.
    ``lambda dh, **cache: (dh, StepCache(**cache))``; every input it reads is still compared with its original.
    """
    args = copy.deepcopy(case)
    record = {"returned": None, "error": None, "modified": []}
    try:
        value = fn(*(build(**args) if build is not None else args.values()))
    except Exception as error:  # the student's bug, reported by the judge
        record["error"] = {"type": type(error).__name__, "message": str(error)[:300]}
    else:
        record["returned"] = encode(value)
    record["modified"] = [k for k in case if not _same(case[k], args[k])]
    return record


def returned(record, what: str, n: int | None = None, hint: str = "work on a copy"):
    """What the function returned, after the checks every function shares.

    ``what`` names the function in messages; with ``n``, the function must return a tuple of ``n`` values;
    ``hint`` ends the message about modified inputs (how to avoid it in this function).
    Raises AssertionError (first line: the cause) if the record is unreadable, the function raised, modified
    its inputs, or returned the wrong number of values.
    """
    if not isinstance(record, dict) or not {"returned", "error", "modified"} <= set(record):
        raise Unreadable(f"{what}: no readable record of this check (the check did not run to its end)")
    error, modified = record["error"], record["modified"]
    if error is not None:
        if not isinstance(error, dict):
            raise Unreadable(f"{what}: unreadable record")
        raise AssertionError(f"{what} raised {error.get('type')}: {error.get('message')}")
    if not isinstance(modified, list):
        raise Unreadable(f"{what}: unreadable record")
    if modified:
        raise AssertionError(f"{what} modified its input {', '.join(map(str, modified))}: do not modify your inputs "
                             f"(the caller still needs them); {hint}")
    value = decode(record["returned"])
    if n is not None and not (isinstance(value, tuple) and len(value) == n):
        got = f"a tuple of {len(value)}" if isinstance(value, tuple) else f"{value!r}"[:60]
        raise AssertionError(f"{what} should return {n} values, got {got}")
    return value


def numeric(value, what: str) -> np.ndarray:
    """``value`` as a float64 array, or AssertionError naming what it was instead."""
    if isinstance(value, Opaque) or isinstance(value, (str, list, tuple)) or value is None:
        raise AssertionError(f"{what} should be a number or a numpy array, got {value!r}"[:200])
    return np.asarray(value, dtype=np.float64)


def close(a, b, tol: float) -> bool:
    """Whether ``a`` and ``b`` agree to relative error ``tol`` (:func:`rnnlib.gradcheck.rel_error`)."""
    return rel_error(a, b) < tol


def array(value, what: str, shape: tuple) -> np.ndarray:
    """``value`` as a float64 array of exactly ``shape``, or AssertionError naming what it was instead.

    A shape that is ``shape`` reversed is called transposed; ``(B, *shape)`` for a 1-D ``shape`` (a bias's
    gradient left per example) is told to sum over the batch.
    """
    if not isinstance(value, (np.ndarray, float)):
        raise AssertionError(f"{what} should be a numpy array of shape {shape}, got {value!r}"[:200])
    value = np.asarray(value, dtype=np.float64)
    if value.shape != tuple(shape):
        hint = ""
        if value.shape == tuple(shape)[::-1]:
            hint = ": it is transposed"
        elif len(value.shape) == 2 and value.shape[1:] == tuple(shape):
            hint = ": sum over the batch (axis 0), since the bias is added to every example"
        raise AssertionError(f"{what} has shape {value.shape} but should be {tuple(shape)}{hint}")
    return value


# ------------------------------------------------------------------------------------------ the student's side

#: The width of a failed check's lines: nbgrader's Validate report cuts longer ones.
WIDTH = 83


def render(message: str, ename: str = "AssertionError") -> list[str]:
    """A failed check as the lines of a traceback: ``ename: message``, wrapped to :data:`WIDTH`, nothing else."""
    head = f"{ename}: "
    lines = []
    for paragraph in message.splitlines() or [""]:
        indent = " " * len(head) if not lines else ""
        lines += textwrap.wrap(paragraph, WIDTH, initial_indent=indent, break_on_hyphens=False) or [""]
    return [f"\x1b[0;31m{ename}\x1b[0m: " + lines[0].lstrip()] + lines[1:]


class CheckFailed(AssertionError):
    """A check's verdict: IPython shows it as the message alone (:func:`render`), not as a traceback through the
    checks, so the Validate dialog and the feedback show what looks wrong and nothing else."""

    def _render_traceback_(self):
        return render(str(self))


def emit(name: str, seed: int | None, records: Sequence[dict]) -> None:
    """Display the records in the cell's output, where the grader reads them."""
    from IPython.display import display

    display({MIME: {"name": name, "seed": seed, "records": json.dumps(records)},
             "text/plain": f"[{name}: {len(records)} records for the grader]"}, raw=True)


def diagnoses(checker_file: str):
    """The instructor's diagnoses beside a checker module (``a02_checks.py`` -> ``a02_diagnoses.py``), or None
    where they are not (the students' copy). ``DIAGNOSES = diagnoses(__file__)`` in the checker module."""
    path = Path(checker_file).with_name(Path(checker_file).name.replace("_checks.py", "_diagnoses.py"))
    if path == Path(checker_file) or not path.is_file():
        return None
    spec = importlib.util.spec_from_file_location(f"_{path.stem}_{abs(hash(str(path)))}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class Checker:
    """``check = Checker("a01_checks")`` in a notebook's setup cell; then ``check("neuron_step", neuron_step)``."""

    def __init__(self, module: str):
        self.module = importlib.import_module(module)
        self._references = None

    def references(self) -> dict:
        """The solution's records of the visible checks, ``{"name/None": [record, ...]}``, from the file
        released beside the module (``{}`` without it)."""
        if self._references is None:
            path = Path(self.module.__file__).with_name(self.module.__name__.replace("_checks", "_references.json"))
            self._references = json.loads(path.read_text()) if path.is_file() else {}
        return self._references

    def __call__(self, name: str, fn: Callable, seed: int | None = None) -> None:
        """Run the check ``name`` on ``fn``: with its visible inputs, or with ``seed``'s (a hidden test)."""
        m = self.module
        cases = getattr(m, f"cases_{name}")(np.random.default_rng(0 if seed is None else seed))
        produce = getattr(m, f"produce_{name}")
        records = [produce(fn, case) for case in cases]
        if os.environ.get("NBGRADER_EXECUTION") == "autograde":
            emit(name, seed, records)
            return
        reference = self.references().get(f"{name}/{seed}")
        if reference is None or len(reference) != len(cases):
            print(f"{name}: recorded; it is judged when your work is graded")
            return
        judge = getattr(m, f"judge_{name}")
        for case, record, ref in zip(cases, records, reference):
            try:
                judge(case, json.loads(json.dumps(record)), ref)
            except AssertionError as error:
                raise CheckFailed(str(error)) from None
        if seed is None:
            print(m.PASSED.get(name, f"{name}: passed"))


def check(name: str, fn: Callable, seed: int | None = None) -> None:
    """``check(name, fn)`` with the one checker module ``<assignment>_checks.py`` beside the notebook.

    For a setup cell that says ``from rnnlib.checking import check`` instead of naming its module with
    :class:`Checker`; the notebook's folder must hold exactly one such module.
    """
    found = sorted(p.stem for p in Path.cwd().glob("a[0-9][0-9]_checks.py"))
    if len(found) != 1:
        raise RuntimeError(f"check() needs exactly one checker module aNN_checks.py beside the notebook, in "
                           f"{Path.cwd()}; found {found or 'none'}")
    if found[0] not in _CHECKERS:
        _CHECKERS[found[0]] = Checker(found[0])
    _CHECKERS[found[0]](name, fn, seed)


_CHECKERS: dict[str, Checker] = {}
