r"""Connectionist temporal classification (Graves et al., 2006): the loss, its forward-backward, its gradient.

Shape symbols: T input frames, B batch, V output symbols (blank included), U the longest target, U' = 2U + 1.

A network emits a distribution over V symbols at every frame; one symbol, the *blank*, means "no label here".
An *alignment* (path) :math:`\pi` picks one symbol per frame; the collapse map :math:`\mathcal{B}` merges runs
of equal symbols and then drops blanks, so ``a a - b b - b`` reads ``a b b``. CTC maximises

.. math:: p(l \mid x) = \sum_{\pi \in \mathcal{B}^{-1}(l)} \prod_{t=1}^{T} y^t_{\pi_t},

summed by dynamic programming over the *extended* label :math:`l' = (-, l_1, -, l_2, \dots, l_U, -)` of length
2U + 1. With :math:`\alpha_t(s)` the probability of all path prefixes that end at frame t in position s of l',

.. math::

    \alpha_1(1) &= y^1_{-}, \qquad \alpha_1(2) = y^1_{l_1}, \\
    \alpha_t(s) &= y^t_{l'_s} \big(\alpha_{t-1}(s) + \alpha_{t-1}(s-1) \\
                &\qquad + [\, l'_s \ne - \text{ and } l'_s \ne l'_{s-2} \,]\, \alpha_{t-1}(s-2)\big),

and :math:`p(l \mid x) = \alpha_T(2U+1) + \alpha_T(2U)`. The skip from s-2 jumps over a blank; it is forbidden
onto a blank and between two equal labels, whose blank in between is what keeps them apart. The backward
variables :math:`\beta_t(s)` run the same recursion from the end, and for every frame t

.. math::

    p(l \mid x) &= \sum_s \frac{\alpha_t(s) \beta_t(s)}{y^t_{l'_s}}, \\
    \frac{\partial(-\log p)}{\partial \log y^t_k} &= -\gamma_t(k)
    = -\frac{1}{p(l \mid x)} \sum_{s:\, l'_s = k} \frac{\alpha_t(s) \beta_t(s)}{y^t_{l'_s}},

where :math:`\gamma_t(k)` is the posterior probability that frame t emits k. Everything runs in log space,
since a product of T probabilities underflows float64 long before T reaches the length of a sentence.

``torch.nn.CTCLoss`` takes the same (T, B, V) log-probabilities. Its gradient with respect to them is
:math:`y^t_k - \gamma_t(k)`, the gradient with respect to the logits under a log-softmax, rather than the
derivative :math:`-\gamma_t(k)` returned here; both give the same gradient once passed back through the
log-softmax, since :math:`\sum_k \gamma_t(k) = 1`.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from rnnlib.scratch._validate import as_array, check_cache


class CTCCache(NamedTuple):
    log_probs: np.ndarray      #: (T, B, V)
    ext: np.ndarray            #: (B, U'), the extended labels, blank-padded after 2U + 1
    log_alpha: np.ndarray      #: (T, B, U')
    log_beta: np.ndarray       #: (T, B, U')
    losses: np.ndarray         #: (B,), before zero_infinity
    input_lengths: np.ndarray  #: (B,)
    zeroed: np.ndarray         #: (B,) bool, infinite losses that zero_infinity replaced by 0


def _check_lengths(name, lengths, B, low, high):
    arr = np.asarray(lengths)
    if not np.issubdtype(arr.dtype, np.integer) or arr.shape != (B,):
        raise ValueError(f"{name} must be an integer array of shape (B,) = ({B},), got {arr.dtype} {arr.shape}")
    bad = (arr < low) | (arr > high)
    if bad.any():
        raise ValueError(f"{name} must lie in [{low}, {high}], got {arr[bad].tolist()} at b = "
                         f"{np.flatnonzero(bad).tolist()}")
    return arr.astype(np.int64)


def extend_labels(target, blank=0):
    """The extended label sequence l' = (blank, l_1, blank, ..., l_U, blank), of length 2U + 1.

    Parameters
    ----------
    target : sequence of int, length U
    blank : int

    Returns
    -------
    ext : ndarray of int, shape (2U + 1,)
    """
    target = np.asarray(target, dtype=np.int64)
    ext = np.full(2 * len(target) + 1, blank, dtype=np.int64)
    ext[1::2] = target
    return ext


def _logsumexp3(a, b, c):
    return np.logaddexp(np.logaddexp(a, b), c)


def ctc_forward(log_probs, targets, input_lengths, target_lengths, blank=0, zero_infinity=False):
    r"""CTC loss :math:`-\log p(l_b \mid x_b)` of every sequence in a batch, by the alpha-beta recursions.

    Parameters
    ----------
    log_probs : ndarray, shape (T, B, V)
        Log-probabilities per frame (normally a log-softmax), time-major as for ``torch.nn.CTCLoss``.
    targets : ndarray of int, shape (B, U)
        Labels in [0, V) other than ``blank``, padded after ``target_lengths[b]`` with anything.
    input_lengths : ndarray of int, shape (B,)
        Frames of sequence b, in [1, T]; frames from ``input_lengths[b]`` on are ignored.
    target_lengths : ndarray of int, shape (B,)
        Labels of sequence b, in [0, U].
    blank : int
        Index of the blank symbol.
    zero_infinity : bool
        Replace infinite losses (targets that no alignment of ``input_lengths[b]`` frames can produce: fewer
        frames than labels plus the blanks between repeated labels) and their gradients by 0, as torch does.

    Returns
    -------
    losses : ndarray, shape (B,)
        torch's ``reduction='none'``.
    cache : CTCCache
        What ``ctc_backward`` needs; it also holds ``log_alpha`` and ``log_beta`` (T, B, U') for plotting.
    """
    dims: dict[str, int] = {}
    lp = as_array("log_probs", log_probs, ("T", "B", "V"), dims)
    T, B, V = lp.shape
    if T == 0 or B == 0:
        raise ValueError(f"log_probs must have shape (T, B, V) with T, B >= 1, got shape {lp.shape}")
    if not 0 <= blank < V:
        raise ValueError(f"blank must lie in [0, V) = [0, {V}), got {blank}")
    tg = np.asarray(targets)
    if not np.issubdtype(tg.dtype, np.integer) or tg.ndim != 2 or tg.shape[0] != B:
        raise ValueError(f"targets must be an integer array of shape (B, U) with B={B}, got {tg.dtype} "
                         f"{tg.shape}")
    U = tg.shape[1]
    Tb = _check_lengths("input_lengths", input_lengths, B, 1, T)
    Lb = _check_lengths("target_lengths", target_lengths, B, 0, U)
    used = np.arange(U) < Lb[:, None]  # (B, U), the labels that count
    bad = used & ((tg < 0) | (tg >= V) | (tg == blank))
    if bad.any():
        raise ValueError(f"targets must lie in [0, V) = [0, {V}) and differ from blank={blank}; got "
                         f"{tg[bad][:5].tolist()} at (b, s) {np.argwhere(bad)[:5].tolist()}")

    Ux = 2 * U + 1
    ext = np.full((B, Ux), blank, dtype=np.int64)  # (B, U')
    ext[:, 1::2] = np.where(used, tg, blank)
    valid = np.arange(Ux) < (2 * Lb + 1)[:, None]  # (B, U'), positions of l' that exist
    # The skip from s-2 to s is allowed onto a label that differs from the label two places back.
    skip = np.zeros((B, Ux), dtype=bool)
    skip[:, 2:] = (ext[:, 2:] != blank) & (ext[:, 2:] != ext[:, :-2])
    # Emissions along l': log y^t_{l'_s}, and -inf where l' has no position s, so no path can go there.
    emit = np.where(valid, np.take_along_axis(lp, np.broadcast_to(ext, (T, B, Ux)), axis=2), -np.inf)  # (T,B,U')
    ninf = np.full((B, 1), -np.inf)

    log_alpha = np.full((T, B, Ux), -np.inf)
    log_alpha[0, :, :2] = emit[0, :, :2]
    for t in range(1, T):
        prev = log_alpha[t - 1]  # (B, U')
        from_left = np.concatenate([ninf, prev[:, :-1]], axis=1)
        from_skip = np.where(skip, np.concatenate([ninf, ninf, prev[:, :-2]], axis=1), -np.inf)
        log_alpha[t] = emit[t] + _logsumexp3(prev, from_left, from_skip)

    # beta_t(s) includes the emission at t, like alpha, and starts at each sequence's own last frame.
    last = 2 * Lb  # (B,), index of the final blank of l'; the final label sits at last - 1
    end = np.zeros((B, Ux), dtype=bool)
    end[np.arange(B), last] = True
    end[np.arange(B), np.maximum(last - 1, 0)] = True
    skip_next = np.concatenate([skip[:, 2:], np.zeros((B, 2), dtype=bool)], axis=1)  # may s jump to s+2?
    log_beta = np.full((T, B, Ux), -np.inf)
    for t in range(T - 1, -1, -1):
        if t + 1 < T:
            nxt = log_beta[t + 1]
            from_right = np.concatenate([nxt[:, 1:], ninf], axis=1)
            from_skip = np.where(skip_next, np.concatenate([nxt[:, 2:], ninf, ninf], axis=1), -np.inf)
            rec = emit[t] + _logsumexp3(nxt, from_right, from_skip)
        else:
            rec = np.full((B, Ux), -np.inf)
        start = np.where(end, emit[t], -np.inf)
        log_beta[t] = np.where((t == Tb - 1)[:, None], start, np.where((t < Tb - 1)[:, None], rec, -np.inf))

    final = log_alpha[Tb - 1, np.arange(B)]  # (B, U')
    log_p = np.logaddexp(final[np.arange(B), last], np.where(Lb > 0, final[np.arange(B), last - 1], -np.inf))
    losses = -log_p
    zeroed = np.isinf(losses) & zero_infinity
    cache = CTCCache(lp, ext, log_alpha, log_beta, losses.copy(), Tb, zeroed)
    return np.where(zeroed, 0.0, losses), cache


def ctc_posteriors(cache):
    r"""Posterior probability :math:`\gamma_t(k)` that frame t emits symbol k given the target.

    Parameters
    ----------
    cache : CTCCache
        From ``ctc_forward``.

    Returns
    -------
    gamma : ndarray, shape (T, B, V)
        Rows sum to 1 for t < ``input_lengths[b]`` and are 0 after; NaN for a sequence whose loss is infinite.
    """
    check_cache(cache, CTCCache, "ctc_forward")
    lp, ext, la, lb, losses, Tb, _ = cache
    T, B, V = lp.shape
    emit = np.take_along_axis(lp, np.broadcast_to(ext, (T, B, ext.shape[1])), axis=2)  # (T, B, U')
    with np.errstate(invalid="ignore"):
        occupancy = np.exp(la + lb - emit + losses[None, :, None])  # (T, B, U'), alpha beta / (y p)
    onehot = (ext[:, :, None] == np.arange(V)).astype(np.float64)  # (B, U', V)
    gamma = np.einsum("tbs,bsv->tbv", occupancy, onehot)  # (T, B, V)
    return np.where((np.arange(T)[:, None] < Tb)[..., None], gamma, 0.0)


def ctc_backward(dlosses, cache):
    r"""Backward pass of ``ctc_forward``: :math:`\partial L_b / \partial \log y^t_k = -\gamma_t(k)`.

    Parameters
    ----------
    dlosses : ndarray, shape (B,)
        Gradient of the final objective with respect to each loss (e.g. 1/B for the batch mean).
    cache : CTCCache
        From ``ctc_forward``.

    Returns
    -------
    grads : dict
        ``log_probs`` (T, B, V): zero at frames past ``input_lengths[b]``, zero for losses that
        ``zero_infinity`` replaced, NaN for an infinite loss kept infinite (as torch).
    """
    check_cache(cache, CTCCache, "ctc_forward")
    B = cache.log_probs.shape[1]
    d = as_array("dlosses", dlosses, ("B",), {"B": B})
    gamma = ctc_posteriors(cache)
    grad = -gamma * d[None, :, None]
    grad[:, cache.zeroed] = 0.0
    grad[:, np.isinf(cache.losses) & ~cache.zeroed] = np.nan
    return {"log_probs": grad}
