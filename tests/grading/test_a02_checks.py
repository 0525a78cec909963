"""What is particular to a02's checks (solutions/a02/a02_checks.py); the generic checker tests cover the rest.

params_from_torch takes a torch module: its checks build the module from plain arrays, record the arrays it
returns, notice a module converted in place, and judge the second test by running the RNN here in numpy, which
must therefore agree with torch.nn.RNN. The other cases must not be vacuous: every mistake the judges can name
changes the answer on the cases, so naming it is a finding.
"""

import numpy as np
import pytest
import torch

import harness
import notebook_run

CASE = harness.load_case("a02")


@pytest.mark.parametrize("seed", [0, 2008])
def test_the_judges_numpy_rnn_is_torchs(checks, seed):
    """judge_params_reproduce runs the RNN in numpy with the recorded weights; that RNN is torch.nn.RNN's."""
    for case in checks.cases_params_reproduce(np.random.default_rng(seed)):
        params = {k: v.astype(np.float64) for k, v in case.items() if k in checks.PARAM_KEYS}
        with torch.no_grad():
            expected = checks._module(case).double()(torch.from_numpy(case["x"]),
                                                     torch.from_numpy(case["h0"])[None])[0].numpy()
        assert checks._close(checks._rnn_numpy(case["x"], case["h0"], **params), expected)


def test_a_module_converted_in_place_is_caught(checks):
    def converts(rnn):
        rnn.double()
        return {k: getattr(rnn, k + "_l0").detach().numpy() for k in checks.PARAM_KEYS}

    case = checks.cases_params_torch(np.random.default_rng(0))[0]
    assert case["dtype"] == "float32"
    record = checks.produce_params_torch(converts, case)
    assert record["modified"] == ["rnn"]
    with pytest.raises(AssertionError, match="^params_from_torch modified its input rnn: do not modify"):
        checks.judge_params_torch(case, record, checks.reference_params_torch(case))


def test_building_the_module_leaves_torchs_generator_alone(checks):
    case = checks.cases_params_torch(np.random.default_rng(0))[0]
    torch.manual_seed(5)
    expected = torch.rand(3)
    torch.manual_seed(5)
    checks.produce_params_torch(lambda rnn: None, case)
    checks.reference_params_torch(case)
    assert torch.equal(torch.rand(3), expected)


def test_returned_tensors_are_named_by_type(checks, solution):
    case = checks.cases_params_torch(np.random.default_rng(0))[0]
    record = checks.produce_params_torch(
        lambda rnn: {k: getattr(rnn, k + "_l0").detach() for k in checks.PARAM_KEYS}, case)
    assert record["returned"]["v"]["weight_ih"] == {"t": "object", "type": "torch.Tensor"}
    with pytest.raises(AssertionError, match=r"params\['weight_ih'\] is a torch.Tensor; make it a numpy array"):
        checks.judge_params_torch(case, record, checks.reference_params_torch(case))


def test_every_count_mistake_shows_on_the_stacked_cases(checks):
    for seed in (0, 2006):
        cases = checks.cases_count_stacked(np.random.default_rng(seed))
        for kwargs, _ in checks.COUNT_MISTAKES:
            assert any(checks._count(**c, **kwargs) != checks._count(**c) for c in cases), (seed, kwargs)
        assert all(checks._count(**c) == sum(np.prod(s) for _, s in checks._tensors(**c)) for c in cases)


def test_an_untransposed_weight_ih_is_named_where_it_fits(checks, solution):
    """With D = H, x @ weight_ih raises nothing; the hidden torch case with D = H names the mistake anyway."""
    def untransposed(x, h0, params):
        return checks._rnn_numpy(x, h0, **params, t_ih=False)

    case = checks.cases_rnn_forward_torch(np.random.default_rng(2004))[2]
    assert case["x"].shape[2] == case["h0"].shape[1]
    record = checks.produce_rnn_forward_torch(untransposed, case)
    with pytest.raises(AssertionError, match="^your step computes x @ weight_ih; with inputs as rows"):
        checks.judge_rnn_forward_torch(case, record, checks.reference_rnn_forward_torch(case))


def test_a_wrong_weight_is_named_by_the_forward_it_spoils(checks):
    case = checks.cases_params_reproduce(np.random.default_rng(0))[0]
    reference = checks.reference_params_reproduce(case)

    def off(rnn):
        params = {k: getattr(rnn, k + "_l0").detach().double().numpy() for k in checks.PARAM_KEYS}
        return {**params, "weight_hh": params["weight_hh"] * 1.01}

    with pytest.raises(AssertionError, match="differs from rnn's output by .*: weight_hh does not hold the module's"):
        checks.judge_params_reproduce(case, checks.produce_params_reproduce(off, case), reference)
