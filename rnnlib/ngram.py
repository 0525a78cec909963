r"""n-gram language models with interpolated Witten-Bell smoothing: the baseline every sequence model must beat.

Symbols: V vocabulary size, n the order (an n-gram model conditions on the n - 1 previous tokens), T the length
of one sequence.

An n-gram model estimates :math:`p(w_t \mid w_{t-n+1}, \dots, w_{t-1})` from counts. Raw frequencies give zero
probability to every continuation the training data happen not to contain, so the estimate of each order is
interpolated with the one of the order below (Witten and Bell 1991; Chen and Goodman 1999, section 2.7):

.. math::

    p_k(w \mid h) = \frac{c(h\,w) + N_{1+}(h\,\cdot)\; p_{k-1}(w \mid h')}{c(h) + N_{1+}(h\,\cdot)},
    \qquad p_0(w) = \frac{1}{V},

where :math:`h` is the context of :math:`k - 1` tokens, :math:`h'` the same context without its oldest token,
:math:`c(\cdot)` counts in the training data, and :math:`N_{1+}(h\,\cdot)` the number of distinct tokens seen
after :math:`h`. A context followed by many different tokens gives more weight to the lower order, and a context
never seen (:math:`c(h) = 0`) hands over to it entirely. Every token of the vocabulary keeps a probability of at
least :math:`\lambda / V` for some :math:`\lambda > 0`, so a held-out loss is always finite.

The module is numpy only, like ``rnnlib.scratch``, but it is not a recurrent network, so it lives beside
:mod:`rnnlib.train` rather than in the scratch package, where any chapter or exercise can use it as a baseline,
for characters or for notes. Counting is vectorised: an n-gram of token ids is packed into one int64 key in base
V, and the counts of each order are a sorted array of keys that ``np.searchsorted`` looks up, so a model of
order 5 over a million tokens is fitted in seconds.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np


class NGramLM:
    """An interpolated Witten-Bell n-gram model over token ids ``0..V-1``.

    Contexts never cross the start of a sequence: the token at position t < n - 1 is predicted from the t
    tokens before it, with the model of order t + 1. Fit with :meth:`fit`, score with :meth:`log_prob`, sample
    with :meth:`generate`.

    Parameters
    ----------
    order : int
        n >= 1: 1 is a unigram model, 2 a bigram model, and so on.
    vocab_size : int
        V, the number of distinct token ids.
    """

    def __init__(self, order: int, vocab_size: int):
        if isinstance(order, bool) or not isinstance(order, (int, np.integer)) or order < 1:
            raise ValueError(f"order must be an integer >= 1, got {order!r}")
        if isinstance(vocab_size, bool) or not isinstance(vocab_size, (int, np.integer)) or vocab_size < 1:
            raise ValueError(f"vocab_size must be an integer >= 1, got {vocab_size!r}")
        if float(vocab_size) ** order >= 2.0 ** 62:
            raise ValueError(f"V**order = {vocab_size}**{order} does not fit the int64 keys of the counts; "
                             "use a smaller order or vocabulary")
        self.order, self.vocab_size = int(order), int(vocab_size)
        self._grams = None  # per order k = 1..n: (sorted keys of k-grams, their counts)
        self._contexts = None  # per order k: (sorted keys of contexts, c(h), N1+(h .))

    def fit(self, sequences: Iterable) -> "NGramLM":
        """Count every k-gram, k = 1..n, inside each sequence (never across two).

        Parameters
        ----------
        sequences : iterable of array-like of int, each of shape (T,)
            Training sequences of token ids in ``[0, V)``.

        Returns
        -------
        NGramLM
            ``self``, fitted.
        """
        seqs = [self._check_tokens(s, "every training sequence") for s in sequences]
        if not any(len(s) for s in seqs):
            raise ValueError("fit needs at least one token")
        self._grams, self._contexts = [], []
        for k in range(1, self.order + 1):
            keys = np.concatenate([_keys(s, k, self.vocab_size) for s in seqs])  # one key per k-gram occurrence
            grams, counts = np.unique(keys, return_counts=True)
            # The context of a k-gram is its key without the last token; grams are sorted, so are their contexts.
            ctx, starts = np.unique(grams // self.vocab_size, return_index=True)
            totals = np.add.reduceat(counts, starts)  # c(h): occurrences of h followed by anything
            types = np.diff(np.append(starts, grams.size))  # N1+(h .): distinct tokens seen after h
            self._grams.append((grams, counts.astype(np.float64)))
            self._contexts.append((ctx, totals.astype(np.float64), types.astype(np.float64)))
        return self

    def log_prob(self, sequence) -> np.ndarray:
        r"""Natural log-probability of every token given the tokens before it in the same sequence.

        Parameters
        ----------
        sequence : array-like of int, shape (T,)

        Returns
        -------
        ndarray, shape (T,), float64
            Entry t is :math:`\ln p(w_t \mid w_{\max(0, t-n+1)}, \dots, w_{t-1})`; entry 0 has no context.
        """
        self._check_fitted()
        seq = self._check_tokens(sequence, "sequence")
        T, V = seq.size, self.vocab_size
        p = np.full(T, 1.0 / V)
        for k in range(1, self.order + 1):
            if T < k:
                break
            # Positions t >= k - 1 have a context of k - 1 tokens; earlier ones keep their lower-order estimate.
            gram_keys = _keys(seq, k, V)  # (T - k + 1,)
            p[k - 1:] = self._interpolate(k, gram_keys // V, gram_keys, p[k - 1:])
        return np.log(p)

    def next_distribution(self, context) -> np.ndarray:
        """The model's distribution over the next token after ``context``.

        Parameters
        ----------
        context : array-like of int, shape (P,)
            Previous tokens, oldest first; only the last n - 1 are used, and P may be 0.

        Returns
        -------
        ndarray, shape (V,), float64, sums to 1
        """
        self._check_fitted()
        ctx = self._check_tokens(context, "context")
        V = self.vocab_size
        words = np.arange(V, dtype=np.int64)
        p = np.full(V, 1.0 / V)
        for k in range(1, min(self.order, ctx.size + 1) + 1):
            h = _keys(ctx[ctx.size - (k - 1):], k - 1, V)[0] if k > 1 else np.int64(0)
            p = self._interpolate(k, np.full(V, h), h * V + words, p)
        return p

    def distributions(self, sequence) -> np.ndarray:
        """The model's distribution over every position's token given the tokens before it in ``sequence``.

        Row t equals ``next_distribution(sequence[:t])``, computed for all rows at once.

        Parameters
        ----------
        sequence : array-like of int, shape (T,)

        Returns
        -------
        ndarray, shape (T, V), float64, rows sum to 1
        """
        self._check_fitted()
        seq = self._check_tokens(sequence, "sequence")
        T, V = seq.size, self.vocab_size
        words = np.arange(V, dtype=np.int64)
        p = np.full((T, V), 1.0 / V)
        for k in range(1, self.order + 1):
            if T < k:
                break
            # Row t >= k - 1 has the k - 1 tokens before it as context: the keys of seq[t-k+1:t], for t < T.
            ctx = _keys(seq[:T - 1], k - 1, V) if k > 1 else np.zeros(T, dtype=np.int64)  # (T-k+1,)
            grams = ctx[:, None] * V + words  # (T-k+1, V)
            p[k - 1:] = self._interpolate(k, np.repeat(ctx, V), grams.ravel(), p[k - 1:].ravel()).reshape(-1, V)
        return p

    def generate(self, prefix=None, max_len: int = 100, temperature: float = 1.0, eos: int | None = None,
                 generator: np.random.Generator | int | None = None, allowed=None) -> np.ndarray:
        r"""Continue ``prefix`` with up to ``max_len`` tokens drawn one at a time from the model.

        Each token is drawn from :math:`p_\tau(w) \propto p(w \mid h)^{1/\tau}`, the same temperature as a
        network's :math:`\mathrm{softmax}(\ell / \tau)` since :math:`\ell = \ln p` up to a constant;
        ``temperature=0`` takes the most likely token (greedy).

        Parameters
        ----------
        prefix : array-like of int, shape (P,), optional
            Tokens to continue; none means the generation starts without context.
        max_len : int
            Most tokens to generate.
        temperature : float
            :math:`\tau \ge 0`.
        eos : int, optional
            Stop after generating this token (it is included).
        generator : numpy.random.Generator or int, optional
            Source of randomness (a seed is turned into a generator).
        allowed : callable, optional
            ``allowed(t)`` returns a bool array (V,) of the tokens permitted at position t of the whole sequence
            (prefix included, counted from 0); the others get probability 0 (constrained sampling, for a token
            grammar the model need not learn).

        Returns
        -------
        ndarray, shape (T',), int64
            The new tokens, without the prefix; T' is ``max_len`` unless ``eos`` came first.
        """
        if not temperature >= 0:
            raise ValueError(f"temperature must be >= 0 (0 means greedy), got {temperature}")
        if isinstance(max_len, bool) or not isinstance(max_len, (int, np.integer)) or max_len < 0:
            raise ValueError(f"max_len must be an integer >= 0, got {max_len!r}")
        if eos is not None and not 0 <= eos < self.vocab_size:
            raise ValueError(f"eos must be a token id in [0, V) with V={self.vocab_size}, got {eos}")
        rng = np.random.default_rng(generator)
        tokens = list(self._check_tokens([] if prefix is None else prefix, "prefix"))
        start = len(tokens)
        for _ in range(max_len):
            p = self.next_distribution(tokens[max(0, len(tokens) - (self.order - 1)):])
            if allowed is not None:
                p = p * _check_allowed(allowed(len(tokens)), self.vocab_size)
            if temperature == 0:
                w = int(p.argmax())
            else:
                with np.errstate(divide="ignore"):  # forbidden tokens: log 0 = -inf, then exp gives 0
                    logits = np.log(p) / temperature
                q = np.exp(logits - logits.max())
                w = int(rng.choice(self.vocab_size, p=q / q.sum()))
            tokens.append(w)
            if w == eos:
                break
        return np.array(tokens[start:], dtype=np.int64)

    def _interpolate(self, k, ctx_keys, gram_keys, p_lower):
        """Witten-Bell step from order k - 1 to order k for a batch of (context, token) keys."""
        grams, counts = self._grams[k - 1]
        ctx, totals, types = self._contexts[k - 1]
        c_hw = _lookup(grams, counts, gram_keys)
        c_h = _lookup(ctx, totals, ctx_keys)
        n_h = _lookup(ctx, types, ctx_keys)
        seen = c_h > 0
        out = p_lower.copy()
        out[seen] = (c_hw[seen] + n_h[seen] * p_lower[seen]) / (c_h[seen] + n_h[seen])
        return out

    def _check_tokens(self, tokens, name) -> np.ndarray:
        arr = np.asarray(tokens)
        if arr.size == 0:
            return np.zeros(0, dtype=np.int64)
        if arr.ndim != 1 or not np.issubdtype(arr.dtype, np.integer):
            raise ValueError(f"{name} must be a 1-D array of integer token ids, got shape {arr.shape} "
                             f"and dtype {arr.dtype}")
        if arr.min() < 0 or arr.max() >= self.vocab_size:
            raise ValueError(f"{name} holds token ids outside [0, V) with V={self.vocab_size}: "
                             f"min {arr.min()}, max {arr.max()}")
        return arr.astype(np.int64)

    def _check_fitted(self):
        if self._grams is None:
            raise ValueError("the model has no counts yet: call fit(sequences) first")


def _check_allowed(mask, V: int) -> np.ndarray:
    mask = np.asarray(mask)
    if mask.shape != (V,) or mask.dtype != bool or not mask.any():
        raise ValueError(f"allowed(t) must return a bool array of shape (V,) = ({V},) with at least one True, "
                         f"got shape {mask.shape}, dtype {mask.dtype}")
    return mask


def _keys(seq: np.ndarray, k: int, V: int) -> np.ndarray:
    """Every k-gram of ``seq`` packed into one int64 in base V, oldest token most significant: (T - k + 1,)."""
    if k == 0:
        return np.zeros(seq.size + 1, dtype=np.int64)
    n = seq.size - k + 1
    if n <= 0:
        return np.zeros(0, dtype=np.int64)
    keys = np.zeros(n, dtype=np.int64)
    for j in range(k):
        keys = keys * V + seq[j:j + n]
    return keys


def _lookup(keys: np.ndarray, values: np.ndarray, query: np.ndarray) -> np.ndarray:
    """values[i] where keys[i] == query, 0 where the query is absent; keys sorted, unique."""
    i = np.searchsorted(keys, query)
    i_safe = np.minimum(i, keys.size - 1)
    found = keys[i_safe] == query
    return np.where(found, values[i_safe], 0.0)
