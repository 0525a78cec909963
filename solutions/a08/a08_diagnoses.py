"""The diagnoses of assignment 8's checks: what each function computes, right or with one mistake switched on, and
the causes named from it. Never released: nbgrader_config.py ignores ``*_diagnoses.py``, because the numpy versions
here are working answers to the exercises.

The checker module (a08_checks.py, beside this file) reaches it with ``DIAGNOSES = diagnoses(__file__)`` and calls
it only once a check has failed, with the case, the student's numbers and the solution's record; each ``*_cause``
returns a sentence naming the mistake, or None when no mistake predicts those numbers. A cause is named only if the
mistake, recomputed here, gives the student's numbers and not the right ones. This module is loaded by path under
another name, so it imports nothing from the checker: what it needs comes in as arguments.

Symbols as in the notebook: L length of the series, T input window, J horizon, N windows, m seasonal period.
"""

from __future__ import annotations

import numpy as np

RTOL = ATOL = 1e-9  # the checker's tolerance: values are sums of a few hundred float64 terms at most


def _matches(a, b) -> bool:
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return a.shape == b.shape and bool(np.allclose(a, b, rtol=RTOL, atol=ATOL))


# ------------------------------------------------------------------------------------ Part 1: split_scale_window

def _split_numpy(series, n_train, T, J, whole=False, ddof=0, target_shift=0, scale=True):
    """split_scale_window in numpy; the keywords switch on a mistake: statistics of the whole series (``whole``),
    the sample std (``ddof``), targets ``target_shift`` steps late, windows of the raw series (``scale=False``)."""
    part = series if whole else series[:n_train]
    mean, std = float(part.mean()), float(part.std(ddof=ddof))
    z = (series - mean) / std if scale else series
    starts = np.arange(n_train - T - J + 1)  # training windows: their targets end at most at z[n_train - 1]
    origins = np.arange(n_train, len(series) - J + 1)
    return (z[starts[None, :] + np.arange(T)[:, None]],  # (T, N_train)
            z[starts[:, None] + T + target_shift + np.arange(J)[None, :]],  # (N_train, J)
            z[origins[None, :] + np.arange(-T, 0)[:, None]],  # (T, N_test)
            z[origins[:, None] + np.arange(J)[None, :]],  # (N_test, J)
            mean, std)


def raw_windows_cause(case, got: dict, names: tuple[str, ...], outputs: tuple[str, ...]) -> str | None:
    """Whether the windows ``names`` (of ``outputs``, split_scale_window's results in order) hold the raw series.
    ``got`` holds the student's outputs by name, as float arrays and floats."""
    raw = _split_numpy(case["series"], case["n_train"], case["T"], case["J"], scale=False)
    if all(_matches(got[name], raw[outputs.index(name)]) for name in names):
        return ("your windows hold the raw series: standardise it first, z = (series - mean) / std, with the mean "
                "and std of series[:n_train]")
    return None


def late_targets_cause(case, y_train: np.ndarray) -> str | None:
    """Whether the training targets, in the series' units, start one step early, at the window's last input."""
    late = _split_numpy(case["series"], case["n_train"], case["T"], case["J"], scale=False, target_shift=-1)
    if _matches(y_train, late[1]):
        return ("the targets of window i should start at z[i + T], right after its inputs; yours start at "
                "z[i + T - 1], the window's last input")
    return None


def whole_series_cause(case, mean: float, std: float) -> str | None:
    """Whether a returned mean or std is the whole series', test part included."""
    series = case["series"]
    if _matches(mean, series.mean()) or _matches(std, series.std()):
        return "those of the whole series, test part included; compute the mean and std of series[:n_train] only"
    return None


def sample_std_cause(case, std: float) -> str | None:
    """Whether a returned std is the sample std of the training part (ddof=1)."""
    if _matches(std, case["series"][:case["n_train"]].std(ddof=1)):
        return "your std is the sample one (ddof=1); use the population std, np.std's default ddof=0"
    return None


# ------------------------------------------------------------------------------------ Part 2: seasonal_naive

def _seasonal_numpy(history, J, m, shift=0):
    """forecast[j] = history[n - m + (j % m) - shift]; ``shift=1`` is the season one step too early."""
    n = len(history)
    return history[n - m + np.arange(J) % m - shift]


def seasonal_cause(case, got: np.ndarray) -> str | None:
    """Why a forecast of the right shape has other values: the naive forecast, the season one step early, or the
    first season repeated."""
    history, J, m = case["history"], case["J"], case["m"]
    if m > 1 and _matches(got, np.full(J, history[-1])):
        return f"that is the naive forecast (m = 1), the last value repeated; repeat the last m = {m} values instead"
    if len(history) > m and _matches(got, _seasonal_numpy(history, J, m, shift=1)):
        return f"off by one, the last season is history[-{m}:]"
    if len(history) > m and _matches(got, history[np.arange(J) % m]):
        return f"that repeats the first season, history[:{m}]; repeat the last one, history[-{m}:]"
    return None


# ------------------------------------------------------------------------------------ Part 3: mase

def _mase_numpy(y_true, y_pred, y_train, m, lag=None, squared=False, over_n=False, scale_from_test=False):
    """mase in numpy; the keywords switch on a mistake: another lag in the scale, squared differences, their sum
    divided by n instead of n - m, or the scale computed on the end of y_train followed by y_true."""
    lag = m if lag is None else lag
    series = np.concatenate([y_train[-lag:], np.ravel(y_true)]) if scale_from_test else y_train
    diffs = np.abs(series[lag:] - series[:-lag]) ** (2 if squared else 1)
    scale = diffs.sum() / (len(series) if over_n else len(diffs))
    return float(np.mean(np.abs(y_true - y_pred)) / scale)


def mase_cause(case, got: float, want: float) -> str | None:
    """Why a MASE differs from the solution's: the one-step scale, squared differences, the sum over n, or a scale
    that reads y_true."""
    m = case["m"]
    hypotheses = [
        ({"lag": 1}, "that is scaled by the one-step naive forecast (lag 1); use the seasonal naive with period "
                     f"m = {m}: the mean of |y_t - y_(t-m)|"),
        ({"squared": True}, "the scale is the mean of |y_t - y_(t-m)|, not of their squares"),
        ({"over_n": True}, f"the scale is the MEAN of the n - m differences |y_t - y_(t-m)|: divide their sum by "
                           f"n - m = {len(case['y_train']) - m}, not by n"),
        ({"scale_from_test": True}, "your scale reads y_true: compute it from the training series y_train only, "
                                    "the same for every forecast"),
    ]
    for change, cause in hypotheses:
        predicted = _mase_numpy(**case, **change)
        if _matches(got, predicted) and not _matches(predicted, want):
            return cause
    return None


def mase_parts(case) -> str:
    """The solution's MASE as its two parts, for a message: the forecast's MAE over the scale."""
    y_train, m = case["y_train"], case["m"]
    return (f"the forecast's MAE {np.mean(np.abs(case['y_true'] - case['y_pred'])):.4f} over the scale "
            f"{np.mean(np.abs(y_train[m:] - y_train[:-m])):.4f}")


# ------------------------------------------------------------------------------------ Part 4: recursive_forecast

def _recursive_numpy(next_value, window, J, feed_back=True, front=False):
    """recursive_forecast in numpy; the keywords switch on a mistake: predictions never fed back, or put in at the
    front of the window (dropping its newest value)."""
    current, predictions = np.array(window), []
    for _ in range(J):
        predictions.append(next_value(current))
        if feed_back:
            current = (np.concatenate([[predictions[-1]], current[:-1]]) if front
                       else np.append(current[1:], predictions[-1]))
    return np.array(predictions)


def recursive_cause(next_value, window, J, got: np.ndarray, want: np.ndarray) -> str | None:
    """Why forecasts of the right shape differ: predictions not fed back, or the window slid the wrong way.
    ``next_value`` is the case's one-step model (the checker builds it, as the notebook's ar_model)."""
    hypotheses = [
        ({"feed_back": False}, "every step is predicted from the same observed window; feed each prediction back"),
        ({"front": True}, "the new window must be the old one without its OLDEST value (the first), with the "
                          "prediction appended at the END"),
    ]
    for change, cause in hypotheses:
        predicted = _recursive_numpy(next_value, window, J, **change)
        if _matches(got, predicted) and not _matches(predicted, want):
            return cause
    return None
