r"""Beam search with length normalisation: one generic search, and its adapter for ``Seq2Seq``.

Symbols: V vocabulary, B independent searches (one per source), K live hypotheses of one search (at most
the beam width), N live hypotheses of all searches, S source steps, T' output steps.

A decoder scores the next token given the tokens written so far, :math:`\log p(y_t \mid y_{<t}, x)`. The
best output under the model maximises the sum of these log-probabilities over the whole sequence, but
there are :math:`V^{T'}` sequences of length :math:`T'`. Greedy decoding commits to the most likely token
at each step; beam search keeps the ``beam_width`` best prefixes instead. Each hypothesis
:math:`y = (y_1, \dots, y_L)`, written after ``bos`` and ending with ``eos``, is ranked by

.. math:: \mathrm{score}(y) = \frac{1}{L^{\alpha}} \sum_{t=1}^{L} \log p(y_t \mid y_{<t}, x)

where :math:`L` counts the written tokens, ``eos`` included and ``bos`` not, and :math:`\alpha` is
``length_penalty``: :math:`\alpha = 0` ranks by the raw log-probability, which favours short outputs
since every token adds a negative term; :math:`\alpha = 1` ranks by the mean log-probability per token.
(Wu et al., 2016, divide instead by :math:`((5 + L) / 6)^{\alpha}`; the idea is the same.)

The search, with a beam that shrinks as hypotheses finish:

1. Start from one hypothesis, ``bos``, with log-probability 0, and a width of ``beam_width``.
2. Extend each of the K live hypotheses by each of the V tokens and keep the best ``width`` of the K V
   candidates by log-probability (at one step all candidates have the same length, so this is also the
   order of their scores); the others are pruned.
3. A kept candidate that ends in ``eos`` is finished: it is set aside and the width drops by one, so that
   live and finished hypotheses together never exceed ``beam_width``. The others stay live.
4. Stop when the width reaches 0, when no live hypothesis can still beat the ``n_best``-th finished one
   (log-probabilities only fall as a hypothesis grows, so its score can be at most
   :math:`\log p(y_{\le t}) / \text{max\_len}^{\alpha}`), or after ``max_len`` tokens. Hypotheses still live
   at ``max_len`` are cut there; they are returned only when fewer than ``n_best`` hypotheses finished.

With width 1 this is greedy decoding; with a width at least the number of sequences of up to ``max_len``
tokens it is exhaustive search. A step costs one call of the model on the K live hypotheses plus a top-k
over K V candidates, O(K V) beyond the model itself; :func:`beam_search` runs B searches side by side so
that the model is called once per step for all of them.
"""

from __future__ import annotations

import itertools
import math
import numbers
from collections.abc import Callable
from typing import NamedTuple

import torch


class Hypothesis(NamedTuple):
    """One output of the search."""

    tokens: list[int]  #: y_1 ... y_L, without bos; ends with eos unless cut at max_len
    log_prob: float    #: sum over the L tokens of log p(y_t | y_<t, x)
    score: float       #: log_prob / L ** length_penalty, what the search ranks by
    finished: bool     #: True if the hypothesis ends with eos, False if it was cut at max_len


def _check_int(name: str, value, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ValueError(f"{name} must be an int >= {minimum}, got {value!r}")
    return int(value)


def _first_dims(state) -> list[int]:
    """The first dimension of every tensor in ``state`` (a tensor or a nested tuple/list of them)."""
    if isinstance(state, torch.Tensor):
        return [state.shape[0] if state.dim() else -1]
    if isinstance(state, (tuple, list)):
        return [n for part in state for n in _first_dims(part)]
    raise ValueError(f"state must be a tensor or a tuple of tensors, got {type(state).__name__}")


def _select(state, index: torch.Tensor):
    """Re-index every tensor of ``state`` along its first dimension (the hypotheses)."""
    if isinstance(state, torch.Tensor):
        return state.index_select(0, index.to(state.device))
    parts = [_select(part, index) for part in state]
    return type(state)(*parts) if hasattr(state, "_fields") else type(state)(parts)  # namedtuples too


def beam_search(step: Callable, state, bos: int, eos: int, beam_width: int, max_len: int,
                length_penalty: float = 0.0, n_best: int = 1) -> list[list[Hypothesis]]:
    r"""Find high-scoring outputs of a step-by-step model by beam search, for B independent searches at once.

    The live hypotheses of all B searches are stacked along the first dimension, search by search, so that the
    model runs once per step on all of them; each search keeps its own beam, finished list and stopping test.

    Parameters
    ----------
    step : callable
        ``step(tokens, state) -> (log_probs, new_state)``: ``tokens`` (N,) int64 holds the last token of
        each of the N live hypotheses (``bos`` at the first call, where N = B), ``log_probs`` (N, V) the
        log-probabilities of the next token (each row a distribution: entries <= 0) and ``new_state`` the
        state after reading ``tokens``.
    state : Tensor or tuple of Tensor
        The model's state before the first token, first dimension B: row b starts search b. Every tensor in
        it is indexed by hypothesis along its first dimension, so that the search can reorder, repeat and
        drop hypotheses with ``index_select``; put there whatever a hypothesis needs (e.g. its source).
    bos, eos : int
        Token fed first; token that ends a hypothesis.
    beam_width : int
        Hypotheses kept per search, >= 1; 1 is greedy decoding.
    max_len : int
        Most tokens written, ``eos`` included, >= 1.
    length_penalty : float
        :math:`\alpha` >= 0 in score = log-probability / L ** alpha (see the module docstring).
    n_best : int
        Hypotheses to return per search, 1 <= n_best <= beam_width.

    Returns
    -------
    hypotheses : list of list of Hypothesis
        B lists of at most ``n_best`` hypotheses, best score first: finished ones first, then (only if fewer
        than ``n_best`` finished) hypotheses cut at ``max_len``. Equal scores keep the order of discovery.
    """
    bos, eos = _check_int("bos", bos, 0), _check_int("eos", eos, 0)
    beam_width = _check_int("beam_width", beam_width, 1)
    max_len = _check_int("max_len", max_len, 1)
    n_best = _check_int("n_best", n_best, 1)
    if n_best > beam_width:
        raise ValueError(f"n_best must be at most beam_width={beam_width}, got {n_best}")
    if isinstance(length_penalty, bool) or not isinstance(length_penalty, numbers.Real) \
            or not 0.0 <= length_penalty < math.inf:
        raise ValueError(f"length_penalty must be a finite number >= 0, got {length_penalty!r}")
    alpha = float(length_penalty)
    dims = set(_first_dims(state))
    if len(dims) != 1 or min(dims) < 1:
        raise ValueError(f"state must hold tensors sharing their first dimension B >= 1, got {_first_dims(state)}")
    B = dims.pop()

    tokens = torch.full((B,), bos)                      # (N,) last token of each live hypothesis
    prefixes: list[list[int]] = [[] for _ in range(B)]  # N token lists, without bos
    owner = list(range(B))                              # N: the search each live hypothesis belongs to
    live_lp = torch.zeros(B, dtype=torch.float64)       # (N,) log-probability of each prefix
    width = [beam_width] * B                            # per search; each finished hypothesis takes one away
    finished: list[list[Hypothesis]] = [[] for _ in range(B)]
    cut: list[list[Hypothesis]] = [[] for _ in range(B)]
    for t in range(1, max_len + 1):                     # t tokens written after this step
        N = tokens.shape[0]
        log_probs, state = step(tokens, state)
        if not isinstance(log_probs, torch.Tensor) or log_probs.dim() != 2 or log_probs.shape[0] != N:
            got = tuple(log_probs.shape) if isinstance(log_probs, torch.Tensor) else type(log_probs).__name__
            raise ValueError(f"step must return log_probs of shape (N, V) with N={N}, got {got}")
        V = log_probs.shape[1]
        if eos >= V:
            raise ValueError(f"eos must be a token id below V={V}, got {eos}")
        if bool((log_probs > 1e-6).any()):
            raise ValueError("step must return log-probabilities (<= 0), e.g. log_softmax of the logits")
        if set(_first_dims(state)) != {N}:
            raise ValueError(f"step must return a state whose tensors have first dimension N={N}, got "
                             f"{_first_dims(state)}")
        total = live_lp[:, None] + log_probs.detach().to("cpu", torch.float64)   # (N, V) candidates
        rows, new_tokens, new_lp, new_prefixes, new_owner = [], [], [], [], []
        first = 0
        for b, group in itertools.groupby(owner):       # the live rows of search b are consecutive
            K = len(list(group))
            top_lp, flat = total[first:first + K].flatten().topk(min(width[b], K * V))  # best first
            live = []
            for lp, r, y in zip(top_lp.tolist(), (first + flat // V).tolist(), (flat % V).tolist()):
                if y == eos:                            # finished: set aside, and the beam narrows
                    finished[b].append(Hypothesis(prefixes[r] + [eos], lp, lp / t ** alpha, True))
                    width[b] -= 1
                else:
                    live.append((lp, r, y))
            first += K
            if live and len(finished[b]) >= n_best:
                nth = sorted((h.score for h in finished[b]), reverse=True)[n_best - 1]
                if live[0][0] / max_len ** alpha <= nth:  # no live hypothesis can beat it: search b is over
                    live = []
            for lp, r, y in live:
                rows.append(r), new_tokens.append(y), new_lp.append(lp)
                new_prefixes.append(prefixes[r] + [y]), new_owner.append(b)
        if not rows:
            break
        state = _select(state, torch.tensor(rows))
        tokens, live_lp = torch.tensor(new_tokens), torch.tensor(new_lp, dtype=torch.float64)
        prefixes, owner = new_prefixes, new_owner
    else:  # max_len reached: the hypotheses still live are cut there, best first as topk left them
        for p, lp, b in zip(prefixes, live_lp.tolist(), owner):
            cut[b].append(Hypothesis(p, lp, lp / max_len ** alpha, False))
    # Stable sort: equal scores keep the order in which they were found.
    return [(sorted(finished[b], key=lambda h: -h.score) + cut[b])[:n_best] for b in range(B)]


def beam_decode(model, src: torch.Tensor, src_lengths, beam_width: int, max_len: int,
                length_penalty: float = 0.0, n_best: int = 1, return_weights: bool = False):
    """Translate a batch of source sequences with :func:`beam_search` on a trained ``Seq2Seq``.

    The batch is encoded once. Each hypothesis carries its source's encoder outputs and mask in its state
    (batch-first, so that the search can re-index them), and the step's log-probabilities are ``log_softmax``
    of the logits of :meth:`rnnlib.models.seq2seq.Decoder.step`. With ``beam_width=1`` the tokens are those
    of :meth:`rnnlib.models.seq2seq.Seq2Seq.greedy_decode`. Runs without gradients and leaves the model's
    mode alone, as ``greedy_decode`` does.

    Parameters
    ----------
    model : Seq2Seq
        The trained encoder-decoder; its ``bos`` and ``eos`` are used.
    src : Tensor, shape (S, B), int64
        Source token ids, padded.
    src_lengths : Tensor or list of int, shape (B,)
        True length of each source sequence.
    beam_width, max_len, length_penalty, n_best
        As for :func:`beam_search`.
    return_weights : bool
        Also return the attention weights of each source's best hypothesis (the model needs attention).

    Returns
    -------
    hypotheses : list of list of Hypothesis
        B lists, each with at most ``n_best`` hypotheses, best first; ``hypotheses[b][0].tokens`` is the
        translation of source b.
    weights : list of Tensor, each of shape (T', S_b)
        Only with ``return_weights``: for source b, the weights that each of the T' tokens of its best
        hypothesis put on the ``S_b = src_lengths[b]`` real source positions.
    """
    if return_weights and model.decoder.attention is None:
        raise ValueError("return_weights needs a decoder with attention; this model has none")

    def step(tokens, state):
        dec_state, enc_rows, mask_rows = state  # (N, H) or a pair, (N, S, H_enc), (N, S)
        logits, dec_state, _ = model.decoder.step(tokens, dec_state, enc_rows.transpose(0, 1), mask_rows.T)
        return torch.log_softmax(logits, dim=-1), (dec_state, enc_rows, mask_rows)  # (N, V)

    with torch.no_grad():
        start, enc_states, mask = model._start(src, src_lengths)  # (B, H) or a pair, (S, B, H_enc), (S, B)
        hypotheses = beam_search(step, (start, enc_states.transpose(0, 1), mask.T), model.bos, model.eos,
                                 beam_width, max_len, length_penalty, n_best)
        if not return_weights:
            return hypotheses
        # Replay the best hypotheses with their own tokens as inputs: the weights the search saw.
        best = [h[0].tokens for h in hypotheses]
        state, token, rows = start, torch.full((len(best),), model.bos), []
        for t in range(max(map(len, best))):
            _, state, w = model.decoder.step(token, state, enc_states, mask)  # w (S, B)
            rows.append(w)
            token = torch.tensor([y[t] if t < len(y) else model.eos for y in best])
        weights = torch.stack(rows)  # (T'_max, S, B)
        return hypotheses, [weights[:len(y), :int(n), b] for b, (y, n) in enumerate(zip(best, mask.sum(0)))]
