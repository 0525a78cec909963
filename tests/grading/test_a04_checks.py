"""a04's checker module (solutions/a04/a04_checks.py) without nbgrader: every check as the trusted judge runs it.

The answers of the solution, of the ALTERNATIVE and of each WRONG mutant of cases/a04.py run in this process; every
check call of the source notebook's test cells, visible and hidden, is judged against the solution's records, as
grading/judge/trusted_judge.py does. The solution and the alternative pass; each mutant fails exactly the cells
that cases/a04.py FAILURES lists, with a message naming its cause; the in-kernel references (torch, closed forms)
that Validate uses agree with the solution; the visible checks use the setup cell's own run.
"""

from __future__ import annotations

import importlib.util
import json
import sys

import nbformat
import numpy as np
import pytest

import harness

sys.path.insert(0, str(harness.ROOT / "grading" / "judge"))
import trusted_judge  # noqa: E402

CASE = harness.load_case("a04")
SOURCE = nbformat.read(CASE.source_path, as_version=4)
CHECKER = trusted_judge.load_checker(CASE.source_path.parent / "a04_checks.py")
# (grade_id, [(check, seed, function name), ...]) for every test cell, in the notebook's order.
CELLS = [(c.metadata.nbgrader["grade_id"], trusted_judge.check_calls(c.source))
         for c in SOURCE.cells if trusted_judge.is_test_cell(c)]
ANSWER_CELLS = {c.metadata.nbgrader["grade_id"] for c in SOURCE.cells if harness.is_code_answer(c)}


def case_module():
    spec = importlib.util.spec_from_file_location("cases_a04", harness.CASES / "a04.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


FAILURES = case_module().FAILURES


def functions(replacements: dict[str, str]) -> dict:
    """The namespace of a submission whose answers are the solution's, with ``replacements``."""
    namespace = {"np": np}
    for grade_id, source in {**harness.answers(CASE), **replacements}.items():
        if grade_id in ANSWER_CELLS:
            exec(source, namespace)
    return namespace


SOLUTION = functions({})


def verdicts(namespace: dict) -> dict[str, str | None]:
    """grade_id -> None, or the message of the cell's first failing check, as the trusted judge sees it."""
    results = {}
    for grade_id, calls in CELLS:
        results[grade_id] = None
        for name, seed, fn_name in calls:
            produce, judge = getattr(CHECKER, f"produce_{name}"), getattr(CHECKER, f"judge_{name}")
            for case in getattr(CHECKER, f"cases_{name}")(np.random.default_rng(0 if seed is None else seed)):
                reference = json.loads(json.dumps(produce(SOLUTION[fn_name], case)))
                try:
                    judge(case, json.loads(json.dumps(produce(namespace[fn_name], case))), reference)
                except AssertionError as error:
                    results[grade_id] = str(error)
                    break
            if results[grade_id] is not None:
                break
    return results


def test_every_test_cell_is_one_check_and_its_hidden_seed():
    assert [len(calls) for _, calls in CELLS] == [2] * 8
    for _, ((name, visible, fn), (hidden_name, seed, hidden_fn)) in CELLS:
        assert (visible, hidden_name, hidden_fn) == (None, name, fn) and seed is not None
        for part in ("cases", "produce", "judge", "reference"):
            assert callable(getattr(CHECKER, f"{part}_{name}", None)), f"a04_checks has no {part}_{name}"


def test_solution_and_alternative_pass_every_check():
    assert verdicts(SOLUTION) == {g: None for g, _ in CELLS}
    assert verdicts(functions(CASE.alternative)) == {g: None for g, _ in CELLS}


@pytest.mark.parametrize("mutant", list(CASE.wrong))
def test_each_mistake_is_named_by_its_cause(mutant):
    failing = {g: m for g, m in verdicts(functions(CASE.wrong[mutant])).items() if m is not None}
    assert set(failing) == set(FAILURES[mutant]), failing
    for grade_id, expected in FAILURES[mutant].items():
        assert expected in failing[grade_id], f"{grade_id}: {failing[grade_id]}"


@pytest.mark.parametrize("grade_id, name, seed, fn_name", [(g, *call) for g, calls in CELLS for call in calls])
def test_validate_references_agree_with_the_solution(grade_id, name, seed, fn_name):
    """What the student's kernel compares with (torch, closed forms) is what the grader compares with."""
    produce, judge = getattr(CHECKER, f"produce_{name}"), getattr(CHECKER, f"judge_{name}")
    for case in getattr(CHECKER, f"cases_{name}")(np.random.default_rng(0 if seed is None else seed)):
        solution = produce(SOLUTION[fn_name], case)
        reference = getattr(CHECKER, f"reference_{name}")(case)
        judge(case, solution, reference)
        judge(case, reference, solution)


def test_the_visible_checks_use_the_setup_cells_run():
    setup = next(c.source for c in SOURCE.cells if harness.nbgrader_meta(c).get("grade_id") == "setup")
    namespace = {"Checker": None}
    exec(setup.replace("from rnnlib.checking import Checker", "").replace('check = Checker("a04_checks")', ""),
         namespace)
    run = CHECKER.setup_run()
    for key, value in (("weight_hh", namespace["params"]["weight_hh"]), ("hs", namespace["hs"]),
                       ("dh_last", namespace["dh_last"]), ("x", namespace["x"])):
        assert np.array_equal(run[key], value), key


def test_the_norm_hypotheses_are_not_vacuous():
    """Every hypothesis a check names differs from the right answer on at least one of its visible cases."""
    for name in ("grad_norms_torch", "grad_norms_scalar"):
        cases = getattr(CHECKER, f"cases_{name}")(np.random.default_rng(0))
        right = [CHECKER.reference_grad_norms(c)["returned"] for c in cases]
        for mistake, (kw, _) in CHECKER.NORM_CAUSES.items():
            if name == "grad_norms_scalar" and mistake == "transposed":
                continue  # with one hidden unit W_hh.T = W_hh; the torch check covers it
            wrong = [CHECKER._norms_numpy(c["weight_hh"], c["hs"], c["dh_last"], **kw) for c in cases]
            assert any(not np.allclose(w, np.array(r["v"]), rtol=1e-8) for w, r in zip(wrong, right)), (name, mistake)


def test_inputs_modified_or_shared_fail():
    case = CHECKER.cases_clip_inputs(np.random.default_rng(0))[0]
    record = CHECKER.produce_clip(lambda grads, max_norm: (dict(grads), 0.0), case)
    assert record["shares"] and not record["modified"]

    def scribbles(weight_hh, hs, dh_last):
        norms = SOLUTION["grad_norms_by_lag"](weight_hh, hs, dh_last)
        hs[0] = 0.0
        return norms

    case = CHECKER.cases_grad_norms_torch(np.random.default_rng(0))[0]
    before = case["hs"].copy()
    record = CHECKER.produce_grad_norms(scribbles, case)
    assert record["modified"] == ["hs"] and np.array_equal(case["hs"], before)
    with pytest.raises(AssertionError, match="grad_norms_by_lag modified its input hs: do not modify your inputs"):
        CHECKER.judge_grad_norms_torch(case, record, CHECKER.reference_grad_norms_torch(case))


@pytest.mark.parametrize("returned, message", [
    (lambda W: complex(3.0, 0.0), "returned a complex number"),
    (lambda W: np.array(3.0), "should return a float, got a numpy array of shape ()"),
    (lambda W: _Liar(3.0), "should return a float"),
    (lambda W: 1 / 0, "spectral_radius raised ZeroDivisionError"),
])
def test_unreadable_or_lying_results_fail(returned, message):
    case = CHECKER.cases_spectral_radius_normal(np.random.default_rng(0))[0]
    with pytest.raises(AssertionError, match=message):
        CHECKER.judge_spectral_radius(case, CHECKER.produce_spectral_radius(returned, case),
                                      CHECKER.reference_spectral_radius(case))


class _Liar(float):
    """A float that says it equals anything."""

    def __eq__(self, other):
        return True

    __hash__ = float.__hash__


@pytest.mark.parametrize("record", [None, [], {"returned": None}, {"returned": {"t": "array", "v": "x"},
                                                                 "error": None, "modified": []}])
def test_a_missing_or_unreadable_record_fails(record):
    case = CHECKER.cases_clip_above(np.random.default_rng(0))[0]
    with pytest.raises(AssertionError, match="record"):
        CHECKER.judge_clip_above(case, record, CHECKER.reference_clip(case))
