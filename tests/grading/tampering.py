"""Tampering cannot buy points: a mistake, repeated with in-process tampering, scores no more than alone.

Each assignment judged outside the student's process has a module ``test_<a>_tampering.py`` that says
``ASSIGNMENT = "<a>"`` and imports the tests below (one module per assignment, so that the workers of
``pytest -n`` share them out). For it: one temporary course, one ``nbgrader autograde`` call, with the
repository's config except that the sandbox's tamper probe is off (``c.SandboxedExecute.tamper_probe = False``),
so what is proven is that the trusted judge (grading/judge/) holds on its own; the probe stays on in the real
config as a second line. Students: each of the case file's TAMPERING_MUTANTS (cases/<a>.py) alone, and with each
tampering of TAMPERING (and the case file's own TAMPERING) appended to its answer cells. The tamperings aim at the
verdict, not at the mistake, so a few mutants keep CI short; ``RNN_TAMPERING=all`` grades every WRONG mutant.
"""

from __future__ import annotations

import os
import re

import nbformat
import pytest

import harness

__all__ = ["TAMPERING", "graded", "test_tampering_scores_no_more_than_the_mistake_alone",
           "test_the_case_files_own_tamperings_score_no_more", "test_the_tampering_really_ran"]

# Code a student appends to an answer cell; {fn} is the function that cell defines, {checks} the checker module.
TAMPERING = {
    # Names the setup cell defined: np lies about closeness, rel_error says 0, check prints the success line.
    "setup names rebound": '''
import types as _types, numpy as _numpy
np = _types.SimpleNamespace(**{k: getattr(_numpy, k) for k in dir(_numpy) if not k.startswith("__")})
np.allclose = np.array_equal = lambda *a, **k: True
np.isclose = lambda a, b, *r, **k: _numpy.ones(_numpy.broadcast(a, b).shape, bool)
rel_error = lambda *a, **k: 0.0
check = lambda name, fn, seed=None: print(f"{name}: passed")
''',
    # Functions of numpy, torch, rnnlib and the checker module patched in place, as the kernel sees them.
    "numpy, torch, rnnlib and the checker patched": '''
import sys as _sys, numpy as _numpy, rnnlib.gradcheck as _gc, rnnlib.checking as _chk
_numpy.allclose = lambda *a, **k: True
_numpy.isclose = lambda a, b, *r, **k: _numpy.ones(_numpy.broadcast(a, b).shape, bool)
if "torch" in _sys.modules:
    _sys.modules["torch"].allclose = lambda *a, **k: True
_gc.rel_error = lambda *a, **k: 0.0
_chk.close = lambda *a, **k: True
_checks = _sys.modules["{checks}"]
_checks.rel_error = _gc.rel_error
for _name in dir(_checks):
    if _name.startswith("judge_"):
        setattr(_checks, _name, lambda *a, **k: None)
_chk.Checker.__call__ = lambda self, name, fn, seed=None: print(self.module.PASSED.get(name, "passed"))
''',
    # The released references (what Validate judges against) made to agree with the mistake: each is the student's
    # own record. (The file itself is read-only in the sandbox; the method that reads it is not.)
    "references agree with the mistake": '''
import sys as _sys, numpy as _numpy, rnnlib.checking as _chk
_checks = _sys.modules["{checks}"]
class _Own(dict):
    def get(self, key, default=None):
        _name = key.split("/")[0]
        try:
            return [getattr(_checks, "produce_" + _name)({fn}, _c)
                    for _c in getattr(_checks, "cases_" + _name)(_numpy.random.default_rng(0))]
        except Exception:
            return default
_chk.Checker.references = lambda self: _Own()
''',
    # sys.modules swaps: the checker module replaced by one with no cases, so nothing is ever compared.
    "sys.modules swapped": '''
import sys as _sys, types as _types
_fake = _types.ModuleType("{checks}")
_real = _sys.modules["{checks}"]
_fake.__getattr__ = lambda name: (lambda *a, **k: []) if name.startswith("cases_") else getattr(_real, name)
_sys.modules["{checks}"] = _fake
check.module = _fake
''',
    # Results that say they equal anything: __eq__, __array__, __float__, __bool__ lie, in tuples and dicts.
    "lying results": '''
import numpy as _numpy
class _LiarFloat(float):
    __eq__ = lambda self, other: True
    __ne__ = lambda self, other: False
    __hash__ = float.__hash__
    __float__ = lambda self: 0.0
class _LiarBool:
    __eq__ = lambda self, other: True
    __bool__ = lambda self: True
class _LiarArray(_numpy.ndarray):
    __eq__ = lambda self, other: _numpy.ones(self.shape, bool)
    __array__ = lambda self, *a, **k: _numpy.zeros(self.shape)
class _LiarDict(dict):
    __eq__ = lambda self, other: True
def _lie(value):
    if isinstance(value, dict):
        return _LiarDict({k: _lie(v) for k, v in value.items()})
    if isinstance(value, tuple):
        return tuple(_lie(v) for v in value)
    if isinstance(value, (bool, _numpy.bool_)):
        return _LiarBool()
    if isinstance(value, (int, float, _numpy.ndarray, _numpy.generic)):
        return _LiarFloat(float(value)) if _numpy.ndim(value) == 0 else _numpy.asarray(value).view(_LiarArray)
    return value
_honest_{fn} = {fn}
{fn} = lambda *args, **kwargs: _lie(_honest_{fn}(*args, **kwargs))
''',
    # IPython hooked: after every cell, its output is cleared and a success line printed.
    "outputs rewritten by a hook": '''
from IPython.display import clear_output as _clear
def _pretend(result):
    _clear()
    print("passed")
get_ipython().events.register("post_run_cell", _pretend)
''',
}


def defined_function(source: str) -> str:
    """The first function (or class) an answer cell defines: the name the tampering wraps."""
    return re.search(r"^(?:def|class) (\w+)", source, re.M).group(1)


def student(mutant: str, tamper: str | None = None) -> str:
    return harness.slug(mutant) + (f"--{harness.slug(tamper)[6:]}" if tamper else "")


def tamperings(case: harness.Case) -> dict[str, str]:
    return {**TAMPERING, **case.tampering}


@pytest.fixture(scope="module")
def graded(request, tmp_path_factory):
    """(case, course, scores) of the assignment's tampering class, graded once per module."""
    case = harness.load_case(request.module.ASSIGNMENT)
    assert case.tampering_mutants, f"cases/{case.assignment}.py names no TAMPERING_MUTANTS"
    if os.environ.get("RNN_TAMPERING") == "all":
        case.tampering_mutants = list(case.wrong)
    course = harness.Course(tmp_path_factory.mktemp(f"tampering-{case.assignment}") / "course", case,
                            "c.SandboxedExecute.tamper_probe = False")
    generate = course.nbgrader("generate_assignment", case.assignment, "--force")
    assert generate.returncode == 0, generate.stderr[-3000:]
    release = nbformat.read(course.release_path, as_version=4)
    solved = harness.answers(case)
    for mutant in case.tampering_mutants:
        replacement = case.wrong[mutant]
        course.submit(student(mutant), harness.fill(release, {**solved, **replacement}))
        for tamper, code in tamperings(case).items():
            tampered = {g: src + "\n" + code.replace("{fn}", defined_function(src)).replace(
                "{checks}", f"{case.assignment}_checks") for g, src in replacement.items()}
            course.submit(student(mutant, tamper), harness.fill(release, {**solved, **tampered}))
    autograde = course.nbgrader("autograde", case.assignment, "--force", timeout=1800)
    assert autograde.returncode == 0, (autograde.stdout + autograde.stderr)[-5000:]
    return case, course, course.scores()


def _no_more(case, scores, tamper) -> dict:
    worse = {}
    for mutant in case.tampering_mutants:
        alone, tampered = scores[student(mutant)].code, scores[student(mutant, tamper)].code
        print(f"  {case.assignment} {mutant:55s} alone {alone:5g}, {tamper}: {tampered:5g}")
        assert alone < case.autograded_points, f"{mutant} alone scores full marks"
        if tampered > alone:
            worse[mutant] = (alone, tampered)
    return worse


@pytest.mark.parametrize("tamper", list(TAMPERING))
def test_tampering_scores_no_more_than_the_mistake_alone(graded, tamper):
    case, course, scores = graded
    worse = _no_more(case, scores, tamper)
    assert not worse, f"{case.assignment}, {tamper}: (mistake alone, with tampering) {worse}"


def test_the_case_files_own_tamperings_score_no_more(graded):
    """The tamperings written for this assignment alone (cases/<a>.py TAMPERING), e.g. its torch reference patched."""
    case, course, scores = graded
    worse = {tamper: _no_more(case, scores, tamper) for tamper in case.tampering}
    assert not any(worse.values()), f"{case.assignment}: (mistake alone, with tampering) {worse}"


@pytest.mark.parametrize("tamper", list(TAMPERING))
def test_the_tampering_really_ran(graded, tamper):
    """The tampering code ran without error in the student's kernel: what it changed was in place when the tests ran."""
    case, course, scores = graded
    for mutant in case.tampering_mutants:
        nb = nbformat.read(course.autograded_path(student(mutant, tamper)), as_version=4)
        for cell in (c for c in nb.cells if harness.nbgrader_meta(c).get("grade_id") in case.wrong[mutant]):
            assert not [o for o in cell.outputs if o.get("output_type") == "error"], (mutant, cell.outputs)
