r"""Writing a sequence one token at a time: the sampling loop every ``generate`` runs, and beam search.

Every model in ``rnnlib.models`` that writes sequences has the same method,
``generate(<what it is conditioned on>, max_len, temperature=1.0, eos=None, generator=None)``, returning the
written token ids as an int64 tensor; ``temperature=0`` is greedy decoding. The batched ones run
:func:`generate_tokens` with their own ``step``; :func:`beam_search` is the alternative to it, and
:func:`beam_decode` runs it on any model with an ``encode`` and a ``decoder`` (``Seq2Seq``, ``Captioner``).

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

from rnnlib.models._validate import check_generate_args, check_int


class Hypothesis(NamedTuple):
    """One output of the search."""

    tokens: list[int]  #: y_1 ... y_L, without bos; ends with eos unless cut at max_len
    log_prob: float    #: sum over the L tokens of log p(y_t | y_<t, x)
    score: float       #: log_prob / L ** length_penalty, what the search ranks by
    finished: bool     #: True if the hypothesis ends with eos, False if it was cut at max_len
    #: (L, S_b) attention weights that each token put on the real source positions; only from
    #: :func:`beam_decode` with ``return_weights=True``, else None
    weights: torch.Tensor | None = None


def next_token(logits: torch.Tensor, temperature: float, generator: torch.Generator | None = None) -> torch.Tensor:
    r"""Pick the next token from the scores: the most likely one, or a draw from the tempered softmax.

    A token is drawn from :math:`\mathrm{softmax}(\ell / \tau)`, the logits :math:`\ell` divided by the
    temperature :math:`\tau`. Below 1 this sharpens the distribution towards the most likely token, above 1 it
    flattens it towards uniform; as :math:`\tau \to 0` sampling approaches greedy decoding, and
    ``temperature=0`` means exactly that (argmax, no randomness).

    Parameters
    ----------
    logits : Tensor, shape (..., V)
    temperature : float
        :math:`\tau \ge 0`.
    generator : torch.Generator, optional
        Source of randomness; torch's global generator when omitted.

    Returns
    -------
    Tensor, shape (...), int64
    """
    if temperature == 0:
        return logits.argmax(-1)
    return torch.multinomial(torch.softmax(logits / temperature, dim=-1), 1, generator=generator)[..., 0]


def generate_tokens(step: Callable, state, bos: int, B: int, max_len: int, temperature: float = 1.0,
                    eos: int | None = None, generator: torch.Generator | None = None, device=None) -> torch.Tensor:
    """Write B sequences side by side, feeding each chosen token back in: the loop of every ``generate``.

    Parameters
    ----------
    step : callable
        ``step(tokens, state) -> (logits, new_state)``: ``tokens`` (B,) int64 the previous tokens (``bos``
        at the first call), ``logits`` (B, V) the scores of the next token.
    state
        The model's state before the first token.
    bos : int
        Token fed first.
    B : int
        Sequences to write.
    max_len : int
        Most tokens to write, ``eos`` included.
    temperature, generator
        As for :func:`next_token`.
    eos : int, optional
        End token. A sequence that has written it writes only ``eos`` afterwards, and generation stops once
        every sequence has written it.
    device : torch.device, optional
        Where the tokens live.

    Returns
    -------
    tokens : Tensor, shape (T', B), int64
        T' is ``max_len``, or fewer if every sequence ended early; the ``eos`` is included.
    """
    max_len = check_generate_args(max_len, temperature, eos, None)
    token = torch.full((B,), bos, dtype=torch.long, device=device)
    done = torch.zeros(B, dtype=torch.bool, device=device)
    tokens = []
    with torch.no_grad():
        for _ in range(max_len):
            logits, state = step(token, state)  # (B, V)
            token = next_token(logits, temperature, generator)  # (B,)
            if eos is not None:
                token = token.masked_fill(done, eos)
                done |= token == eos
            tokens.append(token)
            if eos is not None and bool(done.all()):
                break
    return torch.stack(tokens)  # (T', B)


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
    bos, eos = check_int("bos", bos, 0), check_int("eos", eos, 0)
    beam_width = check_int("beam_width", beam_width, 1)
    max_len = check_int("max_len", max_len, 1)
    n_best = check_int("n_best", n_best, 1)
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


def beam_decode(model, src: torch.Tensor, lengths, beam_width: int, max_len: int,
                length_penalty: float = 0.0, n_best: int = 1, return_weights: bool = False,
                src_mask: torch.Tensor | None = None) -> list[list[Hypothesis]]:
    """Translate a batch of source sequences with :func:`beam_search` on a trained ``Seq2Seq`` (or ``Captioner``).

    The batch is encoded once with the model's ``encode``. Each hypothesis carries its source's encoder
    outputs and mask in its state (batch-first, so that the search can re-index them), and the step's
    log-probabilities are ``log_softmax`` of the logits of :meth:`rnnlib.models.seq2seq.Decoder.step`. With
    ``beam_width=1`` the tokens are those of ``model.generate(..., temperature=0)``. Runs without gradients and
    leaves the model's mode alone, as ``generate`` does.

    Parameters
    ----------
    model : Seq2Seq or Captioner
        The trained model; its ``encode``, ``decoder``, ``bos`` and ``eos`` are used.
    src : Tensor, shape (S, B), int64
        Source token ids, padded (a Captioner's images, (B, C, P_h, P_w)).
    lengths : Tensor or list of int, shape (B,), or None
        True length of each source sequence; all S when None and no ``src_mask`` is given.
    beam_width, max_len, length_penalty, n_best
        As for :func:`beam_search`.
    return_weights : bool
        Fill each returned hypothesis's ``weights`` (the model needs attention).
    src_mask : Tensor, shape (S, B), bool, optional
        True at real source positions, as :class:`rnnlib.data.Seq2SeqBatch` carries it; instead of or with
        ``lengths``.

    Returns
    -------
    hypotheses : list of list of Hypothesis
        B lists, each with at most ``n_best`` hypotheses, best first; ``hypotheses[b][0].tokens`` is the
        translation of source b. With ``return_weights``, ``h.weights`` (L, S_b) holds the weights that each
        of the L tokens of ``h`` put on the ``S_b`` real source positions of its source; else it is None.
    """
    if return_weights and model.decoder.attention is None:
        raise ValueError("return_weights needs a decoder with attention; this model has none")

    def step(tokens, state):
        dec_state, enc_rows, mask_rows = state  # (N, H) or a pair, (N, S, H_enc), (N, S)
        logits, dec_state, _ = model.decoder.step(tokens, dec_state, enc_rows.transpose(0, 1), mask_rows.T)
        return torch.log_softmax(logits, dim=-1), (dec_state, enc_rows, mask_rows)  # (N, V)

    with torch.no_grad():
        start, enc_states, mask = model.encode(src, lengths, src_mask=src_mask)  # (B, H) or a pair, (S, B, H_enc), (S, B)
        hypotheses = beam_search(step, (start, enc_states.transpose(0, 1), mask.T), model.bos, model.eos,
                                 beam_width, max_len, length_penalty, n_best)
        if not return_weights:
            return hypotheses
        n_real = mask.sum(0).tolist()  # (B,) S_b
        for rank in range(max(map(len, hypotheses))):
            # Replay the hypotheses of this rank with their own tokens as inputs: the weights the search saw.
            rows = [b for b, h in enumerate(hypotheses) if len(h) > rank]
            index = torch.tensor(rows)
            state = start if len(rows) == len(hypotheses) else _select_rows(start, index)
            weights = _replay(model, state, enc_states[:, index], mask[:, index],
                              [hypotheses[b][rank].tokens for b in rows])  # (T'_max, S, B_rank)
            for j, b in enumerate(rows):
                h = hypotheses[b][rank]
                hypotheses[b][rank] = h._replace(weights=weights[:len(h.tokens), :n_real[b], j])
        return hypotheses


def _select_rows(state, index: torch.Tensor):
    """Rows ``index`` of a decoder state (B, H), or of each tensor of a pair."""
    return tuple(s[index] for s in state) if isinstance(state, tuple) else state[index]


def _replay(model, state, enc_states: torch.Tensor, mask: torch.Tensor, sequences: list[list[int]]) -> torch.Tensor:
    """Feed each token list to the decoder (``bos`` first, ``eos`` after its end); the weights (T'_max, S, B)."""
    token, rows = torch.full((len(sequences),), model.bos), []
    for t in range(max(map(len, sequences))):
        _, state, w = model.decoder.step(token, state, enc_states, mask)  # w (S, B)
        rows.append(w)
        token = torch.tensor([y[t] if t < len(y) else model.eos for y in sequences])
    return torch.stack(rows)
