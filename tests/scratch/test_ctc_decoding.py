"""rnnlib.scratch.ctc_decoding: greedy and prefix beam search against brute force, edit distance, CER, WER."""

import itertools
from collections import defaultdict

import numpy as np
import pytest

from rnnlib.scratch.ctc import ctc_forward
from rnnlib.scratch.ctc_decoding import (
    cer,
    ctc_collapse,
    ctc_greedy_decode,
    ctc_prefix_beam_search,
    edit_distance,
    error_rate,
    wer,
)


def log_softmax(z):
    z = z - z.max(axis=-1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=-1, keepdims=True))


def labelling_probs(lp, blank=0):
    """Brute force: the probability of every labelling, summed over all V**T paths that collapse to it."""
    T, V = lp.shape
    probs = defaultdict(float)
    for path in itertools.product(range(V), repeat=T):
        probs[tuple(ctc_collapse(path, blank))] += np.exp(lp[np.arange(T), list(path)].sum())
    return probs


def test_collapse_merges_runs_then_drops_blanks():
    assert ctc_collapse([1, 1, 0, 2, 2, 0, 2]) == [1, 2, 2]
    assert ctc_collapse([0, 0, 0]) == []
    assert ctc_collapse([3, 3, 3], blank=3) == []
    assert ctc_collapse([1, 0, 1, 1, 2]) == [1, 1, 2]


def test_greedy_decode_respects_lengths():
    V = 4
    path = np.array([[1, 1], [0, 2], [1, 2], [3, 0]])  # (T, B)
    lp = np.log(np.where(np.arange(V) == path[..., None], 0.9, 0.1 / (V - 1)))  # (T, B, V)
    assert ctc_greedy_decode(lp) == [[1, 1, 3], [1, 2]]
    assert ctc_greedy_decode(lp, np.array([2, 3])) == [[1], [1, 2]]


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("T, V", [(1, 2), (3, 3), (5, 3), (4, 4)])
def test_wide_beam_is_exact(seed, T, V):
    # A beam that keeps every prefix sums every path: each labelling's probability equals brute force.
    rng = np.random.default_rng(seed)
    lp = log_softmax(2 * rng.standard_normal((T, V)))
    exact = labelling_probs(lp)
    beams = ctc_prefix_beam_search(lp, beam_width=10_000)
    assert len(beams) == len(exact)
    for prefix, logp in beams:
        assert abs(np.exp(logp) - exact[prefix]) < 1e-12, prefix
    assert beams[0][0] == max(exact, key=exact.get)
    # ... and equals the CTC loss of the same labelling.
    prefix, logp = beams[0]
    loss, _ = ctc_forward(lp[:, None], np.array([prefix or (1,)]), np.array([T]), np.array([len(prefix)]))
    assert abs(-loss[0] - logp) < 1e-10


def test_beam_beats_greedy_where_many_paths_share_a_labelling():
    # Per frame: blank 0.4, "1" 0.35, "2" 0.25. Best path is blank-blank (labelling ""), p = 0.16, but "1" has
    # paths 1-, -1, 11 with 0.14 + 0.14 + 0.1225 = 0.4025.
    lp = np.log(np.array([[0.4, 0.35, 0.25]] * 2))
    assert ctc_greedy_decode(lp[:, None]) == [[]]
    (best, logp), *_ = ctc_prefix_beam_search(lp, beam_width=3)
    assert best == (1,)
    assert abs(np.exp(logp) - 0.4025) < 1e-12


def test_pruning_keeps_the_answer_on_peaked_outputs(rng):
    # Mostly blank, a spike per label: pruning labels below 1e-4 finds the same best labelling, and pruning
    # at -inf is no pruning at all.
    T, V = 20, 6
    logits = rng.standard_normal((T, V))
    logits[:, 0] += 8
    logits[[3, 9, 10, 15], [2, 4, 4, 1]] += 14
    lp = log_softmax(logits)
    exact = ctc_prefix_beam_search(lp, beam_width=8)
    assert ctc_prefix_beam_search(lp, beam_width=8, prune=-np.inf) == exact
    pruned = ctc_prefix_beam_search(lp, beam_width=8, prune=np.log(1e-4))
    assert pruned[0][0] == exact[0][0] == (2, 4, 1)
    assert abs(pruned[0][1] - exact[0][1]) < 1e-3


def test_edit_distance_and_rates():
    assert edit_distance("kitten", "sitting") == 3
    assert edit_distance("", "abc") == 3 and edit_distance("abc", "") == 3
    assert edit_distance(["one", "two"], ["one", "too", "three"]) == 2
    assert cer(["abc", "de"], ["abd", "de"]) == pytest.approx(1 / 5)
    assert wer(["one two three", "four"], ["one three", "four four"]) == pytest.approx(2 / 4)
    assert error_rate([[1, 2]], [[1, 2]]) == 0.0


def test_bad_inputs():
    with pytest.raises(ValueError, match="beam_width must be a positive integer"):
        ctc_prefix_beam_search(np.zeros((2, 3)), beam_width=0)
    with pytest.raises(ValueError, match=r"log_probs must have shape \(T, V\)"):
        ctc_prefix_beam_search(np.zeros((2, 1, 3)))
    with pytest.raises(ValueError, match="blank must lie"):
        ctc_prefix_beam_search(np.zeros((2, 3)), blank=5)
    with pytest.raises(ValueError, match="input_lengths must have shape"):
        ctc_greedy_decode(np.zeros((2, 1, 3)), np.array([3]))
    with pytest.raises(ValueError, match="one entry per utterance"):
        cer(["a"], ["a", "b"])
    with pytest.raises(ValueError, match="all empty"):
        wer([""], ["a"])
