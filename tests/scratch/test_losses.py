"""rnnlib.scratch.losses against torch.nn.functional (float64) and centred differences."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from rnnlib.gradcheck import gradient_errors, rel_error
from rnnlib.scratch.losses import (
    affine_backward,
    affine_forward,
    mse_loss_forward,
    mse_loss_backward,
    softmax_cross_entropy_forward,
    softmax_cross_entropy_backward,
)

# (T, B, V)
CE_SHAPES = [(1, 1, 2), (4, 3, 5), (3, 1, 7), (1, 4, 3)]
# pred shapes (T, B, ...)
MSE_SHAPES = [(1, 1), (4, 3), (1, 2, 3), (3, 1, 2), (3, 2, 2, 4)]


def make_mask(rng, shape):
    """A random bool mask of ``shape`` with at least one True."""
    mask = rng.random(shape) < 0.6
    mask.flat[rng.integers(mask.size)] = True
    return mask


@pytest.mark.parametrize("lead, H, V", [((), 3, 2), ((1,), 1, 1), ((4, 3), 5, 2), ((2, 1, 3), 2, 6)])
def test_affine_matches_torch_linear(rng, lead, H, V):
    h, W, b = rng.standard_normal((*lead, H)), rng.standard_normal((V, H)), rng.standard_normal(V)
    y, cache = affine_forward(h, W, b)
    dy = rng.standard_normal(y.shape)
    grads = affine_backward(dy, cache)
    th, tW, tb = (torch.tensor(a, requires_grad=True) for a in (h, W, b))
    ty = F.linear(th, tW, tb)
    ty.backward(torch.tensor(dy))
    assert y.shape == (*lead, V)
    assert rel_error(y, ty.detach().numpy()) < 1e-10
    for name, t in (("h", th), ("weight", tW), ("bias", tb)):
        assert rel_error(grads[name], t.grad.numpy()) < 1e-10, name


def test_affine_gradcheck(rng):
    arrays = {"h": rng.standard_normal((3, 2, 4)), "weight": rng.standard_normal((5, 4)),
              "bias": rng.standard_normal(5)}
    y, cache = affine_forward(**arrays)
    dy = rng.standard_normal(y.shape)
    errors = gradient_errors(lambda: np.sum(affine_forward(**arrays)[0] * dy), arrays, affine_backward(dy, cache))
    assert max(errors.values()) < 1e-7, errors


def torch_cross_entropy(logits, targets, mask, dloss):
    """F.cross_entropy over the kept positions: the loss and the gradient of dloss * loss."""
    z = torch.tensor(logits, requires_grad=True)
    keep = torch.ones(targets.shape, dtype=torch.bool) if mask is None else torch.tensor(mask)
    loss = F.cross_entropy(z[keep], torch.tensor(targets)[keep])  # (N, V) rows and (N,) targets, mean
    loss.backward(torch.tensor(dloss, dtype=torch.float64))
    return loss.item(), z.grad.numpy()


@pytest.mark.parametrize("masked", [False, True])
@pytest.mark.parametrize("T, B, V", CE_SHAPES)
def test_cross_entropy_matches_torch(rng, T, B, V, masked):
    logits, targets = rng.standard_normal((T, B, V)), rng.integers(0, V, size=(T, B))
    mask = make_mask(rng, (T, B)) if masked else None
    loss, cache = softmax_cross_entropy_forward(logits, targets, mask)
    grads = softmax_cross_entropy_backward(0.7, cache)
    t_loss, t_grad = torch_cross_entropy(logits, targets, mask, 0.7)
    assert isinstance(loss, float)
    assert rel_error(loss, t_loss) < 1e-10
    assert rel_error(grads["logits"], t_grad) < 1e-10


@pytest.mark.parametrize("masked", [False, True])
@pytest.mark.parametrize("T, B, V", CE_SHAPES)
def test_cross_entropy_gradcheck(rng, T, B, V, masked):
    arrays = {"logits": rng.standard_normal((T, B, V))}
    targets = rng.integers(0, V, size=(T, B))
    mask = make_mask(rng, (T, B)) if masked else None
    _, cache = softmax_cross_entropy_forward(arrays["logits"], targets, mask)
    grads = softmax_cross_entropy_backward(1.3, cache)
    errors = gradient_errors(lambda: 1.3 * softmax_cross_entropy_forward(arrays["logits"], targets, mask)[0], arrays, grads)
    assert errors["logits"] < 1e-7


def test_cross_entropy_ignores_masked_positions(rng):
    logits, targets = rng.standard_normal((4, 3, 5)), rng.integers(0, 5, size=(4, 3))
    mask = np.ones((4, 3), dtype=bool)
    mask[2:, 1] = False
    loss, cache = softmax_cross_entropy_forward(logits, targets, mask)
    padded_logits, padded_targets = logits.copy(), targets.copy()
    padded_logits[~mask] = 1e3
    padded_targets[~mask] = -1  # a padding value outside [0, V) is allowed where the mask is False
    padded_loss, padded_cache = softmax_cross_entropy_forward(padded_logits, padded_targets, mask)
    assert padded_loss == loss
    assert np.all(softmax_cross_entropy_backward(1.0, padded_cache)["logits"][~mask] == 0.0)


def test_cross_entropy_is_stable_for_huge_logits(rng):
    logits = 1e4 * rng.standard_normal((3, 2, 4))
    targets = rng.integers(0, 4, size=(3, 2))
    loss, cache = softmax_cross_entropy_forward(logits, targets)
    grad = softmax_cross_entropy_backward(1.0, cache)["logits"]
    t_loss, t_grad = torch_cross_entropy(logits, targets, None, 1.0)
    assert np.isfinite(loss) and np.all(np.isfinite(grad))
    assert rel_error(loss, t_loss) < 1e-10 and rel_error(grad, t_grad) < 1e-10


def mse_masks(rng, shape):
    """Mask variants for a pred of ``shape``: none, (T, B), the full shape and (T, B, 1, ...)."""
    masks = [None, make_mask(rng, shape[:2])]
    if len(shape) > 2:
        masks += [make_mask(rng, shape), make_mask(rng, shape[:2] + (1,) * (len(shape) - 2))]
    return masks


def torch_mse(pred, target, mask, dloss):
    """F.mse_loss over the kept elements: the loss and the gradient of dloss * loss."""
    p = torch.tensor(pred, requires_grad=True)
    keep = torch.ones(pred.shape, dtype=torch.bool)
    if mask is not None:
        keep = torch.tensor(mask.reshape(mask.shape + (1,) * (pred.ndim - mask.ndim))).expand(pred.shape)
    loss = F.mse_loss(p[keep], torch.tensor(target)[keep])
    loss.backward(torch.tensor(dloss, dtype=torch.float64))
    return loss.item(), p.grad.numpy()


@pytest.mark.parametrize("shape", MSE_SHAPES)
def test_mse_matches_torch(rng, shape):
    pred, target = rng.standard_normal(shape), rng.standard_normal(shape)
    for mask in mse_masks(rng, shape):
        loss, cache = mse_loss_forward(pred, target, mask)
        grads = mse_loss_backward(0.7, cache)
        t_loss, t_grad = torch_mse(pred, target, mask, 0.7)
        assert isinstance(loss, float)
        assert rel_error(loss, t_loss) < 1e-10
        assert rel_error(grads["pred"], t_grad) < 1e-10


@pytest.mark.parametrize("shape", MSE_SHAPES)
def test_mse_gradcheck(rng, shape):
    arrays = {"pred": rng.standard_normal(shape)}
    target = rng.standard_normal(shape)
    for mask in mse_masks(rng, shape):
        _, cache = mse_loss_forward(arrays["pred"], target, mask)
        grads = mse_loss_backward(1.3, cache)
        errors = gradient_errors(lambda: 1.3 * mse_loss_forward(arrays["pred"], target, mask)[0], arrays, grads)
        assert errors["pred"] < 1e-7


def test_mse_ignores_masked_positions(rng):
    pred, target = rng.standard_normal((4, 3, 2)), rng.standard_normal((4, 3, 2))
    mask = np.ones((4, 3), dtype=bool)
    mask[3, :] = False
    loss, _ = mse_loss_forward(pred, target, mask)
    pred[3] += 100.0
    padded_loss, cache = mse_loss_forward(pred, target, mask)
    assert padded_loss == loss
    assert np.all(mse_loss_backward(1.0, cache)["pred"][3] == 0.0)


def bad_inputs():
    """(callable, expected message): each call must raise a ValueError naming the offending argument."""
    z, y = np.zeros((3, 2, 4)), np.zeros((3, 2), dtype=int)
    p = np.zeros((3, 2, 5))
    W, b = np.zeros((4, 5)), np.zeros(4)
    cases = {
        "affine h size": (lambda: affine_forward(np.zeros((3, 2, 6)), W, b), r"h must have shape \(3, 2, H\)"),
        "affine h scalar": (lambda: affine_forward(1.0, W, b), r"h must have shape \(\.\.\., H\)"),
        "affine bias": (lambda: affine_forward(p, W, np.zeros(3)), r"bias must have shape \(V,?\)"),
        "affine weight": (lambda: affine_forward(p, np.zeros(5), b), r"weight must have shape \(V, H\)"),
        "affine dy": (lambda: affine_backward(np.zeros((3, 2, 5)), affine_forward(p, W, b)[1]), r"dy must have"),
        "ce logits rank": (lambda: softmax_cross_entropy_forward(np.zeros((3, 4)), y), r"logits must have shape \(T, B, V\)"),
        "ce logits nan": (lambda: softmax_cross_entropy_forward(np.full((3, 2, 4), np.nan), y), r"logits contains NaN"),
        "ce targets float": (lambda: softmax_cross_entropy_forward(z, y.astype(float)), r"targets must be an integer array"),
        "ce targets shape": (lambda: softmax_cross_entropy_forward(z, y.T), r"targets must have shape \(T, B\) = \(3, 2\)"),
        "ce targets high": (lambda: softmax_cross_entropy_forward(z, y + 4), r"targets must lie in \[0, V\) = \[0, 4\)"),
        "ce targets negative": (lambda: softmax_cross_entropy_forward(z, y - 1), r"targets must lie in \[0, V\)"),
        "ce mask shape": (lambda: softmax_cross_entropy_forward(z, y, np.ones((2, 3), bool)), r"mask must have shape"),
        "ce mask dtype": (lambda: softmax_cross_entropy_forward(z, y, np.ones((3, 2))), r"mask must be a bool array"),
        "ce mask empty": (lambda: softmax_cross_entropy_forward(z, y, np.zeros((3, 2), bool)), r"mask leaves no position"),
        "ce dloss": (lambda: softmax_cross_entropy_backward(np.ones(2), softmax_cross_entropy_forward(z, y)[1]),
                     r"dloss must have shape \(\)"),
        "mse pred rank": (lambda: mse_loss_forward(np.zeros(3), np.zeros(3)), r"pred must have shape \(T, B, \.\.\.\)"),
        "mse target shape": (lambda: mse_loss_forward(p, np.zeros((3, 2, 4))), r"target must have shape \(3, 2, 5\)"),
        "mse target nan": (lambda: mse_loss_forward(p, np.full((3, 2, 5), np.nan)), r"target contains NaN"),
        "mse mask shape": (lambda: mse_loss_forward(p, p, np.ones((3, 2, 4), bool)), r"mask must have shape \(T, B\)"),
        "mse mask lead": (lambda: mse_loss_forward(p, p, np.ones((2, 3), bool)), r"mask must have shape \(T, B\)"),
        "mse mask dtype": (lambda: mse_loss_forward(p, p, np.ones((3, 2), int)), r"mask must be a bool array"),
        "mse mask empty": (lambda: mse_loss_forward(p, p, np.zeros((3, 2), bool)), r"mask leaves no position"),
        "mse dloss": (lambda: mse_loss_backward(np.nan, mse_loss_forward(p, p)[1]), r"dloss contains NaN"),
    }
    return [pytest.param(call, message, id=label) for label, (call, message) in cases.items()]


@pytest.mark.parametrize("call, message", bad_inputs())
def test_bad_input_raises(call, message):
    with pytest.raises(ValueError, match=message):
        call()


@pytest.mark.parametrize("backward", [affine_backward, softmax_cross_entropy_backward, mse_loss_backward])
def test_backward_refuses_a_foreign_cache(backward):
    with pytest.raises(ValueError, match="cache must be the"):
        backward(1.0, (np.zeros(2), np.zeros(2)))
