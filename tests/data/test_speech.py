"""rnnlib.data.speech: espeak-ng runs offline, the data are reproducible, the voice split is disjoint."""

import numpy as np
import pytest

from rnnlib.data import speech as sd


def test_voice_variants_are_disjoint_and_exist():
    assert not set(sd.TRAIN_VARIANTS) & set(sd.TEST_VARIANTS)
    for variant in sd.TRAIN_VARIANTS[:3] + sd.TEST_VARIANTS[:3]:
        assert len(sd.synthesize("one", f"en-us+{variant}")) > 0.1 * sd.SAMPLE_RATE


def test_utterances_are_reproducible_and_use_their_split():
    a = sd.spoken_digits(6, "test", keep_waveforms=True, seed=3)
    b = sd.spoken_digits(6, "test", seed=3)
    assert len(a) == 6 and a.texts() == b.texts() and a.voices == b.voices
    assert all(np.array_equal(f, g) for f, g in zip(a.features, b.features))
    assert all(v.split("+")[1] in sd.TEST_VARIANTS for v in a.voices)
    for f, x, ds in zip(a.features, a.waveforms, a.digits):
        assert f.shape[1] == 40 and f.dtype == np.float32
        assert abs(f.shape[0] - len(x) / 220) < 4  # one frame per 10 ms
        assert np.allclose(f.mean(axis=0), 0, atol=1e-4)  # normalised per utterance
        assert 1 <= len(ds) <= 5


def test_noise_has_the_requested_snr(rng):
    x = np.sin(np.arange(20000) / 5)
    noisy = sd.add_noise(x, 10.0, rng)
    snr = 10 * np.log10(np.mean(x ** 2) / np.mean((noisy - x) ** 2))
    assert abs(snr - 10.0) < 0.2


def test_missing_espeak_is_named(monkeypatch):
    monkeypatch.setattr(sd.shutil, "which", lambda name: None)
    with pytest.raises(RuntimeError, match="espeak-ng is not installed"):
        sd.synthesize("one", "en")


def test_bad_arguments():
    with pytest.raises(ValueError, match="split must be"):
        sd.spoken_digits(2, "dev")
    with pytest.raises(ValueError, match="min_digits <= max_digits"):
        sd.spoken_digits(2, min_digits=3, max_digits=2)
