"""rnnlib.data.audio against a direct DFT and the properties a mel filterbank must have."""

import numpy as np
import pytest

from rnnlib.data.audio import (
    frame_signal,
    hann_window,
    hz_to_mel,
    log_mel,
    mel_filterbank,
    mel_to_hz,
    power_spectrogram,
)


@pytest.mark.parametrize("N, n_fft, hop", [(10, 4, 2), (11, 4, 2), (3, 8, 2), (100, 16, 5)])
def test_frames_cover_the_signal(N, n_fft, hop):
    x = np.arange(1, N + 1, dtype=float)
    frames = frame_signal(x, n_fft, hop)
    T = frames.shape[0]
    assert frames.shape == (T, n_fft)
    assert (T - 1) * hop + n_fft >= N > (T - 2) * hop + n_fft or T == 1
    for t in range(T):
        seg = x[t * hop: t * hop + n_fft]
        assert np.array_equal(frames[t, : len(seg)], seg) and np.all(frames[t, len(seg):] == 0)


def test_power_spectrogram_equals_direct_dft(rng):
    n_fft, hop = 16, 6
    x = rng.standard_normal(50)
    frames = frame_signal(x, n_fft, hop) * hann_window(n_fft)
    k, n = np.arange(n_fft // 2 + 1)[:, None], np.arange(n_fft)
    dft = np.exp(-2j * np.pi * k * n / n_fft)  # (K, n_fft), the DFT written out
    direct = np.abs(frames @ dft.T) ** 2
    assert np.allclose(power_spectrogram(x, n_fft, hop), direct, atol=1e-10)


def test_hann_window_is_periodic_and_tapers():
    w = hann_window(8)
    assert w[0] == 0 and abs(w[4] - 1) < 1e-12 and np.allclose(w[1:4], w[7:4:-1])


def test_mel_scale():
    assert abs(hz_to_mel(1000) - 1000) < 0.1  # the scale is defined so that 1 kHz is 1000 mel
    f = np.array([0.0, 300.0, 4000.0, 11025.0])
    assert np.allclose(mel_to_hz(hz_to_mel(f)), f)


def test_filterbank_properties():
    sr, n_fft, F = 16000, 512, 20
    fb = mel_filterbank(F, n_fft, sr)
    assert fb.shape == (F, n_fft // 2 + 1)
    assert fb.min() >= 0 and fb.max() <= 1
    peaks = fb.argmax(axis=1)
    assert np.all(np.diff(peaks) > 0)  # centres rise with the filter index
    widths = (fb > 0).sum(axis=1)
    assert widths[-1] > 3 * widths[1]  # equal in mel, so much wider in Hz at high frequency
    # Neighbouring triangles overlap so that, between the first and last centre, the bank sums to 1.
    inner = np.arange(peaks[0], peaks[-1] + 1)
    assert np.allclose(fb[:, inner].sum(axis=0), 1.0, atol=0.05)


def test_a_tone_lights_the_filter_at_its_frequency():
    sr, n_fft = 16000, 512
    fb = mel_filterbank(30, n_fft, sr)
    centres = fb.argmax(axis=1) * sr / n_fft
    for f0 in (300.0, 1200.0, 5000.0):
        x = np.sin(2 * np.pi * f0 * np.arange(sr // 4) / sr)
        feats = log_mel(x, sr, n_fft=n_fft, hop=160, n_mels=30)
        assert feats.shape == (1 + -(-(len(x) - n_fft) // 160), 30)
        assert abs(centres[feats.mean(axis=0).argmax()] - f0) < 0.1 * f0 + 50


def test_bad_inputs():
    with pytest.raises(ValueError, match=r"1-D waveform of shape \(N,\)"):
        frame_signal(np.zeros((2, 3)), 4, 2)
    with pytest.raises(ValueError, match="n_fft and hop must be positive"):
        frame_signal(np.zeros(10), 4, 0)
    with pytest.raises(ValueError, match="fmax <= sample_rate / 2"):
        mel_filterbank(10, 512, 16000, fmax=9000)
