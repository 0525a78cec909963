import numpy as np
import pytest
from sklearn.datasets import load_digits

from rnnlib.data.series import (
    Standardizer,
    check_fractions,
    chronological_split,
    co2,
    digits_sequences,
    make_windows,
    stratified_split,
    sunspots,
)


def test_sunspots_years_and_values():
    years, values = sunspots()
    assert years.shape == values.shape == (309,)
    np.testing.assert_array_equal(years, np.arange(1700, 2009))
    np.testing.assert_array_equal(values[:5], [5.0, 11.0, 16.0, 23.0, 36.0])
    assert values.dtype == np.float64 and np.isfinite(values).all()


def test_co2_is_weekly_without_gaps():
    dates, values = co2()
    assert dates.shape == values.shape == (2284,)
    assert dates[0] == np.datetime64("1958-03-29") and dates[-1] == np.datetime64("2001-12-29")
    assert (np.diff(dates) == np.timedelta64(7, "D")).all()
    assert np.isfinite(values).all()
    assert values[0] == 316.1


def test_co2_fills_a_missing_week_by_linear_interpolation():
    # 1958-05-10 (index 6) is missing in the raw data, between 316.9 and 317.5.
    dates, values = co2()
    assert dates[6] == np.datetime64("1958-05-10")
    assert values[6] == pytest.approx((316.9 + 317.5) / 2)
    # Indices 9-13 are a run of five missing weeks, filled on the straight line between their neighbours.
    np.testing.assert_allclose(values[8:15], np.linspace(values[8], values[14], 7))


def test_chronological_split_keeps_order_and_sizes():
    series = np.arange(100.0)
    train, val, test = chronological_split(series, (0.7, 0.2, 0.1))
    assert (len(train), len(val), len(test)) == (70, 20, 10)
    np.testing.assert_array_equal(np.concatenate([train, val, test]), series)
    assert train.max() < val.min() and val.max() < test.min()
    a, b = chronological_split(np.arange(7), (0.5, 0.5))
    assert len(a) + len(b) == 7 and abs(len(a) - len(b)) == 1


@pytest.mark.parametrize("bad", [(0.5, 0.6), (1.0,), (0.5, -0.1, 0.6), ((0.5, 0.5),)])
def test_fractions_are_checked(bad):
    with pytest.raises(ValueError, match="fractions"):
        chronological_split(np.arange(10.0), bad)
    with pytest.raises(ValueError, match="fractions"):
        check_fractions(bad)


def test_standardizer_uses_training_statistics_only():
    train, test = np.array([1.0, 2.0, 3.0, 4.0]), np.array([10.0, 12.0])
    scaler = Standardizer.fit(train)
    assert scaler.mean == 2.5 and scaler.std == pytest.approx(np.sqrt(1.25))
    z = scaler.transform(train)
    assert z.mean() == pytest.approx(0.0) and z.std() == pytest.approx(1.0)
    np.testing.assert_allclose(scaler.transform(test), (test - 2.5) / np.sqrt(1.25))
    np.testing.assert_allclose(scaler.inverse(scaler.transform(test)), test)
    with pytest.raises(ValueError, match="constant"):
        Standardizer.fit(np.ones(5))
    with pytest.raises(ValueError, match="finite"):
        Standardizer.fit(np.array([1.0, np.nan]))


def test_make_windows_hand_checked():
    inputs, targets = make_windows(np.arange(6.0), T=3, horizon=2)
    assert inputs.shape == (3, 2, 1) and targets.shape == (2, 2)
    assert inputs.dtype == targets.dtype == np.float32
    np.testing.assert_array_equal(inputs[:, :, 0], [[0, 1], [1, 2], [2, 3]])
    np.testing.assert_array_equal(targets, [[3, 4], [4, 5]])


@pytest.mark.parametrize("L, T, horizon", [(2, 1, 1), (30, 5, 1), (30, 4, 3)])
def test_make_windows_shapes(L, T, horizon):
    series = np.random.default_rng(0).standard_normal(L)
    inputs, targets = make_windows(series, T, horizon)
    N = L - T - horizon + 1
    assert inputs.shape == (T, N, 1) and targets.shape == (N, horizon)
    np.testing.assert_allclose(inputs[:, -1, 0], series[N - 1:N - 1 + T], rtol=1e-6)
    np.testing.assert_allclose(targets[-1], series[-horizon:], rtol=1e-6)


def test_make_windows_errors():
    with pytest.raises(ValueError, match="too short"):
        make_windows(np.arange(4.0), T=3, horizon=2)
    with pytest.raises(ValueError, match="shape"):
        make_windows(np.zeros((4, 2)), T=2)


def test_stratified_split_proportions_and_disjointness():
    labels = np.repeat([0, 1, 2], [100, 50, 30])
    parts = stratified_split(labels, (0.8, 0.1, 0.1), seed=0)
    np.testing.assert_array_equal(np.sort(np.concatenate(parts)), np.arange(len(labels)))
    for c, size in zip((0, 1, 2), (100, 50, 30)):
        for part, f in zip(parts, (0.8, 0.1, 0.1)):
            assert abs((labels[part] == c).sum() - f * size) <= 1
    # Each part is shuffled, not grouped by class.
    assert not np.all(np.diff(labels[parts[0]]) >= 0)
    again = stratified_split(labels, (0.8, 0.1, 0.1), seed=0)
    other = stratified_split(labels, (0.8, 0.1, 0.1), seed=1)
    assert all(np.array_equal(a, b) for a, b in zip(parts, again))
    assert not np.array_equal(parts[1], other[1])


@pytest.fixture(scope="module")
def digits():
    return digits_sequences(seed=0)


def test_digits_sequences_shapes_and_range(digits):
    assert sum(len(s.labels) for s in digits) == 1797
    for split in digits:
        T, N, D = split.x.shape
        assert (T, D) == (8, 8) and split.labels.shape == (N,)
        assert split.x.dtype == np.float32 and split.labels.dtype == np.int64
        assert split.x.min() >= 0.0 and split.x.max() <= 1.0


def test_digits_sequences_rows_are_steps_and_labels_match(digits):
    source = load_digits()
    by_image = {}
    for image, label in zip(source.images, source.target):
        by_image.setdefault(image.astype(np.float32).tobytes(), set()).add(int(label))
    seen = 0
    for split in digits:
        for i in range(split.x.shape[1]):
            image = split.x[:, i, :] * 16  # (8, 8): step t is row t
            assert int(split.labels[i]) in by_image[image.astype(np.float32).tobytes()]
            seen += 1
    assert seen == len(source.images)


def test_digits_sequences_stratified(digits):
    total = np.bincount(np.concatenate([s.labels for s in digits]), minlength=10)
    for split, f in zip(digits, (0.8, 0.1, 0.1)):
        assert np.all(np.abs(np.bincount(split.labels, minlength=10) - f * total) <= 1)


def test_digits_sequences_determinism(digits):
    again, other = digits_sequences(seed=0), digits_sequences(seed=1)
    np.testing.assert_array_equal(digits[2].x, again[2].x)
    assert not np.array_equal(digits[2].labels, other[2].labels)
    with pytest.raises(ValueError, match="fractions"):
        digits_sequences(seed=0, split=(0.5, 0.5))
