import socket
import urllib.request

import numpy as np
import pytest

from rnnlib.data.synthetic import (
    IGNORE_INDEX,
    adding_problem,
    as_generator,
    copy_task,
    future_tagging,
    future_tags,
    noisy_sine,
)


def test_network_is_disabled_for_data_tests():
    with pytest.raises(RuntimeError, match="network access"):
        socket.create_connection(("example.com", 80), timeout=1)
    with pytest.raises(RuntimeError, match="network access"):
        urllib.request.urlopen("http://example.com", timeout=1)


def test_as_generator_accepts_ints_and_generators_only():
    g = np.random.default_rng(1)
    assert as_generator(g) is g
    assert as_generator(3).random() == np.random.default_rng(3).random()
    for bad in (None, True, -1, 1.5, "0"):
        with pytest.raises(ValueError, match="seed"):
            as_generator(bad)


@pytest.mark.parametrize("n, T", [(1, 1), (4, 7)])
def test_noisy_sine_shapes_and_shift(n, T):
    x, y = noisy_sine(n, T, seed=0)
    assert x.shape == y.shape == (T, n, 1)
    assert x.dtype == y.dtype == np.float32
    np.testing.assert_array_equal(x[1:], y[:-1])


def test_noisy_sine_without_noise_is_a_sinusoid():
    # A sinusoid satisfies s[t+1] + s[t-1] = 2 cos(2 pi f) s[t], with one constant per sequence.
    x, _ = noisy_sine(5, 50, seed=1, noise=0.0)
    s = x[:, :, 0].astype(np.float64)  # (T, N)
    ratio = (s[2:] + s[:-2]) / s[1:-1]  # (T-2, N)
    ok = np.abs(s[1:-1]) > 0.1
    for i in range(5):
        r = ratio[ok[:, i], i]
        np.testing.assert_allclose(r, r[0], atol=1e-4)
        assert 2 * np.cos(2 * np.pi * 0.1) - 1e-4 <= r[0] <= 2 * np.cos(2 * np.pi * 0.025) + 1e-4
    assert np.abs(s).max() <= 1.0


def test_noisy_sine_determinism_and_errors():
    a, b, c = noisy_sine(3, 10, 0), noisy_sine(3, 10, 0), noisy_sine(3, 10, 1)
    np.testing.assert_array_equal(a[0], b[0])
    assert not np.array_equal(a[0], c[0])
    for kwargs in ({"noise": -0.1}, {"freq_range": (0.0, 0.1)}, {"freq_range": (0.2, 0.1)}):
        with pytest.raises(ValueError):
            noisy_sine(3, 10, 0, **kwargs)
    with pytest.raises(ValueError, match="T"):
        noisy_sine(3, 0, 0)


@pytest.mark.parametrize("n, T", [(1, 2), (6, 9), (5, 20)])
def test_adding_problem_markers_and_sum(n, T):
    x, y = adding_problem(n, T, seed=2)
    assert x.shape == (T, n, 2) and y.shape == (n,)
    assert x.dtype == y.dtype == np.float32
    values, markers = x[:, :, 0], x[:, :, 1]
    assert ((values >= 0) & (values < 1)).all()
    assert set(np.unique(markers)) <= {0.0, 1.0}
    half = T // 2
    np.testing.assert_array_equal(markers[:half].sum(axis=0), 1)
    np.testing.assert_array_equal(markers[half:].sum(axis=0), 1)
    np.testing.assert_allclose(y, (values * markers).sum(axis=0), rtol=1e-6)


def test_adding_problem_constant_one_baseline_is_one_sixth():
    _, y = adding_problem(50_000, 10, seed=0)
    mse = np.mean((y.astype(np.float64) - 1.0) ** 2)
    assert abs(mse - 1 / 6) < 0.005


def test_adding_problem_determinism():
    a, b, c = adding_problem(4, 8, 5), adding_problem(4, 8, 5), adding_problem(4, 8, 6)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    assert not np.array_equal(a[0], c[0])
    with pytest.raises(ValueError, match="T"):
        adding_problem(4, 1, 0)


def test_copy_task_hand_checked_layout():
    # One symbol makes the sequence certain: 1 1 | 0 0 | GO=2 | 0 0, and the target writes 1 1 at the end.
    x, y = copy_task(1, T_seq=2, delay=2, n_symbols=1, seed=0)
    np.testing.assert_array_equal(x[:, 0], [1, 1, 0, 0, 2, 0, 0])
    np.testing.assert_array_equal(y[:, 0], [0, 0, 0, 0, 0, 1, 1])


@pytest.mark.parametrize("T_seq, delay, n_symbols", [(1, 0, 1), (5, 10, 8)])
def test_copy_task_structure(T_seq, delay, n_symbols):
    n = 7
    x, y = copy_task(n, T_seq, delay, n_symbols, seed=3)
    L = 2 * T_seq + delay + 1
    assert x.shape == y.shape == (L, n) and x.dtype == y.dtype == np.int64
    seq = x[:T_seq]
    assert ((seq >= 1) & (seq <= n_symbols)).all()
    np.testing.assert_array_equal(x[T_seq:T_seq + delay], 0)
    np.testing.assert_array_equal(x[T_seq + delay], n_symbols + 1)
    np.testing.assert_array_equal(x[T_seq + delay + 1:], 0)
    np.testing.assert_array_equal(y[:L - T_seq], 0)
    np.testing.assert_array_equal(y[L - T_seq:], seq)


def test_copy_task_determinism_and_errors():
    np.testing.assert_array_equal(copy_task(5, 4, 3, 6, 0)[0], copy_task(5, 4, 3, 6, 0)[0])
    assert not np.array_equal(copy_task(5, 4, 3, 6, 0)[0], copy_task(5, 4, 3, 6, 1)[0])
    with pytest.raises(ValueError, match="delay"):
        copy_task(5, 4, -1, 6, 0)
    with pytest.raises(ValueError, match="n_symbols"):
        copy_task(5, 4, 3, 0, 0)


def test_future_tags_hand_checked():
    x = np.array([0, 1, 1, 0, 1])[:, None]  # (T=5, N=1)
    # k=2: x2 == x0? 1 vs 0 -> 0; x3 == x1? 0 vs 1 -> 0; x4 == x2? 1 vs 1 -> 1; the last two have no x[t+2].
    np.testing.assert_array_equal(future_tags(x, 2)[:, 0], [0, 0, 1, IGNORE_INDEX, IGNORE_INDEX])
    # k=1: x1==x0 no, x2==x1 yes, x3==x2 no, x4==x3 no.
    np.testing.assert_array_equal(future_tags(x, 1)[:, 0], [0, 1, 0, 0, IGNORE_INDEX])
    with pytest.raises(ValueError, match="x"):
        future_tags(np.zeros((5, 1)), 1)


def test_future_tagging_labels_follow_the_rule():
    x, y = future_tagging(6, 12, seed=0, k=3, n_symbols=4)
    assert x.shape == y.shape == (12, 6) and x.dtype == y.dtype == np.int64
    assert ((x >= 0) & (x < 4)).all()
    np.testing.assert_array_equal(y, future_tags(x, 3))
    np.testing.assert_array_equal(y[-3:], IGNORE_INDEX)


def test_future_tagging_past_does_not_predict_label():
    # Whatever a causal model has read (here x[t-1], x[t]), the label is still a fair coin.
    x, y = future_tagging(4000, 20, seed=1, k=2)
    past, now, lab = x[:-3].ravel(), x[1:-2].ravel(), y[1:-2].ravel()
    for a in (0, 1):
        for b in (0, 1):
            sel = (past == a) & (now == b)
            assert abs(lab[sel].mean() - 0.5) < 0.02


def test_future_tagging_determinism_and_errors():
    np.testing.assert_array_equal(future_tagging(3, 9, 0)[0], future_tagging(3, 9, 0)[0])
    assert not np.array_equal(future_tagging(3, 9, 0)[0], future_tagging(3, 9, 1)[0])
    with pytest.raises(ValueError, match="T"):
        future_tagging(3, 2, 0, k=2)
    with pytest.raises(ValueError, match="n_symbols"):
        future_tagging(3, 9, 0, n_symbols=1)
