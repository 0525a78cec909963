r"""The output layer and the sequence losses, each averaged over the positions a mask keeps.

Shape symbols: T time steps, B batch, H hidden units, V vocabulary (classes). A mask is a bool array that is
True where a position counts; padded positions of a batch of unequal-length sequences are False, so they add
nothing to the loss and get zero gradient. Losses are means over the kept positions, matching
``torch.nn.functional.cross_entropy`` and ``mse_loss`` applied to the selected positions.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from rnnlib.scratch._validate import as_array, as_mask, check_cache

__all__ = [
    "AffineCache", "CrossEntropyCache", "MSECache", "affine_backward", "affine_forward",
    "mse_loss_backward", "mse_loss_forward", "softmax_cross_entropy_backward",
    "softmax_cross_entropy_forward"
]


class AffineCache(NamedTuple):
    h: np.ndarray       #: (..., H)
    weight: np.ndarray  #: (V, H)


class CrossEntropyCache(NamedTuple):
    probs: np.ndarray    #: (T, B, V), softmax of the logits
    targets: np.ndarray  #: (T, B), masked positions replaced by 0 so they index safely
    scale: np.ndarray    #: (T, B), mask / number of kept positions


class MSECache(NamedTuple):
    diff: np.ndarray   #: (T, B, ...), pred - target
    scale: np.ndarray  #: (T, B, ...), mask broadcast to pred's shape / number of kept elements


def _check_dloss(dloss):
    return float(as_array("dloss", dloss, ()))


def affine_forward(h, weight, bias):
    r"""Linear output layer, ``torch.nn.Linear``'s layout, applied at every leading index.

    .. math:: y = h W^\top + b

    Parameters
    ----------
    h : ndarray, shape (..., H)
        Any leading axes, e.g. (T, B, H) for a whole sequence of hidden states.
    weight : ndarray, shape (V, H)
    bias : ndarray, shape (V,)

    Returns
    -------
    y : ndarray, shape (..., V)
    cache : AffineCache
        What ``affine_backward`` needs.
    """
    dims: dict[str, int] = {}
    W = as_array("weight", weight, ("V", "H"), dims)
    b = as_array("bias", bias, ("V",), dims)
    if np.ndim(h) == 0:
        raise ValueError("h must have shape (..., H) with at least one axis, got a scalar")
    x = as_array("h", h, (*np.shape(h)[:-1], "H"), dims)
    return x @ W.T + b, AffineCache(x, W)


def affine_backward(dy, cache):
    """Backward pass of ``affine_forward``.

    Parameters
    ----------
    dy : ndarray, shape (..., V)
        Gradient of the loss with respect to ``y``; same leading axes as ``h``.
    cache : AffineCache
        From ``affine_forward``.

    Returns
    -------
    grads : dict
        ``h`` (..., H), ``weight`` (V, H), ``bias`` (V,).
    """
    check_cache(cache, AffineCache, "affine_forward")
    h, W = cache
    V, H = W.shape
    dy = as_array("dy", dy, (*h.shape[:-1], "V"), {"V": V})
    # Every leading index used the same weight, so its gradients add up over all of them.
    dy2 = dy.reshape(-1, V)  # (N, V), N = product of the leading sizes
    h2 = h.reshape(-1, H)  # (N, H)
    return {"h": dy @ W, "weight": dy2.T @ h2, "bias": dy2.sum(axis=0)}


def _kept(name, m):
    """Number of True entries of ``m``; an empty selection has no mean, so it is an error."""
    count = int(m.sum())
    if count == 0:
        raise ValueError(f"{name} leaves no position to average over, so the mean loss is undefined")
    return count


def softmax_cross_entropy_forward(logits, targets, mask=None):
    r"""Mean cross-entropy of a softmax over V tokens (or C classes) at every kept (t, b).

    .. math::

        L &= -\frac{1}{N} \sum_{t, b:\, m_{tb}} \log \operatorname{softmax}(z_{tb})_{y_{tb}}, \\
        \log \operatorname{softmax}(z)_i &= z_i - \max_j z_j - \log \sum_j e^{z_j - \max_j z_j}

    where N is the number of kept positions. Subtracting the maximum keeps every exponent at most 0, so large
    logits cannot overflow.

    Parameters
    ----------
    logits : ndarray, shape (T, B, V)
        Unnormalised scores.
    targets : ndarray of int, shape (T, B)
        Class indices in [0, V) at kept positions; masked positions are ignored and may hold any integer
        (a padding value, say).
    mask : ndarray of bool, shape (T, B), optional
        True where a position counts; at least one must be True. All positions count when omitted.

    Returns
    -------
    loss : float
    cache : CrossEntropyCache
        What ``softmax_cross_entropy_backward`` needs.
    """
    dims: dict[str, int] = {}
    z = as_array("logits", logits, ("T", "B", "V"), dims)
    y = np.asarray(targets)
    if not np.issubdtype(y.dtype, np.integer):
        raise ValueError(f"targets must be an integer array of shape (T, B), got dtype {y.dtype}")
    if y.shape != z.shape[:2]:
        raise ValueError(f"targets must have shape (T, B) = {z.shape[:2]}, got shape {y.shape}")
    m = as_mask("mask", mask, z.shape[:2], "(T, B)")
    count = _kept("logits" if mask is None else "mask", m)
    bad = m & ((y < 0) | (y >= dims["V"]))
    if bad.any():
        raise ValueError(f"targets must lie in [0, V) = [0, {dims['V']}); got {y[bad][:5].tolist()} "
                         f"at (t, b) {np.argwhere(bad)[:5].tolist()}")
    y = np.where(m, y, 0)  # (T, B)
    shifted = z - z.max(axis=-1, keepdims=True)  # (T, B, V)
    logp = shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))  # (T, B, V)
    picked = np.take_along_axis(logp, y[..., None], axis=-1)[..., 0]  # (T, B)
    scale = m / count  # (T, B)
    loss = -float((picked * scale).sum())
    return loss, CrossEntropyCache(np.exp(logp), y, scale)


def softmax_cross_entropy_backward(dloss, cache):
    r"""Backward pass of ``softmax_cross_entropy_forward``.

    .. math:: \frac{\partial L}{\partial z_{tb}} = \frac{m_{tb}}{N} (\operatorname{softmax}(z_{tb}) - e_{y_{tb}})

    Parameters
    ----------
    dloss : float
        Gradient of the final objective with respect to the loss (1 when the loss is the objective).
    cache : CrossEntropyCache
        From ``softmax_cross_entropy_forward``.

    Returns
    -------
    grads : dict
        ``logits`` (T, B, V).
    """
    check_cache(cache, CrossEntropyCache, "softmax_cross_entropy_forward")
    probs, y, scale = cache
    onehot = np.arange(probs.shape[-1]) == y[..., None]  # (T, B, V)
    return {"logits": (probs - onehot) * (_check_dloss(dloss) * scale)[..., None]}


def mse_loss_forward(pred, target, mask=None):
    r"""Mean squared error over the kept elements.

    .. math:: L = \frac{1}{N} \sum_{i:\, m_i} (p_i - y_i)^2

    where i runs over all elements of ``pred`` and N counts the kept ones.

    Parameters
    ----------
    pred : ndarray, shape (T, B, ...)
        Predictions; any trailing axes.
    target : ndarray, shape (T, B, ...)
        Same shape as ``pred``.
    mask : ndarray of bool, shape (T, B) or (T, B, ...), optional
        True where an element counts. Aligned with the leading axes of ``pred``: a (T, B) mask keeps or drops
        whole positions, and trailing axes of size 1 broadcast. At least one element must be kept.

    Returns
    -------
    loss : float
    cache : MSECache
        What ``mse_loss_backward`` needs.
    """
    if np.ndim(pred) < 2:
        raise ValueError(f"pred must have shape (T, B, ...) with at least 2 axes, got shape {np.shape(pred)}")
    p = as_array("pred", pred, ("T", "B", *np.shape(pred)[2:]))
    y = as_array("target", target, p.shape)
    m = np.asarray(True) if mask is None else np.asarray(mask)
    if mask is not None:
        if m.dtype != np.bool_:
            raise ValueError(f"mask must be a bool array, got dtype {m.dtype}")
        fits = 2 <= m.ndim <= p.ndim and m.shape[:2] == p.shape[:2] and all(
            a in (1, b) for a, b in zip(m.shape[2:], p.shape[2:]))
        if not fits:
            raise ValueError(f"mask must have shape (T, B) = {p.shape[:2]} or (T, B, ...) broadcastable to pred's "
                             f"{p.shape}, got shape {m.shape}")
        m = m.reshape(m.shape + (1,) * (p.ndim - m.ndim))  # (T, B, ...) with size-1 axes to broadcast
    m = np.broadcast_to(m, p.shape)  # (T, B, ...)
    count = _kept("pred" if mask is None else "mask", m)
    diff = p - y  # (T, B, ...)
    scale = m / count  # (T, B, ...)
    return float((diff ** 2 * scale).sum()), MSECache(diff, scale)


def mse_loss_backward(dloss, cache):
    r"""Backward pass of ``mse_loss_forward``.

    .. math:: \frac{\partial L}{\partial p_i} = \frac{2 m_i}{N} (p_i - y_i)

    Parameters
    ----------
    dloss : float
        Gradient of the final objective with respect to the loss.
    cache : MSECache
        From ``mse_loss_forward``.

    Returns
    -------
    grads : dict
        ``pred`` (T, B, ...).
    """
    check_cache(cache, MSECache, "mse_loss_forward")
    return {"pred": 2.0 * _check_dloss(dloss) * cache.scale * cache.diff}

