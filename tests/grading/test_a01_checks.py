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
