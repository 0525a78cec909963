"""What is particular to a06's checker module (solutions/a06/a06_checks.py), run in this process through the setup
cell's ``check`` (as Validate runs it), and its diagnoses (a06_diagnoses.py, never released); test_checks.py holds
what every ported assignment must show (each mistake of cases/a06.py named by its cause, the references agreeing,
unreadable records failing, the students' copy holding no answer).
"""


import numpy as np
import pytest

import harness
import notebook_run
import trusted_judge

CASE = harness.load_case("a06")


def test_the_input_gate_test_is_not_vacuous(checks, diagnoses):
    """With the candidate's rows zero, g = 0 and i * g = 0 whatever i is; the gates' cases keep every gate away
    from 0, so an input gate with tanh, or one read from the wrong rows, changes c."""
    for case in checks.cases_lstm_gates(np.random.default_rng(0)):
        h, c = diagnoses.lstm_numpy(**case)
        for acts in (("tanh", "sigmoid", "tanh", "sigmoid"), ("sigmoid", "sigmoid", "sigmoid", "sigmoid")):
            assert not np.allclose(c, diagnoses.lstm_numpy(**case, acts=acts)[1])
        assert np.all(np.abs(np.tanh(np.split(case["bias_ih"] + case["bias_hh"], 4)[2])) > 0)


def test_outputs_of_the_wrong_type_fail(checks, solution, check):
    import torch

    with pytest.raises(AssertionError, match="h should be a numpy array"):
        check("lstm_torch", lambda *args: tuple(torch.from_numpy(a) for a in solution["lstm_step"](*args)))
    with pytest.raises(AssertionError, match=r"should return the pair \(h, c\)"):
        check("lstm_torch", lambda *args: solution["lstm_step"](*args)[0])


def test_a_backward_that_writes_into_dc_is_caught(checks, solution, check):
    """A backward that adds into dc in place is caught, and cannot change the case it is judged on."""
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
        checks.judge_lstm_backward_params(case, record, check.references()["lstm_backward_params/None"][0])


def test_a_visible_check_prints_one_line_a_hidden_one_is_only_recorded(solution, capsys, check):
    check("gru_torch", solution["gru_step"])
    check("gru_torch", solution["gru_step"], seed=6006)
    assert capsys.readouterr().out == ("gru_step matches torch.nn.GRUCell\n"
                                       "gru_torch: recorded; it is judged when your work is graded\n")


def test_the_diagnoses_name_the_gates_as_the_checks_do(checks, diagnoses):
    """The diagnoses cannot import the checker module (it loads them by path), so they keep their own copy."""
    assert (diagnoses.GATE_NAMES, diagnoses.LSTM_GATES, diagnoses.GRU_GATES) == (
        checks.GATE_NAMES, checks.LSTM_GATES, checks.GRU_GATES)


RELEASE = harness.ROOT / "exercises" / "a06"


@pytest.fixture(scope="module")
def students_copy():
    """The checker module released beside the students' notebook: no diagnoses beside it."""
    checker = trusted_judge.load_checker(RELEASE / "a06_checks.py")
    assert checker.DIAGNOSES is None
    return checker


def test_a_sign_flipped_gate_is_named_from_the_records(students_copy, solution):
    """A gate's rows of the parameters' gradients that are exactly the negative of the solution's are a fact of
    the records: the students' copy names the gate and the sign with no diagnosis, as the graded feedback does."""
    mutant = "backward: forget gate derivative with the wrong sign"
    wrong, _ = notebook_run.run(CASE, CASE.wrong[mutant], tests=False)
    message = harness.first_failure(students_copy, "a06", "lstm_backward_params", wrong["lstm_step_backward"])
    assert CASE.failures[mutant]["test-lstm-backward-params"] in message, message
    assert harness.first_failure(students_copy, "a06", "lstm_backward_params", solution["lstm_step_backward"]) is None
