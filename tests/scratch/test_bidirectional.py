"""The numpy bidirectional wrapper against torch's bidirectional=True RNN, LSTM and GRU (float64)."""


import numpy as np
import pytest
import torch

from rnnlib.gradcheck import gradient_errors, rel_error
from rnnlib.models.cells import init_like_torch
from rnnlib.scratch.bidirectional import bidirectional_backward, bidirectional_forward

from scratch_testing import SHAPES, TORCH_LAYERS, params_of
from scratch_testing import PARAM_NAMES as ONE_DIRECTION

CELLS = list(TORCH_LAYERS)
PARAM_NAMES = [n + s for s in ("", "_reverse") for n in ONE_DIRECTION]


def make_module(cell, D, H, nonlinearity="tanh", seed=0):
    """A float64 bidirectional torch layer with torch's default weights from a seeded generator, and its
    parameters as numpy arrays."""
    kwargs = {"nonlinearity": nonlinearity} if cell == "rnn" else {}
    module = TORCH_LAYERS[cell](D, H, bidirectional=True, **kwargs)
    module = init_like_torch(module, torch.Generator().manual_seed(seed)).double()
    return module, params_of(module)


def make_inputs(rng, cell, T, B, D, H):
    """x (T, B, D), h0 (2, B, H), and c0 (2, B, H) for the LSTM, None otherwise."""
    c0 = rng.standard_normal((2, B, H)) if cell == "lstm" else None
    return rng.standard_normal((T, B, D)), rng.standard_normal((2, B, H)), c0


def run_torch(module, cell, x, h0, c0):
    """torch's output (T, B, 2H) and final hidden states (2, B, H)."""
    state = (h0, c0) if cell == "lstm" else h0
    out, final = module(x, state)
    return out, final[0] if cell == "lstm" else final


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("T, B, D, H", SHAPES)
def test_forward_matches_torch(rng, cell, T, B, D, H):
    module, params = make_module(cell, D, H)
    x, h0, c0 = make_inputs(rng, cell, T, B, D, H)
    hs, _ = bidirectional_forward(x, h0, params, cell=cell, c0=c0)
    c0t = None if c0 is None else torch.from_numpy(c0)
    out, h_n = run_torch(module, cell, torch.from_numpy(x), torch.from_numpy(h0), c0t)
    assert hs.shape == (T, B, 2 * H)
    assert np.abs(hs - out.detach().numpy()).max() < 1e-12
    # The module docstring's claim: the backward direction finishes at t = 0.
    assert np.abs(hs[-1, :, :H] - h_n[0].detach().numpy()).max() < 1e-12
    assert np.abs(hs[0, :, H:] - h_n[1].detach().numpy()).max() < 1e-12


def test_relu_rnn_matches_torch(rng):
    T, B, D, H = 5, 3, 4, 6
    module, params = make_module("rnn", D, H, nonlinearity="relu")
    x, h0, _ = make_inputs(rng, "rnn", T, B, D, H)
    hs, _ = bidirectional_forward(x, h0, params, nonlinearity="relu")
    out, _ = module(torch.from_numpy(x), torch.from_numpy(h0))
    assert np.abs(hs - out.detach().numpy()).max() < 1e-12


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("T, B, D, H", SHAPES)
def test_backward_matches_torch(rng, cell, T, B, D, H):
    module, params = make_module(cell, D, H)
    x, h0, c0 = make_inputs(rng, cell, T, B, D, H)
    dhs = rng.standard_normal((T, B, 2 * H))
    _, cache = bidirectional_forward(x, h0, params, cell=cell, c0=c0)
    grads = bidirectional_backward(dhs, cache)

    inputs = {"x": torch.from_numpy(x).requires_grad_(), "h0": torch.from_numpy(h0).requires_grad_()}
    if cell == "lstm":
        inputs["c0"] = torch.from_numpy(c0).requires_grad_()
    out, _ = run_torch(module, cell, inputs["x"], inputs["h0"], inputs.get("c0"))
    (out * torch.from_numpy(dhs)).sum().backward()
    expected = {name: t.grad.numpy() for name, t in inputs.items()}
    expected |= {name: getattr(module, name.replace("_reverse", "_l0_reverse") if "_reverse" in name
                               else name + "_l0").grad.numpy() for name in PARAM_NAMES}
    assert set(grads) == set(expected)
    for name in expected:
        assert rel_error(grads[name], expected[name]) < 1e-10, name


@pytest.mark.parametrize("cell", CELLS)
def test_backward_matches_centred_differences(rng, cell):
    T, B, D, H = 3, 2, 3, 2
    _, params = make_module(cell, D, H)
    x, h0, c0 = make_inputs(rng, cell, T, B, D, H)
    dhs = rng.standard_normal((T, B, 2 * H))
    _, cache = bidirectional_forward(x, h0, params, cell=cell, c0=c0)
    grads = bidirectional_backward(dhs, cache)
    arrays = {"x": x, "h0": h0, **params} | ({"c0": c0} if cell == "lstm" else {})

    def loss():
        return np.sum(bidirectional_forward(x, h0, params, cell=cell, c0=c0)[0] * dhs)

    errors = gradient_errors(loss, arrays, grads)
    assert set(errors) == set(arrays)
    assert all(e < 1e-7 for e in errors.values()), errors


def test_directions_use_their_own_parameters(rng):
    """Zeroing the reverse weights changes only the second half of the output."""
    T, B, D, H = 4, 2, 3, 5
    _, params = make_module("gru", D, H)
    x, h0, _ = make_inputs(rng, "gru", T, B, D, H)
    hs, _ = bidirectional_forward(x, h0, params, cell="gru")
    zeroed = params | {"weight_ih_reverse": np.zeros_like(params["weight_ih_reverse"])}
    hs_zeroed, _ = bidirectional_forward(x, h0, zeroed, cell="gru")
    np.testing.assert_array_equal(hs[..., :H], hs_zeroed[..., :H])
    assert np.abs(hs[..., H:] - hs_zeroed[..., H:]).min() > 0


def _valid_args(cell="gru"):
    T, B, D, H = 3, 2, 4, 5
    _, params = make_module(cell, D, H)
    c0 = np.zeros((2, B, H)) if cell == "lstm" else None
    return {"x": np.zeros((T, B, D)), "h0": np.zeros((2, B, H)), "params": params, "cell": cell, "c0": c0}


def test_valid_args_are_accepted():
    """Guards the tests below: each fails for the one problem it introduces, not for a broken baseline."""
    for cell in CELLS:
        hs, _ = bidirectional_forward(**_valid_args(cell))
        assert hs.shape == (3, 2, 10)


def test_unknown_cell_lists_the_choices():
    with pytest.raises(ValueError, match=r"unknown cell 'lstmm'; expected one of \['rnn', 'lstm', 'gru'\]"):
        bidirectional_forward(**_valid_args() | {"cell": "lstmm"})


@pytest.mark.parametrize("cell", CELLS)
def test_single_direction_h0_is_rejected(cell):
    args = _valid_args(cell)
    with pytest.raises(ValueError, match=r"h0 must have shape \(2, B, H\)"):
        bidirectional_forward(**args | {"h0": args["h0"][0]})


def test_c0_for_gru_is_rejected():
    with pytest.raises(ValueError, match=r"c0 is only used by cell='lstm'"):
        bidirectional_forward(**_valid_args("gru") | {"c0": np.zeros((2, 2, 5))})


def test_missing_c0_for_lstm_is_rejected():
    with pytest.raises(ValueError, match=r"c0 of shape \(2, B, H\) is required for cell='lstm'"):
        bidirectional_forward(**_valid_args("lstm") | {"c0": None})


def test_single_direction_c0_is_rejected():
    with pytest.raises(ValueError, match=r"c0 must have shape \(2, B, H\)"):
        bidirectional_forward(**_valid_args("lstm") | {"c0": np.zeros((2, 5))})


@pytest.mark.parametrize("cell", CELLS)
def test_missing_reverse_params_are_rejected(cell):
    args = _valid_args(cell)
    forward_only = {k: v for k, v in args["params"].items() if not k.endswith("_reverse")}
    with pytest.raises(ValueError, match=r"params is missing \['weight_ih_reverse', 'weight_hh_reverse'"):
        bidirectional_forward(**args | {"params": forward_only})


def test_params_of_another_cell_are_rejected():
    """GRU weights (3H rows) passed as an LSTM's (4H rows) fail on shape, not deep inside the cell."""
    args = _valid_args("lstm")
    with pytest.raises(ValueError, match=r"params\['weight_ih'\] must have shape \(G\*H, D\) = \(20, 4\)"):
        bidirectional_forward(**args | {"params": _valid_args("gru")["params"]})


def test_nonlinearity_is_rejected_for_gated_cells():
    with pytest.raises(ValueError, match=r"nonlinearity applies only to cell='rnn'"):
        bidirectional_forward(**_valid_args("gru"), nonlinearity="relu")


def test_backward_rejects_bad_gradient_and_cache():
    hs, cache = bidirectional_forward(**_valid_args())
    with pytest.raises(ValueError, match=r"dhs must have shape \(T, B, 2H\)"):
        bidirectional_backward(hs[..., :5], cache)
    with pytest.raises(ValueError, match=r"cache must be the BidirectionalCache"):
        bidirectional_backward(hs, cache.forward)
