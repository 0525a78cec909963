"""a06's checks (solutions/a06/a06_checks.py) without nbgrader: each mistake of the case file is named by its cause.

The made-up students of tests/grading/cases/a06.py run in this process (notebook_run.py), test cells whole, hidden
tests included; for each mutant the failing cells, and what their messages say, are those the case file lists.
The checker module's parts are tested on their own too: records are plain data that survive JSON, a missing or
unreadable record fails, the solution's own record (the grader's reference) agrees with torch's, and the reference
is built from inputs the student's function could not touch.
"""

import importlib.util
import json

import numpy as np
import pytest

import harness
import notebook_run

CASE = harness.load_case("a06")


def _case_module():
    spec = importlib.util.spec_from_file_location("a06_case_for_checks", harness.CASES / "a06.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


FAILURES = _case_module().FAILURES

# Every check of the notebook, with the function it checks and the seed of its hidden test.
CHECKS = {"lstm_zero_weights": ("lstm_step", 6001), "lstm_gates": ("lstm_step", 6002),
          "lstm_torch": ("lstm_step", 6003), "gru_zero_weights": ("gru_step", 6004), "gru_gates": ("gru_step", 6005),
          "gru_torch": ("gru_step", 6006), "lstm_backward_params": ("lstm_step_backward", 6007),
          "lstm_backward_c_prev": ("lstm_step_backward", 6008)}


@pytest.fixture(scope="module")
def solution():
    """The solution notebook's namespace: setup and answers run, no test cell."""
    namespace, _ = notebook_run.run(CASE, tests=False)
    return namespace


@pytest.fixture(scope="module")
def checks(solution):
    import a06_checks  # imported by the setup cell, from solutions/a06/

    return a06_checks


@pytest.fixture(scope="module")
def check(solution):
    """The setup cell's ``check = Checker("a06_checks")`` (rnnlib.checking), which judges in this process."""
    return solution["check"]


def test_every_test_cell_is_one_check_and_its_hidden_seed():
    import nbformat

    nb = nbformat.read(CASE.source_path, as_version=4)
    sources = [c.source for c in nb.cells if harness.is_test_cell(c)]
    assert len(sources) == len(CHECKS)
    for source, (name, (fn, seed)) in zip(sources, CHECKS.items()):
        code = [line for line in source.splitlines() if not line.startswith("#")]
        assert code == [f'check("{name}", {fn})', f'check("{name}", {fn}, seed={seed})'], source


def test_solution_and_alternative_pass_every_check():
    for replacements in ({}, CASE.alternative):
        results = notebook_run.verdicts(CASE, replacements)
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


def test_the_input_gate_test_is_not_vacuous(checks):
    """With the candidate's rows zero, g = 0 and i * g = 0 whatever i is; the gates' cases keep every gate away
    from 0, so an input gate with tanh, or one read from the wrong rows, changes c."""
    for case in checks.cases_lstm_gates(np.random.default_rng(0)):
        h, c = checks._lstm_numpy(**case)
        for acts in (("tanh", "sigmoid", "tanh", "sigmoid"), ("sigmoid", "sigmoid", "sigmoid", "sigmoid")):
            assert not np.allclose(c, checks._lstm_numpy(**case, acts=acts)[1])
        assert np.all(np.abs(np.tanh(np.split(case["bias_ih"] + case["bias_hh"], 4)[2])) > 0)


@pytest.mark.parametrize("record", [None, [], {"returned": None}, {"returned": {"t": "array", "v": "x"},
                                                                 "error": None, "modified": []}])
def test_a_missing_or_unreadable_record_fails(checks, record):
    case = checks.cases_lstm_torch(np.random.default_rng(0))[0]
    with pytest.raises(AssertionError, match="record"):
        checks.judge_lstm_torch(case, record, checks.reference_lstm_torch(case))


def test_outputs_of_the_wrong_type_fail(checks, solution, check):
    import torch

    with pytest.raises(AssertionError, match="h should be a numpy array"):
        check("lstm_torch", lambda *args: tuple(torch.from_numpy(a) for a in solution["lstm_step"](*args)))
    with pytest.raises(AssertionError, match=r"should return the pair \(h, c\)"):
        check("lstm_torch", lambda *args: solution["lstm_step"](*args)[0])


def test_the_reference_is_built_from_untouched_inputs(checks, solution):
    """A backward that adds into dc in place is caught, and cannot change the case the reference is built from."""
    def in_place(dh, dc, x, h_prev, c_prev, params):
        grads = solution["lstm_step_backward"](dh, dc, x, h_prev, c_prev, params)
        dc += 1.0
        return grads

    case = checks.cases_lstm_backward_params(np.random.default_rng(0))[0]
    before = {k: v.copy() for k, v in case.items()}
    record = checks.produce_lstm_backward_params(in_place, case)
    assert all(np.array_equal(case[k], before[k]) for k in case)
    assert record["modified"] == ["dc"]
    with pytest.raises(AssertionError, match="^lstm_step_backward modified its input dc: do not modify your inputs"):
        checks.judge_lstm_backward_params(case, record, checks.reference_lstm_backward_params(case))


def test_a_visible_check_prints_one_line(solution, capsys, check):
    check("gru_torch", solution["gru_step"])
    check("gru_torch", solution["gru_step"], seed=6006)
    assert capsys.readouterr().out == "gru_step matches torch.nn.GRUCell\n"
