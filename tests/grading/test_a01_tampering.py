"""Tampering cannot buy points on a01: each realistic mistake, repeated with in-process tampering, scores no more.

One temporary course, one ``nbgrader autograde`` call, with the repository's config except that the sandbox's
tamper probe is off (``c.SandboxedExecute.tamper_probe = False``): what is proven is that the trusted judge
(grading/judge/) holds on its own; the probe stays on in the real config as a second line. Students: every WRONG
mutant of cases/a01.py alone, and the same mutant with each tampering of TAMPERING appended to its answer cell.
"""

from __future__ import annotations

import re

import nbformat
import pytest

import harness

# Each tampering is code a student appends to an answer cell; {fn} is the function that cell defines.
TAMPERING = {
    # The issue's example, generalised: torch's RNNCell and RNN now compute what the student's functions compute,
    # so a reference built from them in the student's kernel agrees with the mistake.
    "torch patched to agree": '''
import torch as _torch
def _cell_forward(self, x, h=None):
    h_new, _ = neuron_step(x.detach().numpy()[:, 0], h.detach().numpy()[:, 0], self.weight_hh.item(),
                           self.weight_ih.item(), self.bias_ih.item(), 1.0, 0.0)
    return _torch.tensor(np.asarray(h_new, dtype=float))[:, None]
def _rnn_forward(self, x, h0=None):
    hs, _ = neuron_forward(x.detach().numpy()[:, :, 0], h0.detach().numpy()[0, :, 0], self.weight_hh_l0.item(),
                           self.weight_ih_l0.item(), self.bias_ih_l0.item(), 1.0, 0.0)
    out = _torch.tensor(np.asarray(hs, dtype=float))[:, :, None]
    return out, out[-1:]
_torch.nn.RNNCell.forward = _cell_forward
_torch.nn.RNN.forward = _rnn_forward
''',
    # Names the setup cell defined: np lies about closeness, check prints the success line and checks nothing.
    "setup names rebound": '''
import types as _types, numpy as _numpy
np = _types.SimpleNamespace(**{k: getattr(_numpy, k) for k in dir(_numpy) if not k.startswith("__")})
np.allclose = np.array_equal = lambda *a, **k: True
np.isclose = lambda a, b, *r, **k: _numpy.ones(_numpy.broadcast(a, b).shape, bool)
check = lambda name, fn, seed=None: print(f"{name}: passed")
''',
    # Functions of numpy, rnnlib and the checker module patched in place, as the kernel sees them.
    "numpy, rnnlib and the checker patched": '''
import sys as _sys, numpy as _numpy, rnnlib.gradcheck as _gc, rnnlib.checking as _chk
_numpy.allclose = lambda *a, **k: True
_numpy.isclose = lambda a, b, *r, **k: _numpy.ones(_numpy.broadcast(a, b).shape, bool)
_gc.rel_error = lambda *a, **k: 0.0
_checks = _sys.modules["a01_checks"]
_checks.rel_error = _gc.rel_error
for _name in dir(_checks):
    if _name.startswith("judge_"):
        setattr(_checks, _name, lambda *a, **k: None)
_chk.Checker.__call__ = lambda self, name, fn, seed=None: print(self.module.PASSED.get(name, "passed"))
''',
    # sys.modules swaps: the checker module replaced by one with no cases, so nothing is ever compared.
    "sys.modules swapped": '''
import sys as _sys, types as _types
_fake = _types.ModuleType("a01_checks")
_real = _sys.modules["a01_checks"]
_fake.__getattr__ = lambda name: (lambda *a, **k: []) if name.startswith("cases_") else getattr(_real, name)
_sys.modules["a01_checks"] = _fake
check.module = _fake
''',
    # Results that say they equal anything: __eq__, __array__, __float__, __bool__ all lie.
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
def _lie(value):
    if isinstance(value, tuple):
        return tuple(_lie(v) for v in value)
    if isinstance(value, (bool, _numpy.bool_)):
        return _LiarBool()
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


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    case = harness.load_case("a01")
    course = harness.Course(tmp_path_factory.mktemp("tampering") / "course", case,
                            "c.SandboxedExecute.tamper_probe = False")
    generate = course.nbgrader("generate_assignment", case.assignment, "--force")
    assert generate.returncode == 0, generate.stderr[-3000:]
    release = nbformat.read(course.release_path, as_version=4)
    solved = harness.answers(case)
    students = {}
    for mutant, replacement in case.wrong.items():
        students[harness.slug(mutant)] = harness.fill(release, {**solved, **replacement})
        for tamper, code in TAMPERING.items():
            tampered = {g: src + "\n" + code.replace("{fn}", defined_function(src)) for g, src in replacement.items()}
            students[f"{harness.slug(mutant)}--{harness.slug(tamper)[6:]}"] = harness.fill(release,
                                                                                           {**solved, **tampered})
    for student, nb in students.items():
        course.submit(student, nb)
    autograde = course.nbgrader("autograde", case.assignment, "--force", timeout=1800)
    assert autograde.returncode == 0, (autograde.stdout + autograde.stderr)[-5000:]
    return case, course, course.scores()


@pytest.mark.parametrize("tamper", list(TAMPERING))
def test_tampering_scores_no_more_than_the_mistake_alone(graded, tamper):
    case, course, scores = graded
    print("\n" + "\n".join(f"  {s:75s} {sc.code:5g}" for s, sc in sorted(scores.items())
                           if s.endswith("--" + harness.slug(tamper)[6:]) or "--" not in s))
    worse = {}
    for mutant in case.wrong:
        alone = scores[harness.slug(mutant)].code
        tampered = scores[f"{harness.slug(mutant)}--{harness.slug(tamper)[6:]}"].code
        if tampered > alone:
            worse[mutant] = (alone, tampered)
    assert not worse, f"{tamper}: (mistake alone, with tampering) {worse}"


@pytest.mark.parametrize("tamper", list(TAMPERING))
def test_the_tampering_really_ran(graded, tamper):
    """The tampering code ran without error in the student's kernel: what it changed was in place when the tests ran."""
    case, course, scores = graded
    for mutant, replacement in case.wrong.items():
        nb = nbformat.read(course.autograded_path(f"{harness.slug(mutant)}--{harness.slug(tamper)[6:]}"), as_version=4)
        cell = next(c for c in nb.cells if harness.nbgrader_meta(c).get("grade_id") in replacement)
        assert not [o for o in cell.outputs if o.get("output_type") == "error"], (mutant, cell.outputs)


def test_the_issues_example_scores_like_the_mistake_alone(graded):
    """neuron_step without its bias, plus torch.nn.RNNCell.forward patched to agree: 18/20 before the judge."""
    case, course, scores = graded
    assert scores["wrong-bias-missing--torch-patched-to-agree"].code == scores["wrong-bias-missing"].code < 20


def test_the_judge_says_why(graded):
    """The failing cell of a tampered student carries the trusted judge's message, not the student's output."""
    case, course, scores = graded
    nb = nbformat.read(course.autograded_path("wrong-bias-missing--setup-names-rebound"), as_version=4)
    cell = next(c for c in nb.cells if harness.nbgrader_meta(c).get("grade_id") == "test-neuron-step-values")
    errors = [o for o in cell.outputs if o.get("output_type") == "error"]
    assert errors and "did not record its results" in errors[0]["evalue"], cell.outputs
    nb = nbformat.read(course.autograded_path("wrong-bias-missing--torch-patched-to-agree"), as_version=4)
    cell = next(c for c in nb.cells if harness.nbgrader_meta(c).get("grade_id") == "test-neuron-step-torch")
    assert [o.get("evalue") for o in cell.outputs][0].startswith("h looks like tanh(w h_prev + u x)"), cell.outputs
