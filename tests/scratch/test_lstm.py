"""rnnlib.scratch.lstm against torch.nn.LSTM in float64, against centred differences, and on bad input."""

import numpy as np
import pytest
import torch

from rnnlib.gradcheck import gradient_errors, rel_error
from rnnlib.scratch.lstm import lstm_backward, lstm_forward, lstm_step_backward, lstm_step_forward

from scratch_testing import PARAM_NAMES, SHAPES, random_params, torch_layer


def make_params(rng, D, H):
    """Weights in torch.nn.LSTM's layout (gates i, f, g, o), drawn from ``rng`` so every test is repeatable."""
    return random_params(rng, "lstm", D, H)


def torch_lstm(params):
    return torch_layer(params, "lstm")


def torch_grads(lstm, x, h0, c0, loss_of):
    """Autograd gradients of ``loss_of(out, h_n)`` under the names lstm_backward uses."""
    xt = torch.tensor(x, requires_grad=True)
    h0t = torch.tensor(h0[None], requires_grad=True)  # (1, B, H): torch adds a layer axis
    c0t = torch.tensor(c0[None], requires_grad=True)  # (1, B, H)
    out, (h_n, _) = lstm(xt, (h0t, c0t))
    loss_of(out, h_n).backward()
    grads = {"x": xt.grad, "h0": h0t.grad[0], "c0": c0t.grad[0]}
    grads.update({name: getattr(lstm, name + "_l0").grad for name in PARAM_NAMES})
    return {name: g.numpy() for name, g in grads.items()}


def random_inputs(rng, T, B, D, H):
    """x (T, B, D), h0 (B, H), c0 (B, H) and an upstream gradient dhs (T, B, H)."""
    return rng.normal(size=(T, B, D)), rng.normal(size=(B, H)), rng.normal(size=(B, H)), rng.normal(size=(T, B, H))


@pytest.mark.parametrize("T, B, D, H", SHAPES)
def test_lstm_forward_matches_torch(rng, T, B, D, H):
    params = make_params(rng, D, H)
    x, h0, c0, _ = random_inputs(rng, T, B, D, H)
    hs, cs, _ = lstm_forward(x, h0, c0, params)
    state = (torch.from_numpy(h0)[None], torch.from_numpy(c0)[None])  # each (1, B, H)
    out, (h_n, c_n) = torch_lstm(params)(torch.from_numpy(x), state)
    assert hs.shape == cs.shape == (T, B, H)
    assert np.abs(hs - out.detach().numpy()).max() < 1e-12
    assert np.abs(hs[-1] - h_n[0].detach().numpy()).max() < 1e-12
    assert np.abs(cs[-1] - c_n[0].detach().numpy()).max() < 1e-12


def test_lstm_gate_order_is_i_f_g_o():
    # Zero weights and a distinct bias per block make each gate a known constant; swapping any two blocks fails.
    H = 2
    params = {"weight_ih": np.zeros((4 * H, 1)), "weight_hh": np.zeros((4 * H, H)), "bias_hh": np.zeros(4 * H)}
    params["bias_ih"] = np.repeat([50.0, -50.0, 0.5, 1.0], H)  # i open, f shut, g = tanh(0.5), o = sigmoid(1)
    hs, cs, _ = lstm_forward(np.zeros((1, 1, 1)), np.zeros((1, H)), np.full((1, H), 3.0), params)
    assert np.allclose(cs[0], np.tanh(0.5))
    assert np.allclose(hs[0], np.tanh(np.tanh(0.5)) / (1 + np.exp(-1.0)))


def test_lstm_forward_accepts_a_torch_state_dict_as_is(rng):
    lstm = torch.nn.LSTM(3, 4).double()
    params = {k.removesuffix("_l0"): v.detach().numpy() for k, v in lstm.named_parameters()}
    params["unused"] = np.zeros(7)
    x, h0, c0, _ = random_inputs(rng, 2, 5, 3, 4)
    hs, _, _ = lstm_forward(x, h0, c0, params)
    out, _ = lstm(torch.from_numpy(x), (torch.from_numpy(h0)[None], torch.from_numpy(c0)[None]))
    assert np.abs(hs - out.detach().numpy()).max() < 1e-12


@pytest.mark.parametrize("T, B, D, H", SHAPES)
def test_lstm_backward_matches_torch(rng, T, B, D, H):
    params = make_params(rng, D, H)
    x, h0, c0, dhs = random_inputs(rng, T, B, D, H)
    _, _, cache = lstm_forward(x, h0, c0, params)
    grads = lstm_backward(dhs, cache)
    expected = torch_grads(torch_lstm(params), x, h0, c0, lambda out, h_n: (out * torch.from_numpy(dhs)).sum())
    assert set(grads) == set(expected)
    # The two bias gradients are equal but must not be one array, or updating one would move the other.
    assert not np.shares_memory(grads["bias_ih"], grads["bias_hh"])
    for name, want in expected.items():
        assert grads[name].shape == want.shape, name
        assert rel_error(grads[name], want) < 1e-10, name


def test_lstm_backward_with_a_loss_on_the_last_state_only(rng):
    T, B, D, H = 6, 3, 2, 4
    params = make_params(rng, D, H)
    x, h0, c0, _ = random_inputs(rng, T, B, D, H)
    d_last = rng.normal(size=(B, H))
    dhs = np.zeros((T, B, H))
    dhs[-1] = d_last
    _, _, cache = lstm_forward(x, h0, c0, params)
    grads = lstm_backward(dhs, cache)
    expected = torch_grads(torch_lstm(params), x, h0, c0, lambda out, h_n: (h_n[0] * torch.from_numpy(d_last)).sum())
    # A gradient that vanished on the way back would make the comparison below vacuous.
    assert np.abs(expected["h0"]).max() > 1e-6 and np.abs(expected["c0"]).max() > 1e-6
    for name, want in expected.items():
        assert rel_error(grads[name], want) < 1e-10, name


@pytest.mark.parametrize("T, B, D, H", SHAPES)
def test_lstm_backward_matches_numerical_gradient(rng, T, B, D, H):
    params = make_params(rng, D, H)
    x, h0, c0, dhs = random_inputs(rng, T, B, D, H)
    _, _, cache = lstm_forward(x, h0, c0, params)
    grads = lstm_backward(dhs, cache)

    def loss():
        return np.sum(lstm_forward(x, h0, c0, params)[0] * dhs)

    errors = gradient_errors(loss, {"x": x, "h0": h0, "c0": c0, **params}, grads)
    assert max(errors.values()) < 1e-7, errors


@pytest.mark.parametrize("B, D, H", [(1, 1, 1), (3, 2, 4), (2, 5, 3)])
def test_lstm_step_backward_matches_numerical_gradient(rng, B, D, H):
    params = make_params(rng, D, H)
    x, h_prev, c_prev = rng.normal(size=(B, D)), rng.normal(size=(B, H)), rng.normal(size=(B, H))
    dh, dc = rng.normal(size=(B, H)), rng.normal(size=(B, H))
    _, _, cache = lstm_step_forward(x, h_prev, c_prev, params)
    grads = lstm_step_backward(dh, dc, cache)

    def loss():
        h, c, _ = lstm_step_forward(x, h_prev, c_prev, params)
        return np.sum(h * dh) + np.sum(c * dc)

    errors = gradient_errors(loss, {"x": x, "h_prev": h_prev, "c_prev": c_prev, **params}, grads)
    assert not np.shares_memory(grads["bias_ih"], grads["bias_hh"])
    assert set(errors) == {"x", "h_prev", "c_prev", *PARAM_NAMES}
    assert max(errors.values()) < 1e-7, errors


@pytest.mark.parametrize("T, B, D, H", SHAPES)
def test_lstm_step_functions_chained_match_the_sequence_functions(rng, T, B, D, H):
    params = make_params(rng, D, H)
    x, h0, c0, dhs = random_inputs(rng, T, B, D, H)
    hs, cs, cache = lstm_forward(x, h0, c0, params)
    grads = lstm_backward(dhs, cache)

    h, c, step_caches = h0, c0, []
    for t in range(T):
        h, c, step_cache = lstm_step_forward(x[t], h, c, params)
        assert np.abs(h - hs[t]).max() < 1e-14 and np.abs(c - cs[t]).max() < 1e-14
        step_caches.append(step_cache)
    dh_prev, dc_prev, dx = np.zeros((B, H)), np.zeros((B, H)), np.zeros((T, B, D))
    summed = {name: np.zeros_like(params[name]) for name in PARAM_NAMES}
    for t in reversed(range(T)):
        step_grads = lstm_step_backward(dhs[t] + dh_prev, dc_prev, step_caches[t])
        dh_prev, dc_prev, dx[t] = step_grads["h_prev"], step_grads["c_prev"], step_grads["x"]
        for name in PARAM_NAMES:
            summed[name] += step_grads[name]
    assert rel_error(dx, grads["x"]) < 1e-13
    assert rel_error(dh_prev, grads["h0"]) < 1e-13
    assert rel_error(dc_prev, grads["c0"]) < 1e-13
    for name in PARAM_NAMES:
        assert rel_error(summed[name], grads[name]) < 1e-13, name


def test_lstm_large_inputs_saturate_without_warnings(rng):
    # pyproject turns RuntimeWarnings from rnnlib into errors, so an overflowing sigmoid would fail here.
    params = make_params(rng, 3, 4)
    x, h0, c0, dhs = random_inputs(rng, 4, 2, 3, 4)
    hs, cs, cache = lstm_forward(1e4 * x, h0, c0, params)
    grads = lstm_backward(dhs, cache)
    out, _ = torch_lstm(params)(torch.from_numpy(1e4 * x), (torch.from_numpy(h0)[None], torch.from_numpy(c0)[None]))
    assert np.abs(hs - out.detach().numpy()).max() < 1e-12
    assert all(np.all(np.isfinite(g)) for g in grads.values())


def _good_sequence_args(rng):
    return {"x": rng.normal(size=(3, 2, 4)), "h0": rng.normal(size=(2, 5)), "c0": rng.normal(size=(2, 5)),
            "params": make_params(rng, 4, 5)}


@pytest.mark.parametrize("change, match", [
    ({"x": np.zeros((2, 4))}, r"^x must have shape \(T, B, D\)"),
    ({"x": np.zeros((3, 2, 7))}, r"^x must have shape \(T, B, D\)"),
    ({"x": np.zeros((0, 2, 4))}, r"^x must hold at least one time step"),
    ({"h0": np.zeros((2, 5, 1))}, r"^h0 must have shape \(B, H\)"),
    ({"h0": np.zeros((3, 5))}, r"^h0 must have shape \(B, H\)"),
    ({"h0": np.zeros((2, 6))}, r"^h0 must have shape \(B, H\)"),
    ({"c0": np.zeros(5)}, r"^c0 must have shape \(B, H\)"),
    ({"c0": np.zeros((2, 4))}, r"^c0 must have shape \(B, H\)"),
    ({"c0": [[np.inf] * 5] * 2}, r"^c0 contains NaN or infinity"),
    ({"params": {"weight_ih": np.zeros((5, 4)), "weight_hh": np.zeros((5, 5)),
                 "bias_ih": np.zeros(5), "bias_hh": np.zeros(5)}}, r"^params\['weight_ih'\] must have shape"),
    ({"params": {"weight_ih": np.zeros((20, 4)), "weight_hh": np.zeros((20, 5)), "bias_ih": np.zeros(20),
                 "bias_hh": np.zeros(5)}}, r"^params\['bias_hh'\] must have shape"),
    ({"params": {"weight_hh": np.zeros((20, 5))}}, r"^params is missing"),
])
def test_lstm_forward_rejects_bad_input(rng, change, match):
    args = {**_good_sequence_args(rng), **change}
    with pytest.raises(ValueError, match=match):
        lstm_forward(**args)


def test_lstm_forward_rejects_rnn_params(rng):
    rnn = torch.nn.RNN(4, 5).double()
    params = {k.removesuffix("_l0"): v.detach().numpy() for k, v in rnn.named_parameters()}
    args = {**_good_sequence_args(rng), "params": params}
    with pytest.raises(ValueError, match=r"^params\['weight_ih'\] must have shape \(G\*H, D\) = \(20, 4\)"):
        lstm_forward(**args)


def test_lstm_backward_rejects_bad_input(rng):
    hs, _, cache = lstm_forward(**_good_sequence_args(rng))
    with pytest.raises(ValueError, match=r"^dhs must have shape \(T, B, H\)"):
        lstm_backward(hs[-1], cache)
    with pytest.raises(ValueError, match=r"^dhs must have shape \(T, B, H\)"):
        lstm_backward(hs[:, :1], cache)
    _, _, step_cache = lstm_step_forward(hs[0, :, :4], hs[0], hs[0], make_params(rng, 4, 5))
    with pytest.raises(ValueError, match=r"^cache must be the LSTMCache returned by lstm_forward"):
        lstm_backward(hs, step_cache)


def test_lstm_step_functions_reject_bad_input(rng):
    params = make_params(rng, 4, 5)
    x, h_prev, c_prev = rng.normal(size=(2, 4)), rng.normal(size=(2, 5)), rng.normal(size=(2, 5))
    with pytest.raises(ValueError, match=r"^x must have shape \(B, D\)"):
        lstm_step_forward(x[None], h_prev, c_prev, params)
    with pytest.raises(ValueError, match=r"^h_prev must have shape \(B, H\)"):
        lstm_step_forward(x, h_prev[:, :3], c_prev, params)
    with pytest.raises(ValueError, match=r"^c_prev must have shape \(B, H\)"):
        lstm_step_forward(x, h_prev, c_prev[:1], params)
    with pytest.raises(ValueError, match=r"^params\['weight_ih'\] must have shape"):
        lstm_step_forward(x, h_prev, c_prev, {**params, "weight_ih": params["weight_ih"][:5]})
    h, c, cache = lstm_step_forward(x, h_prev, c_prev, params)
    with pytest.raises(ValueError, match=r"^dh must have shape \(B, H\)"):
        lstm_step_backward(h.T, c, cache)
    with pytest.raises(ValueError, match=r"^dc must have shape \(B, H\)"):
        lstm_step_backward(h, c[0], cache)
    _, _, seq_cache = lstm_forward(x[None], h_prev, c_prev, params)
    with pytest.raises(ValueError, match=r"^cache must be the LSTMStepCache returned by lstm_step_forward"):
        lstm_step_backward(h, c, seq_cache)
