r"""Attention for one decoder step: score every encoder state, softmax over time, average the values.

Shape symbols: T encoder time steps, B batch, Hq query size, Hk key size, Hv value size, A attention units.
Every variant computes scores :math:`s_t` for :math:`t = 1, \dots, T`, then

.. math::

    \alpha_t = \frac{m_t \exp(s_t)}{\sum_{u} m_u \exp(s_u)}, \qquad \mathrm{ctx} = \sum_t \alpha_t v_t,

where :math:`m_t \in \{0, 1\}` is the mask (1 where position t may be attended). The variants differ only in
the score: dot and general (Luong, Pham and Manning, 2015), scaled dot (Vaswani et al., 2017) and additive
(Bahdanau, Cho and Bengio, 2015). Each ``*_backward`` needs only the gradient of the context; the gradient
through the weights :math:`\alpha` is part of it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple

import numpy as np

from rnnlib.scratch._validate import as_array, as_mask, check_cache

__all__ = [
    "AdditiveAttentionCache", "DotAttentionCache", "GeneralAttentionCache", "ReadoutCache",
    "additive_attention_backward", "additive_attention_forward", "dot_attention_backward",
    "dot_attention_forward", "general_attention_backward", "general_attention_forward"
]


class ReadoutCache(NamedTuple):
    values: np.ndarray   #: (T, B, Hv)
    weights: np.ndarray  #: (T, B)


class DotAttentionCache(NamedTuple):
    query: np.ndarray  #: (B, Hk)
    keys: np.ndarray   #: (T, B, Hk)
    scale: float       #: 1/sqrt(Hk) when scaled, else 1
    readout: ReadoutCache


class GeneralAttentionCache(NamedTuple):
    query: np.ndarray   #: (B, Hq)
    weight: np.ndarray  #: (Hq, Hk)
    dot: DotAttentionCache


class AdditiveAttentionCache(NamedTuple):
    query: np.ndarray    #: (B, Hq)
    keys: np.ndarray     #: (T, B, Hk)
    hidden: np.ndarray   #: (T, B, A), tanh(W_query q + W_key k_t)
    W_query: np.ndarray  #: (A, Hq)
    W_key: np.ndarray    #: (A, Hk)
    v: np.ndarray        #: (A,)
    readout: ReadoutCache


def _check_inputs(query, keys, values, mask):
    """Validate query (B, Hq), keys (T, B, Hk), values (T, B, Hv) and mask (T, B); return them and the sizes."""
    dims: dict[str, int] = {}
    q = as_array("query", query, ("B", "Hq"), dims)
    k = as_array("keys", keys, ("T", "B", "Hk"), dims)
    if dims["T"] == 0:
        raise ValueError(f"keys must have shape (T, B, Hk) with T >= 1, got shape {k.shape}")
    v = as_array("values", values, ("T", "B", "Hv"), dims)
    if mask is None:
        return q, k, v, None, dims
    m = as_mask("mask", mask, (dims["T"], dims["B"]), "(T, B)")
    empty = np.flatnonzero(~m.any(axis=0))
    if empty.size:
        # A softmax over no positions is 0/0; refuse it rather than return NaN.
        raise ValueError(f"mask (T, B) has no attendable position for batch element(s) {empty.tolist()}")
    return q, k, v, m, dims


def _readout(scores, values, mask):
    """Masked, max-shifted softmax over T of scores (T, B), then the weighted sum of values (T, B, Hv)."""
    if mask is not None:
        scores = np.where(mask, scores, -np.inf)  # exp(-inf) is exactly 0, so masked weights are exactly 0
    # Each column keeps at least one finite score, so the shift is finite and the largest term is exp(0) = 1.
    e = np.exp(scores - scores.max(axis=0))  # (T, B)
    weights = e / e.sum(axis=0)  # (T, B)
    context = np.einsum("tb,tbh->bh", weights, values)  # (B, Hv)
    return context, weights, ReadoutCache(values, weights)


def _readout_backward(dcontext, cache):
    """Gradients of the scores (T, B) and values (T, B, Hv) given dcontext (B, Hv)."""
    w = cache.weights
    dweights = np.einsum("bh,tbh->tb", dcontext, cache.values)  # (T, B)
    dvalues = w[:, :, None] * dcontext[None]  # (T, B, Hv)
    # Softmax Jacobian diag(w) - w w^T applied to dweights; masked positions have w = 0 and get 0.
    dscores = w * (dweights - (w * dweights).sum(axis=0))  # (T, B)
    return dscores, dvalues


def _check_dcontext(dcontext, readout):
    T, B, Hv = readout.values.shape
    return as_array("dcontext", dcontext, ("B", "Hv"), {"T": T, "B": B, "Hv": Hv})


def _dot(query, keys, values, mask, scale):
    scores = scale * np.einsum("bh,tbh->tb", query, keys)  # (T, B)
    context, weights, readout = _readout(scores, values, mask)
    return context, weights, DotAttentionCache(query, keys, scale, readout)


def _dot_backward(dcontext, cache):
    dscores, dvalues = _readout_backward(dcontext, cache.readout)
    dquery = cache.scale * np.einsum("tb,tbh->bh", dscores, cache.keys)  # (B, Hk)
    dkeys = cache.scale * dscores[:, :, None] * cache.query[None]  # (T, B, Hk)
    return {"query": dquery, "keys": dkeys, "values": dvalues}


def dot_attention_forward(query, keys, values, mask=None, scaled=True):
    r"""Dot-product attention (Luong, Pham and Manning, 2015), scaled as in Vaswani et al. (2017).

    .. math::

        s_t = \frac{q^\top k_t}{\sqrt{H_k}} \quad \text{(scaled)}, \qquad s_t = q^\top k_t \quad \text{(unscaled)}

    The :math:`1/\sqrt{H_k}` keeps the variance of the scores near 1 when q and k have unit-variance entries,
    so the softmax does not saturate as :math:`H_k` grows.

    Parameters
    ----------
    query : ndarray, shape (B, Hq)
        Decoder state; Hq must equal Hk (use ``general_attention_forward`` otherwise).
    keys : ndarray, shape (T, B, Hk)
        Encoder states compared with the query.
    values : ndarray, shape (T, B, Hv)
        Encoder states averaged into the context.
    mask : ndarray of bool, shape (T, B), optional
        True where a position may be attended; every batch element needs at least one True.
    scaled : bool
        Divide the scores by :math:`\sqrt{H_k}`.

    Returns
    -------
    context : ndarray, shape (B, Hv)
    weights : ndarray, shape (T, B)
        Attention weights; each column sums to 1 and masked positions are exactly 0.
    cache : DotAttentionCache
        What ``dot_attention_backward`` needs.
    """
    q, k, v, m, dims = _check_inputs(query, keys, values, mask)
    if dims["Hq"] != dims["Hk"]:
        raise ValueError(f"query must have shape (B, Hk) for dot attention: Hq={dims['Hq']} but Hk={dims['Hk']} "
                         "(general_attention_forward compares vectors of different sizes)")
    if not isinstance(scaled, (bool, np.bool_)):
        raise ValueError(f"scaled must be True or False, got {scaled!r}")
    return _dot(q, k, v, m, 1.0 / np.sqrt(dims["Hk"]) if scaled else 1.0)


def dot_attention_backward(dcontext, cache):
    """Backward pass of ``dot_attention_forward``.

    Parameters
    ----------
    dcontext : ndarray, shape (B, Hv)
        Gradient of the loss with respect to the context.
    cache : DotAttentionCache
        From ``dot_attention_forward``.

    Returns
    -------
    grads : dict
        ``query`` (B, Hq), ``keys`` (T, B, Hk), ``values`` (T, B, Hv).
    """
    check_cache(cache, DotAttentionCache, "dot_attention_forward")
    return _dot_backward(_check_dcontext(dcontext, cache.readout), cache)


def general_attention_forward(query, keys, values, weight, mask=None):
    r"""Luong's "general" attention (Luong, Pham and Manning, 2015): a bilinear score.

    .. math:: s_t = q^\top W k_t = (W^\top q)^\top k_t

    Computed as the unscaled dot attention of the projected query :math:`W^\top q` (a (B, Hk) array
    ``query @ weight``) with the keys, so query and key sizes may differ.

    Parameters
    ----------
    query : ndarray, shape (B, Hq)
    keys : ndarray, shape (T, B, Hk)
    values : ndarray, shape (T, B, Hv)
    weight : ndarray, shape (Hq, Hk)
    mask : ndarray of bool, shape (T, B), optional
        True where a position may be attended; every batch element needs at least one True.

    Returns
    -------
    context : ndarray, shape (B, Hv)
    weights : ndarray, shape (T, B)
        Each column sums to 1; masked positions are exactly 0.
    cache : GeneralAttentionCache
        What ``general_attention_backward`` needs.
    """
    q, k, v, m, dims = _check_inputs(query, keys, values, mask)
    W = as_array("weight", weight, ("Hq", "Hk"), dims)
    context, weights, dot_cache = _dot(q @ W, k, v, m, 1.0)  # projected query (B, Hk)
    return context, weights, GeneralAttentionCache(q, W, dot_cache)


def general_attention_backward(dcontext, cache):
    """Backward pass of ``general_attention_forward``.

    Parameters
    ----------
    dcontext : ndarray, shape (B, Hv)
        Gradient of the loss with respect to the context.
    cache : GeneralAttentionCache
        From ``general_attention_forward``.

    Returns
    -------
    grads : dict
        ``query`` (B, Hq), ``keys`` (T, B, Hk), ``values`` (T, B, Hv), ``weight`` (Hq, Hk).
    """
    check_cache(cache, GeneralAttentionCache, "general_attention_forward")
    grads = _dot_backward(_check_dcontext(dcontext, cache.dot.readout), cache.dot)
    dprojected = grads["query"]  # (B, Hk)
    grads["query"] = dprojected @ cache.weight.T  # (B, Hq)
    grads["weight"] = cache.query.T @ dprojected  # (Hq, Hk)
    return grads


def _check_additive_params(params, dims):
    if not isinstance(params, Mapping):
        raise ValueError(f"params must be a dict of arrays, got {type(params).__name__}")
    shapes = {"W_query": ("A", "Hq"), "W_key": ("A", "Hk"), "v": ("A",)}
    missing = [n for n in shapes if n not in params]
    if missing:
        raise ValueError(f"params is missing {missing}; expected keys {list(shapes)}")
    return {n: as_array(f"params[{n!r}]", params[n], shape, dims) for n, shape in shapes.items()}


def additive_attention_forward(query, keys, values, params, mask=None):
    r"""Additive (concat) attention of Bahdanau, Cho and Bengio (2015).

    .. math:: s_t = v^\top \tanh(W_q q + W_k k_t)

    A one-hidden-layer network scores each key, so query and key sizes may differ.

    Parameters
    ----------
    query : ndarray, shape (B, Hq)
    keys : ndarray, shape (T, B, Hk)
    values : ndarray, shape (T, B, Hv)
    params : dict
        ``W_query`` (A, Hq), ``W_key`` (A, Hk), ``v`` (A,).
    mask : ndarray of bool, shape (T, B), optional
        True where a position may be attended; every batch element needs at least one True.

    Returns
    -------
    context : ndarray, shape (B, Hv)
    weights : ndarray, shape (T, B)
        Each column sums to 1; masked positions are exactly 0.
    cache : AdditiveAttentionCache
        What ``additive_attention_backward`` needs.
    """
    q, k, v, m, dims = _check_inputs(query, keys, values, mask)
    p = _check_additive_params(params, dims)
    # The query projection is shared by all T keys: compute it once and broadcast.
    hidden = np.tanh(k @ p["W_key"].T + (q @ p["W_query"].T)[None])  # (T, B, A)
    scores = hidden @ p["v"]  # (T, B)
    context, weights, readout = _readout(scores, v, m)
    return context, weights, AdditiveAttentionCache(q, k, hidden, p["W_query"], p["W_key"], p["v"], readout)


def additive_attention_backward(dcontext, cache):
    """Backward pass of ``additive_attention_forward``.

    Parameters
    ----------
    dcontext : ndarray, shape (B, Hv)
        Gradient of the loss with respect to the context.
    cache : AdditiveAttentionCache
        From ``additive_attention_forward``.

    Returns
    -------
    grads : dict
        ``query`` (B, Hq), ``keys`` (T, B, Hk), ``values`` (T, B, Hv), ``W_query`` (A, Hq), ``W_key`` (A, Hk),
        ``v`` (A,).
    """
    check_cache(cache, AdditiveAttentionCache, "additive_attention_forward")
    dscores, dvalues = _readout_backward(_check_dcontext(dcontext, cache.readout), cache.readout)
    dv = np.einsum("tb,tba->a", dscores, cache.hidden)  # (A,)
    dpre = dscores[:, :, None] * cache.v * (1.0 - cache.hidden ** 2)  # (T, B, A), through v and tanh
    dprojected_query = dpre.sum(axis=0)  # (B, A): the query term was broadcast over T
    return {
        "query": dprojected_query @ cache.W_query,  # (B, Hq)
        "keys": dpre @ cache.W_key,  # (T, B, Hk)
        "values": dvalues,
        "W_query": dprojected_query.T @ cache.query,  # (A, Hq)
        "W_key": np.einsum("tba,tbh->ah", dpre, cache.keys),  # (A, Hk)
        "v": dv,
    }

