"""What is particular to a03's checker module (solutions/a03/a03_checks.py) and its diagnoses (a03_diagnoses.py), run
in this process through the setup cell's ``check`` (as Validate runs it); test_checks.py holds what every ported
assignment must show (each mistake of cases/a03.py named by its cause, the references agreeing, unreadable records
failing, no working answer in the students' copy).
"""

import numpy as np
import pytest

import harness

CASE = harness.load_case("a03")


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


def test_the_diagnoses_predict_from_the_right_computation(diagnoses, checks, solution):
    """A mistake is named when the student's numbers match its prediction; each prediction is the right computation
    with one switch, so the right computation itself must be the solution's."""
    for case in checks.cases_grad_check_centred(np.random.default_rng(0)):
        x = case["x"].copy()
        want = solution["grad_check"](lambda: checks.FUNCTIONS["cube"](x, case), x, case["eps"])
        assert np.array_equal(diagnoses._difference(case, checks.FUNCTIONS["cube"], "centred"), want)
    for case in checks.cases_step_backward_inputs(np.random.default_rng(0)):
        cache = checks.StepCache(*(case[k] for k in ("x", "h_prev", "h", "weight_ih", "weight_hh")))
        want = solution["rnn_step_backward"](case["dh"], cache)
        got = diagnoses._step_numpy(**case)
        assert all(np.allclose(got[k], want[k], rtol=1e-12, atol=1e-14) for k in want)
    for case in checks.cases_rnn_backward_every_state(np.random.default_rng(0)):
        cache = checks.SequenceCache(*(case[k] for k in ("x", "h0", "hs", "weight_ih", "weight_hh")))
        want = solution["rnn_backward"](case["dhs"], cache)
        got = diagnoses._bptt_numpy(**case)
        assert all(np.allclose(got[k], want[k], rtol=1e-12, atol=1e-14) for k in want)
