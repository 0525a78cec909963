"""a03's checks (solutions/a03/a03_checks.py) without nbgrader: each mistake of the case file is named by its cause.

The made-up students of tests/grading/cases/a03.py run in this process (notebook_run.py), test cells whole, hidden
tests included; for each mutant the failing cells, and what their messages say, are those the case file lists.
The checker module's parts are tested on their own too: records are plain data that survive JSON, a missing or
unreadable record fails, and the solution's own record (the grader's reference) agrees with torch's.
"""

import importlib.util
import json

import numpy as np
import pytest

import harness
import notebook_run

CASE = harness.load_case("a03")
CASE_MODULE = harness.CASES / "a03.py"
def _case_module():
    spec = importlib.util.spec_from_file_location("a03_case_for_checks", CASE_MODULE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


FAILURES = _case_module().FAILURES


@pytest.fixture(scope="module")
def solution():
    """The solution notebook's namespace (setup and answers run, no test cell) and its checker module."""
    namespace, _ = notebook_run.run(CASE, tests=False)
    return namespace


@pytest.fixture(scope="module")
def checks(solution):
    import a03_checks  # imported by the setup cell, from solutions/a03/

    return a03_checks


@pytest.fixture(scope="module")
def check(solution):
    """The setup cell's ``check = Checker("a03_checks")`` (rnnlib.checking), which judges in this process."""
    return solution["check"]


# Every check of the notebook, with the seeds of its visible (None) and hidden tests.
CHECKS = {"grad_check_known": ("grad_check", 1010), "grad_check_restores": ("grad_check", 1111),
          "grad_check_centred": ("grad_check", 1212), "step_backward_inputs": ("rnn_step_backward", 2101),
          "step_backward_params": ("rnn_step_backward", 2201), "rnn_backward_one_step": ("rnn_backward", 3101),
          "rnn_backward_last_state": ("rnn_backward", 3201), "rnn_backward_every_state": ("rnn_backward", 3301)}


def test_every_test_cell_is_one_check_and_its_hidden_seed():
    import nbformat

    nb = nbformat.read(CASE.source_path, as_version=4)
    sources = [c.source for c in nb.cells if harness.is_test_cell(c)]
    assert len(sources) == len(CHECKS)
    for source, (name, (fn, seed)) in zip(sources, CHECKS.items()):
        code = [line for line in source.splitlines() if not line.startswith("#")]
        assert code == [f'check("{name}", {fn})', f'check("{name}", {fn}, seed={seed})'], source


def test_solution_and_alternative_pass_every_check():
    assert notebook_run.verdicts(CASE) == {cell: None for cell in notebook_run.verdicts(CASE)}
    results = notebook_run.verdicts(CASE, CASE.alternative)
    assert all(v is None for v in results.values()), results


@pytest.mark.parametrize("mutant", list(CASE.wrong))
def test_each_mistake_is_named_by_its_cause(mutant):
    results = notebook_run.verdicts(CASE, CASE.wrong[mutant])
    failing = {cell: message for cell, message in results.items() if message is not None}
    assert set(failing) == set(FAILURES[mutant]), failing
    for cell, expected in FAILURES[mutant].items():
        assert failing[cell].startswith("AssertionError: "), failing[cell]
        assert expected in failing[cell], f"{cell}: {failing[cell]}"
    assert 0 < notebook_run.points(CASE, results) < CASE.autograded_points


@pytest.mark.parametrize("name", list(CHECKS))
def test_records_are_plain_data_and_the_solution_matches_torch(checks, solution, name):
    fn, hidden = CHECKS[name]
    for seed in (0, hidden):
        for case in getattr(checks, f"cases_{name}")(np.random.default_rng(seed)):
            record = json.loads(json.dumps(getattr(checks, f"produce_{name}")(solution[fn], case)))
            torch_reference = json.loads(json.dumps(getattr(checks, f"reference_{name}")(case)))
            judge = getattr(checks, f"judge_{name}")
            judge(case, record, torch_reference)  # as in the student's kernel
            judge(case, record, record)  # as the grader judges: the reference is the solution's record


@pytest.mark.parametrize("record", [None, [], {"returned": None}, {"returned": {"t": "array", "v": "x"},
                                                                 "error": None, "modified": []}])
def test_a_missing_or_unreadable_record_fails(checks, record):
    case = checks.cases_rnn_backward_one_step(np.random.default_rng(0))[0]
    with pytest.raises(AssertionError, match="record"):
        checks.judge_rnn_backward_one_step(case, record, checks.reference_rnn_backward_one_step(case))


def test_gradients_of_the_wrong_type_fail(checks, solution, check):
    import torch

    case = checks.cases_step_backward_inputs(np.random.default_rng(0))[0]
    as_tensors = lambda dh, cache: {k: torch.from_numpy(v) for k, v in solution["rnn_step_backward"](dh, cache).items()}
    with pytest.raises(AssertionError, match="dx should be a numpy array"):
        check("step_backward_inputs", as_tensors)
    with pytest.raises(AssertionError, match="should return a dict of gradients"):
        check("step_backward_inputs", lambda dh, cache: [1.0])
    with pytest.raises(AssertionError, match="no key 'h_prev'"):
        check("step_backward_inputs", lambda dh, cache: {"x": solution["rnn_step_backward"](dh, cache)["x"]})
    assert case["dh"].dtype == np.float64


def test_an_exception_is_reported_with_its_message(check):
    def broken(dhs, cache):
        raise ValueError("shapes (2,3) and (4,4) not aligned")

    with pytest.raises(AssertionError, match=r"^rnn_backward raised ValueError: shapes \(2,3\)"):
        check("rnn_backward_every_state", broken)


def test_a_visible_check_prints_one_line(solution, capsys, check):
    check("rnn_backward_every_state", solution["rnn_backward"])
    check("rnn_backward_every_state", solution["rnn_backward"], seed=3301)
    assert capsys.readouterr().out == "rnn_backward is right for a loss on every state\n"


def test_the_reference_is_built_from_untouched_inputs(checks, solution):
    """A function that writes into its inputs cannot change the case that the reference and judge read."""
    def scribbles(dhs, cache):
        grads = solution["rnn_backward"](dhs, cache)
        dhs *= 0.0
        cache.hs[:] = 0.0
        return grads

    case = checks.cases_rnn_backward_every_state(np.random.default_rng(0))[0]
    before = {k: v.copy() for k, v in case.items()}
    record = checks.produce_rnn_backward_every_state(scribbles, case)
    assert all(np.array_equal(case[k], before[k]) for k in case)
    assert record["modified"] == ["dhs", "hs"]
