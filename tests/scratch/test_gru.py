"""The numpy GRU against torch.nn.GRU (float64) and against centred differences."""


import numpy as np
import pytest
import torch

from rnnlib.gradcheck import gradient_errors, rel_error
from rnnlib.models.cells import init_like_torch
from rnnlib.scratch.gru import gru_backward, gru_forward, gru_step_backward, gru_step_forward

from scratch_testing import PARAM_NAMES, SHAPES, params_of


def make_gru(D, H, seed=0):
    """A float64 torch.nn.GRU with torch's default initial weights drawn from a seeded generator, and its
    parameters as numpy arrays."""
    gru = init_like_torch(torch.nn.GRU(D, H), torch.Generator().manual_seed(seed)).double()
    return gru, params_of(gru)


def sigmoid(a):
    return 1.0 / (1.0 + np.exp(-a))


@pytest.mark.parametrize("T, B, D, H", SHAPES)
def test_gru_forward_matches_torch(rng, T, B, D, H):
    gru, params = make_gru(D, H)
    x, h0 = rng.standard_normal((T, B, D)), rng.standard_normal((B, H))
    hs, _ = gru_forward(x, h0, params)
    expected, h_last = gru(torch.from_numpy(x), torch.from_numpy(h0)[None])
    assert hs.shape == (T, B, H) and hs.dtype == np.float64
    assert np.abs(hs - expected.detach().numpy()).max() < 1e-12
    assert np.abs(hs[-1] - h_last[0].detach().numpy()).max() < 1e-12


@pytest.mark.parametrize("T, B, D, H", SHAPES)
def test_gru_backward_matches_torch(rng, T, B, D, H):
    gru, params = make_gru(D, H)
    x, h0, dhs = rng.standard_normal((T, B, D)), rng.standard_normal((B, H)), rng.standard_normal((T, B, H))
    _, cache = gru_forward(x, h0, params)
    grads = gru_backward(dhs, cache)

    xt = torch.from_numpy(x).requires_grad_()
    h0t = torch.from_numpy(h0)[None].requires_grad_()
    out, _ = gru(xt, h0t)
    (out * torch.from_numpy(dhs)).sum().backward()
    assert set(grads) == {"x", "h0", *PARAM_NAMES}
    assert rel_error(grads["x"], xt.grad.numpy()) < 1e-10
    assert rel_error(grads["h0"], h0t.grad[0].numpy()) < 1e-10
    for name in PARAM_NAMES:
        assert rel_error(grads[name], getattr(gru, name + "_l0").grad.numpy()) < 1e-10, name


@pytest.mark.parametrize("T, B, D, H", SHAPES)
def test_gru_backward_matches_centred_differences(rng, T, B, D, H):
    _, params = make_gru(D, H)
    x, h0, dhs = rng.standard_normal((T, B, D)), rng.standard_normal((B, H)), rng.standard_normal((T, B, H))
    _, cache = gru_forward(x, h0, params)
    grads = gru_backward(dhs, cache)
    arrays = {"x": x, "h0": h0, **params}
    errors = gradient_errors(lambda: np.sum(gru_forward(x, h0, params)[0] * dhs), arrays, grads)
    assert all(e < 1e-7 for e in errors.values()), errors


@pytest.mark.parametrize("T, B, D, H", SHAPES)
def test_step_equals_sequence_of_length_one(rng, T, B, D, H):
    _, params = make_gru(D, H)
    x, h0, dh = rng.standard_normal((B, D)), rng.standard_normal((B, H)), rng.standard_normal((B, H))
    h, step_cache = gru_step_forward(x, h0, params)
    hs, cache = gru_forward(x[None], h0, params)
    assert h.shape == (B, H)
    np.testing.assert_allclose(h, hs[0], rtol=0, atol=1e-14)
    step_grads = gru_step_backward(dh, step_cache)
    grads = gru_backward(dh[None], cache)
    assert set(step_grads) == {"x", "h_prev", *PARAM_NAMES}
    np.testing.assert_allclose(step_grads["x"], grads["x"][0], rtol=0, atol=1e-14)
    np.testing.assert_allclose(step_grads["h_prev"], grads["h0"], rtol=0, atol=1e-14)
    for name in PARAM_NAMES:
        np.testing.assert_allclose(step_grads[name], grads[name], rtol=0, atol=1e-14)


def test_steps_chain_to_the_sequence(rng):
    T, B, D, H = 4, 3, 2, 5
    _, params = make_gru(D, H)
    x, h0 = rng.standard_normal((T, B, D)), rng.standard_normal((B, H))
    hs, _ = gru_forward(x, h0, params)
    h = h0
    for t in range(T):
        h, _ = gru_step_forward(x[t], h, params)
        np.testing.assert_allclose(h, hs[t], rtol=0, atol=1e-13)


def test_step_backward_matches_centred_differences(rng):
    B, D, H = 3, 4, 5
    _, params = make_gru(D, H)
    x, h_prev, dh = rng.standard_normal((B, D)), rng.standard_normal((B, H)), rng.standard_normal((B, H))
    _, cache = gru_step_forward(x, h_prev, params)
    grads = gru_step_backward(dh, cache)
    arrays = {"x": x, "h_prev": h_prev, **params}
    errors = gradient_errors(lambda: np.sum(gru_step_forward(x, h_prev, params)[0] * dh), arrays, grads)
    assert all(e < 1e-7 for e in errors.values()), errors


def test_torch_reset_differs_from_cho_et_al(rng):
    """Resetting after the matrix product (torch) and before it (Cho et al., 2014) are different functions."""
    B, D, H = 3, 4, 5
    _, params = make_gru(D, H)
    x, h_prev = rng.standard_normal((B, D)), rng.standard_normal((B, H))
    w_ir, w_iz, w_in = np.split(params["weight_ih"], 3)
    w_hr, w_hz, w_hn = np.split(params["weight_hh"], 3)
    b_ir, b_iz, b_in = np.split(params["bias_ih"], 3)
    b_hr, b_hz, b_hn = np.split(params["bias_hh"], 3)
    r = sigmoid(x @ w_ir.T + b_ir + h_prev @ w_hr.T + b_hr)
    z = sigmoid(x @ w_iz.T + b_iz + h_prev @ w_hz.T + b_hz)
    n_torch = np.tanh(x @ w_in.T + b_in + r * (h_prev @ w_hn.T + b_hn))
    n_cho = np.tanh(x @ w_in.T + b_in + (r * h_prev) @ w_hn.T + b_hn)

    h, _ = gru_step_forward(x, h_prev, params)
    np.testing.assert_allclose(h, (1 - z) * n_torch + z * h_prev, rtol=0, atol=1e-14)
    h_cho = (1 - z) * n_cho + z * h_prev
    assert np.abs(h - h_cho).min() > 1e-6


def test_update_gate_keeps_the_previous_state():
    """With z = 1 (huge update-gate bias) the state is copied, as in h' = (1 - z) n + z h; not the swapped form."""
    B, D, H = 2, 3, 4
    _, params = make_gru(D, H)
    params["bias_ih"][H:2 * H] = 50.0
    h_prev = np.linspace(-1, 1, B * H).reshape(B, H)
    h, _ = gru_step_forward(np.ones((B, D)), h_prev, params)
    np.testing.assert_allclose(h, h_prev, atol=1e-12)


def test_saturated_gates_raise_no_warnings(rng):
    """Pre-activations of +-1e4 must not overflow exp (the suite turns rnnlib RuntimeWarnings into errors)."""
    _, params = make_gru(2, 3)
    x = 1e4 * rng.standard_normal((4, 2, 2))
    hs, cache = gru_forward(x, np.zeros((2, 3)), params)
    grads = gru_backward(np.ones_like(hs), cache)
    assert np.all(np.isfinite(hs)) and all(np.all(np.isfinite(g)) for g in grads.values())


@pytest.mark.parametrize("kwargs, match", [
    ({"x": np.zeros((2, 3))}, r"x must have shape \(T, B, D\)"),
    ({"h0": np.zeros((1, 2, 4))}, r"h0 must have shape \(B, H\)"),
    ({"h0": np.zeros((5, 4))}, r"h0 must have shape \(B, H\)"),
    ({"params": {"weight_ih": np.zeros((12, 3))}}, r"params is missing"),
    ({"x": np.full((2, 2, 3), np.nan)}, r"x contains NaN"),
    ({"x": np.zeros((0, 2, 3))}, r"x must hold at least one time step"),
])
def test_forward_rejects_bad_input(kwargs, match):
    _, params = make_gru(3, 4)
    args = {"x": np.zeros((2, 2, 3)), "h0": np.zeros((2, 4)), "params": params} | kwargs
    with pytest.raises(ValueError, match=match):
        gru_forward(**args)


def test_forward_rejects_params_of_another_cell():
    _, params = make_gru(3, 4)
    params["weight_hh"] = np.zeros((4, 4))  # an RNN's (H, H) instead of the GRU's (3H, H)
    with pytest.raises(ValueError, match=r"params\['weight_hh'\] must have shape \(G\*H, H\)"):
        gru_forward(np.zeros((2, 2, 3)), np.zeros((2, 4)), params)


def test_a_wrong_input_size_blames_x_not_params():
    _, params = make_gru(3, 4)
    with pytest.raises(ValueError, match=r"x must have shape \(T, B, D\) with D=3"):
        gru_forward(np.zeros((2, 2, 5)), np.zeros((2, 4)), params)
    with pytest.raises(ValueError, match=r"x must have shape \(B, D\) with D=3"):
        gru_step_forward(np.zeros((2, 5)), np.zeros((2, 4)), params)
    with pytest.raises(ValueError, match=r"h_prev must have shape \(B, H\) with D=3, H=4"):
        gru_step_forward(np.zeros((2, 3)), np.zeros((2, 5)), params)


def test_backward_rejects_bad_gradient_shape():
    _, params = make_gru(3, 4)
    _, cache = gru_forward(np.zeros((2, 2, 3)), np.zeros((2, 4)), params)
    with pytest.raises(ValueError, match=r"dhs must have shape \(T, B, H\)"):
        gru_backward(np.zeros((2, 2, 5)), cache)
    _, step_cache = gru_step_forward(np.zeros((2, 3)), np.zeros((2, 4)), params)
    with pytest.raises(ValueError, match=r"dh must have shape \(B, H\)"):
        gru_step_backward(np.zeros((3, 4)), step_cache)


def test_backward_rejects_the_wrong_cache():
    _, params = make_gru(3, 4)
    _, step_cache = gru_step_forward(np.zeros((2, 3)), np.zeros((2, 4)), params)
    with pytest.raises(ValueError, match="cache must be the GRUCache returned by gru_forward"):
        gru_backward(np.zeros((1, 2, 4)), step_cache)
