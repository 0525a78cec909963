"""What is particular to a06's checker module (solutions/a06/a06_checks.py), run in this process through the setup
cell's ``check`` (as Validate runs it); test_checks.py holds what every ported assignment must show (each mistake of
cases/a06.py named by its cause, the references agreeing, unreadable records failing).
"""

import numpy as np
import pytest

import harness
import notebook_run

CASE = harness.load_case("a06")


def test_the_input_gate_test_is_not_vacuous(checks):
    """With the candidate's rows zero, g = 0 and i * g = 0 whatever i is; the gates' cases keep every gate away
    from 0, so an input gate with tanh, or one read from the wrong rows, changes c."""
    for case in checks.cases_lstm_gates(np.random.default_rng(0)):
        h, c = checks._lstm_numpy(**case)
        for acts in (("tanh", "sigmoid", "tanh", "sigmoid"), ("sigmoid", "sigmoid", "sigmoid", "sigmoid")):
            assert not np.allclose(c, checks._lstm_numpy(**case, acts=acts)[1])
        assert np.all(np.abs(np.tanh(np.split(case["bias_ih"] + case["bias_hh"], 4)[2])) > 0)


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
