"""The hand-written cells against torch's cells and layers, in float64, values and gradients."""

import numpy as np
import pytest
import torch

from rnnlib.models.cells import GRUCell, LSTMCell, RNNCell, init_like_torch, unroll
from rnnlib.scratch.gru import gru_step_forward

# kind -> (our cell, torch's cell, torch's layer, extra constructor arguments)
KINDS = {
    "rnn_tanh": (RNNCell, torch.nn.RNNCell, torch.nn.RNN, {"nonlinearity": "tanh"}),
    "rnn_relu": (RNNCell, torch.nn.RNNCell, torch.nn.RNN, {"nonlinearity": "relu"}),
    "lstm": (LSTMCell, torch.nn.LSTMCell, torch.nn.LSTM, {}),
    "gru": (GRUCell, torch.nn.GRUCell, torch.nn.GRU, {}),
}


def make_pair(kind, D, H, seed=0):
    """Our cell with weights copied from a torch cell, both float64."""
    ours_cls, torch_cls, _, kwargs = KINDS[kind]
    theirs = init_like_torch(torch_cls(D, H, **kwargs), torch.Generator().manual_seed(seed)).double()
    ours = ours_cls(D, H, **kwargs).double()
    ours.load_state_dict(theirs.state_dict())
    return ours, theirs


def random_state(kind, B, H, g):
    if kind == "lstm":
        return tuple(torch.randn(B, H, dtype=torch.float64, generator=g, requires_grad=True) for _ in range(2))
    return torch.randn(B, H, dtype=torch.float64, generator=g, requires_grad=True)


def as_tuple(state):
    return state if isinstance(state, tuple) else (state,)


def max_diff(a, b):
    return max((x - y).abs().max().item() for x, y in zip(a, b, strict=True))


@pytest.mark.parametrize("kind", list(KINDS))
@pytest.mark.parametrize("B, D, H", [(1, 1, 1), (3, 4, 6)])
def test_cell_matches_torch_cell(kind, B, D, H):
    ours, theirs = make_pair(kind, D, H)
    g = torch.Generator().manual_seed(1)
    x = torch.randn(B, D, dtype=torch.float64, generator=g, requires_grad=True)
    state = random_state(kind, B, H, g)
    out_ours, out_theirs = as_tuple(ours(x, state)), as_tuple(theirs(x, state))
    assert max_diff(out_ours, out_theirs) < 1e-12

    # A random upstream gradient on every output exercises every path through the cell.
    dout = [torch.randn(o.shape, dtype=torch.float64, generator=g) for o in out_ours]
    inputs_ours = [x, *as_tuple(state), *ours.parameters()]
    inputs_theirs = [x, *as_tuple(state), *theirs.parameters()]
    grads_ours = torch.autograd.grad(out_ours, inputs_ours, dout)
    grads_theirs = torch.autograd.grad(out_theirs, inputs_theirs, dout)
    assert max_diff(grads_ours, grads_theirs) < 1e-12


@pytest.mark.parametrize("kind", list(KINDS))
def test_missing_state_means_zeros(kind):
    ours, theirs = make_pair(kind, 3, 5)
    x = torch.randn(2, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    assert max_diff(as_tuple(ours(x)), as_tuple(theirs(x))) < 1e-12


@pytest.mark.parametrize("kind", list(KINDS))
@pytest.mark.parametrize("T, B, D, H", [(1, 1, 1, 1), (6, 3, 4, 5)])
def test_unroll_matches_torch_layer(kind, T, B, D, H):
    ours_cls, _, layer_cls, kwargs = KINDS[kind]
    layer = init_like_torch(layer_cls(D, H, **kwargs), torch.Generator().manual_seed(0)).double()
    cell = ours_cls(D, H, **kwargs).double()
    cell.load_state_dict({k.removesuffix("_l0"): v for k, v in layer.state_dict().items()})
    g = torch.Generator().manual_seed(1)
    x = torch.randn(T, B, D, dtype=torch.float64, generator=g, requires_grad=True)
    state = random_state(kind, B, H, g)

    hs, final = unroll(cell, x, state)
    # torch's layers take and return states with a leading layer axis: (1, B, H).
    out, final_torch = layer(x, tuple(s[None] for s in state) if kind == "lstm" else state[None])
    final_torch = tuple(s[0] for s in as_tuple(final_torch))
    assert hs.shape == (T, B, H)
    assert max_diff([hs, *as_tuple(final)], [out, *final_torch]) < 1e-12

    dhs = torch.randn(T, B, H, dtype=torch.float64, generator=g)
    grads_ours = torch.autograd.grad(hs, [x, *as_tuple(state), *cell.parameters()], dhs)
    grads_torch = torch.autograd.grad(out, [x, *as_tuple(state), *layer.parameters()], dhs)
    assert max_diff(grads_ours, grads_torch) < 1e-12


def test_gru_cell_mirrors_numpy_reference():
    cell = GRUCell(4, 5, generator=torch.Generator().manual_seed(0)).double()
    rng = np.random.default_rng(0)
    x, h = rng.standard_normal((3, 4)), rng.standard_normal((3, 5))
    params = {k: v.detach().numpy() for k, v in cell.state_dict().items()}
    expected, _ = gru_step_forward(x, h, params)
    np.testing.assert_allclose(cell(torch.from_numpy(x), torch.from_numpy(h)).detach().numpy(), expected,
                               rtol=0, atol=1e-12)


@pytest.mark.parametrize("cls, G", [(RNNCell, 1), (LSTMCell, 4), (GRUCell, 3)])
def test_init_is_torch_like_and_reproducible(cls, G):
    a = cls(3, 16, generator=torch.Generator().manual_seed(7))
    b = cls(3, 16, generator=torch.Generator().manual_seed(7))
    c = cls(3, 16, generator=torch.Generator().manual_seed(8))
    assert a.weight_ih.shape == (G * 16, 3) and a.weight_hh.shape == (G * 16, 16)
    assert a.bias_ih.shape == a.bias_hh.shape == (G * 16,)
    for name, p in a.named_parameters():
        assert torch.equal(p, dict(b.named_parameters())[name])
        assert not torch.equal(p, dict(c.named_parameters())[name])
        assert p.abs().max() <= 1 / 4 and p.abs().max() > 0.2  # bound 1/sqrt(H) = 0.25, and nearly reached


def test_init_like_torch_refuses_unknown_modules():
    with pytest.raises(ValueError, match="BatchNorm1d"):
        init_like_torch(torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.BatchNorm1d(2)), torch.Generator())


@pytest.mark.parametrize("cls", [RNNCell, LSTMCell, GRUCell])
def test_bad_inputs_raise(cls):
    cell = cls(3, 4)
    with pytest.raises(ValueError, match=r"x must have shape \(B, D\)"):
        cell(torch.zeros(2, 5, 3))
    with pytest.raises(ValueError, match="D=3"):
        cell(torch.zeros(2, 5))
    with pytest.raises(ValueError, match="state"):
        wrong_h = torch.zeros(2, 5)
        cell(torch.zeros(2, 3), (wrong_h, wrong_h) if cls is LSTMCell else wrong_h)
    with pytest.raises(ValueError, match=r"x must have shape \(T, B, D\)"):
        unroll(cell, torch.zeros(2, 3))


def test_lstm_state_must_be_a_pair_and_nonlinearity_known():
    with pytest.raises(ValueError, match=r"pair \(h, c\)"):
        LSTMCell(3, 4)(torch.zeros(2, 3), torch.zeros(2, 4))
    with pytest.raises(ValueError, match="nonlinearity"):
        RNNCell(3, 4, nonlinearity="sigmoid")
