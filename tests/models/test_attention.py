"""The torch attention modules against the numpy reference rnnlib.scratch.attention, in float64.

Forward values, and gradients of query, keys, values and parameters (torch autograd against the scratch
backward), masking, plugging into the decoder, and the errors raised for bad shapes.
"""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import rnnlib.scratch as scratch
from rnnlib.gradcheck import rel_error
from rnnlib.models.attention import AdditiveAttention, DotAttention, GeneralAttention, padding_mask
from rnnlib.models.seq2seq import Decoder, Encoder, Seq2Seq

KINDS = ("dot", "scaled_dot", "general", "additive")
# (S, B, Hq, Hk, Hv, A); dot attention uses Hk for the query size as well.
SHAPES = [(1, 1, 2, 3, 4, 2), (4, 3, 5, 2, 3, 4), (6, 2, 3, 4, 6, 3)]
BACKWARD = {"dot": scratch.dot_attention_backward, "scaled_dot": scratch.dot_attention_backward,
            "general": scratch.general_attention_backward, "additive": scratch.additive_attention_backward}


def gen(seed=0):
    return torch.Generator().manual_seed(seed)


def make_module(kind, Hq, Hk, A, seed=0):
    """A float64 attention module of ``kind`` with weights drawn from ``seed``."""
    if kind in ("dot", "scaled_dot"):
        return DotAttention(scaled=kind == "scaled_dot")
    if kind == "general":
        return GeneralAttention(Hq, Hk, generator=gen(seed)).double()
    return AdditiveAttention(Hq, Hk, A, generator=gen(seed)).double()


def make_inputs(rng, kind, S, B, Hq, Hk, Hv):
    Hq = Hk if kind in ("dot", "scaled_dot") else Hq
    return rng.standard_normal((B, Hq)), rng.standard_normal((S, B, Hk)), rng.standard_normal((S, B, Hv))


def make_mask(rng, S, B):
    """A random (S, B) mask with at least one attendable position per batch element."""
    mask = rng.random((S, B)) < 0.5
    mask[rng.integers(0, S, size=B), np.arange(B)] = True
    return mask


def scratch_attend(kind, module, q, k, v, mask):
    """The numpy reference of ``module``, with the module's weights copied over."""
    params = module.scratch_params()
    if kind in ("dot", "scaled_dot"):
        return scratch.dot_attention_forward(q, k, v, mask, scaled=kind == "scaled_dot")
    if kind == "general":
        return scratch.general_attention_forward(q, k, v, params["weight"], mask)
    return scratch.additive_attention_forward(q, k, v, params, mask)


@pytest.mark.parametrize("masked", [False, True])
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("kind", KINDS)
def test_forward_and_gradients_match_scratch(rng, kind, shape, masked):
    S, B, Hq, Hk, Hv, A = shape
    module = make_module(kind, Hq, Hk, A)
    q, k, v = make_inputs(rng, kind, S, B, Hq, Hk, Hv)
    mask = make_mask(rng, S, B) if masked else None
    context, weights, cache = scratch_attend(kind, module, q, k, v, mask)
    dcontext = rng.standard_normal(context.shape)
    grads = BACKWARD[kind](dcontext, cache)

    tq, tk, tv = (torch.tensor(a, requires_grad=True) for a in (q, k, v))
    t_context, t_weights = module(tq, tk, tv, None if mask is None else torch.tensor(mask))
    t_context.backward(torch.tensor(dcontext))
    assert t_context.dtype == torch.float64 and t_weights.shape == (S, B)
    assert rel_error(t_context.detach().numpy(), context) < 1e-12
    assert rel_error(t_weights.detach().numpy(), weights) < 1e-12
    for name, t in (("query", tq), ("keys", tk), ("values", tv)):
        assert rel_error(t.grad.numpy(), grads[name]) < 1e-10, name
    param_grads = module.scratch_params(grad=True)
    assert set(param_grads) == set(grads) - {"query", "keys", "values"}
    for name, g in param_grads.items():
        assert g.shape == grads[name].shape and rel_error(g, grads[name]) < 1e-10, name


def test_scratch_params_have_the_scratch_layouts():
    general = GeneralAttention(3, 5, generator=gen())
    additive = AdditiveAttention(3, 5, 4, generator=gen())
    assert DotAttention().scratch_params() == {}
    assert {n: a.shape for n, a in general.scratch_params().items()} == {"weight": (3, 5)}
    assert {n: a.shape for n, a in additive.scratch_params().items()} == {"W_query": (4, 3), "W_key": (4, 5),
                                                                           "v": (4,)}
    # Copies, not views: changing the copy leaves the module alone.
    params = additive.scratch_params()
    params["v"][:] = 0
    assert additive.v.weight.abs().sum() > 0
    with pytest.raises(ValueError, match="W_query has no gradient yet"):
        additive.scratch_params(grad=True)


def test_same_generator_same_weights_and_no_bias():
    a, b = AdditiveAttention(3, 5, 4, generator=gen(7)), AdditiveAttention(3, 5, 4, generator=gen(7))
    for (name, p), (_, p2) in zip(a.named_parameters(), b.named_parameters()):
        assert torch.equal(p, p2), name
    assert [n for n, _ in a.named_parameters()] == ["W_query.weight", "W_key.weight", "v.weight"]
    assert [n for n, _ in GeneralAttention(3, 5).named_parameters()] == ["W.weight"]


@pytest.mark.parametrize("kind", KINDS)
def test_mask_zeroes_the_padding(rng, kind):
    S, B, Hq, Hk, Hv = 6, 3, 3, 4, 5
    module = make_module(kind, Hq, Hk, 2)
    lengths = torch.tensor([6, 2, 4])
    mask = padding_mask(lengths, S)
    q, k, v = (torch.tensor(a, requires_grad=True) for a in make_inputs(rng, kind, S, B, Hq, Hk, Hv))
    context, weights = module(q, k, v, mask)
    assert (weights[~mask] == 0).all() and (weights[mask] > 0).all()
    torch.testing.assert_close(weights.sum(0), torch.ones(B, dtype=torch.float64), rtol=0, atol=1e-14)
    context.sum().backward()
    assert (k.grad[~mask] == 0).all() and (v.grad[~mask] == 0).all()
    # Whatever sits in the padding, even huge values, changes nothing.
    k2, v2 = k.detach().clone(), v.detach().clone()
    k2[~mask], v2[~mask] = 1e3, -1e3
    context2, weights2 = module(q.detach(), k2, v2, mask)
    assert torch.equal(weights2, weights.detach()) and torch.equal(context2, context.detach())


def test_no_mask_means_every_position(rng):
    module = make_module("additive", 3, 4, 2)
    q, k, v = (torch.tensor(a) for a in make_inputs(rng, "additive", 5, 2, 3, 4, 3))
    for a, b in zip(module(q, k, v), module(q, k, v, torch.ones(5, 2, dtype=torch.bool))):
        assert torch.equal(a, b)


def test_dot_scaling_and_general_identity(rng):
    q, k, v = (torch.tensor(a) for a in make_inputs(rng, "dot", 5, 3, 4, 4, 2))
    scores = torch.einsum("bh,sbh->sb", q, k)  # (S, B)
    _, unscaled = DotAttention(scaled=False)(q, k, v)
    _, scaled = DotAttention()(q, k, v)
    torch.testing.assert_close(unscaled, torch.softmax(scores, 0), rtol=0, atol=1e-14)
    torch.testing.assert_close(scaled, torch.softmax(scores / 2.0, 0), rtol=0, atol=1e-14)  # sqrt(H) = 2
    general = GeneralAttention(4, 4).double()
    with torch.no_grad():
        general.W.weight.copy_(torch.eye(4))
    for a, b in zip(general(q, k, v), DotAttention(scaled=False)(q, k, v)):
        torch.testing.assert_close(a, b, rtol=0, atol=1e-14)
    assert "scaled=False" in repr(DotAttention(scaled=False))


def build(kind, seed=0):
    """A small float64 Seq2Seq whose decoder (H=6) attends to a bidirectional encoder (H_enc=6) with ``kind``."""
    V, E, H_dec = 9, 5, 6
    g = gen(seed)
    encoder = Encoder(V, E, 3, "gru", bidirectional=True, decoder_hidden_size=H_dec, generator=g)
    attention = make_module(kind, H_dec, encoder.output_size, 4, seed).float()
    decoder = Decoder(V, E, H_dec, "gru", attention=attention, context_size=encoder.output_size, generator=g)
    return Seq2Seq(encoder, decoder, bos=1, eos=2).double()


@pytest.mark.parametrize("kind", KINDS)
def test_plugs_into_seq2seq_and_trains(kind):
    model = build(kind)
    src = torch.randint(3, 9, (5, 4), generator=gen(1))  # (S, B)
    tgt = torch.cat([src.flip(0), torch.full((1, 4), 2)])  # (T, B): the reversal, then eos
    lengths = torch.tensor([5, 3, 4, 1])
    before = {n: p.detach().clone() for n, p in model.decoder.attention.named_parameters()}
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    losses = []
    for _ in range(5):
        logits = model(src, lengths, tgt)  # (T, B, V)
        loss = F.cross_entropy(logits.reshape(-1, 9), tgt.reshape(-1))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[-1] < losses[0]
    for name, p in model.decoder.attention.named_parameters():
        assert p.grad is not None and p.grad.abs().sum() > 0, name
        assert not torch.equal(p, before[name]), name
    out = model.generate(src, max_len=7, temperature=0, lengths=lengths)
    weights = model.attention_weights(src, out, lengths)
    assert weights.shape == (out.shape[0], 5, 4) and (weights[:, ~padding_mask(lengths, 5)] == 0).all()


def bad_calls():
    """(module kind, changes to query/keys/values/mask, expected message), one call each."""
    S, B = 4, 3
    return [
        pytest.param("general", {"query": torch.zeros(B, 5)}, r"query must have shape \(B, Hq=3\) with B=3",
                     id="general query size"),
        pytest.param("additive", {"query": torch.zeros(B + 1, 3)}, r"query must have shape \(B, Hq=3\) with B=3",
                     id="additive query batch"),
        pytest.param("scaled_dot", {"query": torch.zeros(B, 3)}, r"query must have shape \(B, H\) matching keys",
                     id="dot query size"),
        pytest.param("additive", {"keys": torch.zeros(S, B, 5)}, r"keys must have shape \(S, B, Hk=4\)",
                     id="additive key size"),
        pytest.param("dot", {"keys": torch.zeros(S, B)}, r"keys must have shape \(S, B, Hk\)", id="keys rank"),
        pytest.param("general", {"keys": torch.zeros(0, B, 4), "values": torch.zeros(0, B, 2)},
                     r"keys must have shape \(S, B, Hk\) with S >= 1", id="keys empty"),
        pytest.param("general", {"values": torch.zeros(S + 1, B, 2)}, r"values must have shape \(S, B, Hv\)",
                     id="values steps"),
        pytest.param("dot", {"mask": torch.ones(B, S, dtype=torch.bool)}, r"mask must have shape \(S, B\) = \(4, 3\)",
                     id="mask shape"),
        pytest.param("additive", {"mask": torch.ones(S, B)}, "mask must be a bool tensor", id="mask dtype"),
        pytest.param("general", {"mask": torch.zeros(S, B, dtype=torch.bool)}, "at least one True position",
                     id="mask empty column"),
    ]


@pytest.mark.parametrize("kind, changes, message", bad_calls())
def test_bad_shapes_raise(kind, changes, message):
    Hq = 4 if kind in ("dot", "scaled_dot") else 3
    module = make_module(kind, Hq, 4, 2).float()
    args = {"query": torch.zeros(3, Hq), "keys": torch.zeros(4, 3, 4), "values": torch.zeros(4, 3, 2),
            "mask": torch.ones(4, 3, dtype=torch.bool)} | changes
    with pytest.raises(ValueError, match=message):
        module(**args)


def test_bad_flag_raises():
    with pytest.raises(ValueError, match="scaled must be True or False"):
        DotAttention(scaled="yes")
