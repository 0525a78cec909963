import math
from collections import Counter

import numpy as np
import pytest

from rnnlib.ngram import NGramLM


def reference_prob(seqs, order, V, context, w):
    """Interpolated Witten-Bell written from the formula with Python dictionaries, one probability at a time."""
    p = 1.0 / V
    for k in range(1, min(order, len(context) + 1) + 1):
        h = tuple(context[len(context) - (k - 1):]) if k > 1 else ()
        grams = Counter(tuple(s[i:i + k]) for s in seqs for i in range(len(s) - k + 1))
        c_h = sum(c for g, c in grams.items() if g[:-1] == h)
        if c_h == 0:
            continue
        n_h = len({g[-1] for g in grams if g[:-1] == h})
        p = (grams.get(h + (w,), 0) + n_h * p) / (c_h + n_h)
    return p


@pytest.mark.parametrize("order", [1, 2, 3, 4])
def test_log_prob_matches_the_formula_written_with_dictionaries(rng, order):
    V = 5
    train = [list(rng.integers(0, V - 1, size=n)) for n in (1, 7, 20)]  # token V - 1 never occurs
    model = NGramLM(order, V).fit(train)
    test = [int(t) for t in rng.integers(0, V, size=12)]
    expected = [math.log(reference_prob(train, order, V, test[:t], test[t])) for t in range(len(test))]
    np.testing.assert_allclose(model.log_prob(test), expected, rtol=1e-12)


def test_bigram_by_hand():
    # "a b a b a c": after a, b twice and c once (2 distinct), c(a) = 3; unigram counts a3 b2 c1 of N = 6.
    a, b, c = 0, 1, 2
    model = NGramLM(2, 3).fit([[a, b, a, b, a, c]])
    p1_b = (2 + 3 * (1 / 3)) / (6 + 3)
    p2_b_after_a = (2 + 2 * p1_b) / (3 + 2)
    assert model.next_distribution([a])[b] == pytest.approx(p2_b_after_a, rel=1e-12)
    # c was never followed by anything: its context is unseen, so the unigram estimate is used.
    np.testing.assert_allclose(model.next_distribution([c]), model.next_distribution([]), rtol=1e-12)


@pytest.mark.parametrize("order", [1, 2, 5])
def test_next_distribution_sums_to_one_and_agrees_with_log_prob(rng, order):
    V = 6
    model = NGramLM(order, V).fit([rng.integers(0, V, size=50), rng.integers(0, 3, size=9)])
    seq = rng.integers(0, V, size=15)
    lp = model.log_prob(seq)
    for t in range(seq.size):
        p = model.next_distribution(seq[:t])
        assert p.shape == (V,) and p.sum() == pytest.approx(1.0, abs=1e-12) and (p > 0).all()
        assert math.log(p[seq[t]]) == pytest.approx(lp[t], rel=1e-12)


def test_higher_orders_learn_a_pattern_the_lower_ones_cannot(rng):
    # A cycle of 4 tokens where token 0 is followed by 1 or 3 alternately: only 3 tokens of context decide it.
    pattern = [0, 1, 2, 0, 3, 2] * 40
    nll = [-NGramLM(n, 4).fit([pattern]).log_prob(pattern)[4:].mean() for n in (1, 2, 3, 4)]
    assert nll[0] > nll[1] > nll[2] > nll[3]
    assert nll[3] < 0.05


def test_contexts_do_not_cross_sequences():
    model = NGramLM(2, 3).fit([[0, 1], [2, 2]])
    # Had the sequences been joined, 1 would have been followed by 2.
    np.testing.assert_allclose(model.next_distribution([1]), model.next_distribution([]), rtol=1e-12)


def test_generate_is_seeded_greedy_and_stops_at_eos():
    model = NGramLM(3, 4).fit([[0, 1, 2, 3], [0, 1, 2, 3], [0, 2, 1, 3]])
    a = model.generate([0], 20, temperature=1.0, generator=7)
    b = model.generate([0], 20, temperature=1.0, generator=np.random.default_rng(7))
    np.testing.assert_array_equal(a, b)
    assert a.dtype == np.int64 and a.shape == (20,)
    assert model.generate([0], 3, temperature=0).tolist() == [1, 2, 3]
    assert model.generate([0], 20, temperature=0, eos=3).tolist() == [1, 2, 3]
    assert model.generate(None, 0).shape == (0,)


def test_low_temperature_concentrates_samples():
    model = NGramLM(1, 3).fit([[0, 0, 0, 1, 2]])
    cold = model.generate(None, 300, temperature=0.1, generator=0)  # p(0) = 0.5 becomes 0.998
    hot = model.generate(None, 300, temperature=5.0, generator=0)
    assert (cold == 0).mean() > 0.95 > (hot == 0).mean()


def test_errors_name_the_problem():
    with pytest.raises(ValueError, match="order"):
        NGramLM(0, 5)
    with pytest.raises(ValueError, match="int64"):
        NGramLM(20, 1000)
    with pytest.raises(ValueError, match="fit"):
        NGramLM(2, 5).log_prob([1, 2])
    model = NGramLM(2, 5).fit([[1, 2, 3]])
    with pytest.raises(ValueError, match=r"outside \[0, V\)"):
        model.log_prob([1, 5])
    with pytest.raises(ValueError, match="1-D"):
        model.log_prob([[1, 2]])
    with pytest.raises(ValueError, match="temperature"):
        model.generate([1], 3, temperature=-1)
    with pytest.raises(ValueError, match="at least one token"):
        NGramLM(2, 5).fit([[]])


@pytest.mark.parametrize("order", [1, 2, 4])
def test_distributions_are_next_distribution_at_every_position(rng, order):
    V = 6
    model = NGramLM(order, V).fit([rng.integers(0, V, size=60)])
    seq = rng.integers(0, V, size=9)
    dists = model.distributions(seq)
    assert dists.shape == (9, V)
    for t in range(seq.size):
        np.testing.assert_allclose(dists[t], model.next_distribution(seq[:t]), rtol=1e-12)
    np.testing.assert_allclose(np.log(dists[np.arange(9), seq]), model.log_prob(seq), rtol=1e-12)


def test_generate_respects_allowed_tokens():
    model = NGramLM(2, 4).fit([[0, 1, 2, 3] * 5])
    even = lambda t: np.array([True, False, True, False])  # noqa: E731
    out = model.generate([0], 50, generator=0, allowed=even)
    assert set(out.tolist()) <= {0, 2}
    by_position = lambda t: np.arange(4) == t % 4  # noqa: E731
    assert model.generate([0], 7, temperature=0, allowed=by_position).tolist() == [1, 2, 3, 0, 1, 2, 3]
    with pytest.raises(ValueError, match="allowed"):
        model.generate([0], 3, allowed=lambda t: np.zeros(4, dtype=bool))
