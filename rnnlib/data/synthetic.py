r"""Synthetic sequence tasks, each built to probe one ability of a recurrent network.

Shapes are time-major. Symbols: T time steps, N examples (the batch axis B once batched), D features.

* :func:`noisy_sine`: next-step prediction of a noisy sinusoid (float inputs and targets).
* :func:`adding_problem`: remember two marked values over T steps and add them (Hochreiter & Schmidhuber, 1997;
  Le et al., 2015).
* :func:`copy_task`: reproduce a symbol sequence after a long blank delay (Arjovsky et al., 2016).
* :func:`future_tagging`: tag each step with a label that depends on a *later* input, which a bidirectional
  network can read and a unidirectional one cannot.

Every generator takes ``seed``: an int, or a ``numpy.random.Generator`` to draw from (and advance). The same
int always gives the same arrays; no global random state is read or written. Float arrays are float32 and
token arrays int64, ready for ``torch.from_numpy``.
"""

from __future__ import annotations

import numbers

import numpy as np

from rnnlib.scratch._validate import check_int  # noqa: F401 -- the one integer check, re-exported for rnnlib.data

IGNORE_INDEX = -100
"""Label of steps without a defined target; ``torch.nn.CrossEntropyLoss`` skips it by default."""


def as_generator(seed) -> np.random.Generator:
    """Return a ``numpy.random.Generator`` for ``seed``, refusing ``None`` so that no data is irreproducible.

    Parameters
    ----------
    seed : int or numpy.random.Generator
        An int builds a fresh generator; a generator is returned as is, so successive calls advance it.

    Returns
    -------
    rng : numpy.random.Generator
    """
    if isinstance(seed, np.random.Generator):
        return seed
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise ValueError(f"seed must be a non-negative int or a numpy.random.Generator, got {seed!r}")
    return np.random.default_rng(int(seed))


def noisy_sine(n, T, seed, noise=0.1, freq_range=(0.025, 0.1)):
    r"""Noisy sinusoids with random frequency and phase, for next-step prediction.

    Example i is :math:`s_t = \sin(2\pi f_i t + \phi_i) + \sigma \epsilon_t` for t = 0, ..., T, with
    :math:`f_i` uniform in ``freq_range`` (cycles per step), :math:`\phi_i` uniform in :math:`[0, 2\pi)` and
    :math:`\epsilon_t` standard normal. Inputs are :math:`s_0, \dots, s_{T-1}` and targets
    :math:`s_1, \dots, s_T`, so ``targets[t] == inputs[t + 1]``. The targets carry the noise too: no model can
    reach a mean squared error below about ``noise ** 2``.

    Parameters
    ----------
    n : int
        Number of sequences N.
    T : int
        Number of time steps.
    seed : int or numpy.random.Generator
        Source of randomness.
    noise : float
        Standard deviation :math:`\sigma` of the additive Gaussian noise, >= 0.
    freq_range : tuple of float
        ``(low, high)`` frequency range in cycles per step, ``0 < low <= high <= 0.5`` (0.5 is Nyquist).

    Returns
    -------
    inputs : ndarray, shape (T, N, 1)
        float32 values at steps 0, ..., T-1.
    targets : ndarray, shape (T, N, 1)
        float32 values at steps 1, ..., T.
    """
    n, T = check_int("n", n, 1), check_int("T", T, 1)
    if not np.isfinite(noise) or noise < 0:
        raise ValueError(f"noise must be a finite float >= 0, got {noise!r}")
    low, high = freq_range
    if not 0 < low <= high <= 0.5:
        raise ValueError(f"freq_range must satisfy 0 < low <= high <= 0.5 cycles per step, got {freq_range!r}")
    rng = as_generator(seed)
    freq = rng.uniform(low, high, size=n)  # (N,)
    phase = rng.uniform(0.0, 2 * np.pi, size=n)  # (N,)
    t = np.arange(T + 1)[:, None]  # (T+1, 1)
    s = np.sin(2 * np.pi * freq * t + phase) + noise * rng.standard_normal((T + 1, n))  # (T+1, N)
    s = s.astype(np.float32)[:, :, None]  # (T+1, N, 1)
    return s[:-1], s[1:]


def adding_problem(n, T, seed):
    """The adding problem: add the two values that a marker channel points at.

    Channel 0 holds values uniform in [0, 1). Channel 1 is a marker that is 1 at exactly two steps, one drawn
    uniformly from the first half ``[0, T // 2)`` and one from the second half ``[T // 2, T)`` (the placement of
    Le et al., 2015), and 0 elsewhere. The target is the sum of the two marked values, read once at the end.

    The sum of two independent U(0, 1) values has mean 1 and variance 1/6, so always predicting 1 gives a mean
    squared error of 1/6 ~ 0.167: a model has learned something only once it beats that.

    Parameters
    ----------
    n : int
        Number of sequences N.
    T : int
        Number of time steps, >= 2.
    seed : int or numpy.random.Generator
        Source of randomness.

    Returns
    -------
    x : ndarray, shape (T, N, 2)
        float32; ``x[:, :, 0]`` values, ``x[:, :, 1]`` markers.
    y : ndarray, shape (N,)
        float32 sum of the two marked values.
    """
    n, T = check_int("n", n, 1), check_int("T", T, 2)
    rng = as_generator(seed)
    values = rng.random((T, n))  # (T, N)
    half = T // 2
    first = rng.integers(0, half, size=n)  # (N,)
    second = rng.integers(half, T, size=n)  # (N,)
    cols = np.arange(n)
    markers = np.zeros((T, n))
    markers[first, cols] = 1.0
    markers[second, cols] = 1.0
    y = values[first, cols] + values[second, cols]  # (N,)
    x = np.stack([values, markers], axis=-1)  # (T, N, 2)
    return x.astype(np.float32), y.astype(np.float32)


def copy_task(n, T_seq, delay, n_symbols, seed):
    r"""The copy (delayed recall) task: read a symbol sequence, wait, then write it back.

    Vocabulary (V = ``n_symbols + 2`` tokens): 0 is the blank, 1, ..., ``n_symbols`` are the symbols to
    remember, and ``n_symbols + 1`` is the go marker. Each sequence has L = ``2 * T_seq + delay + 1`` steps::

        input:  s_1 ... s_Tseq   0 x delay   GO   0 x T_seq
        target: 0 x (T_seq + delay + 1)           s_1 ... s_Tseq

    The symbols are uniform over 1, ..., ``n_symbols``. The network must hold them across ``delay + 1`` steps
    and start writing on the step after the go marker. A memoryless strategy (blanks, then uniform guesses
    once the marker has passed) scores a cross-entropy of :math:`T_{seq} \log(n_{symbols}) / L` per step, the
    baseline of Arjovsky et al. (2016).

    Parameters
    ----------
    n : int
        Number of sequences N.
    T_seq : int
        Length of the sequence to copy, >= 1.
    delay : int
        Blank steps between the sequence and the go marker, >= 0.
    n_symbols : int
        Number of distinct symbols, >= 1.
    seed : int or numpy.random.Generator
        Source of randomness.

    Returns
    -------
    x : ndarray, shape (L, N)
        int64 input tokens.
    y : ndarray, shape (L, N)
        int64 target tokens, 0 (blank) except for the last ``T_seq`` steps.
    """
    n, T_seq = check_int("n", n, 1), check_int("T_seq", T_seq, 1)
    delay, n_symbols = check_int("delay", delay, 0), check_int("n_symbols", n_symbols, 1)
    rng = as_generator(seed)
    L = 2 * T_seq + delay + 1
    symbols = rng.integers(1, n_symbols + 1, size=(T_seq, n))  # (T_seq, N)
    x = np.zeros((L, n), dtype=np.int64)
    y = np.zeros((L, n), dtype=np.int64)
    x[:T_seq] = symbols
    x[T_seq + delay] = n_symbols + 1
    y[L - T_seq:] = symbols
    return x, y


def future_tags(x, k):
    """Labels of the future-tagging task for given tokens: does the input k steps ahead repeat this one?

    ``y[t, i] = 1`` if ``x[t + k, i] == x[t, i]``, else 0, for t < T - k. The last k steps have no input k
    steps ahead and get ``IGNORE_INDEX`` (-100), which ``torch.nn.CrossEntropyLoss`` skips.

    Parameters
    ----------
    x : array_like of int, shape (T, N)
        Input tokens.
    k : int
        How many steps ahead the label looks, >= 1.

    Returns
    -------
    y : ndarray, shape (T, N)
        int64 labels in {0, 1, -100}.
    """
    x = np.asarray(x)
    if x.ndim != 2 or not np.issubdtype(x.dtype, np.integer):
        raise ValueError(f"x must be an int array of shape (T, N), got dtype {x.dtype} and shape {x.shape}")
    k = check_int("k", k, 1)
    y = np.full(x.shape, IGNORE_INDEX, dtype=np.int64)
    y[:-k] = x[k:] == x[:-k]
    return y


def future_tagging(n, T, seed, k=2, n_symbols=2):
    """A tagging task whose label at step t depends on the input at step t + k.

    Inputs are tokens uniform over 0, ..., ``n_symbols - 1``; the label is :func:`future_tags`:
    ``y[t] = 1`` if ``x[t + k] == x[t]``, else 0, and ``IGNORE_INDEX`` for the last k steps.

    Because ``x[t + k]`` is drawn independently of ``x[0], ..., x[t]``, a unidirectional (causal) network sees
    nothing that predicts it: its best accuracy on the labelled steps is ``max(p, 1 - p)`` with
    ``p = 1 / n_symbols``, which is chance (0.5) for the default two symbols. A bidirectional network reads the
    future half of the sequence and can reach 100%. Feed ``x`` through an embedding, or one-hot encode it with
    ``np.eye(n_symbols, dtype=np.float32)[x]`` to get shape (T, N, n_symbols).

    Parameters
    ----------
    n : int
        Number of sequences N.
    T : int
        Number of time steps, > k.
    seed : int or numpy.random.Generator
        Source of randomness.
    k : int
        How far ahead the label looks, >= 1.
    n_symbols : int
        Size of the input alphabet, >= 2.

    Returns
    -------
    x : ndarray, shape (T, N)
        int64 input tokens.
    y : ndarray, shape (T, N)
        int64 labels in {0, 1, -100}.
    """
    n, k = check_int("n", n, 1), check_int("k", k, 1)
    T = check_int("T", T, k + 1)
    n_symbols = check_int("n_symbols", n_symbols, 2)
    x = as_generator(seed).integers(0, n_symbols, size=(T, n))  # (T, N)
    return x, future_tags(x, k)
