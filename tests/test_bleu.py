import math

import pytest

from rnnlib.bleu import bleu_stats, corpus_bleu

# A corpus worked out by hand (see the expected counts below).
REFS = [[["seven", "above", "two", "left", "of", "five"]], [["three", "left", "of", "nine"]]]
HYPS = [["seven", "above", "two", "left", "of", "nine"], ["three", "left", "of"]]


def test_counts_of_a_hand_worked_corpus():
    # Unigrams: 5 of 6 and 3 of 3; bigrams 4/5 and 2/2; trigrams 3/4 and 1/1; 4-grams 2/3 and none in a
    # 3-word hypothesis. Hypotheses 9 words, references 10.
    s = bleu_stats(REFS, HYPS)
    assert s.matches == [8, 6, 4, 2] and s.totals == [9, 7, 5, 3]
    assert (s.hyp_length, s.ref_length) == (9, 10)


def test_bleu_of_a_hand_worked_corpus():
    bp = math.exp(1 - 10 / 9)  # c = 9 <= r = 10
    assert corpus_bleu(REFS, HYPS, max_n=1) == pytest.approx(bp * 8 / 9)
    assert corpus_bleu(REFS, HYPS, max_n=2) == pytest.approx(bp * (8 / 9 * 6 / 7) ** 0.5)
    assert corpus_bleu(REFS, HYPS) == pytest.approx(bp * (8 / 9 * 6 / 7 * 4 / 5 * 2 / 3) ** 0.25)
    assert corpus_bleu(REFS, HYPS) == pytest.approx(0.7144, abs=1e-4)


def test_corpus_bleu_is_not_the_mean_of_sentence_scores():
    per_sentence = [corpus_bleu([r], [h], max_n=2) for r, h in zip(REFS, HYPS)]
    assert corpus_bleu(REFS, HYPS, max_n=2) != pytest.approx(sum(per_sentence) / 2)


def test_clipping_and_perfect_match():
    assert bleu_stats([[["the", "cat"]]], [["the"] * 4], max_n=1).matches == [1]
    assert corpus_bleu(REFS, [r[0] for r in REFS]) == pytest.approx(1.0)


def test_closest_reference_length_prefers_the_shorter_on_a_tie():
    s = bleu_stats([[["a", "b"], ["a", "b", "c", "d"]]], [["a", "b", "c"]], max_n=1)
    assert s.ref_length == 2
    assert corpus_bleu([[["a", "b"], ["a", "b", "c", "d"]]], [["a", "b", "c"]], max_n=1) == pytest.approx(1.0)


def test_no_match_of_some_order_gives_zero_and_empty_hypotheses_are_allowed():
    assert corpus_bleu([[["a", "b", "c"]]], [["a", "c", "b"]], max_n=2) == 0.0
    assert corpus_bleu([[["a"]]], [[]]) == 0.0


def test_agrees_with_nltk_when_it_is_installed():
    nltk_bleu = pytest.importorskip("nltk.translate.bleu_score")
    for n in (1, 2, 3):  # every hypothesis has at least 3 words: no difference in counting
        w = tuple([1 / n] * n)
        assert corpus_bleu(REFS, HYPS, max_n=n) == pytest.approx(nltk_bleu.corpus_bleu(REFS, HYPS, weights=w))
    # nltk counts one 4-gram in the 3-word hypothesis (p_4 = 2/4 instead of the paper's 2/3).
    bp = math.exp(1 - 10 / 9)
    assert nltk_bleu.corpus_bleu(REFS, HYPS) == pytest.approx(bp * (8 / 9 * 6 / 7 * 4 / 5 * 2 / 4) ** 0.25)


def test_bad_input_is_refused():
    with pytest.raises(ValueError, match="equal length"):
        corpus_bleu(REFS, HYPS[:1])
    with pytest.raises(ValueError, match="token lists"):
        corpus_bleu([["seven above two"]], ["seven above two"])
    with pytest.raises(ValueError, match="references must be a non-empty list"):
        corpus_bleu([[]], [["a"]])
    with pytest.raises(ValueError, match="max_n"):
        corpus_bleu(REFS, HYPS, max_n=0)
