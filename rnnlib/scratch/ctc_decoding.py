r"""Reading a transcript out of CTC outputs, and scoring it: greedy and prefix beam search, edit distance, CER, WER.

Shape symbols: T frames, V output symbols (blank included).

*Greedy* (best path) decoding takes the most probable symbol at every frame and collapses the path: merge runs
of equal symbols, then drop blanks. It finds the best *path*, not the best *labelling*: a labelling's
probability is a sum over all its paths, and many middling paths can outweigh one good one.

*Prefix beam search* (Graves and Jaitly, 2014; Hannun, 2017) keeps the ``beam_width`` most probable label
prefixes, each with two numbers: the probability of all paths so far that read the prefix and end in a blank
(:math:`p_b`), and those that end in its last label (:math:`p_{nb}`). Keeping both is what lets it merge paths:
a label equal to the prefix's last one extends the prefix only after a blank, and otherwise repeats it. With a
beam wide enough to keep every prefix it computes exact labelling probabilities.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence

import numpy as np

from rnnlib.scratch._validate import as_array


NEG_INF = -math.inf


def _logaddexp(a: float, b: float) -> float:
    """log(e^a + e^b) for Python floats, exact at -inf."""
    if a < b:
        a, b = b, a
    if b == NEG_INF:
        return a
    return a + math.log1p(math.exp(b - a))


def ctc_collapse(path, blank=0):
    """The collapse map: merge runs of equal symbols, then drop blanks.

    Parameters
    ----------
    path : sequence of int, length T
    blank : int

    Returns
    -------
    labels : list of int
    """
    out, prev = [], None
    for k in (int(k) for k in path):
        if k != prev and k != blank:
            out.append(k)
        prev = k
    return out


def ctc_greedy_decode(log_probs, input_lengths=None, blank=0):
    """Best-path decoding of a batch: the argmax symbol per frame, collapsed.

    Parameters
    ----------
    log_probs : ndarray, shape (T, B, V)
        Per-frame scores (log-probabilities or logits: only the argmax matters).
    input_lengths : ndarray of int, shape (B,), optional
        Frames of each sequence; all T when omitted.
    blank : int

    Returns
    -------
    labels : list of B lists of int
    """
    lp = as_array("log_probs", log_probs, ("T", "B", "V"))
    T, B, _ = lp.shape
    lengths = np.full(B, T) if input_lengths is None else np.asarray(input_lengths)
    if lengths.shape != (B,) or (lengths < 0).any() or (lengths > T).any():
        raise ValueError(f"input_lengths must have shape (B,) = ({B},) with entries in [0, {T}], got {lengths}")
    best = lp.argmax(axis=2)  # (T, B)
    return [ctc_collapse(best[: lengths[b], b], blank) for b in range(B)]


def ctc_prefix_beam_search(log_probs, beam_width=8, blank=0, prune=None):
    """Prefix beam search for one sequence.

    Parameters
    ----------
    log_probs : ndarray, shape (T, V)
        Log-probabilities of one sequence (its own frames only).
    beam_width : int
        Prefixes kept after every frame.
    blank : int
    prune : float, optional
        Labels whose log-probability at a frame is below ``prune`` are not tried at that frame (the blank always
        is). A speed-up for peaked outputs, e.g. ``log(1e-4)``; the search is then approximate.

    Returns
    -------
    beams : list of (tuple of int, float)
        Up to ``beam_width`` labellings with their log-probabilities (summed over the paths the beam kept),
        most probable first.
    """
    lp = as_array("log_probs", log_probs, ("T", "V"))
    T, V = lp.shape
    if not isinstance(beam_width, (int, np.integer)) or beam_width < 1:
        raise ValueError(f"beam_width must be a positive integer, got {beam_width!r}")
    if not 0 <= blank < V:
        raise ValueError(f"blank must lie in [0, V) = [0, {V}), got {blank}")
    # prefix -> (log p_b, log p_nb): paths that read the prefix and end in a blank / in its last label.
    # Plain Python floats: this loop runs T * beam_width * V times, and numpy scalars would make it 10x slower.
    beams = {(): (0.0, NEG_INF)}
    rows = lp.tolist()
    for t in range(T):
        row = rows[t]
        labels = [k for k in range(V) if k != blank and (prune is None or row[k] >= prune)]
        nxt = defaultdict(lambda: (NEG_INF, NEG_INF))
        for prefix, (pb, pnb) in beams.items():
            total = _logaddexp(pb, pnb)
            # A blank keeps the prefix and makes it end in a blank.
            b, nb = nxt[prefix]
            nxt[prefix] = (_logaddexp(b, total + row[blank]), nb)
            last = prefix[-1] if prefix else None
            for k in labels:
                ext = prefix + (k,)
                if k == last:
                    # Repeating the last label without a blank in between stays in the same prefix; only
                    # paths that ended in a blank can start a second copy of it.
                    b, nb = nxt[prefix]
                    nxt[prefix] = (b, _logaddexp(nb, pnb + row[k]))
                    b, nb = nxt[ext]
                    nxt[ext] = (b, _logaddexp(nb, pb + row[k]))
                else:
                    b, nb = nxt[ext]
                    nxt[ext] = (b, _logaddexp(nb, total + row[k]))
        # A prefix reached only through a path of probability 0 (a repeat with no blank-ending path) is dropped.
        scored = [(_logaddexp(*probs), prefix, probs) for prefix, probs in nxt.items()]
        scored = sorted((item for item in scored if item[0] > NEG_INF), key=lambda item: -item[0])
        beams = {prefix: probs for _, prefix, probs in scored[:beam_width]}
    out = [(prefix, _logaddexp(pb, pnb)) for prefix, (pb, pnb) in beams.items()]
    return sorted(out, key=lambda item: -item[1])


def edit_distance(ref: Sequence, hyp: Sequence) -> int:
    """Levenshtein distance: the fewest substitutions, insertions and deletions that turn ``hyp`` into ``ref``.

    Works on any sequences (strings for characters, lists of words for words).
    """
    prev = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        cur = [i]
        for j, h in enumerate(hyp, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (r != h)))
        prev = cur
    return prev[-1]


def error_rate(refs: Sequence[Sequence], hyps: Sequence[Sequence]) -> float:
    """Total edit distance over total reference length, the usual corpus-level error rate."""
    if len(refs) != len(hyps):
        raise ValueError(f"refs and hyps must have one entry per utterance, got {len(refs)} and {len(hyps)}")
    total = sum(len(r) for r in refs)
    if total == 0:
        raise ValueError("refs are all empty, so the error rate is undefined")
    return sum(edit_distance(r, h) for r, h in zip(refs, hyps)) / total


def cer(refs: Sequence[str], hyps: Sequence[str]) -> float:
    """Character error rate of transcripts (strings)."""
    return error_rate(list(refs), list(hyps))


def wer(refs: Sequence[str], hyps: Sequence[str]) -> float:
    """Word error rate of transcripts (strings, split on whitespace)."""
    return error_rate([r.split() for r in refs], [h.split() for h in hyps])
