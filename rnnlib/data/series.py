"""Real series shipped inside installed packages, and the splits and windows that turn them into tasks.

Symbols: L length of a series, T window length, N examples, C classes.

* :func:`sunspots` (yearly, 1700-2008) and :func:`co2` (weekly, 1958-2001) from ``statsmodels.datasets``.
* :func:`chronological_split`, :class:`Standardizer` and :func:`make_windows`: split a series in time order
  first, fit the scaling on the training part only, then cut each part into windows, so that no window and
  no statistic mixes training data with the future it is tested on.
* :func:`digits_sequences`: scikit-learn's 8x8 digit images read row by row as sequences of 8 steps.
* :func:`stratified_split`: the class-balanced split used here and by :mod:`rnnlib.data.surnames`.

Nothing here touches the network: the data files are part of the statsmodels and scikit-learn wheels.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from rnnlib.data.synthetic import as_generator, check_int


class Series(NamedTuple):
    """A univariate series with its time axis."""

    time: np.ndarray    # (L,) int64 years, or datetime64[D] dates
    values: np.ndarray  # (L,) float64


class LabelledSequences(NamedTuple):
    """Sequences and one class label each."""

    x: np.ndarray       # (T, N, D) float32
    labels: np.ndarray  # (N,) int64


def check_fractions(fractions, n_parts=None) -> np.ndarray:
    """Check split fractions: at least two, each in [0, 1], summing to 1; returns them as float64 (K,)."""
    f = np.asarray(fractions, dtype=np.float64)
    if f.ndim != 1 or len(f) < 2 or (n_parts is not None and len(f) != n_parts):
        want = f"{n_parts}" if n_parts is not None else "at least 2"
        raise ValueError(f"fractions must be a sequence of {want} numbers, got {fractions!r}")
    if np.any(~np.isfinite(f)) or np.any(f < 0) or not np.isclose(f.sum(), 1.0):
        raise ValueError(f"fractions must be >= 0 and sum to 1, got {fractions!r} (sum {f.sum():g})")
    return f


def split_points(n: int, fractions: np.ndarray) -> np.ndarray:
    """Cut points (K+1,) from 0 to n for K parts; part i is ``[points[i], points[i + 1])``.

    Rounding the cumulative sums, rather than each share, keeps every part within one item of its share and
    makes the parts add up to n.
    """
    cuts = np.round(np.cumsum(fractions) * n).astype(np.int64)
    cuts[-1] = n
    return np.concatenate([[0], cuts])


def chronological_split(series, fractions=(0.7, 0.15, 0.15)):
    """Split a series into consecutive parts, earliest first, without shuffling.

    Window each part separately (:func:`make_windows`): windowing first would let a validation window
    overlap the end of the training data.

    Parameters
    ----------
    series : array_like, shape (L, ...)
        The series, time on axis 0.
    fractions : sequence of float
        Share of each part, summing to 1; part sizes are rounded to whole steps.

    Returns
    -------
    parts : list of ndarray
        ``len(fractions)`` consecutive views of ``series``; concatenated they give back the series.
    """
    series = np.asarray(series)
    if series.ndim == 0 or len(series) == 0:
        raise ValueError(f"series must have at least one step on axis 0, got shape {series.shape}")
    b = split_points(len(series), check_fractions(fractions))
    return [series[b[i]:b[i + 1]] for i in range(len(b) - 1)]


@dataclass(frozen=True)
class Standardizer:
    """Shift and scale to zero mean, unit variance, with statistics from the training part only.

    Fitting on the whole series would leak the mean and spread of the test period into training.
    """

    mean: float
    std: float

    @classmethod
    def fit(cls, train) -> Standardizer:
        """Estimate mean and standard deviation from ``train`` (any shape, at least two finite values)."""
        train = np.asarray(train, dtype=np.float64)
        if train.size < 2 or not np.all(np.isfinite(train)):
            raise ValueError(f"train must hold at least 2 values, all finite, got shape {train.shape}")
        std = float(train.std())
        if std == 0.0:
            raise ValueError("train is constant: its standard deviation is 0, so it cannot be standardised")
        return cls(float(train.mean()), std)

    def transform(self, x) -> np.ndarray:
        """Return ``(x - mean) / std``, same shape as ``x``."""
        return (np.asarray(x, dtype=np.float64) - self.mean) / self.std

    def inverse(self, z) -> np.ndarray:
        """Undo :meth:`transform`: ``z * std + mean``, same shape as ``z``."""
        return np.asarray(z, dtype=np.float64) * self.std + self.mean


def make_windows(series, T, horizon=1):
    """Cut a series into every overlapping window of T inputs followed by ``horizon`` targets.

    Window i reads ``series[i : i + T]`` and predicts ``series[i + T : i + T + horizon]``, for
    i = 0, ..., N - 1 with N = L - T - horizon + 1.

    Parameters
    ----------
    series : array_like, shape (L,)
        One part of a series (already split and standardised).
    T : int
        Input window length, >= 1.
    horizon : int
        Number of future steps to predict, >= 1.

    Returns
    -------
    inputs : ndarray, shape (T, N, 1)
        float32, time-major.
    targets : ndarray, shape (N, horizon)
        float32.
    """
    series = np.asarray(series, dtype=np.float64)
    if series.ndim != 1:
        raise ValueError(f"series must have shape (L,), got {series.shape}")
    T, horizon = check_int("T", T, 1), check_int("horizon", horizon, 1)
    n = len(series) - T - horizon + 1
    if n < 1:
        raise ValueError(f"series of length {len(series)} is too short for T={T} and horizon={horizon}: "
                         f"it needs at least T + horizon = {T + horizon} steps")
    windows = np.lib.stride_tricks.sliding_window_view(series, T + horizon)[:n]  # (N, T + horizon)
    inputs = windows[:, :T].T[:, :, None].astype(np.float32)  # (T, N, 1)
    targets = windows[:, T:].astype(np.float32)  # (N, horizon)
    return inputs, targets


def sunspots() -> Series:
    """Yearly mean sunspot numbers, 1700-2008 (309 values), from ``statsmodels.datasets.sunspots``.

    Returns
    -------
    series : Series
        ``time`` (309,) int64 years; ``values`` (309,) float64 sunspot activity.
    """
    from statsmodels.datasets import sunspots as source  # imported on use: statsmodels loads slowly

    df = source.load_pandas().data
    return Series(df["YEAR"].to_numpy().astype(np.int64), df["SUNACTIVITY"].to_numpy(dtype=np.float64))


def co2() -> Series:
    """Weekly atmospheric CO2 at Mauna Loa in ppm, 1958-03-29 to 2001-12-29 (2284 weeks).

    From ``statsmodels.datasets.co2``. The raw data miss 59 weeks; they are filled here by linear
    interpolation in time, so the series has no gaps (the first week is observed, so no value is
    extrapolated).

    Returns
    -------
    series : Series
        ``time`` (2284,) datetime64[D] week-ending dates; ``values`` (2284,) float64 ppm.
    """
    from statsmodels.datasets import co2 as source

    df = source.load_pandas().data
    values = df["co2"].interpolate(method="time").to_numpy(dtype=np.float64)
    if np.isnan(values).any():
        raise ValueError("co2 data start or end with a missing week that interpolation cannot fill")
    return Series(df.index.to_numpy().astype("datetime64[D]"), values)


def stratified_split(labels, fractions, seed):
    """Split example indices so that every class is divided in the same proportions.

    Each class's indices are shuffled and cut by ``fractions`` (rounded per class), then each part is shuffled
    so that it is not ordered by class.

    Parameters
    ----------
    labels : array_like of int, shape (N,)
        Class of each example.
    fractions : sequence of float
        Share of each part, summing to 1.
    seed : int or numpy.random.Generator
        Source of randomness.

    Returns
    -------
    parts : list of ndarray
        ``len(fractions)`` int64 index arrays, disjoint, together covering 0, ..., N-1.
    """
    labels = np.asarray(labels)
    if labels.ndim != 1 or len(labels) == 0:
        raise ValueError(f"labels must have shape (N,) with N >= 1, got {labels.shape}")
    f = check_fractions(fractions)
    rng = as_generator(seed)
    parts = [[] for _ in f]
    for c in np.unique(labels):
        idx = rng.permutation(np.flatnonzero(labels == c))
        b = split_points(len(idx), f)
        for i, part in enumerate(parts):
            part.append(idx[b[i]:b[i + 1]])
    return [rng.permutation(np.concatenate(part)).astype(np.int64) for part in parts]


def digits_sequences(seed, split=(0.8, 0.1, 0.1)):
    """scikit-learn's handwritten digits, each 8x8 image read top to bottom as 8 steps of 8 pixels.

    1797 images of the digits 0-9 (about 180 per class) from ``sklearn.datasets.load_digits``, which ships
    with scikit-learn. Pixel intensities 0-16 are divided by 16. The split is stratified by digit.

    Parameters
    ----------
    seed : int or numpy.random.Generator
        Source of randomness for the split.
    split : tuple of float
        ``(train, validation, test)`` fractions, summing to 1.

    Returns
    -------
    train, val, test : LabelledSequences
        ``x`` (8, N, 8) float32 in [0, 1], row t of each image at step t; ``labels`` (N,) int64 in 0-9.
    """
    from sklearn.datasets import load_digits

    check_fractions(split, n_parts=3)
    digits = load_digits()
    images = (digits.images / 16.0).astype(np.float32)  # (N, 8, 8) as (example, row, column)
    labels = digits.target.astype(np.int64)  # (N,)
    return tuple(LabelledSequences(images[idx].transpose(1, 0, 2), labels[idx])  # (8, n, 8)
                 for idx in stratified_split(labels, split, seed))
