"""rnnlib.scratch.attention against torch autograd (float64) and centred differences."""

import numpy as np
import pytest
import torch

from rnnlib.gradcheck import gradient_errors, rel_error
from rnnlib.scratch.attention import (
    additive_attention_forward,
    additive_attention_backward,
    dot_attention_forward,
    dot_attention_backward,
    general_attention_forward,
    general_attention_backward,
)

KINDS = ("dot", "scaled_dot", "general", "additive")
# (T, B, Hq, Hk, Hv, A); dot attention uses Hk for the query size as well.
SHAPES = [(1, 1, 2, 3, 4, 2), (4, 3, 5, 2, 3, 4), (5, 2, 3, 4, 6, 3), (3, 1, 4, 4, 2, 5)]
PARAM_NAMES = {"dot": (), "scaled_dot": (), "general": ("weight",), "additive": ("W_query", "W_key", "v")}
BACKWARD = {"dot": dot_attention_backward, "scaled_dot": dot_attention_backward,
            "general": general_attention_backward, "additive": additive_attention_backward}


def make_arrays(rng, kind, T, B, Hq, Hk, Hv, A):
    """Inputs and parameters of one attention variant, keyed by the names its backward uses."""
    Hq = Hk if kind in ("dot", "scaled_dot") else Hq
    arrays = {"query": rng.standard_normal((B, Hq)), "keys": rng.standard_normal((T, B, Hk)),
              "values": rng.standard_normal((T, B, Hv))}
    if kind == "general":
        arrays["weight"] = rng.standard_normal((Hq, Hk))
    if kind == "additive":
        arrays |= {"W_query": rng.standard_normal((A, Hq)), "W_key": rng.standard_normal((A, Hk)),
                   "v": rng.standard_normal(A)}
    return arrays


def make_mask(rng, T, B):
    """A random (T, B) mask with at least one attendable position per batch element."""
    mask = rng.random((T, B)) < 0.5
    mask[rng.integers(0, T, size=B), np.arange(B)] = True
    return mask


def attend(kind, arrays, mask=None):
    """Run the numpy forward of ``kind``: (context, weights, cache)."""
    q, k, v = arrays["query"], arrays["keys"], arrays["values"]
    if kind in ("dot", "scaled_dot"):
        return dot_attention_forward(q, k, v, mask, scaled=kind == "scaled_dot")
    if kind == "general":
        return general_attention_forward(q, k, v, arrays["weight"], mask)
    return additive_attention_forward(q, k, v, {n: arrays[n] for n in PARAM_NAMES["additive"]}, mask)


def torch_attend(kind, arrays, mask, dcontext):
    """The same attention written with torch autograd: context, weights and gradients as numpy arrays."""
    t = {n: torch.tensor(a, requires_grad=True) for n, a in arrays.items()}
    q, k, v = t["query"], t["keys"], t["values"]
    if kind in ("dot", "scaled_dot"):
        scores = torch.einsum("bh,tbh->tb", q, k)
        if kind == "scaled_dot":
            scores = scores / k.shape[-1] ** 0.5
    elif kind == "general":
        scores = torch.einsum("bi,ij,tbj->tb", q, t["weight"], k)
    else:
        scores = torch.tanh(q @ t["W_query"].T + k @ t["W_key"].T) @ t["v"]
    if mask is not None:
        scores = scores.masked_fill(~torch.tensor(mask), float("-inf"))
    weights = torch.softmax(scores, dim=0)  # (T, B)
    context = torch.einsum("tb,tbh->bh", weights, v)  # (B, Hv)
    context.backward(torch.tensor(dcontext))
    return context.detach().numpy(), weights.detach().numpy(), {n: x.grad.numpy() for n, x in t.items()}


@pytest.mark.parametrize("masked", [False, True])
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("kind", KINDS)
def test_forward_and_backward_match_torch(rng, kind, shape, masked):
    arrays = make_arrays(rng, kind, *shape)
    mask = make_mask(rng, *shape[:2]) if masked else None
    context, weights, cache = attend(kind, arrays, mask)
    dcontext = rng.standard_normal(context.shape)
    grads = BACKWARD[kind](dcontext, cache)
    t_context, t_weights, t_grads = torch_attend(kind, arrays, mask, dcontext)
    assert rel_error(context, t_context) < 1e-10
    assert rel_error(weights, t_weights) < 1e-10
    assert set(grads) == set(arrays)
    for name in arrays:
        assert rel_error(grads[name], t_grads[name]) < 1e-10, name


@pytest.mark.parametrize("masked", [False, True])
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("kind", KINDS)
def test_backward_matches_centred_differences(rng, kind, shape, masked):
    arrays = make_arrays(rng, kind, *shape)
    mask = make_mask(rng, *shape[:2]) if masked else None
    context, _, cache = attend(kind, arrays, mask)
    dcontext = rng.standard_normal(context.shape)
    grads = BACKWARD[kind](dcontext, cache)
    errors = gradient_errors(lambda: np.sum(attend(kind, arrays, mask)[0] * dcontext), arrays, grads)
    assert max(errors.values()) < 1e-7, errors


@pytest.mark.parametrize("kind", KINDS)
def test_masked_positions_get_zero_weight_and_change_nothing(rng, kind):
    T, B = 6, 3
    arrays = make_arrays(rng, kind, T, B, 3, 4, 5, 2)
    mask = make_mask(rng, T, B)
    mask[0, 0], mask[-1, 1] = False, False  # make sure some position is masked
    context, weights, cache = attend(kind, arrays, mask)
    assert np.all(weights[~mask] == 0.0)
    assert np.all(weights[mask] > 0.0)
    np.testing.assert_allclose(weights.sum(axis=0), 1.0, rtol=0, atol=1e-14)

    dcontext = rng.standard_normal(context.shape)
    grads = BACKWARD[kind](dcontext, cache)
    assert np.all(grads["keys"][~mask] == 0.0) and np.all(grads["values"][~mask] == 0.0)

    changed = dict(arrays, keys=arrays["keys"].copy(), values=arrays["values"].copy())
    changed["keys"][~mask] = 1e3 * rng.standard_normal(changed["keys"][~mask].shape)
    changed["values"][~mask] = 1e3 * rng.standard_normal(changed["values"][~mask].shape)
    context2, weights2, _ = attend(kind, changed, mask)
    np.testing.assert_array_equal(weights2, weights)
    np.testing.assert_array_equal(context2, context)


@pytest.mark.parametrize("kind", KINDS)
def test_weights_sum_to_one_without_mask(rng, kind):
    _, weights, _ = attend(kind, make_arrays(rng, kind, 7, 4, 3, 5, 2, 6))
    assert weights.shape == (7, 4)
    np.testing.assert_allclose(weights.sum(axis=0), 1.0, rtol=0, atol=1e-14)


@pytest.mark.parametrize("kind", KINDS)
def test_fully_masked_column_raises(rng, kind):
    arrays = make_arrays(rng, kind, 4, 3, 2, 3, 2, 2)
    mask = np.ones((4, 3), dtype=bool)
    mask[:, 1] = False
    with pytest.raises(ValueError, match=r"mask .*no attendable position for batch element\(s\) \[1\]"):
        attend(kind, arrays, mask)


@pytest.mark.parametrize("Hk", [1, 4, 9])
def test_scaling_divides_scores_by_sqrt_hk(rng, Hk):
    T, B = 5, 3
    q, k, v = rng.standard_normal((B, Hk)), rng.standard_normal((T, B, Hk)), rng.standard_normal((T, B, 2))
    _, scaled, _ = dot_attention_forward(q, k, v, scaled=True)
    _, unscaled, _ = dot_attention_forward(q, k, v, scaled=False)
    # Log-weights are the scores up to a per-column constant, which differences against t = 0 remove.
    scores_scaled = np.log(scaled) - np.log(scaled[:1])
    scores_unscaled = np.log(unscaled) - np.log(unscaled[:1])
    np.testing.assert_allclose(scores_scaled, scores_unscaled / np.sqrt(Hk), rtol=1e-10, atol=1e-12)
    if Hk > 1:
        assert rel_error(scaled, unscaled) > 1e-3


@pytest.mark.parametrize("kind", KINDS)
def test_huge_scores_stay_finite(rng, kind):
    arrays = make_arrays(rng, kind, 5, 2, 3, 3, 4, 3)
    arrays["query"] *= 1e4
    arrays["keys"] *= 1e4
    context, weights, cache = attend(kind, arrays, None)
    dcontext = rng.standard_normal(context.shape)
    grads = BACKWARD[kind](dcontext, cache)
    t_context, t_weights, t_grads = torch_attend(kind, arrays, None, dcontext)
    assert np.all(np.isfinite(weights)) and np.all(np.isfinite(context))
    assert rel_error(weights, t_weights) < 1e-10 and rel_error(context, t_context) < 1e-10
    for name in arrays:
        assert np.all(np.isfinite(grads[name])), name


def test_general_with_identity_weight_is_unscaled_dot(rng):
    q, k, v = rng.standard_normal((3, 4)), rng.standard_normal((5, 3, 4)), rng.standard_normal((5, 3, 2))
    context, weights, _ = general_attention_forward(q, k, v, np.eye(4))
    d_context, d_weights, _ = dot_attention_forward(q, k, v, scaled=False)
    assert rel_error(context, d_context) < 1e-14 and rel_error(weights, d_weights) < 1e-14


def bad_inputs():
    """Cases of kind, changes to the arrays, mask and the expected message, one call each."""
    T, B = 4, 3
    all_false = np.ones((T, B), dtype=bool)
    all_false[:, 2] = False
    empty = {"keys": np.zeros((0, B, 4)), "values": np.zeros((0, B, 2))}
    return [
        pytest.param("dot", {"query": np.zeros(4)}, None, r"query must have shape \(B, Hq\)", id="query rank"),
        pytest.param("additive", {"keys": np.zeros((T, B + 1, 4))}, None, r"keys must have shape \(T, B, Hk\)",
                     id="keys batch"),
        pytest.param("general", {"values": np.zeros((T + 1, B, 2))}, None, r"values must have shape",
                     id="values time"),
        pytest.param("dot", empty, None, r"keys must have shape \(T, B, Hk\) with T >= 1", id="keys empty"),
        pytest.param("dot", {"query": np.zeros((B, 3))}, None, r"query .*Hq=3 but Hk=4", id="dot sizes"),
        pytest.param("additive", {"keys": np.full((T, B, 4), np.nan)}, None, r"keys contains NaN", id="nan keys"),
        pytest.param("general", {"weight": np.zeros((4, 3))}, None, r"weight must have shape \(Hq, Hk\)",
                     id="general weight"),
        pytest.param("additive", {"W_key": np.zeros((5, 3))}, None, r"params\['W_key'\] must have shape \(A, Hk\)",
                     id="additive W_key"),
        pytest.param("additive", {"v": np.zeros(2)}, None, r"params\['v'\] must have shape \(A,?\)",
                     id="additive v"),
        pytest.param("dot", {}, np.ones((B, T), dtype=bool), r"mask must have shape \(T, B\) = \(4, 3\)",
                     id="mask shape"),
        pytest.param("general", {}, np.ones((T, B), dtype=int), r"mask must be a bool array", id="mask dtype"),
        pytest.param("additive", {}, all_false, r"mask .*no attendable position for batch element\(s\) \[2\]",
                     id="mask column"),
    ]


@pytest.mark.parametrize("kind, changes, mask, message", bad_inputs())
def test_bad_input_raises(rng, kind, changes, mask, message):
    arrays = make_arrays(rng, kind, 4, 3, 4, 4, 2, 5) | changes
    with pytest.raises(ValueError, match=message):
        attend(kind, arrays, mask)


def test_bad_params_and_flags_raise(rng):
    q, k, v = rng.standard_normal((3, 4)), rng.standard_normal((2, 3, 4)), rng.standard_normal((2, 3, 5))
    with pytest.raises(ValueError, match=r"params is missing \['v'\]"):
        additive_attention_forward(q, k, v, {"W_query": np.zeros((2, 4)), "W_key": np.zeros((2, 4))})
    with pytest.raises(ValueError, match=r"params must be a dict"):
        additive_attention_forward(q, k, v, [np.zeros((2, 4))])
    with pytest.raises(ValueError, match=r"scaled must be True or False"):
        dot_attention_forward(q, k, v, scaled="yes")


@pytest.mark.parametrize("kind", KINDS)
def test_backward_rejects_wrong_dcontext(rng, kind):
    context, _, cache = attend(kind, make_arrays(rng, kind, 4, 3, 2, 3, 5, 2))
    with pytest.raises(ValueError, match=r"dcontext must have shape \(B, Hv\)"):
        BACKWARD[kind](np.zeros((3, 4)), cache)


@pytest.mark.parametrize("backward", [dot_attention_backward, general_attention_backward,
                                      additive_attention_backward])
def test_backward_refuses_a_foreign_cache(backward):
    with pytest.raises(ValueError, match="cache must be the"):
        backward(np.zeros((2, 3)), (np.zeros(2), np.zeros(2)))
