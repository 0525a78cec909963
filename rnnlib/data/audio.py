r"""Audio features in numpy: frames, a window, the short-time Fourier transform, a mel filterbank, log-mel.

A waveform x (N samples at ``sample_rate`` Hz) becomes a sequence of T feature vectors, one per *frame*: a
window of ``n_fft`` samples starting every ``hop`` samples (25 ms every 10 ms is the usual choice). Each frame is
tapered by a Hann window (so its edges do not add spurious high frequencies), turned into a power spectrum
:math:`|X_k|^2` with the discrete Fourier transform

.. math:: X_k = \sum_{n=0}^{N_{\text{fft}}-1} w_n x_n e^{-2\pi i k n / N_{\text{fft}}}, \qquad
          k = 0, \dots, N_{\text{fft}}/2,

pooled by F triangular filters evenly spaced on the mel scale :math:`m(f) = 2595 \log_{10}(1 + f/700)`, which
is roughly linear below 1 kHz and logarithmic above, like the ear's resolution, and finally compressed by a
logarithm, since loudness is perceived on a log scale and the log turns a gain into an additive offset.
"""

from __future__ import annotations

import numpy as np


def _check_signal(x):
    arr = np.asarray(x, dtype=np.float64)
    if arr.ndim != 1:
        raise ValueError(f"x must be a 1-D waveform of shape (N,), got shape {arr.shape}")
    return arr


def frame_signal(x, n_fft, hop):
    """Cut a waveform into overlapping frames, zero-padding the end so every sample is in a frame.

    Parameters
    ----------
    x : ndarray, shape (N,)
    n_fft : int
        Samples per frame.
    hop : int
        Samples between the starts of consecutive frames.

    Returns
    -------
    frames : ndarray, shape (T, n_fft), T = 1 + ceil(max(N - n_fft, 0) / hop)
    """
    x = _check_signal(x)
    if n_fft < 1 or hop < 1:
        raise ValueError(f"n_fft and hop must be positive, got n_fft={n_fft}, hop={hop}")
    T = 1 + -(-max(len(x) - n_fft, 0) // hop)
    padded = np.zeros((T - 1) * hop + n_fft)
    padded[: len(x)] = x
    idx = np.arange(T)[:, None] * hop + np.arange(n_fft)  # (T, n_fft)
    return padded[idx]


def hann_window(n):
    """The periodic Hann window :math:`w_j = \\sin^2(\\pi j / n)`, shape (n,)."""
    return np.sin(np.pi * np.arange(n) / n) ** 2


def power_spectrogram(x, n_fft=512, hop=220):
    """Power :math:`|X_k|^2` of the Hann-windowed frames.

    Returns
    -------
    power : ndarray, shape (T, n_fft // 2 + 1)
    """
    frames = frame_signal(x, n_fft, hop) * hann_window(n_fft)  # (T, n_fft)
    return np.abs(np.fft.rfft(frames, axis=1)) ** 2


def hz_to_mel(f):
    return 2595.0 * np.log10(1.0 + np.asarray(f, dtype=np.float64) / 700.0)


def mel_to_hz(m):
    return 700.0 * (10.0 ** (np.asarray(m, dtype=np.float64) / 2595.0) - 1.0)


def mel_filterbank(n_mels, n_fft, sample_rate, fmin=0.0, fmax=None):
    """Triangular filters with centres evenly spaced in mel between ``fmin`` and ``fmax`` (default Nyquist).

    Filter j rises linearly from the centre of filter j-1 to its own centre and falls to the centre of j+1,
    with peak 1.

    Returns
    -------
    fb : ndarray, shape (n_mels, n_fft // 2 + 1)
        Row j weights the DFT bins of filter j.
    """
    fmax = sample_rate / 2 if fmax is None else fmax
    if not 0 <= fmin < fmax <= sample_rate / 2:
        raise ValueError(f"need 0 <= fmin < fmax <= sample_rate / 2 = {sample_rate / 2}, got fmin={fmin}, "
                         f"fmax={fmax}")
    edges = mel_to_hz(np.linspace(hz_to_mel(fmin), hz_to_mel(fmax), n_mels + 2))  # (n_mels + 2,)
    freqs = np.arange(n_fft // 2 + 1) * sample_rate / n_fft  # (K,), the centre frequency of each bin
    lower, centre, upper = edges[:-2, None], edges[1:-1, None], edges[2:, None]  # (n_mels, 1) each
    rising = (freqs - lower) / (centre - lower)
    falling = (upper - freqs) / (upper - centre)
    return np.clip(np.minimum(rising, falling), 0.0, None)


def log_mel(x, sample_rate, n_fft=512, hop=220, n_mels=40, floor=1e-10):
    """Log-mel spectrogram: ``log(power @ fb.T + floor)``.

    Parameters
    ----------
    x : ndarray, shape (N,)
        Waveform.
    sample_rate : int
        Hz.
    n_fft, hop : int
        Frame length and step in samples (512 and 220 are 23 ms and 10 ms at 22 050 Hz).
    n_mels : int
        F, the number of filters.
    floor : float
        Added before the log so silence gives a finite value.

    Returns
    -------
    features : ndarray, shape (T, F)
    """
    fb = mel_filterbank(n_mels, n_fft, sample_rate)  # (F, K)
    return np.log(power_spectrogram(x, n_fft, hop) @ fb.T + floor)
