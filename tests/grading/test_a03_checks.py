"""What is particular to a03's checker module (solutions/a03/a03_checks.py), run in this process through the setup
cell's ``check`` (as Validate runs it); test_checks.py holds what every ported assignment must show (each mistake of
cases/a03.py named by its cause, the references agreeing, unreadable records failing).
"""

import numpy as np
import pytest

import harness
import notebook_run

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
