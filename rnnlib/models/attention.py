r"""Attention modules for the decoder: one decoder step attends over all encoder states.

Shapes are time-major. Symbols: S source steps, B batch, Hq query size, Hk key size, Hv value size, A
attention units. Every module takes ``(query (B, Hq), keys (S, B, Hk), values (S, B, Hv), mask (S, B))`` and
returns ``(context (B, Hv), weights (S, B))``, the interface :class:`rnnlib.models.seq2seq.Decoder` plugs in.
They differ only in the score :math:`a_s` of source position s; then, for all of them,

.. math:: \alpha = \mathrm{softmax}_s(a) \text{ over the unmasked positions}, \qquad c = \sum_s \alpha_s v_s.

=========================================  ==============================================  ================
module                                     score :math:`a_s`                               source
=========================================  ==============================================  ================
``DotAttention(scaled=False)``             :math:`q^\top k_s`                              Luong "dot"
``DotAttention()``                         :math:`q^\top k_s / \sqrt{H_k}`                 Vaswani et al.
:class:`GeneralAttention`                  :math:`q^\top W k_s`                            Luong "general"
:class:`AdditiveAttention`                 :math:`v^\top \tanh(W_q q + W_k k_s)`           Bahdanau et al.
=========================================  ==============================================  ================

The numpy reference is :mod:`rnnlib.scratch.attention`, with the same parameter layouts:
``module.scratch_params()`` returns the arrays that ``rnnlib.scratch.general_attention_forward(..., weight)`` and
``rnnlib.scratch.additive_attention_forward(..., params)`` take, so the two can be compared weight for weight.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from rnnlib.models._validate import check_shape, padding_mask
from rnnlib.models.cells import init_like_torch

__all__ = ["DotAttention", "GeneralAttention", "AdditiveAttention", "padding_mask"]


def _size(symbol: str, size: int | None) -> str:
    return symbol if size is None else f"{symbol}={size}"


def _check_inputs(query, keys, values, mask, query_size: int | None = None, key_size: int | None = None,
                  query_like_keys: bool = False):
    """Check query (B, Hq), keys (S, B, Hk), values (S, B, Hv) and mask (S, B); return the mask (all True if None).

    ``query_like_keys`` requires Hq = Hk (dot attention) instead of a given ``query_size``.
    """
    check_shape("keys", keys, (None, None, key_size), f"(S, B, {_size('Hk', key_size)})")
    S, B, Hk = keys.shape
    if S == 0:
        raise ValueError(f"keys must have shape (S, B, Hk) with S >= 1, got {tuple(keys.shape)}")
    if query_like_keys:
        check_shape("query", query, (B, Hk), f"(B, H) matching keys (S, B, H) = {tuple(keys.shape)}")
    else:
        check_shape("query", query, (B, query_size), f"(B, {_size('Hq', query_size)}) with B={B} from keys")
    check_shape("values", values, (S, B, None), f"(S, B, Hv) with S={S}, B={B} from keys (S, B, Hk)")
    if mask is None:
        return torch.ones(S, B, dtype=torch.bool, device=keys.device)
    check_shape("mask", mask, (S, B), f"(S, B) = ({S}, {B})")
    if mask.dtype != torch.bool or not bool(mask.any(0).all()):
        raise ValueError("mask must be a bool tensor (S, B) with at least one True position per sequence")
    return mask


def _attend(scores: torch.Tensor, values: torch.Tensor, mask: torch.Tensor):
    """Softmax the scores (S, B) over the unmasked positions and average the values (S, B, Hv) with them."""
    # -inf gives padded positions a weight of exactly zero, so nothing beyond a sequence's length leaks in.
    weights = torch.softmax(scores.masked_fill(~mask, float("-inf")), dim=0)  # (S, B)
    context = (weights[:, :, None] * values).sum(0)  # (B, Hv)
    return context, weights


def _numpy(params: dict, grad: bool) -> dict:
    """Copies of the given parameters (or of their gradients) as numpy arrays, under the same names."""
    out = {}
    for name, param in params.items():
        t = param.grad if grad else param
        if t is None:
            raise ValueError(f"{name} has no gradient yet: call backward() before scratch_params(grad=True)")
        out[name] = t.detach().cpu().numpy().copy()
    return out


class DotAttention(nn.Module):
    r"""Dot-product attention, with no parameters: the query must have the keys' size.

    .. math:: a_s = \frac{q^\top k_s}{\sqrt{H}} \ \text{(scaled, the default)}, \qquad
              a_s = q^\top k_s \ \text{(Luong's "dot")}

    Dividing by :math:`\sqrt{H}` keeps the scores of order 1 as H grows, so the softmax does not saturate
    (Vaswani et al., 2017). The numpy reference is ``rnnlib.scratch.dot_attention_forward(..., scaled=...)``.

    Parameters
    ----------
    scaled : bool
        Divide the scores by :math:`\sqrt{H}`.
    """

    def __init__(self, scaled: bool = True):
        super().__init__()
        if not isinstance(scaled, bool):
            raise ValueError(f"scaled must be True or False, got {scaled!r}")
        self.scaled = scaled

    def extra_repr(self) -> str:
        return f"scaled={self.scaled}"

    def scratch_params(self, grad: bool = False) -> dict:
        """No parameters: an empty dict, so every attention module can be handled alike."""
        return {}

    def forward(self, query: torch.Tensor, keys: torch.Tensor, values: torch.Tensor,
                mask: torch.Tensor | None = None):
        """Attend from one query per sequence to its S keys.

        Parameters
        ----------
        query : Tensor, shape (B, H)
            What to look for (the decoder state).
        keys : Tensor, shape (S, B, H)
            What each source position offers to be matched against.
        values : Tensor, shape (S, B, Hv)
            What each source position contributes to the context.
        mask : Tensor, shape (S, B), bool, optional
            True at real positions, False at padding; all True when omitted.

        Returns
        -------
        context : Tensor, shape (B, Hv)
            Average of the values weighted by the attention weights.
        weights : Tensor, shape (S, B)
            Attention weights, summing to 1 over S, exactly 0 where ``mask`` is False.
        """
        mask = _check_inputs(query, keys, values, mask, query_like_keys=True)
        scores = (keys * query[None]).sum(-1)  # (S, B)
        if self.scaled:
            scores = scores / math.sqrt(query.shape[1])
        return _attend(scores, values, mask)


class GeneralAttention(nn.Module):
    r"""Luong's "general" (bilinear) attention: a learned matrix compares query and keys of any sizes.

    .. math:: a_s = q^\top W k_s = (W^\top q)^\top k_s

    ``W`` is stored as the weight of ``self.W``, an ``nn.Linear(Hk, Hq, bias=False)``, so its layout is
    (Hq, Hk), that of ``weight`` in ``rnnlib.scratch.general_attention_forward``. With ``W`` the identity this is
    ``DotAttention(scaled=False)``.

    Parameters
    ----------
    query_size : int
        Hq, features of the query (the decoder's H).
    key_size : int
        Hk, features of each key (the encoder's output size).
    generator : torch.Generator, optional
        Source of the initial weights, :math:`U(-1/\sqrt{H_k}, 1/\sqrt{H_k})`.
    """

    def __init__(self, query_size: int, key_size: int, generator: torch.Generator | None = None):
        super().__init__()
        self.query_size, self.key_size = query_size, key_size
        self.W = nn.Linear(key_size, query_size, bias=False)  # weight (Hq, Hk)
        if generator is not None:
            init_like_torch(self, generator)

    def scratch_params(self, grad: bool = False) -> dict:
        """``{"weight": (Hq, Hk) array}`` for ``rnnlib.scratch.general_attention_forward``; gradients if ``grad``."""
        return _numpy({"weight": self.W.weight}, grad)

    def forward(self, query: torch.Tensor, keys: torch.Tensor, values: torch.Tensor,
                mask: torch.Tensor | None = None):
        """Same contract as :meth:`DotAttention.forward`, with query (B, Hq) and keys (S, B, Hk)."""
        mask = _check_inputs(query, keys, values, mask, self.query_size, self.key_size)
        # Project the query once, W^T q, rather than all S keys.
        projected = query @ self.W.weight  # (B, Hk)
        return _attend((keys * projected[None]).sum(-1), values, mask)  # scores (S, B)


class AdditiveAttention(nn.Module):
    r"""Additive (Bahdanau) attention: a one-hidden-layer network scores each key against the query.

    .. math:: a_s = v^\top \tanh(W_q q + W_k k_s)

    The three weights live in bias-free ``nn.Linear`` layers named as in ``rnnlib.scratch.additive_attention_forward``:
    ``W_query.weight`` (A, Hq), ``W_key.weight`` (A, Hk) and ``v.weight`` (1, A), whose row is the scratch
    ``v`` (A,). As in Bahdanau et al. (2015), the score has no bias. Unlike :class:`DotAttention` the query and
    keys may have different sizes.

    Parameters
    ----------
    query_size : int
        Hq, features of the query (the decoder's H).
    key_size : int
        Hk, features of each key (the encoder's output size).
    attn_size : int
        A, hidden units of the scoring network.
    generator : torch.Generator, optional
        Source of the initial weights (``nn.Linear``'s default distribution).
    """

    def __init__(self, query_size: int, key_size: int, attn_size: int,
                 generator: torch.Generator | None = None):
        super().__init__()
        self.query_size, self.key_size, self.attn_size = query_size, key_size, attn_size
        self.W_query = nn.Linear(query_size, attn_size, bias=False)  # weight (A, Hq)
        self.W_key = nn.Linear(key_size, attn_size, bias=False)  # weight (A, Hk)
        self.v = nn.Linear(attn_size, 1, bias=False)  # weight (1, A)
        if generator is not None:
            init_like_torch(self, generator)

    def scratch_params(self, grad: bool = False) -> dict:
        """The weights as ``rnnlib.scratch.additive_attention_forward`` takes them, as numpy copies.

        Parameters
        ----------
        grad : bool
            Return the parameters' gradients (after ``backward()``) in the same layout instead.

        Returns
        -------
        dict
            ``W_query`` (A, Hq), ``W_key`` (A, Hk), ``v`` (A,).
        """
        out = _numpy({"W_query": self.W_query.weight, "W_key": self.W_key.weight, "v": self.v.weight}, grad)
        out["v"] = out["v"][0]  # (1, A) -> (A,)
        return out

    def forward(self, query: torch.Tensor, keys: torch.Tensor, values: torch.Tensor,
                mask: torch.Tensor | None = None):
        """Same contract as :meth:`DotAttention.forward`, with query (B, Hq) and keys (S, B, Hk)."""
        mask = _check_inputs(query, keys, values, mask, self.query_size, self.key_size)
        # The query's projection is shared by all S keys: compute it once and broadcast it over S.
        hidden = torch.tanh(self.W_key(keys) + self.W_query(query)[None])  # (S, B, A)
        return _attend(self.v(hidden)[..., 0], values, mask)  # scores (S, B)
