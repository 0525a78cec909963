"""a09's checks (solutions/a09/a09_checks.py): what is specific to this assignment (test_checks.py has the rest).

The cases are not vacuous (every diagnosis is reachable on the visible inputs, the long utterances really underflow
in linear space, a round that reads its own updates changes the states), a torch tensor or a list where a float or
the pair (hs, rounds) belongs is named, the scan's rounds are judged from what the student's function reported, the
diagnoses (solutions/a09/a09_diagnoses.py) compute what the solution does with every mistake switched off, and the
students' copy (exercises/a09/) says what is wrong and where while the instructor's copy also names the cause.
"""

import math

import numpy as np
import pytest

import harness

CASE = harness.load_case("a09")


def test_the_cases_are_not_vacuous(checks, diagnoses):
    """On the visible inputs alone, each mistake the judge can name changes the answer somewhere: the hand cases
    hold a repeated label and a blank that is not 0, a long utterance underflows in linear space, the decoder's
    cases repeat a label across a blank, and a constant-coefficient scan cannot hide an in-place round."""
    rng = np.random.default_rng
    ctc = checks.cases_ctc_hand(rng(0))
    named = {}  # cause -> whether it changes log p on some hand case
    for c in ctc:
        for predicted, cause in diagnoses.ctc_hypotheses(c):
            changes = not checks._same_number(predicted, diagnoses.ctc_numpy(**c))
            named[cause[:40]] = named.get(cause[:40], False) or changes
    assert [cause for cause, seen in named.items() if not seen] == ["probabilities multiplied in linear space"]
    for case in checks.cases_ctc_long(rng(0)):
        assert diagnoses.ctc_numpy(**case, linear=True) == -np.inf < diagnoses.ctc_numpy(**case)
    greedy = checks.cases_greedy_hand(rng(0))
    assert any(diagnoses.greedy_numpy(**c, blanks_first=True) != diagnoses.greedy_numpy(**c) for c in greedy)
    for c in checks.cases_scan_hand(rng(0))[:1] + checks.cases_scan_rounds(rng(0)):
        assert not np.allclose(diagnoses.hillis_steele(**c, in_place=True), checks.scan_loop(**c))


def test_the_diagnoses_compute_what_the_solution_does(checks, diagnoses, solution):
    """With every mistake switched off, the diagnoses' CTC, decoder and scan are the solution's (and torch's)."""
    rng = np.random.default_rng(0)
    for case in checks.cases_ctc_hand(rng) + checks.cases_ctc_torch(rng):
        want = checks.torch_ctc_log_likelihood(**case)
        assert checks._same_number(diagnoses.ctc_numpy(**case), want)
        assert checks._same_number(solution["ctc_log_likelihood"](**case), want)
    for case in checks.cases_greedy_hand(rng) + checks.cases_greedy_random(rng):
        assert diagnoses.greedy_numpy(**case) == solution["ctc_greedy_decode"](**case)
    for case in checks.cases_scan_hand(rng) + checks.cases_scan_random(rng):
        assert np.allclose(diagnoses.hillis_steele(**case), checks.scan_loop(**case), rtol=1e-9, atol=1e-9)


def test_a_returned_torch_value_or_list_is_named_not_trusted(checks, solution):
    import torch

    case = checks.cases_ctc_hand(np.random.default_rng(0))[0]
    reference = checks.produce_ctc_hand(solution["ctc_log_likelihood"], case)
    record = checks.produce_ctc_hand(lambda *args: torch.tensor(solution["ctc_log_likelihood"](*args)), case)
    with pytest.raises(AssertionError, match="should return a float.*torch.Tensor"):
        checks.judge_ctc_hand(case, record, reference)
    case = checks.cases_scan_hand(np.random.default_rng(0))[0]
    reference = checks.produce_scan_hand(solution["linear_scan"], case)
    record = checks.produce_scan_hand(lambda *args: list(solution["linear_scan"](*args)), case)
    with pytest.raises(AssertionError, match=r"should return the pair \(hs, rounds\)"):
        checks.judge_scan_hand(case, record, reference)


def test_rounds_are_judged_from_the_record(checks, solution):
    """The scan's rounds are what the student's function reported: an honest loop reports T and fails where T
    exceeds 2 ceil(log2 T) + 1; the solution's count is ceil(log2 T)."""
    for case in checks.cases_scan_rounds(np.random.default_rng(0)):
        T = len(case["a"])
        assert solution["linear_scan"](**case)[1] == math.ceil(math.log2(T))
        loop = checks.produce_scan_rounds(lambda a, b, h0: (checks.scan_loop(a, b, h0), len(a)), case)
        if T > 2 * math.ceil(math.log2(T)) + 1:
            with pytest.raises(AssertionError, match="one round per step"):
                checks.judge_scan_rounds(case, loop, checks.produce_scan_rounds(solution["linear_scan"], case))
