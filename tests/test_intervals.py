import numpy as np
import pytest

from rnnlib.intervals import paired_bootstrap, wilson_interval


def test_wilson_matches_the_formula_and_a_known_value():
    # 81 of 100: the Wilson 95% interval is about [0.7222, 0.8749].
    est, low, high = wilson_interval(81, 100)
    assert est == 0.81 and low == pytest.approx(0.7222, abs=1e-4) and high == pytest.approx(0.8749, abs=1e-4)


@pytest.mark.parametrize("k, n", [(0, 10), (10, 10), (1, 1), (300, 600)])
def test_wilson_stays_in_unit_interval_and_contains_estimate(k, n):
    est, low, high = wilson_interval(k, n)
    assert 0.0 <= low <= est <= high <= 1.0 and low < high


def test_wilson_narrows_with_n_and_widens_with_confidence():
    assert np.diff(wilson_interval(80, 100)[1:]) > np.diff(wilson_interval(800, 1000)[1:])
    assert np.diff(wilson_interval(80, 100, 0.99)[1:]) > np.diff(wilson_interval(80, 100, 0.9)[1:])


def test_wilson_coverage_is_close_to_nominal():
    rng = np.random.default_rng(0)
    p, n = 0.85, 200
    ks = rng.binomial(n, p, size=4000)
    covered = np.mean([lo <= p <= hi for _, lo, hi in (wilson_interval(int(k), n) for k in ks)])
    assert 0.93 < covered < 0.97


@pytest.mark.parametrize("k, n, confidence", [(5, 4, 0.95), (-1, 4, 0.95), (1, 0, 0.95), (1, 4, 1.0)])
def test_wilson_refuses_bad_input(k, n, confidence):
    with pytest.raises(ValueError):
        wilson_interval(k, n, confidence)


def test_paired_bootstrap_estimate_and_reproducibility():
    a = np.array([True] * 80 + [False] * 20)
    b = np.array([True] * 70 + [False] * 30)
    est, low, high = paired_bootstrap(a, b, seed=0)
    assert est == pytest.approx(0.10) and low < est < high
    assert paired_bootstrap(a, b, seed=0) == (est, low, high)
    # Here b's right answers are a subset of a's: the difference can never be negative.
    assert low >= 0.0


def test_paired_bootstrap_matches_resampling_examples():
    rng = np.random.default_rng(1)
    a, b = rng.random(300) < 0.8, rng.random(300) < 0.75
    _, low, high = paired_bootstrap(a, b, n_boot=20_000, seed=2)
    idx = rng.integers(0, 300, size=(20_000, 300))
    direct = np.quantile(a[idx].mean(1) - b[idx].mean(1), [0.025, 0.975])
    assert low == pytest.approx(direct[0], abs=0.01) and high == pytest.approx(direct[1], abs=0.01)


def test_identical_classifiers_give_a_zero_interval():
    a = np.array([True, False, True])
    assert paired_bootstrap(a, a.copy()) == (0.0, 0.0, 0.0)


def test_paired_bootstrap_refuses_bad_input():
    with pytest.raises(ValueError, match="shape"):
        paired_bootstrap(np.ones(3, bool), np.ones(4, bool))
    with pytest.raises(ValueError, match="boolean"):
        paired_bootstrap(np.ones(3), np.ones(3))
