"""What is particular to a02's checks (solutions/a02/a02_checks.py and its diagnoses); the generic checker tests
cover the rest.

params_from_torch takes a torch module: its checks build the module from plain arrays, record the arrays it
returns, notice a module converted in place, and judge the second test by running torch.nn.RNN with the recorded
weights (the released module holds no RNN of its own). The diagnoses must not be vacuous: every mistake they can
name changes the answer on the cases, so naming it is a finding; without them (the students' copy) a message says
where the error is and names no cause.
"""


import numpy as np
import pytest
import torch

import harness

CASE = harness.load_case("a02")


@pytest.mark.parametrize("seed", [0, 2008])
def test_the_judges_rnn_is_torchs(checks, diagnoses, seed):
    """judge_params_reproduce runs a float64 torch.nn.RNN with the recorded weights: its states are the case's own
    module's (converted to float64), and so are those of the diagnoses' numpy RNN with no mistake switched on."""
    for case in checks.cases_params_reproduce(np.random.default_rng(seed)):
        params = {k: case[k].astype(np.float64) for k in checks.PARAM_KEYS}
        with torch.no_grad():
            expected = checks._module(case).double()(torch.from_numpy(case["x"]),
                                                     torch.from_numpy(case["h0"])[None])[0].numpy()
        states = checks._states(case, params)
        assert states.dtype == np.float64 and checks._close(states, expected)
        assert checks._close(diagnoses._rnn_numpy(case["x"], case["h0"], **params), expected)
        # A change of one weight in its sixth digit shows: the judge uses the weights it is given.
        nudged = {**params, "weight_ih": params["weight_ih"] * (1 + 1e-6)}
        assert not checks._close(checks._states(case, nudged), expected)


def test_a_module_converted_in_place_is_caught(checks, solution):
    def converts(rnn):
        rnn.double()
        return {k: getattr(rnn, k + "_l0").detach().numpy() for k in checks.PARAM_KEYS}

    case = checks.cases_params_torch(np.random.default_rng(0))[0]
    assert case["dtype"] == "float32"
    record = checks.produce_params_torch(converts, case)
    assert record["modified"] == ["rnn"]
    reference = checks.produce_params_torch(solution["params_from_torch"], case)
    with pytest.raises(AssertionError, match="^params_from_torch modified its input rnn: do not modify"):
        checks.judge_params_torch(case, record, reference)


def test_building_the_module_leaves_torchs_generator_alone(checks, solution):
    case = checks.cases_params_reproduce(np.random.default_rng(0))[0]
    torch.manual_seed(5)
    expected = torch.rand(3)
    torch.manual_seed(5)
    checks.produce_params_torch(lambda rnn: None, case)
    record = checks.produce_params_reproduce(solution["params_from_torch"], case)
    checks.judge_params_reproduce(case, record, record)  # runs two modules of its own
    assert torch.equal(torch.rand(3), expected)


def test_returned_tensors_are_named_by_type(checks, solution):
    case = checks.cases_params_torch(np.random.default_rng(0))[0]
    record = checks.produce_params_torch(
        lambda rnn: {k: getattr(rnn, k + "_l0").detach() for k in checks.PARAM_KEYS}, case)
    assert record["returned"]["v"]["weight_ih"] == {"t": "object", "type": "torch.Tensor"}
    reference = checks.produce_params_torch(solution["params_from_torch"], case)
    with pytest.raises(AssertionError, match=r"params\['weight_ih'\] is a torch.Tensor; make it a numpy array"):
        checks.judge_params_torch(case, record, reference)


def test_every_count_mistake_shows_on_the_stacked_cases(checks, diagnoses):
    for seed in (0, 2006):
        cases = checks.cases_count_stacked(np.random.default_rng(seed))
        for kwargs, _ in diagnoses.COUNT_MISTAKES:
            assert any(diagnoses._count(**c, **kwargs) != diagnoses._count(**c) for c in cases), (seed, kwargs)
        assert all(diagnoses._count(**c) == sum(np.prod(s) for _, s in diagnoses._tensors(**c)) for c in cases)
        assert all(diagnoses._count(**c) == sum(p.numel() for p in torch.nn.RNN(
            c["D"], c["H"], num_layers=c["num_layers"], bidirectional=c["bidirectional"]).parameters()) for c in cases)


def test_an_untransposed_weight_ih_is_named_where_it_fits(checks, diagnoses, solution):
    """With D = H, x @ weight_ih raises nothing; the hidden torch case with D = H names the mistake anyway."""
    def untransposed(x, h0, params):
        return diagnoses._rnn_numpy(x, h0, **params, t_ih=False)

    case = checks.cases_rnn_forward_torch(np.random.default_rng(2004))[2]
    assert case["x"].shape[2] == case["h0"].shape[1]
    record = checks.produce_rnn_forward_torch(untransposed, case)
    reference = checks.produce_rnn_forward_torch(solution["rnn_forward"], case)
    with pytest.raises(AssertionError, match="^your step computes x @ weight_ih; with inputs as rows"):
        checks.judge_rnn_forward_torch(case, record, reference)


def test_a_wrong_weight_is_named_by_the_forward_it_spoils(checks, solution):
    case = checks.cases_params_reproduce(np.random.default_rng(0))[0]
    reference = checks.produce_params_reproduce(solution["params_from_torch"], case)

    def off(rnn):
        params = {k: getattr(rnn, k + "_l0").detach().double().numpy() for k in checks.PARAM_KEYS}
        return {**params, "weight_hh": params["weight_hh"] * 1.01}

    with pytest.raises(AssertionError, match="differs from rnn's output by .*: weight_hh does not hold the module's"):
        checks.judge_params_reproduce(case, checks.produce_params_reproduce(off, case), reference)
