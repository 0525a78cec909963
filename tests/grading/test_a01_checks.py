"""a01's checker module (solutions/a01/a01_checks.py) without nbgrader: every check as the trusted judge runs it.

The answers of the solution, of the ALTERNATIVE and of each WRONG mutant of cases/a01.py are run in this process;
every check call of the source notebook's test cells, visible and hidden, is judged against the records of the
solution, as grading/judge/trusted_judge.py does. The solution and the alternative pass everything; each mutant's
first failure names its cause (cases/a01.py HINTS); the in-kernel references (torch, closed forms) that Validate
uses agree with the solution.
"""

from __future__ import annotations

import importlib.util
import sys

import nbformat
import numpy as np
import pytest

import harness

sys.path.insert(0, str(harness.ROOT / "grading" / "judge"))
import trusted_judge  # noqa: E402

CASE = harness.load_case("a01")
SOURCE = nbformat.read(CASE.source_path, as_version=4)
CHECKER = trusted_judge.load_checker(CASE.source_path.parent / "a01_checks.py")
# (grade_id, [(check, seed, function name), ...]) for every test cell, in the notebook's order.
CELLS = [(c.metadata.nbgrader["grade_id"], trusted_judge.check_calls(c.source))
         for c in SOURCE.cells if trusted_judge.is_test_cell(c)]


def case_module():
    spec = importlib.util.spec_from_file_location("cases_a01", harness.CASES / "a01.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def functions(replacements: dict[str, str]) -> dict:
    """The namespace of a submission whose answers are the solution's, with ``replacements``."""
    namespace = {"np": np}
    for grade_id, source in {**harness.answers(CASE), **replacements}.items():
        if grade_id in {c.metadata.nbgrader["grade_id"] for c in SOURCE.cells if harness.is_code_answer(c)}:
            exec(source, namespace)
    return namespace


SOLUTION = functions({})


def first_failure(namespace: dict) -> tuple[str, str] | None:
    """(grade_id, message) of the first check that fails, as the trusted judge sees it, or None."""
    for grade_id, calls in CELLS:
        for name, seed, fn_name in calls:
            cases = getattr(CHECKER, f"cases_{name}")(np.random.default_rng(0 if seed is None else seed))
            produce, judge = getattr(CHECKER, f"produce_{name}"), getattr(CHECKER, f"judge_{name}")
            for case in cases:
                try:
                    judge(case, produce(namespace[fn_name], case), produce(SOLUTION[fn_name], case))
                except AssertionError as error:
                    return grade_id, str(error)
    return None


def test_every_graded_cell_uses_the_checker():
    assert CELLS and all(calls for _, calls in CELLS), [g for g, calls in CELLS if not calls]
    for _, calls in CELLS:
        for name, _, _ in calls:
            for part in ("cases", "produce", "judge"):
                assert callable(getattr(CHECKER, f"{part}_{name}", None)), f"a01_checks has no {part}_{name}"


def test_solution_and_alternative_pass_every_check():
    assert first_failure(SOLUTION) is None
    assert first_failure(functions(CASE.alternative)) is None


@pytest.mark.parametrize("mutant", list(CASE.wrong))
def test_each_mistake_is_named(mutant):
    failure = first_failure(functions(CASE.wrong[mutant]))
    assert failure is not None, f"{mutant!r} passes every check"
    assert case_module().HINTS[mutant] in failure[1], failure


@pytest.mark.parametrize("grade_id, name", [(g, n) for g, calls in CELLS for n, seed, _ in calls if seed is None])
def test_validate_references_agree_with_the_solution(grade_id, name):
    """What the student's kernel compares with (torch, closed forms) is what the grader compares with."""
    reference = getattr(CHECKER, f"reference_{name}")
    fn_name = next(f for n, _, f in dict(CELLS)[grade_id] if n == name)
    for case in getattr(CHECKER, f"cases_{name}")(np.random.default_rng(0)):
        solution = getattr(CHECKER, f"produce_{name}")(SOLUTION[fn_name], case)
        getattr(CHECKER, f"judge_{name}")(case, reference(case), solution)


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
