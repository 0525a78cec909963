r"""Listen to a four-voice note grid and measure it: additive synthesis into WAV, key-finding and voice-leading counts.

A grid is the int8 array of :mod:`rnnlib.data.chorales`, shape (T, 4): one row per time step (an eighth note),
voices soprano, alto, tenor, bass; ``+p`` where a note of MIDI pitch p starts, ``-p`` while it is held, 0 for a
rest. Everything here is numpy, deterministic, and offline: no synthesiser, no soundfont, no network.

* :func:`synthesize` and :func:`wav_bytes`: each note is a sum of a few harmonics under an attack-decay-release
  envelope, the four voices are mixed, and the result is written as a mono PCM WAV file in memory, small enough
  to embed in a web page.
* :func:`key_correlation`: the Krumhansl-Schmuckler key-finding algorithm (Krumhansl 1990): correlate the
  duration-weighted pitch-class histogram with the 24 rotated Krumhansl-Kessler key profiles; the best
  correlation says how clearly the music is in one key, and its rotation names the key.
* :func:`grid_stats`: pitch range, melodic intervals of the soprano, parallel fifths and octaves, voice
  crossings and repetition, the numbers a music theory student would look at first.
"""

from __future__ import annotations

import io
import wave

import numpy as np

#: Krumhansl and Kessler's probe-tone ratings of the 12 pitch classes in C major and C minor (Krumhansl 1990).
KK_MAJOR = np.array([6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88])
KK_MINOR = np.array([6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17])
PITCH_CLASSES = ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")


def _check_grid(grid) -> np.ndarray:
    g = np.asarray(grid)
    if g.ndim != 2 or g.shape[1] != 4 or not np.issubdtype(g.dtype, np.integer):
        raise ValueError(f"grid must be an integer array of shape (T, 4), got shape {g.shape}, dtype {g.dtype}")
    return g.astype(np.int64)


def notes(grid) -> list[tuple[int, int, int, int]]:
    """The notes of a grid as ``(voice, start, length, midi)``, start and length in steps, voice 0 = soprano.

    A hold (``-p``) continues the note before it; a hold with no note before it, or of another pitch, starts
    a note (generated grids can contain such holds).
    """
    g = _check_grid(grid)
    out = []
    for v in range(4):
        current = None  # [start, length, midi] of the note sounding now
        for t, x in enumerate(g[:, v]):
            if x < 0 and current is not None and current[2] == -x and current[0] + current[1] == t:
                current[1] += 1
                continue
            if current is not None:
                out.append((v, *current))
                current = None
            if x != 0:
                current = [t, 1, abs(int(x))]
        if current is not None:
            out.append((v, *current))
    return sorted(out, key=lambda n: (n[1], n[0]))


def synthesize(grid, seconds_per_step: float = 0.3, sample_rate: int = 8000,
               harmonics=(1.0, 0.5, 0.3, 0.15)) -> np.ndarray:
    r"""Render a grid as sound: every note a sum of harmonics under an envelope, the voices mixed.

    A note of MIDI pitch p has the fundamental :math:`f = 440 \cdot 2^{(p - 69)/12}` Hz; harmonic k has
    amplitude ``harmonics[k-1]`` and is left out above the Nyquist frequency ``sample_rate / 2``. The envelope
    rises in 15 ms, decays slowly like a plucked or struck string, and falls to zero in the last 30 ms of the
    note, so repeated notes are heard as separate attacks.

    Parameters
    ----------
    grid : ndarray, shape (T, 4)
    seconds_per_step : float
        Duration of one grid step (0.3 s per eighth note is a quarter note of 100 beats per minute).
    sample_rate : int
        Samples per second.
    harmonics : sequence of float
        Amplitudes of the harmonics 1, 2, ...

    Returns
    -------
    ndarray, shape (N,), float32
        N = T * seconds_per_step * sample_rate samples, peak amplitude 0.9 (silence stays 0).
    """
    g = _check_grid(grid)
    if not seconds_per_step > 0 or not sample_rate > 0:
        raise ValueError("seconds_per_step and sample_rate must be positive")
    n_total = int(round(len(g) * seconds_per_step * sample_rate))
    out = np.zeros(n_total)
    attack, release = int(0.015 * sample_rate), int(0.03 * sample_rate)
    for _, start, length, midi in notes(g):
        a = int(round(start * seconds_per_step * sample_rate))
        n = min(int(round(length * seconds_per_step * sample_rate)), n_total - a)
        t = np.arange(n) / sample_rate
        f = 440.0 * 2.0 ** ((midi - 69) / 12)
        tone = sum(amp * np.sin(2 * np.pi * k * f * t) for k, amp in enumerate(harmonics, start=1)
                   if k * f < sample_rate / 2)
        env = np.exp(-t / 1.5)
        env[:attack] *= np.linspace(0.0, 1.0, min(attack, n), endpoint=False)
        r = min(release, n)
        env[n - r:] *= np.linspace(1.0, 0.0, r)
        out[a:a + n] += tone * env
    peak = np.abs(out).max() if out.size else 0.0
    return (0.9 * out / peak if peak > 0 else out).astype(np.float32)


def wav_bytes(signal, sample_rate: int = 8000, bits: int = 8) -> bytes:
    """A mono PCM WAV file holding ``signal`` (values in [-1, 1]), as bytes.

    8-bit samples halve the size of 16-bit ones (audible as a faint hiss), which matters when the file is
    embedded in a web page as base64.

    Parameters
    ----------
    signal : ndarray, shape (N,)
    sample_rate : int
    bits : {8, 16}

    Returns
    -------
    bytes
    """
    x = np.clip(np.asarray(signal, dtype=np.float64), -1.0, 1.0)
    if x.ndim != 1:
        raise ValueError(f"signal must be 1-D (mono), got shape {x.shape}")
    if bits == 8:
        data = np.round(x * 127 + 128).astype(np.uint8).tobytes()  # 8-bit WAV is unsigned, silence at 128
    elif bits == 16:
        data = np.round(x * 32767).astype("<i2").tobytes()
    else:
        raise ValueError(f"bits must be 8 or 16, got {bits}")
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(bits // 8)
        w.setframerate(int(sample_rate))
        w.writeframes(data)
    return buffer.getvalue()


def pitch_class_histogram(grid) -> np.ndarray:
    """How many steps each pitch class sounds, summed over the voices: (12,) float64, C first."""
    g = np.abs(_check_grid(grid))
    return np.bincount(g[g > 0] % 12, minlength=12).astype(np.float64)


def key_correlation(grid) -> tuple[float, str]:
    """Krumhansl-Schmuckler key-finding: the best correlation with a key profile, and that key.

    Returns
    -------
    r : float
        Largest Pearson correlation between the pitch-class histogram and the 24 profiles (12 major, 12 minor
        keys); near 0.9 for tonal music firmly in one key, lower when the pitch classes are spread out. NaN
        when the histogram cannot be correlated (fewer than two pitch classes, or all twelve equally often).
    key : str
        ``"G major"``, ``"E minor"``, ...
    """
    hist = pitch_class_histogram(grid)
    if (hist > 0).sum() < 2 or hist.std() == 0:
        return float("nan"), ""
    best, name = -np.inf, ""
    for mode, profile in (("major", KK_MAJOR), ("minor", KK_MINOR)):
        for tonic in range(12):
            r = np.corrcoef(hist, np.roll(profile, tonic))[0, 1]
            if r > best:
                best, name = r, f"{PITCH_CLASSES[tonic]} {mode}"
    return float(best), name


def grid_stats(grid, bar: int = 8) -> dict[str, float]:
    """Musical measurements of one grid.

    Parameters
    ----------
    grid : ndarray, shape (T, 4)
    bar : int
        Steps per bar (8 eighth notes in 4/4), the window of ``repeated_bars``.

    Returns
    -------
    dict of float
        ``key_r``: :func:`key_correlation`; ``range_<voice>``: highest minus lowest pitch, in semitones;
        ``soprano_step``: share of the soprano's melodic intervals that are steps (1 or 2 semitones) and
        ``soprano_leap``: larger than a fourth (more than 5 semitones); ``parallels_per_100``: consecutive
        perfect fifths or octaves between two voices that both move, per 100 steps; ``crossings``: share of
        steps where a lower voice sounds above the one above it; ``repeated_bars``: share of the bars (windows
        of ``bar`` steps at multiples of ``bar``) identical to an earlier bar.
    """
    g = _check_grid(grid)
    sounding = np.abs(g)  # (T, 4), 0 where resting
    stats = {"key_r": key_correlation(g)[0]}
    for v, name in enumerate(("soprano", "alto", "tenor", "bass")):
        p = sounding[:, v][sounding[:, v] > 0]
        stats[f"range_{name}"] = float(p.max() - p.min()) if p.size else float("nan")
    melody = [n[3] for n in notes(g) if n[0] == 0]
    steps = np.abs(np.diff(melody))
    steps = steps[steps > 0]  # repeated notes are neither steps nor leaps
    stats["soprano_step"] = float(np.mean(steps <= 2)) if steps.size else float("nan")
    stats["soprano_leap"] = float(np.mean(steps > 5)) if steps.size else float("nan")
    parallels = 0
    both = (sounding[:-1] > 0) & (sounding[1:] > 0)  # (T-1, 4)
    for i in range(4):
        for j in range(i + 1, 4):
            ok = both[:, i] & both[:, j]
            moved = (sounding[1:, i] != sounding[:-1, i]) & (sounding[1:, j] != sounding[:-1, j])
            before = (sounding[:-1, i] - sounding[:-1, j]) % 12
            after = (sounding[1:, i] - sounding[1:, j]) % 12
            perfect = ((before == 7) & (after == 7)) | ((before == 0) & (after == 0))
            parallels += int((ok & moved & perfect).sum())
    stats["parallels_per_100"] = 100.0 * parallels / max(len(g) - 1, 1)
    pairs = [(sounding[:, v], sounding[:, v + 1]) for v in range(3)]
    crossed = np.zeros(len(g), dtype=bool)
    for upper, lower in pairs:
        crossed |= (upper > 0) & (lower > 0) & (lower > upper)
    stats["crossings"] = float(crossed.mean()) if len(g) else float("nan")
    bars = [g[s:s + bar].tobytes() for s in range(0, len(g) - bar + 1, bar)]
    stats["repeated_bars"] = float(np.mean([b in bars[:k] for k, b in enumerate(bars)])) if bars else float("nan")
    return stats
