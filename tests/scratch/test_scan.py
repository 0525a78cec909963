"""The parallel scans against the sequential loop, torch autograd and centred differences."""

import numpy as np
import pytest
import torch

from rnnlib.gradcheck import gradient_errors, rel_error
from rnnlib.scratch.scan import (
    METHODS,
    blelloch_scan,
    combine,
    hillis_steele_scan,
    linear_scan_backward,
    linear_scan_forward,
    log_space_scan,
    scan_levels,
    sequential_scan,
)

SHAPES = [(1, 1, 1), (2, 1, 3), (5, 3, 4), (8, 2, 2), (13, 2, 3), (33, 1, 2)]


def make_inputs(rng, T, B, H):
    a = rng.uniform(-1.2, 1.2, (T, B, H))
    return a, rng.standard_normal((T, B, H)), rng.standard_normal((B, H))


def loop(a, b, h0):
    h, hs = h0, []
    for t in range(len(a)):
        h = a[t] * h + b[t]
        hs.append(h)
    return np.stack(hs)


def test_combine_is_associative_and_has_identity(rng):
    x, y, z = ((rng.standard_normal(4), rng.standard_normal(4)) for _ in range(3))
    left, right = combine(combine(x, y), z), combine(x, combine(y, z))
    np.testing.assert_allclose(left, right, rtol=1e-13, atol=1e-13)
    identity = (np.ones(4), np.zeros(4))
    np.testing.assert_array_equal(combine(identity, x), x)
    np.testing.assert_array_equal(combine(x, identity), x)


def test_combine_is_not_commutative(rng):
    x, y = (rng.standard_normal(4), rng.standard_normal(4)), (rng.standard_normal(4), rng.standard_normal(4))
    assert not np.allclose(combine(x, y)[1], combine(y, x)[1])


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("T, B, H", SHAPES)
def test_forward_equals_the_loop(rng, method, T, B, H):
    a, b, h0 = make_inputs(rng, T, B, H)
    hs, _ = linear_scan_forward(a, b, h0, method=method)
    assert hs.shape == (T, B, H) and hs.dtype == np.float64
    np.testing.assert_allclose(hs, loop(a, b, h0), rtol=1e-11, atol=1e-11)


@pytest.mark.parametrize("T", [1, 2, 3, 4, 5, 7, 8, 9, 16, 100])
def test_both_scans_give_the_sequential_prefixes(rng, T):
    a, b = rng.uniform(-1, 1, (T, 3)), rng.standard_normal((T, 3))
    A, B, levels = sequential_scan(a, b)
    assert levels == T
    for scan in (hillis_steele_scan, blelloch_scan):
        A2, B2, _ = scan(a, b)
        np.testing.assert_allclose(A2, A, rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(B2, B, rtol=1e-12, atol=1e-12)


def test_scans_do_not_modify_their_inputs(rng):
    a, b = rng.standard_normal((9, 2)), rng.standard_normal((9, 2))
    a0, b0 = a.copy(), b.copy()
    for scan in (sequential_scan, hillis_steele_scan, blelloch_scan):
        scan(a, b)
    np.testing.assert_array_equal(a, a0)
    np.testing.assert_array_equal(b, b0)


@pytest.mark.parametrize("T, hillis, blelloch", [(1, 0, 1), (2, 1, 3), (8, 3, 7), (9, 4, 9), (1024, 10, 21)])
def test_levels_grow_as_log_T(T, hillis, blelloch):
    assert scan_levels(T, "loop") == T
    assert scan_levels(T, "hillis_steele") == hillis
    assert scan_levels(T, "blelloch") == blelloch


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("T, B, H", SHAPES)
def test_backward_matches_torch_autograd_of_the_loop(rng, method, T, B, H):
    a, b, h0 = make_inputs(rng, T, B, H)
    dhs = rng.standard_normal((T, B, H))
    _, cache = linear_scan_forward(a, b, h0, method=method)
    grads = linear_scan_backward(dhs, cache)
    at, bt, h0t = (torch.tensor(v, requires_grad=True) for v in (a, b, h0))
    h, out = h0t, []
    for t in range(T):
        h = at[t] * h + bt[t]
        out.append(h)
    (torch.stack(out) * torch.from_numpy(dhs)).sum().backward()
    assert set(grads) == {"a", "b", "h0"}
    assert rel_error(grads["a"], at.grad.numpy()) < 1e-10
    assert rel_error(grads["b"], bt.grad.numpy()) < 1e-10
    assert rel_error(grads["h0"], h0t.grad.numpy()) < 1e-10


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("T, B, H", [(1, 1, 1), (6, 2, 3), (9, 1, 2)])
def test_backward_matches_centred_differences(rng, method, T, B, H):
    a, b, h0 = make_inputs(rng, T, B, H)
    dhs = rng.standard_normal((T, B, H))
    grads = linear_scan_backward(dhs, linear_scan_forward(a, b, h0, method=method)[1])
    errors = gradient_errors(lambda: np.sum(linear_scan_forward(a, b, h0, method=method)[0] * dhs),
                             {"a": a, "b": b, "h0": h0}, grads)
    assert all(e < 1e-8 for e in errors.values()), errors


def test_default_initial_state_is_zero(rng):
    a, b, _ = make_inputs(rng, 4, 2, 3)
    hs, cache = linear_scan_forward(a, b)
    np.testing.assert_allclose(hs, loop(a, b, np.zeros((2, 3))), atol=1e-14)
    assert linear_scan_backward(np.ones_like(a), cache)["h0"].shape == (2, 3)


def test_log_space_scan_equals_the_loop_for_positive_inputs(rng):
    a, b, h0 = rng.uniform(0.1, 1.0, (20, 2, 3)), rng.uniform(0.1, 2.0, (20, 2, 3)), rng.uniform(0.1, 1, (2, 3))
    log_hs = log_space_scan(np.log(a), np.log(b), np.log(h0))
    np.testing.assert_allclose(np.exp(log_hs), loop(a, b, h0), rtol=1e-12)
    np.testing.assert_allclose(np.exp(log_space_scan(np.log(a), np.log(b))), loop(a, b, np.zeros((2, 3))),
                               rtol=1e-12)


def test_log_space_scan_survives_where_the_products_underflow():
    # a_t = 1e-3 for 400 steps: A_t = 1e-1200 is 0 in float64, and b_t / A_t overflows.
    T = 400
    log_a, log_b = np.full((T, 1, 1), np.log(1e-3)), np.zeros((T, 1, 1))
    log_hs = log_space_scan(log_a, log_b)
    assert np.all(np.isfinite(log_hs))
    # The fixed point of h = 1e-3 h + 1 is 1 / (1 - 1e-3).
    np.testing.assert_allclose(np.exp(log_hs[-1]), 1 / (1 - 1e-3), rtol=1e-12)
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        A = np.cumprod(np.exp(log_a), axis=0)
        naive = A * np.cumsum(np.exp(log_b) / A, axis=0)
    assert not np.all(np.isfinite(naive))


def test_log_space_scan_accepts_zero_inputs():
    log_hs = log_space_scan(np.zeros((3, 1, 1)), np.array([0.0, -np.inf, -np.inf]).reshape(3, 1, 1))
    np.testing.assert_allclose(log_hs.ravel(), 0.0, atol=1e-15)


@pytest.mark.parametrize("args, match", [
    ((np.ones((3, 2)), np.ones((3, 2, 1))), r"a must have shape \(T, B, H\)"),
    ((np.ones((3, 2, 1)), np.ones((4, 2, 1))), r"b must have shape \(T, B, H\) with T=3"),
    ((np.ones((3, 2, 1)), np.ones((3, 2, 1)), np.ones((3, 1))), r"h0 must have shape \(B, H\) with"),
    ((np.ones((0, 2, 1)), np.ones((0, 2, 1))), r"at least one time step"),
    ((np.full((2, 1, 1), np.nan), np.ones((2, 1, 1))), r"a contains NaN"),
])
def test_forward_rejects_bad_input(args, match):
    with pytest.raises(ValueError, match=match):
        linear_scan_forward(*args)


def test_bad_method_cache_and_gradient_are_named(rng):
    a, b, h0 = make_inputs(rng, 3, 1, 2)
    with pytest.raises(ValueError, match="unknown method 'cumsum'"):
        linear_scan_forward(a, b, h0, method="cumsum")
    with pytest.raises(ValueError, match="cache must be the LinearScanCache"):
        linear_scan_backward(a, (a, b))
    _, cache = linear_scan_forward(a, b, h0)
    with pytest.raises(ValueError, match=r"dhs must have shape \(3, 1, 2\)"):
        linear_scan_backward(a[:2], cache)
    with pytest.raises(ValueError, match="T must be a positive integer"):
        scan_levels(0, "loop")


def test_log_space_scan_rejects_bad_input():
    with pytest.raises(ValueError, match="log_b must have the shape of log_a"):
        log_space_scan(np.zeros((3, 1, 1)), np.zeros((2, 1, 1)))
    with pytest.raises(ValueError, match=r"log_h0 must have shape \(B, H\)"):
        log_space_scan(np.zeros((3, 1, 1)), np.zeros((3, 1, 1)), np.zeros(2))
