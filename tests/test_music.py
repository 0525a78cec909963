import io
import wave

import numpy as np
import pytest

from rnnlib import music


def held(p, n):
    """A note of MIDI pitch p lasting n steps, as one voice's column."""
    return [p] + [-p] * (n - 1)


def test_notes_merge_holds_and_split_repeated_pitches():
    grid = np.array([[60, 0, 0, 0], [-60, 0, 0, 0], [60, 0, 0, 0], [0, 0, 0, -50]], dtype=np.int8)
    # The orphan hold in the bass (nothing sounding before it) starts a note.
    assert music.notes(grid) == [(0, 0, 2, 60), (0, 2, 1, 60), (3, 3, 1, 50)]


def test_synthesize_plays_the_right_pitch_for_the_right_time():
    grid = np.zeros((8, 4), dtype=np.int8)
    grid[:, 1] = held(69, 8)  # A4 in the alto, 440 Hz
    x = music.synthesize(grid, seconds_per_step=0.25, sample_rate=8000, harmonics=(1.0,))
    assert x.dtype == np.float32 and x.shape == (8 * 2000,)
    assert np.abs(x).max() == pytest.approx(0.9, abs=1e-6)
    spectrum = np.abs(np.fft.rfft(x))
    assert np.fft.rfftfreq(x.size, 1 / 8000)[spectrum.argmax()] == pytest.approx(440, abs=1)
    assert abs(x[-1]) < 1e-3 and abs(x[0]) < 1e-3  # the envelope starts and ends at zero: no clicks
    assert not music.synthesize(np.zeros((4, 4), dtype=np.int8)).any()


def test_harmonics_above_nyquist_are_left_out():
    grid = np.zeros((4, 4), dtype=np.int8)
    grid[:, 0] = held(84, 4)  # C6, 1047 Hz: at 4000 samples per second only the fundamental is below 2000 Hz
    x = music.synthesize(grid, sample_rate=4000, harmonics=(1.0, 0.5, 0.3, 0.15))
    freqs = np.fft.rfftfreq(x.size, 1 / 4000)
    spectrum = np.abs(np.fft.rfft(x))
    assert spectrum[freqs > 1300].max() < 1e-3 * spectrum.max()


@pytest.mark.parametrize("bits", [8, 16])
def test_wav_bytes_is_a_readable_mono_wav(bits):
    x = np.sin(np.linspace(0, 20, 800))
    data = music.wav_bytes(x, 8000, bits=bits)
    with wave.open(io.BytesIO(data)) as w:
        assert (w.getnchannels(), w.getsampwidth(), w.getframerate(), w.getnframes()) == (1, bits // 8, 8000, 800)
        frames = w.readframes(800)
    if bits == 8:
        assert music.wav_bytes(np.zeros(3), 8000, 8)[-3:] == bytes([128, 128, 128])  # unsigned, silence at 128
        decoded = (np.frombuffer(frames, np.uint8).astype(float) - 128) / 127
    else:
        decoded = np.frombuffer(frames, "<i2") / 32767
    np.testing.assert_allclose(decoded, x, atol=1 / 127)
    with pytest.raises(ValueError, match="bits"):
        music.wav_bytes(x, 8000, bits=12)


def scale_grid(tonic, minor=False):
    steps = [0, 2, 3, 5, 7, 8, 10] if minor else [0, 2, 4, 5, 7, 9, 11]
    melody = [tonic + s for s in steps] + [tonic + 12, tonic, tonic + 7, tonic + 4 - minor, tonic]
    grid = np.zeros((len(melody), 4), dtype=np.int8)
    grid[:, 0] = melody
    grid[:, 3] = tonic - 12  # the tonic repeated in the bass weighs the tonic
    return grid


def test_key_correlation_names_the_key():
    r, key = music.key_correlation(scale_grid(60))
    assert key == "C major" and r > 0.75
    assert music.key_correlation(scale_grid(67))[1] == "G major"
    assert music.key_correlation(scale_grid(57, minor=True))[1] == "A minor"
    chromatic = np.zeros((12, 4), dtype=np.int8)
    chromatic[:, 0] = np.arange(60, 72)
    assert np.isnan(music.key_correlation(chromatic)[0])


def test_grid_stats_counts_parallels_crossings_and_repeats():
    # Soprano and bass move in parallel octaves twice (C-D-E), alto and tenor hold; then the first bar repeats.
    bar = np.array([[72, 64, 55, 48], [74, -64, -55, 50], [76, -64, -55, 52], [-76, -64, -55, -52]], np.int8)
    grid = np.concatenate([bar, bar])
    stats = music.grid_stats(grid, bar=4)
    # Two per bar, and one more from the last chord of a bar to the first of the next: 5 in 7 transitions.
    assert stats["parallels_per_100"] == pytest.approx(100 * 5 / 7)
    assert stats["repeated_bars"] == 0.5
    assert stats["crossings"] == 0.0
    assert stats["range_soprano"] == 4 and stats["range_alto"] == 0
    assert stats["soprano_step"] == pytest.approx(4 / 5) and stats["soprano_leap"] == 0
    crossed = grid.copy()
    crossed[0, 1] = 80  # the alto above the soprano at step 0
    assert music.grid_stats(crossed, bar=4)["crossings"] == pytest.approx(1 / 8)


def test_bad_grid_raises():
    with pytest.raises(ValueError, match=r"shape \(T, 4\)"):
        music.synthesize(np.zeros((3, 3), dtype=np.int8))
