r"""Attention modules for the decoder: one decoder step attends over all encoder states.

Shapes are time-major. Symbols: S source steps, B batch, Hq query size, Hk key size, Hv value size, A
attention units. Every module takes ``(query (B, Hq), keys (S, B, Hk), values (S, B, Hv), mask (S, B))`` and
returns ``(context (B, Hv), weights (S, B))``, the interface :class:`rnnlib.models.seq2seq.Decoder` plugs in.
The numpy reference of both scores is :mod:`rnnlib.scratch.attention`.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from rnnlib.models.cells import _check_shape, init_like_torch
from rnnlib.models.sequence import check_lengths


def padding_mask(lengths, S: int) -> torch.Tensor:
    """Mask of the real source positions.

    Parameters
    ----------
    lengths : Tensor or list of int, shape (B,)
        True length of each sequence, in [1, S].
    S : int
        Padded length.

    Returns
    -------
    Tensor, shape (S, B), bool
        True at positions before each sequence's length, False at padding.
    """
    lengths = torch.as_tensor(lengths)
    lengths = check_lengths(lengths, S, lengths.numel())
    return torch.arange(S)[:, None] < lengths[None, :]  # (S, B)


def _attend(scores: torch.Tensor, values: torch.Tensor, mask: torch.Tensor):
    """Softmax the scores (S, B) over the unmasked positions and average the values (S, B, Hv) with them."""
    _check_shape("mask", mask, tuple(scores.shape), f"(S, B) = {tuple(scores.shape)}")
    if mask.dtype != torch.bool or not bool(mask.any(0).all()):
        raise ValueError("mask must be a bool tensor (S, B) with at least one True position per sequence")
    # -inf gives padded positions a weight of exactly zero, so nothing beyond a sequence's length leaks in.
    weights = torch.softmax(scores.masked_fill(~mask, float("-inf")), dim=0)  # (S, B)
    context = (weights[:, :, None] * values).sum(0)  # (B, Hv)
    return context, weights


class DotAttention(nn.Module):
    r"""Scaled dot-product attention, with no parameters: the query must have the keys' size.

    .. math:: a_s = \frac{q \cdot k_s}{\sqrt{H}}, \qquad \alpha = \mathrm{softmax}_s(a), \qquad
              c = \sum_s \alpha_s v_s

    Dividing by :math:`\sqrt{H}` keeps the scores of order 1 as H grows, so the softmax does not saturate.
    """

    def forward(self, query: torch.Tensor, keys: torch.Tensor, values: torch.Tensor, mask: torch.Tensor):
        """Attend from one query per sequence to its S keys.

        Parameters
        ----------
        query : Tensor, shape (B, H)
            What to look for (the decoder state).
        keys : Tensor, shape (S, B, H)
            What each source position offers to be matched against.
        values : Tensor, shape (S, B, Hv)
            What each source position contributes to the context.
        mask : Tensor, shape (S, B), bool
            True at real positions, False at padding.

        Returns
        -------
        context : Tensor, shape (B, Hv)
            Average of the values weighted by the attention weights.
        weights : Tensor, shape (S, B)
            Attention weights, summing to 1 over S, exactly 0 where ``mask`` is False.
        """
        _check_shape("query", query, (keys.shape[1], keys.shape[2]),
                     f"(B, H) matching keys (S, B, H) = {tuple(keys.shape)}")
        scores = (keys * query[None]).sum(-1) / math.sqrt(query.shape[1])  # (S, B)
        return _attend(scores, values, mask)


class AdditiveAttention(nn.Module):
    r"""Additive (Bahdanau) attention: a one-hidden-layer network scores each key against the query.

    .. math:: a_s = v^\top \tanh(W_q q + W_k k_s + b), \qquad \alpha = \mathrm{softmax}_s(a), \qquad
              c = \sum_s \alpha_s v_s

    Unlike :class:`DotAttention` the query and keys may have different sizes.

    Parameters
    ----------
    query_size : int
        Features of the query (the decoder's H).
    key_size : int
        Features of each key (the encoder's output size).
    attn_size : int
        Hidden units of the scoring network.
    generator : torch.Generator, optional
        Source of the initial weights.
    """

    def __init__(self, query_size: int, key_size: int, attn_size: int,
                 generator: torch.Generator | None = None):
        super().__init__()
        self.query_proj = nn.Linear(query_size, attn_size, bias=False)
        self.key_proj = nn.Linear(key_size, attn_size)
        self.score = nn.Linear(attn_size, 1, bias=False)
        if generator is not None:
            init_like_torch(self, generator)

    def forward(self, query: torch.Tensor, keys: torch.Tensor, values: torch.Tensor, mask: torch.Tensor):
        """Same contract as :meth:`DotAttention.forward`, with query (B, Hq) and keys (S, B, Hk)."""
        hidden = torch.tanh(self.key_proj(keys) + self.query_proj(query)[None])  # (S, B, attn_size)
        return _attend(self.score(hidden)[..., 0], values, mask)  # scores (S, B)
