"""rnnlib.scratch.rnn against torch.nn.RNN in float64, against centred differences, and on bad input."""

import numpy as np
import pytest
import torch

from rnnlib.gradcheck import gradient_errors, rel_error
from rnnlib.scratch.rnn import rnn_backward, rnn_forward, rnn_step_backward, rnn_step_forward
from scratch_testing import PARAM_NAMES, SHAPES, random_params, torch_layer

both_nonlinearities = pytest.mark.parametrize("nonlinearity", ["tanh", "relu"])


def make_params(rng, D, H):
    """Weights in torch.nn.RNN's layout, drawn from ``rng`` so every test is repeatable."""
    return random_params(rng, "rnn", D, H)


def torch_rnn(params, nonlinearity):
    return torch_layer(params, "rnn", nonlinearity)


def torch_grads(rnn, x, h0, loss_of):
    """Autograd gradients of ``loss_of(out, h_n)`` under the names rnn_backward uses."""
    xt = torch.tensor(x, requires_grad=True)
    h0t = torch.tensor(h0[None], requires_grad=True)  # (1, B, H): torch adds a layer axis
    loss_of(*rnn(xt, h0t)).backward()
    grads = {"x": xt.grad, "h0": h0t.grad[0]}
    grads.update({name: getattr(rnn, name + "_l0").grad for name in PARAM_NAMES})
    return {name: g.numpy() for name, g in grads.items()}


@both_nonlinearities
@pytest.mark.parametrize("T, B, D, H", SHAPES)
def test_rnn_forward_matches_torch(rng, T, B, D, H, nonlinearity):
    params = make_params(rng, D, H)
    x, h0 = rng.normal(size=(T, B, D)), rng.normal(size=(B, H))
    hs, _ = rnn_forward(x, h0, params, nonlinearity)
    out, h_n = torch_rnn(params, nonlinearity)(torch.from_numpy(x), torch.from_numpy(h0)[None])
    assert hs.shape == (T, B, H)
    assert np.abs(hs - out.detach().numpy()).max() < 1e-12
    assert np.abs(hs[-1] - h_n[0].detach().numpy()).max() < 1e-12


def test_rnn_forward_accepts_a_torch_state_dict_as_is(rng):
    rnn = torch.nn.RNN(3, 4).double()
    params = {k.removesuffix("_l0"): v.detach().numpy() for k, v in rnn.named_parameters()}
    params["unused"] = np.zeros(7)
    x, h0 = rng.normal(size=(2, 5, 3)), rng.normal(size=(5, 4))
    hs, _ = rnn_forward(x, h0, params)
    out, _ = rnn(torch.from_numpy(x), torch.from_numpy(h0)[None])
    assert np.abs(hs - out.detach().numpy()).max() < 1e-12


@both_nonlinearities
@pytest.mark.parametrize("T, B, D, H", SHAPES)
def test_rnn_backward_matches_torch(rng, T, B, D, H, nonlinearity):
    params = make_params(rng, D, H)
    x, h0, dhs = rng.normal(size=(T, B, D)), rng.normal(size=(B, H)), rng.normal(size=(T, B, H))
    _, cache = rnn_forward(x, h0, params, nonlinearity)
    grads = rnn_backward(dhs, cache)
    rnn = torch_rnn(params, nonlinearity)
    expected = torch_grads(rnn, x, h0, lambda out, h_n: (out * torch.from_numpy(dhs)).sum())
    assert set(grads) == set(expected)
    # The two bias gradients are equal but must not be one array, or updating one would move the other.
    assert not np.shares_memory(grads["bias_ih"], grads["bias_hh"])
    for name, want in expected.items():
        assert grads[name].shape == want.shape, name
        assert rel_error(grads[name], want) < 1e-10, name


@both_nonlinearities
def test_rnn_backward_with_a_loss_on_the_last_state_only(rng, nonlinearity):
    T, B, D, H = 6, 3, 2, 4
    params = make_params(rng, D, H)
    x, h0, d_last = rng.normal(size=(T, B, D)), rng.normal(size=(B, H)), rng.normal(size=(B, H))
    dhs = np.zeros((T, B, H))
    dhs[-1] = d_last
    _, cache = rnn_forward(x, h0, params, nonlinearity)
    grads = rnn_backward(dhs, cache)
    rnn = torch_rnn(params, nonlinearity)
    expected = torch_grads(rnn, x, h0, lambda out, h_n: (h_n[0] * torch.from_numpy(d_last)).sum())
    # A gradient that vanished on the way back would make the comparison below vacuous.
    assert np.abs(expected["h0"]).max() > 1e-6
    for name, want in expected.items():
        assert rel_error(grads[name], want) < 1e-10, name


@both_nonlinearities
@pytest.mark.parametrize("T, B, D, H", SHAPES)
def test_rnn_backward_matches_numerical_gradient(rng, T, B, D, H, nonlinearity):
    params = make_params(rng, D, H)
    x, h0, dhs = rng.normal(size=(T, B, D)), rng.normal(size=(B, H)), rng.normal(size=(T, B, H))
    _, cache = rnn_forward(x, h0, params, nonlinearity)
    grads = rnn_backward(dhs, cache)

    def loss():
        return np.sum(rnn_forward(x, h0, params, nonlinearity)[0] * dhs)

    errors = gradient_errors(loss, {"x": x, "h0": h0, **params}, grads)
    assert max(errors.values()) < 1e-7, errors


@both_nonlinearities
@pytest.mark.parametrize("B, D, H", [(1, 1, 1), (3, 2, 4), (2, 5, 3)])
def test_rnn_step_backward_matches_numerical_gradient(rng, B, D, H, nonlinearity):
    params = make_params(rng, D, H)
    x, h_prev, dh = rng.normal(size=(B, D)), rng.normal(size=(B, H)), rng.normal(size=(B, H))
    _, cache = rnn_step_forward(x, h_prev, params, nonlinearity)
    grads = rnn_step_backward(dh, cache)

    def loss():
        return np.sum(rnn_step_forward(x, h_prev, params, nonlinearity)[0] * dh)

    errors = gradient_errors(loss, {"x": x, "h_prev": h_prev, **params}, grads)
    assert not np.shares_memory(grads["bias_ih"], grads["bias_hh"])
    assert set(errors) == {"x", "h_prev", *PARAM_NAMES}
    assert max(errors.values()) < 1e-7, errors


@both_nonlinearities
@pytest.mark.parametrize("T, B, D, H", SHAPES)
def test_rnn_step_functions_chained_match_the_sequence_functions(rng, T, B, D, H, nonlinearity):
    params = make_params(rng, D, H)
    x, h0, dhs = rng.normal(size=(T, B, D)), rng.normal(size=(B, H)), rng.normal(size=(T, B, H))
    hs, cache = rnn_forward(x, h0, params, nonlinearity)
    grads = rnn_backward(dhs, cache)

    h, step_caches = h0, []
    for t in range(T):
        h, step_cache = rnn_step_forward(x[t], h, params, nonlinearity)
        assert np.abs(h - hs[t]).max() < 1e-14
        step_caches.append(step_cache)
    dh_prev, dx = np.zeros((B, H)), np.zeros((T, B, D))
    summed = {name: np.zeros_like(params[name]) for name in PARAM_NAMES}
    for t in reversed(range(T)):
        step_grads = rnn_step_backward(dhs[t] + dh_prev, step_caches[t])
        dh_prev, dx[t] = step_grads["h_prev"], step_grads["x"]
        for name in PARAM_NAMES:
            summed[name] += step_grads[name]
    assert rel_error(dx, grads["x"]) < 1e-13
    assert rel_error(dh_prev, grads["h0"]) < 1e-13
    for name in PARAM_NAMES:
        assert rel_error(summed[name], grads[name]) < 1e-13, name


def test_rnn_large_inputs_saturate_without_warnings(rng):
    params = make_params(rng, 3, 4)
    x, h0 = 1e4 * rng.normal(size=(4, 2, 3)), rng.normal(size=(2, 4))
    hs, cache = rnn_forward(x, h0, params)
    grads = rnn_backward(np.ones_like(hs), cache)
    assert np.all(np.abs(hs) <= 1) and all(np.all(np.isfinite(g)) for g in grads.values())


def _good_sequence_args(rng):
    params = make_params(rng, 4, 5)
    return {"x": rng.normal(size=(3, 2, 4)), "h0": rng.normal(size=(2, 5)), "params": params}


@pytest.mark.parametrize("change, match", [
    ({"x": np.zeros((2, 4))}, r"^x must have shape \(T, B, D\)"),
    ({"x": np.zeros((3, 2, 7))}, r"^x must have shape \(T, B, D\)"),
    ({"x": np.zeros((0, 2, 4))}, r"^x must hold at least one time step"),
    ({"x": np.full((3, 2, 4), np.nan)}, r"^x contains NaN"),
    ({"h0": np.zeros((1, 2, 5))}, r"^h0 must have shape \(B, H\)"),
    ({"h0": np.zeros((3, 5))}, r"^h0 must have shape \(B, H\)"),
    ({"h0": np.zeros((2, 6))}, r"^h0 must have shape \(B, H\)"),
    ({"params": {"weight_ih": np.zeros((20, 4)), "weight_hh": np.zeros((20, 5)),
                 "bias_ih": np.zeros(20), "bias_hh": np.zeros(20)}}, r"^params\['weight_ih'\] must have shape"),
    ({"params": {"weight_ih": np.zeros((5, 4))}}, r"^params is missing"),
    ({"params": [1, 2]}, r"^params must be a dict"),
    ({"nonlinearity": "sigmoid"}, r"^unknown nonlinearity 'sigmoid'"),
])
def test_rnn_forward_rejects_bad_input(rng, change, match):
    args = {**_good_sequence_args(rng), **change}
    with pytest.raises(ValueError, match=match):
        rnn_forward(**args)


def test_rnn_backward_rejects_bad_input(rng):
    hs, cache = rnn_forward(**_good_sequence_args(rng))
    with pytest.raises(ValueError, match=r"^dhs must have shape \(T, B, H\)"):
        rnn_backward(hs[-1], cache)
    with pytest.raises(ValueError, match=r"^dhs must have shape \(T, B, H\)"):
        rnn_backward(hs[:-1], cache)
    _, step_cache = rnn_step_forward(rng.normal(size=(2, 4)), rng.normal(size=(2, 5)), make_params(rng, 4, 5))
    with pytest.raises(ValueError, match=r"^cache must be the RNNCache returned by rnn_forward"):
        rnn_backward(hs, step_cache)


def test_rnn_step_functions_reject_bad_input(rng):
    params = make_params(rng, 4, 5)
    x, h_prev = rng.normal(size=(2, 4)), rng.normal(size=(2, 5))
    with pytest.raises(ValueError, match=r"^x must have shape \(B, D\)"):
        rnn_step_forward(x[None], h_prev, params)
    with pytest.raises(ValueError, match=r"^h_prev must have shape \(B, H\)"):
        rnn_step_forward(x, h_prev[:1], params)
    lstm_params = {k.removesuffix("_l0"): v.detach().numpy() for k, v in torch.nn.LSTM(4, 5).named_parameters()}
    with pytest.raises(ValueError, match=r"^params\['weight_ih'\] must have shape \(G\*H, D\) = \(5, 4\)"):
        rnn_step_forward(x, h_prev, lstm_params)
    with pytest.raises(ValueError, match=r"^unknown nonlinearity"):
        rnn_step_forward(x, h_prev, params, nonlinearity="Tanh")
    h, cache = rnn_step_forward(x, h_prev, params)
    with pytest.raises(ValueError, match=r"^dh must have shape \(B, H\)"):
        rnn_step_backward(h[:, :4], cache)
    _, seq_cache = rnn_forward(x[None], h_prev, params)
    with pytest.raises(ValueError, match=r"^cache must be the RNNStepCache returned by rnn_step_forward"):
        rnn_step_backward(h, seq_cache)
