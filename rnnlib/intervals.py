r"""How uncertain is a measured accuracy? Confidence intervals for one classifier and for the gap between two.

Symbols: N test examples.

An accuracy measured on N test examples is a proportion :math:`\hat p = k / N`, and a different sample of N
examples from the same source would give a different one. :func:`wilson_interval` gives the Wilson score
interval for the true accuracy :math:`p` (Wilson, 1927), which, unlike
:math:`\hat p \pm z \sqrt{\hat p (1 - \hat p) / N}`, stays inside [0, 1] and keeps close to its nominal
coverage for small N and for :math:`\hat p` near 0 or 1.

Two classifiers scored on the *same* test examples are compared better by their paired outcomes than by two
separate intervals: most examples are right (or wrong) for both, and only the examples where they disagree
carry information about which is better. :func:`paired_bootstrap` resamples the N examples with replacement,
keeping each example's pair of outcomes together, and reports an interval for the difference in accuracy.
"""

from __future__ import annotations

from statistics import NormalDist
from typing import NamedTuple

import numpy as np

from rnnlib.data.synthetic import as_generator, check_int


class Interval(NamedTuple):
    """A point estimate and a confidence interval around it."""

    estimate: float
    low: float
    high: float


def _check_confidence(confidence: float) -> float:
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must lie strictly between 0 and 1, got {confidence}")
    return float(confidence)


def wilson_interval(k: int, n: int, confidence: float = 0.95) -> Interval:
    r"""Wilson score interval for a proportion, e.g. an accuracy of ``k`` correct out of ``n``.

    .. math:: \frac{\hat p + \frac{z^2}{2n} \pm z \sqrt{\frac{\hat p (1 - \hat p)}{n} + \frac{z^2}{4n^2}}}
              {1 + \frac{z^2}{n}}, \qquad \hat p = k / n,

    with :math:`z` the standard normal quantile of :math:`(1 + \text{confidence}) / 2` (1.96 for 95%).

    Parameters
    ----------
    k : int
        Successes, 0 <= k <= n.
    n : int
        Trials, n >= 1.
    confidence : float
        Nominal coverage, in (0, 1).

    Returns
    -------
    Interval
        ``estimate`` k / n and the interval ``[low, high]`` within [0, 1].
    """
    n = check_int("n", n, 1)
    k = check_int("k", k, 0)
    if k > n:
        raise ValueError(f"k must be at most n, got k={k}, n={n}")
    z = NormalDist().inv_cdf(0.5 + _check_confidence(confidence) / 2)
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    # At k = 0 (k = n) the bound is exactly 0 (1); computed, it would be off by rounding.
    low = 0.0 if k == 0 else float(centre - half)
    high = 1.0 if k == n else float(centre + half)
    return Interval(p, low, high)


def paired_bootstrap(correct_a, correct_b, n_boot: int = 10_000, confidence: float = 0.95,
                     seed=0) -> Interval:
    """Percentile bootstrap interval for accuracy(a) - accuracy(b) on the same test examples.

    Parameters
    ----------
    correct_a, correct_b : array_like of bool, shape (N,)
        Whether classifier a, and classifier b, got each test example right.
    n_boot : int
        Bootstrap resamples.
    confidence : float
        Nominal coverage, in (0, 1).
    seed : int or numpy.random.Generator
        Source of the resampling.

    Returns
    -------
    Interval
        ``estimate`` the observed difference in accuracy, and the percentile interval of the resampled
        differences. An interval that contains 0 means the test set cannot tell the two apart at this level.
    """
    a = np.asarray(correct_a)
    b = np.asarray(correct_b)
    if a.ndim != 1 or a.shape != b.shape or len(a) == 0:
        raise ValueError(f"correct_a and correct_b must have the same shape (N,) with N >= 1, got {a.shape} "
                         f"and {b.shape}")
    if a.dtype != bool or b.dtype != bool:
        raise ValueError(f"correct_a and correct_b must be boolean, got {a.dtype} and {b.dtype}")
    n_boot = check_int("n_boot", n_boot, 1)
    alpha = 1 - _check_confidence(confidence)
    n = len(a)
    # A per-example difference is -1, 0 or 1, so a resample is fully described by how many of each it drew:
    # drawing those counts from a multinomial is the same bootstrap without an (n_boot, N) index array.
    shares = [np.mean(~a & b), np.mean(a == b), np.mean(a & ~b)]  # P(-1), P(0), P(+1)
    counts = as_generator(seed).multinomial(n, shares, size=n_boot)  # (n_boot, 3)
    boot = (counts[:, 2] - counts[:, 0]) / n  # (n_boot,)
    low, high = np.quantile(boot, [alpha / 2, 1 - alpha / 2])
    return Interval(float(np.mean(a) - np.mean(b)), float(low), float(high))
