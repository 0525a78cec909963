r"""Evaluating forecasts honestly: rolling origins, the naive baselines, MAE and MASE, and empirical intervals.

Symbols: L length of a series, T input window, J forecast horizon, N forecast origins, m seasonal period.

A forecast is made at an **origin** o, knowing ``series[:o]``, for the J values ``series[o : o + J]``. Evaluating
at many consecutive origins of a held-out period (a *rolling origin*) gives N forecasts of J steps each, as arrays
(N, J); column j-1 holds the j-step-ahead forecasts. The model is fitted once on the training period and then only
reads the data up to each origin.

The mean absolute scaled error of :func:`mase` divides the forecast's MAE by the in-sample MAE of the one-step
seasonal naive forecast on the training part (Hyndman and Koehler, 2006):

.. math::

    \operatorname{MASE} = \frac{\frac{1}{NK} \sum_{o, h} |y_{o+h-1} - \hat y_{o+h-1}|}
                               {\frac{1}{n - m} \sum_{t=m+1}^{n} |y_t - y_{t-m}|}

where :math:`y_1, \dots, y_n` is the training part. Below 1, the forecast beats what repeating last season's
value did on the training data.
"""

from __future__ import annotations

import numpy as np

from rnnlib.data.synthetic import check_int


def _array(name, a, ndim) -> np.ndarray:
    a = np.asarray(a, dtype=np.float64)
    if a.ndim != ndim:
        raise ValueError(f"{name} must have {ndim} dimension(s), got shape {a.shape}")
    return a


def _check_origins(series, origins, J, lookback=1):
    """Origins as int64 (N,), each with ``lookback`` values before it and J (may be 0) after it in the series."""
    origins = np.asarray(origins)
    if origins.ndim != 1 or len(origins) == 0 or not np.issubdtype(origins.dtype, np.integer):
        raise ValueError(f"origins must be a non-empty 1-D array of ints, got {origins!r}")
    lo, hi = int(origins.min()), int(origins.max())
    if lo < lookback or hi + J > len(series):
        raise ValueError(f"origins must lie in [{lookback}, {len(series) - J}] so that {lookback} value(s) come "
                         f"before each and J={J} after it in a series of length {len(series)}; got {lo}..{hi}")
    return origins.astype(np.int64)


def origin_windows(series, origins, T, J):
    """The input window and the J true values of each forecast origin.

    Origin o reads ``series[o - T : o]`` and is scored on ``series[o : o + J]``. The input may reach back
    before the held-out period: at time o everything earlier is known.

    Parameters
    ----------
    series : array_like, shape (L,)
        The whole series (already scaled if the model reads scaled values).
    origins : array_like of int, shape (N,)
        Forecast origins, each in ``[T, L - J]``.
    T, J : int
        Input window and horizon.

    Returns
    -------
    inputs : ndarray, shape (T, N, 1)
        float32, time-major, as :func:`rnnlib.data.series.make_windows` returns them.
    targets : ndarray, shape (N, J)
        float64.
    """
    series = _array("series", series, 1)
    T, J = check_int("T", T, 1), check_int("J", J, 1)
    origins = _check_origins(series, origins, J, lookback=T)
    inputs = series[origins[None, :] + np.arange(-T, 0)[:, None]]  # (T, N)
    targets = series[origins[:, None] + np.arange(J)[None, :]]  # (N, J)
    return inputs[:, :, None].astype(np.float32), targets


def seasonal_naive(series, origins, J, m=1):
    """Repeat the last observed season: the forecast of ``series[o + j]`` is ``series[o + j - m * (j // m + 1)]``.

    With m = 1 this is the naive forecast, the last value repeated J times.

    Parameters
    ----------
    series : array_like, shape (L,)
    origins : array_like of int, shape (N,)
        Forecast origins, each in ``[m, L]``.
    J : int
        Horizon.
    m : int
        Seasonal period, >= 1.

    Returns
    -------
    ndarray, shape (N, J)
        Forecasts; they use only ``series[:o]`` for origin o.
    """
    series = _array("series", series, 1)
    J, m = check_int("J", J, 1), check_int("m", m, 1)
    origins = _check_origins(series, origins, 0, lookback=m)  # the forecast may run past the series' end
    j = np.arange(J)
    return series[origins[:, None] + (j - m * (j // m + 1))[None, :]]  # (N, J)


def mae(y, y_hat) -> float:
    """Mean absolute error over all entries; ``y`` and ``y_hat`` of one shape."""
    y, y_hat = np.asarray(y, dtype=np.float64), np.asarray(y_hat, dtype=np.float64)
    if y.shape != y_hat.shape or y.size == 0:
        raise ValueError(f"y and y_hat must be non-empty and of one shape, got {y.shape} and {y_hat.shape}")
    return float(np.abs(y - y_hat).mean())


def mase_scale(train, m=1) -> float:
    """In-sample MAE of the one-step seasonal naive forecast on the training part: mean of ``|y_t - y_{t-m}|``.

    Parameters
    ----------
    train : array_like, shape (n,)
        The training part only, never the held-out part: the scale must not depend on what is being forecast.
    m : int
        Seasonal period; needs n > m.
    """
    train = _array("train", train, 1)
    m = check_int("m", m, 1)
    if len(train) <= m:
        raise ValueError(f"train has {len(train)} values; the seasonal naive scale with m={m} needs more than m")
    scale = float(np.abs(train[m:] - train[:-m]).mean())
    if scale == 0.0:
        raise ValueError(f"train repeats itself exactly with period m={m}: the MASE scale is 0")
    return scale


def mase(y, y_hat, train, m=1) -> float:
    """Mean absolute scaled error: :func:`mae` of the forecast divided by :func:`mase_scale` of ``train``."""
    return mae(y, y_hat) / mase_scale(train, m)


def pinball_loss(y, q_hat, tau) -> float:
    r"""Mean quantile (pinball) loss of forecasts ``q_hat`` of the ``tau``-quantile, tau in (0, 1).

    .. math:: \rho_\tau(u) = \max(\tau u, (\tau - 1) u), \quad u = y - \hat q

    It is minimised in expectation by the true tau-quantile; tau = 0.5 gives half the absolute error.
    """
    if not 0.0 < tau < 1.0:
        raise ValueError(f"tau must lie strictly between 0 and 1, got {tau}")
    y, q_hat = np.asarray(y, dtype=np.float64), np.asarray(q_hat, dtype=np.float64)
    if y.shape != q_hat.shape or y.size == 0:
        raise ValueError(f"y and q_hat must be non-empty and of one shape, got {y.shape} and {q_hat.shape}")
    u = y - q_hat
    return float(np.maximum(tau * u, (tau - 1.0) * u).mean())


def residual_intervals(residuals, level=0.8):
    """Per-horizon interval offsets from held-out residuals: their empirical (1-level)/2 and (1+level)/2 quantiles.

    Computed on a validation period that the model did not train on, and added to the point forecasts of a later
    period, they give intervals whose coverage can then be checked (:func:`coverage`).

    Parameters
    ----------
    residuals : array_like, shape (N, J)
        ``y - y_hat`` at N validation origins.
    level : float
        Nominal coverage, in (0, 1).

    Returns
    -------
    lower, upper : ndarray, shape (J,)
        Add them to a forecast (N', J) to get its interval.
    """
    residuals = _array("residuals", residuals, 2)
    if not 0.0 < level < 1.0:
        raise ValueError(f"level must lie strictly between 0 and 1, got {level}")
    lower, upper = np.quantile(residuals, [(1 - level) / 2, (1 + level) / 2], axis=0)  # (J,) each
    return lower, upper


def coverage(y, lower, upper) -> float:
    """Share of the true values that fall inside their interval ``[lower, upper]`` (all of one shape)."""
    y, lower, upper = (np.asarray(a, dtype=np.float64) for a in (y, lower, upper))
    if not y.shape == lower.shape == upper.shape or y.size == 0:
        raise ValueError(f"y, lower and upper must be non-empty and of one shape, got {y.shape}, {lower.shape}, "
                         f"{upper.shape}")
    return float(((lower <= y) & (y <= upper)).mean())
