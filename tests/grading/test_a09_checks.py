"""a09's checks (solutions/a09/a09_checks.py) without nbgrader: what is specific to this assignment.

The made-up students of tests/grading/cases/a09.py run in this process (notebook_run.py), test cells whole, hidden
tests included; each mistake's failing cells and messages are those the case file's FAILURES lists. The cases are
tested for not being vacuous (every diagnosis the case file relies on is reachable on the visible inputs, a long
utterance really underflows in linear space), and the solution's record (the grader's reference) agrees with torch
and with the definitions on visible and hidden seeds.
"""

import importlib.util
import json
import math

import numpy as np
import pytest

import harness
import notebook_run

CASE = harness.load_case("a09")

# Every check of the notebook, with the function it checks and the seed of its hidden test.
CHECKS = {"ctc_hand": ("ctc_log_likelihood", 9001), "ctc_torch": ("ctc_log_likelihood", 9101),
          "ctc_long": ("ctc_log_likelihood", 9201), "greedy_hand": ("ctc_greedy_decode", 9301),
          "greedy_random": ("ctc_greedy_decode", 9401), "scan_hand": ("linear_scan", 9501),
          "scan_random": ("linear_scan", 9601), "scan_rounds": ("linear_scan", 9701)}


def _case_module():
    spec = importlib.util.spec_from_file_location("a09_case_for_checks", harness.CASES / "a09.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


FAILURES = _case_module().FAILURES


@pytest.fixture(scope="module")
def solution():
    """The solution notebook's namespace: setup and answers run, no test cell."""
    namespace, _ = notebook_run.run(CASE, tests=False)
    return namespace


@pytest.fixture(scope="module")
def checks(solution):
    import a09_checks  # imported by the setup cell, from solutions/a09/

    return a09_checks


def test_every_test_cell_is_one_check_and_its_hidden_seed():
    import nbformat

    nb = nbformat.read(CASE.source_path, as_version=4)
    sources = [c.source for c in nb.cells if harness.is_test_cell(c)]
    assert len(sources) == len(CHECKS)
    for source, (name, (fn, seed)) in zip(sources, CHECKS.items()):
        code = [line for line in source.splitlines() if not line.startswith("#")]
        assert code == [f'check("{name}", {fn})', f'check("{name}", {fn}, seed={seed})'], source


@pytest.mark.parametrize("mutant", list(CASE.wrong))
def test_each_mistake_is_named_by_its_cause(mutant):
    results = notebook_run.verdicts(CASE, CASE.wrong[mutant])
    failing = {cell: message for cell, message in results.items() if message is not None}
    assert set(failing) == set(FAILURES[mutant]), failing
    for cell, expected in FAILURES[mutant].items():
        assert expected in failing[cell], f"{cell}: {failing[cell]}"


@pytest.mark.parametrize("name", list(CHECKS))
def test_the_solution_matches_torch_and_the_definitions(checks, solution, name):
    fn, hidden = CHECKS[name]
    for seed in (0, hidden):
        for case in getattr(checks, f"cases_{name}")(np.random.default_rng(seed)):
            record = json.loads(json.dumps(getattr(checks, f"produce_{name}")(solution[fn], case)))
            judge = getattr(checks, f"judge_{name}")
            judge(case, record, getattr(checks, f"reference_{name}")(case))  # as in the student's kernel
            judge(case, record, record)  # as the grader judges


def test_the_cases_are_not_vacuous(checks):
    """On the visible inputs alone, each mistake the judge can name changes the answer somewhere: the hand cases
    hold a repeated label and a blank that is not 0, a long utterance underflows in linear space, the decoder's
    cases repeat a label across a blank, and a constant-coefficient scan cannot hide an in-place round."""
    rng = np.random.default_rng
    ctc = checks.cases_ctc_hand(rng(0))
    named = {}  # cause -> whether it changes log p on some hand case
    for c in ctc:
        for predicted, cause in checks._ctc_hypotheses(c):
            changes = not checks._same_number(predicted, checks._ctc_numpy(**c))
            named[cause[:40]] = named.get(cause[:40], False) or changes
    assert [cause for cause, seen in named.items() if not seen] == ["probabilities multiplied in linear space"]
    for case in checks.cases_ctc_long(rng(0)):
        assert checks._ctc_numpy(**case, linear=True) == -np.inf < checks._ctc_numpy(**case)
    greedy = checks.cases_greedy_hand(rng(0))
    assert any(checks._greedy_numpy(**c, blanks_first=True) != checks._greedy_numpy(**c) for c in greedy)
    for c in checks.cases_scan_hand(rng(0))[:1] + checks.cases_scan_rounds(rng(0)):
        assert not np.allclose(checks._hillis_steele(**c, in_place=True), checks.scan_loop(**c))


def test_a_returned_torch_value_or_list_is_named_not_trusted(checks, solution):
    import torch

    case = checks.cases_ctc_hand(np.random.default_rng(0))[0]
    record = checks.produce_ctc_hand(lambda *args: torch.tensor(solution["ctc_log_likelihood"](*args)), case)
    with pytest.raises(AssertionError, match="should return a float.*torch.Tensor"):
        checks.judge_ctc_hand(case, record, checks.reference_ctc_hand(case))
    case = checks.cases_scan_hand(np.random.default_rng(0))[0]
    record = checks.produce_scan_hand(lambda *args: list(solution["linear_scan"](*args)), case)
    with pytest.raises(AssertionError, match=r"should return the pair \(hs, rounds\)"):
        checks.judge_scan_hand(case, record, checks.reference_scan_hand(case))


def test_rounds_are_judged_from_the_record(checks, solution):
    """The scan's rounds are what the student's function reported: an honest loop reports T and fails where T
    exceeds 2 ceil(log2 T) + 1; the solution's count is ceil(log2 T)."""
    for case in checks.cases_scan_rounds(np.random.default_rng(0)):
        T = len(case["a"])
        assert solution["linear_scan"](**case)[1] == math.ceil(math.log2(T))
        loop = checks.produce_scan_rounds(lambda a, b, h0: (checks.scan_loop(a, b, h0), len(a)), case)
        if T > 2 * math.ceil(math.log2(T)) + 1:
            with pytest.raises(AssertionError, match="one round per step"):
                checks.judge_scan_rounds(case, loop, checks.reference_scan_rounds(case))


@pytest.mark.parametrize("record", [None, [], {"returned": None}, {"returned": {"t": "float", "v": "x"},
                                                                 "error": None, "modified": []}])
def test_a_missing_or_unreadable_record_fails(checks, record):
    case = checks.cases_ctc_torch(np.random.default_rng(0))[0]
    with pytest.raises(AssertionError, match="record"):
        checks.judge_ctc_torch(case, record, checks.reference_ctc_torch(case))
