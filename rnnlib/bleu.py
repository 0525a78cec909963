r"""Corpus BLEU (Papineni et al., 2002): how many of a system's n-grams appear in the references.

For n = 1, ..., N, the **modified n-gram precision** :math:`p_n` counts, over the whole corpus, the n-grams of
each hypothesis that also occur in one of its references, each n-gram credited at most as many times as it occurs
in the reference where it is most frequent ("clipping": ``the the the`` against ``the cat`` earns one ``the``),
divided by the number of n-grams in the hypotheses. Precision alone rewards short outputs, so a **brevity
penalty** compares the total hypothesis length c with the effective reference length r, the sum over sentences of
the reference length closest to the hypothesis's (the shorter one on a tie):

.. math::

    \mathrm{BP} = \begin{cases} 1 & c > r \\ e^{1 - r / c} & c \le r \end{cases}, \qquad
    \mathrm{BLEU\text{-}N} = \mathrm{BP} \cdot \exp\Big(\frac{1}{N} \sum_{n=1}^{N} \log p_n\Big).

Counts are summed over the corpus before dividing, so BLEU is *not* the mean of sentence scores. Without
smoothing, a corpus with no matching n-gram of some order n <= N scores 0. This is the definition of the paper
and of sacreBLEU; ``nltk.translate.bleu_score.corpus_bleu`` (uniform weights) agrees except on hypotheses shorter
than n words, which have no n-grams but to which nltk gives a count of one n-gram, lowering :math:`p_n`. Short
captions make the difference visible.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from typing import NamedTuple


class BleuStats(NamedTuple):
    """The counts BLEU is computed from."""

    matches: list      # (N,) clipped n-gram matches for n = 1..N, summed over the corpus
    totals: list       # (N,) n-grams in the hypotheses for n = 1..N
    hyp_length: int    # c, tokens in all hypotheses
    ref_length: int    # r, effective reference length


def _ngrams(tokens: Sequence, n: int) -> Counter:
    return Counter(tuple(tokens[i:i + n]) for i in range(len(tokens) - n + 1))


def _check_corpus(references, hypotheses) -> None:
    if len(references) != len(hypotheses) or len(hypotheses) == 0:
        raise ValueError(f"references and hypotheses must be non-empty and of equal length, got "
                         f"{len(references)} and {len(hypotheses)}")
    for i, (refs, hyp) in enumerate(zip(references, hypotheses)):
        if isinstance(hyp, str) or isinstance(refs, str):
            raise ValueError(f"sentence {i}: give token lists (e.g. caption.split()), not strings")
        if len(refs) == 0 or any(isinstance(r, str) or len(r) == 0 for r in refs):
            raise ValueError(f"sentence {i}: references must be a non-empty list of non-empty token lists, "
                             f"e.g. [['seven', 'above', 'two']]")


def bleu_stats(references, hypotheses, max_n: int = 4) -> BleuStats:
    """Clipped n-gram matches and totals for n = 1..max_n, and the lengths c and r, over a corpus.

    Parameters
    ----------
    references : sequence of sequence of sequence of str
        For each sentence, one or more reference token lists: ``[[ref_tokens], ...]``.
    hypotheses : sequence of sequence of str
        For each sentence, the system's token list.
    max_n : int
        N, the longest n-gram.

    Returns
    -------
    stats : BleuStats
    """
    if isinstance(max_n, bool) or not isinstance(max_n, int) or max_n < 1:
        raise ValueError(f"max_n must be an int >= 1, got {max_n!r}")
    _check_corpus(references, hypotheses)
    matches, totals = [0] * max_n, [0] * max_n
    c = r = 0
    for refs, hyp in zip(references, hypotheses):
        hyp = list(hyp)
        c += len(hyp)
        r += min((len(ref) for ref in refs), key=lambda n: (abs(n - len(hyp)), n))
        for n in range(1, max_n + 1):
            counts = _ngrams(hyp, n)
            most = Counter()  # the most times each n-gram occurs in any one reference
            for ref in refs:
                most |= _ngrams(list(ref), n)
            matches[n - 1] += sum(min(k, most[g]) for g, k in counts.items())
            totals[n - 1] += max(len(hyp) - n + 1, 0)
    return BleuStats(matches, totals, c, r)


def corpus_bleu(references, hypotheses, max_n: int = 4) -> float:
    """BLEU-N of a corpus, in [0, 1], with uniform weights 1/N and no smoothing.

    Parameters
    ----------
    references : sequence of sequence of sequence of str
        For each sentence, one or more reference token lists: ``[[ref_tokens], ...]``.
    hypotheses : sequence of sequence of str
        For each sentence, the system's token list (may be empty).
    max_n : int
        N: 1 for BLEU-1 (word precision with the brevity penalty), 4 for the usual BLEU.

    Returns
    -------
    bleu : float
        0.0 when some order n <= N has no match (or no n-gram at all).
    """
    s = bleu_stats(references, hypotheses, max_n)
    if s.hyp_length == 0 or min(s.matches) == 0:
        return 0.0
    log_p = sum(math.log(m / t) for m, t in zip(s.matches, s.totals)) / max_n
    bp = 1.0 if s.hyp_length > s.ref_length else math.exp(1 - s.ref_length / s.hyp_length)
    return bp * math.exp(log_p)
