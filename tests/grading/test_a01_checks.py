"""What is particular to a01's checker module (solutions/a01/a01_checks.py); test_checks.py holds what every
ported assignment must show (each mistake named by its cause, the references agreeing, unreadable records failing).
Here also: the students' copy (exercises/a01/, no diagnoses) says where a mistake is and names no cause, where the
instructor's copy names it.
"""

from __future__ import annotations


import numpy as np
import pytest

import harness
import notebook_run
import trusted_judge

CASE = harness.load_case("a01")
CHECKER = trusted_judge.load_checker(CASE.checker_path)
RELEASE = harness.ROOT / "exercises" / "a01"


SOLUTION = notebook_run.run(CASE, tests=False)[0]  # the setup and answer cells of the solution


def test_inputs_modified_in_place_fail():
    def neuron_forward(x, h0, w, u, b, v, c):
        hs, ys = SOLUTION["neuron_forward"](x, h0, w, u, b, v, c)
        x *= 0
        return hs, ys

    case = CHECKER.cases_neuron_forward(np.random.default_rng(0))[1]
    with pytest.raises(AssertionError, match="neuron_forward modified its input x"):
        CHECKER.judge_neuron_forward(case, CHECKER.produce_neuron_forward(neuron_forward, case),
                                     CHECKER.produce_neuron_forward(SOLUTION["neuron_forward"], case))


@pytest.mark.parametrize("returned, message", [
    (lambda *a: (_Liar(0.1), _Liar(0.2)), "should be a number"),
    (lambda *a: 1 / 0, "neuron_step raised ZeroDivisionError"),
    (lambda *a: (0.1,), "should return 2 values"),
])
def test_unreadable_or_lying_results_fail(returned, message):
    case = CHECKER.cases_neuron_step_values(None)[0]
    with pytest.raises(AssertionError, match=message):
        CHECKER.judge_neuron_step(case, CHECKER.produce_neuron_step(returned, case),
                                  CHECKER.produce_neuron_step(SOLUTION["neuron_step"], case))


class _Liar(float):
    """A float that says it equals anything."""

    def __eq__(self, other):
        return True

    __hash__ = float.__hash__


def test_validate_shows_the_message_alone(monkeypatch):
    """In the student's kernel (Validate) a failed check raises CheckFailed: its message, no traceback."""
    from rnnlib import checking

    monkeypatch.syspath_prepend(str(CASE.source_path.parent))
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    check = checking.Checker("a01_checks")
    no_bias = lambda x, h_prev, w, u, b, v, c: SOLUTION["neuron_step"](x, h_prev, w, u, 0.0 * b, v, c)
    with pytest.raises(checking.CheckFailed, match="the bias b is missing") as failed:
        check("neuron_step", no_bias)
    lines = failed.value._render_traceback_()
    assert lines[0].startswith("\x1b[0;31mAssertionError\x1b[0m: h looks like") and "a01_checks" not in "".join(lines)


@pytest.mark.parametrize("mutant, name, fn, where, cause", [
    ("bias missing", "neuron_step_values", "neuron_step", "h = -0.53705, expected -0.462117", "the bias b is missing"),
    ("plain fixed-point iteration", "fixed_point_hard", "fixed_point", "is not a fixed point for x=",
     "plain iteration cannot converge"),
    ("|w| < 1 instead of the slope at h*", "iteration_converges", "iteration_converges",
     "returned False, expected True", "Use the slope w (1 - h*^2), not w alone"),
])
def test_the_students_copy_says_where_and_the_graders_copy_why(mutant, name, fn, where, cause):
    released = trusted_judge.load_checker(RELEASE / "a01_checks.py")
    assert released.DIAGNOSES is None and CHECKER.DIAGNOSES is not None
    namespace = dict(SOLUTION)
    for source in CASE.wrong[mutant].values():
        exec(source, namespace)
    in_kernel = harness.first_failure(released, "a01", name, namespace[fn])
    graded = harness.first_failure(CHECKER, "a01", name, namespace[fn])
    assert in_kernel is not None and where in in_kernel and cause not in in_kernel, in_kernel
    assert graded is not None and cause in graded, graded
