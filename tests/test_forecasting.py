import numpy as np
import pytest

from rnnlib.data import make_windows
from rnnlib.forecasting import (
    coverage,
    mae,
    mase,
    mase_scale,
    origin_windows,
    pinball_loss,
    residual_intervals,
    seasonal_naive,
)


def test_origin_windows_hand_checked():
    inputs, targets = origin_windows(np.arange(10.0), [3, 7], T=3, J=2)
    assert inputs.shape == (3, 2, 1) and inputs.dtype == np.float32 and targets.shape == (2, 2)
    np.testing.assert_array_equal(inputs[:, :, 0], [[0, 4], [1, 5], [2, 6]])
    np.testing.assert_array_equal(targets, [[3, 4], [7, 8]])


def test_origin_windows_are_make_windows_at_consecutive_origins():
    series = np.random.default_rng(0).standard_normal(30)
    T, J = 4, 3
    inputs, targets = origin_windows(series, np.arange(T, len(series) - J + 1), T, J)
    want_inputs, want_targets = make_windows(series, T, J)
    np.testing.assert_array_equal(inputs, want_inputs)
    np.testing.assert_allclose(targets, want_targets, rtol=1e-6)


@pytest.mark.parametrize("origins", [[2], [9], [], [[4]], [4.0]])
def test_origins_out_of_range_or_malformed_are_refused(origins):
    with pytest.raises(ValueError, match="origins"):
        origin_windows(np.arange(10.0), origins, T=3, J=2)


def test_horizon_errors_name_it_j_as_the_book_does():
    # The book's notation writes the forecast horizon as J.
    with pytest.raises(ValueError, match=r"J=2 after it"):
        origin_windows(np.arange(10.0), [9], T=3, J=2)
    with pytest.raises(ValueError, match=r"\bJ\b"):
        seasonal_naive(np.arange(10.0), [5], J=0)


def test_seasonal_naive_hand_checked():
    series = np.array([1.0, 2, 3, 4, 5, 6, 7])
    # m = 3, origin 6 (knows 1..6): the last season is 4, 5, 6, repeated.
    np.testing.assert_array_equal(seasonal_naive(series, [6], J=5, m=3), [[4, 5, 6, 4, 5]])
    # m = 1 is the naive forecast: the last value, J times.
    np.testing.assert_array_equal(seasonal_naive(series, [3, 5], J=2, m=1), [[3, 3], [5, 5]])
    with pytest.raises(ValueError, match="origins"):
        seasonal_naive(series, [2], J=1, m=3)


def test_seasonal_naive_never_reads_at_or_after_the_origin():
    rng = np.random.default_rng(1)
    series = rng.standard_normal(40)
    origins = np.arange(12, 30)
    before = seasonal_naive(series, origins, J=9, m=4)
    for i, o in enumerate(origins):
        changed = series.copy()
        changed[o:] = 1e6
        np.testing.assert_array_equal(seasonal_naive(changed, [o], J=9, m=4)[0], before[i])


def test_mase_hand_checked():
    train = np.array([1.0, 3, 2, 6])  # |diffs| with m = 1: 2, 1, 4 -> scale 7/3; with m = 2: 1, 3 -> scale 2
    assert mase_scale(train, 1) == pytest.approx(7 / 3)
    assert mase_scale(train, 2) == pytest.approx(2.0)
    y, y_hat = np.array([[5.0, 7.0]]), np.array([[6.0, 4.0]])
    assert mae(y, y_hat) == pytest.approx(2.0)
    assert mase(y, y_hat, train, m=2) == pytest.approx(1.0)
    assert mase(y, y_hat, train, m=1) == pytest.approx(2.0 / (7 / 3))


def test_mase_of_the_seasonal_naive_on_its_own_training_data_is_one():
    series = np.random.default_rng(2).standard_normal(50).cumsum()
    origins = np.arange(4, 50)
    assert mase(series[origins], seasonal_naive(series, origins, 1, m=4)[:, 0], series, m=4) == pytest.approx(1.0)


def test_mase_refuses_a_scale_it_cannot_compute():
    with pytest.raises(ValueError, match="m=3"):
        mase_scale(np.arange(3.0), 3)
    with pytest.raises(ValueError, match="scale is 0"):
        mase_scale(np.tile([1.0, 2.0], 5), 2)
    with pytest.raises(ValueError, match="one shape"):
        mae(np.zeros(3), np.zeros(4))


def test_pinball_loss():
    y = np.array([0.0, 10.0])
    assert pinball_loss(y, np.array([5.0, 5.0]), 0.5) == pytest.approx(0.5 * mae(y, [5.0, 5.0]))
    # tau = 0.9: under-forecasting costs 0.9 per unit, over-forecasting 0.1.
    assert pinball_loss(np.array([10.0]), np.array([8.0]), 0.9) == pytest.approx(1.8)
    assert pinball_loss(np.array([10.0]), np.array([12.0]), 0.9) == pytest.approx(0.2)
    # The empirical quantile minimises it.
    sample = np.random.default_rng(3).exponential(size=2001)
    grid = np.linspace(0, 4, 401)
    losses = [pinball_loss(sample, np.full_like(sample, q), 0.9) for q in grid]
    assert abs(grid[int(np.argmin(losses))] - np.quantile(sample, 0.9)) < 0.02
    with pytest.raises(ValueError, match="tau"):
        pinball_loss(y, y, 1.0)


def test_residual_intervals_cover_as_promised_on_fresh_residuals():
    rng = np.random.default_rng(4)
    scale = np.array([1.0, 2.0, 3.0])  # the spread grows with the horizon
    lower, upper = residual_intervals(rng.standard_normal((4000, 3)) * scale, level=0.8)
    assert lower.shape == upper.shape == (3,)
    np.testing.assert_allclose(upper, 1.2816 * scale, rtol=0.06)
    np.testing.assert_allclose(lower, -1.2816 * scale, rtol=0.06)
    y_hat = rng.standard_normal((4000, 3))
    y = y_hat + rng.standard_normal((4000, 3)) * scale
    assert coverage(y, y_hat + lower, y_hat + upper) == pytest.approx(0.8, abs=0.02)
    with pytest.raises(ValueError, match="level"):
        residual_intervals(np.zeros((5, 2)), level=80)


def test_coverage_hand_checked():
    assert coverage([1.0, 2.0, 3.0, 4.0], [0.0, 2.5, 3.0, 0.0], [2.0, 3.0, 3.0, 3.9]) == 0.5
