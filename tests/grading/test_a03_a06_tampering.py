"""Tampering cannot buy points on a03 and a06 either: a mistake, repeated with in-process tampering, scores no more.

As test_a01_tampering.py: one temporary course per assignment, one ``nbgrader autograde`` call, with the
repository's config except that the sandbox's tamper probe is off, so that what is proven is that the trusted judge
(grading/judge/) holds on its own. Students: a few WRONG mutants of cases/a03.py and cases/a06.py (one per function
they get wrong, to keep the grading time down), alone and with each tampering of TAMPERING appended to the answer
cell. The tamperings are those of a01 that do not depend on a01's functions, written for any checker module.
"""

from __future__ import annotations

import re

import nbformat
import pytest

import harness

# The mutants graded, by assignment: one per function of the assignment.
MUTANTS = {
    "a03": ["perturbs a copy of x", "tanh derivative with the wrong sign", "h0 read as hs[-1] at step 0"],
    "a06": ["LSTM gate order i, f, o, g", "GRU with z and 1 - z swapped",
            "backward: forget gate derivative with the wrong sign"],
}

# Code a student appends to an answer cell; {fn} is the function that cell defines, {checks} the checker module.
TAMPERING = {
    # The a06 example (rel_error rebound) and more names the setup cell defined.
    "setup names rebound": '''
import types as _types, numpy as _numpy
np = _types.SimpleNamespace(**{k: getattr(_numpy, k) for k in dir(_numpy) if not k.startswith("__")})
np.allclose = np.array_equal = lambda *a, **k: True
rel_error = lambda *a, **k: 0.0
check = lambda name, fn, seed=None: print(f"{name}: passed")
''',
    # Functions of numpy, rnnlib and the checker module patched in place, as the kernel sees them.
    "numpy, rnnlib and the checker patched": '''
import sys as _sys, numpy as _numpy, rnnlib.gradcheck as _gc, rnnlib.checking as _chk
_numpy.allclose = lambda *a, **k: True
_numpy.isclose = lambda a, b, *r, **k: _numpy.ones(_numpy.broadcast(a, b).shape, bool)
_gc.rel_error = lambda *a, **k: 0.0
_checks = _sys.modules["{checks}"]
_checks.rel_error = _gc.rel_error
for _name in dir(_checks):
    if _name.startswith("judge_"):
        setattr(_checks, _name, lambda *a, **k: None)
_chk.Checker.__call__ = lambda self, name, fn, seed=None: print(self.module.PASSED.get(name, "passed"))
''',
    # The in-kernel references (torch) made to agree with the mistake: each is the student's own record.
    "references agree with the mistake": '''
import sys as _sys
_checks = _sys.modules["{checks}"]
for _name in dir(_checks):
    if _name.startswith("reference_") and hasattr(_checks, "produce_" + _name[10:]):
        setattr(_checks, _name, lambda case, _p=getattr(_checks, "produce_" + _name[10:]): _p({fn}, case))
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
    # Results that say they equal anything: __eq__, __array__, __float__ lie, in tuples and dicts of gradients.
    "lying results": '''
import numpy as _numpy
class _LiarFloat(float):
    __eq__ = lambda self, other: True
    __ne__ = lambda self, other: False
    __hash__ = float.__hash__
    __float__ = lambda self: 0.0
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
    if _numpy.ndim(value) == 0:
        return _LiarFloat(float(value))
    return _numpy.asarray(value).view(_LiarArray)
_honest_{fn} = {fn}
{fn} = lambda *args: _lie(_honest_{fn}(*args))
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
    return re.search(r"^def (\w+)", source, re.M).group(1)


def student(mutant: str, tamper: str | None = None) -> str:
    return harness.slug(mutant) + (f"--{harness.slug(tamper)[6:]}" if tamper else "")


@pytest.fixture(scope="module", params=list(MUTANTS))
def graded(request, tmp_path_factory):
    case = harness.load_case(request.param)
    course = harness.Course(tmp_path_factory.mktemp(f"tampering-{case.assignment}") / "course", case,
                            "c.SandboxedExecute.tamper_probe = False")
    generate = course.nbgrader("generate_assignment", case.assignment, "--force")
    assert generate.returncode == 0, generate.stderr[-3000:]
    release = nbformat.read(course.release_path, as_version=4)
    solved = harness.answers(case)
    for mutant in MUTANTS[case.assignment]:
        replacement = case.wrong[mutant]
        course.submit(student(mutant), harness.fill(release, {**solved, **replacement}))
        for tamper, code in TAMPERING.items():
            tampered = {g: src + "\n" + code.replace("{fn}", defined_function(src)).replace(
                "{checks}", f"{case.assignment}_checks") for g, src in replacement.items()}
            course.submit(student(mutant, tamper), harness.fill(release, {**solved, **tampered}))
    autograde = course.nbgrader("autograde", case.assignment, "--force", timeout=1800)
    assert autograde.returncode == 0, (autograde.stdout + autograde.stderr)[-5000:]
    return case, course, course.scores()


@pytest.mark.parametrize("tamper", list(TAMPERING))
def test_tampering_scores_no_more_than_the_mistake_alone(graded, tamper):
    case, course, scores = graded
    worse = {}
    for mutant in MUTANTS[case.assignment]:
        alone, tampered = scores[student(mutant)].code, scores[student(mutant, tamper)].code
        print(f"  {case.assignment} {mutant:55s} alone {alone:5g}, tampered {tampered:5g}")
        assert alone < case.autograded_points, f"{mutant} alone scores full marks"
        if tampered > alone:
            worse[mutant] = (alone, tampered)
    assert not worse, f"{case.assignment}, {tamper}: (mistake alone, with tampering) {worse}"


@pytest.mark.parametrize("tamper", list(TAMPERING))
def test_the_tampering_really_ran(graded, tamper):
    """The tampering code ran without error in the student's kernel: what it changed was in place when the tests ran."""
    case, course, scores = graded
    for mutant in MUTANTS[case.assignment]:
        nb = nbformat.read(course.autograded_path(student(mutant, tamper)), as_version=4)
        cell = next(c for c in nb.cells if harness.nbgrader_meta(c).get("grade_id") in case.wrong[mutant])
        assert not [o for o in cell.outputs if o.get("output_type") == "error"], (mutant, cell.outputs)
