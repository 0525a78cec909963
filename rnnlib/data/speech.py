"""Spoken digit strings from a real speech synthesizer, espeak-ng, with many voices, speeds, pitches and noise.

Source: espeak-ng (GPL-3.0, https://github.com/espeak-ng/espeak-ng), the Debian package ``espeak-ng`` that
``.ci/run`` installs; nothing is downloaded. espeak-ng is a formant synthesizer: it builds speech from rules and
acoustic parameters, not from recordings, so its voices are cleaner and more regular than people. Every
utterance reads a random string of digits ("four oh seven" is written "four zero seven") with a voice made of an
English accent (British, American, Scottish, Caribbean, ...) and one of espeak-ng's voice variants (male,
female, croaky, whispered, robotic, ...), at a random speed (words per minute) and pitch, and white noise is
added at a random signal-to-noise ratio.

Train and test use disjoint variants (:data:`TEST_VARIANTS`), so test scores measure generalisation to voices
the model has never heard. Synthesis costs about 0.05 s of wall time per utterance (one espeak-ng process
each); :func:`spoken_digits` runs two at a time.
"""

from __future__ import annotations

import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from rnnlib.data.audio import log_mel
from rnnlib.data.synthetic import as_generator

#: espeak-ng's output rate, Hz.
SAMPLE_RATE = 22050
WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
BLANK = 0  # output symbol 0 is CTC's blank; digit d is symbol d + 1
ACCENTS = ("en-gb", "en-us", "en-gb-scotland", "en-gb-x-rp", "en-gb-x-gbclan", "en-gb-x-gbcwmd", "en-029",
           "en-us-nyc")
#: Voice variants heard in training (combined with every accent of ``ACCENTS``).
TRAIN_VARIANTS = ("m1", "m2", "m3", "m4", "m5", "m6", "m7", "f1", "f2", "f3", "f4", "croak", "klatt", "klatt2",
                  "klatt3", "Alex", "Andy", "Annie", "Denis", "Gene", "Jacky", "Lee", "Mike", "Storm", "adam",
                  "anika", "aunty", "belinda", "boris", "david", "ed", "grandma", "john", "linda", "max",
                  "norbert", "paul", "quincy", "rob", "steph", "travis", "whisper", "zac")
#: Voice variants heard only in testing: disjoint from ``TRAIN_VARIANTS``.
TEST_VARIANTS = ("m8", "f5", "klatt4", "Alicia", "Hugo", "Michael", "benjamin", "edward", "grandpa", "iven",
                 "robert", "shelby")


@dataclass
class SpokenDigits:
    """Utterances with their features and transcripts.

    ``features[i]`` is (T_i, F) log-mel frames; ``digits[i]`` the spoken digits (ints 0-9); ``voices[i]`` the
    espeak-ng voice (accent+variant); ``waveforms[i]`` the noisy audio at :data:`SAMPLE_RATE` Hz (kept only
    when asked for).
    """

    features: list
    digits: list
    voices: list
    waveforms: list | None = None

    def __len__(self):
        return len(self.features)

    def texts(self):
        """Transcripts as strings of digits, e.g. "407"."""
        return ["".join(str(d) for d in ds) for ds in self.digits]


def synthesize(text, voice, speed=160, pitch=50):
    """Run espeak-ng once and return its waveform, float64 in [-1, 1], shape (N,), at :data:`SAMPLE_RATE` Hz."""
    exe = shutil.which("espeak-ng")
    if exe is None:
        raise RuntimeError("espeak-ng is not installed: apt-get install espeak-ng (see .ci/run)")
    out = subprocess.run([exe, "-v", voice, "-s", str(speed), "-p", str(pitch), "--stdout", text],
                         capture_output=True, check=True).stdout
    # A 44-byte RIFF header, then 16-bit mono PCM (the header's length fields are unset when streaming).
    return np.frombuffer(out[44:], dtype="<i2").astype(np.float64) / 32768.0


def add_noise(x, snr_db, rng):
    """Add white noise so that signal power / noise power is ``snr_db`` decibels."""
    power = np.mean(x ** 2) if len(x) else 0.0
    sigma = np.sqrt(power / 10 ** (snr_db / 10))
    return x + sigma * rng.standard_normal(len(x))


def normalize(features):
    """Per-utterance mean and variance normalisation of (T, F) features: each filter gets mean 0, std 1.

    It removes a constant gain (an offset after the log) and a constant channel colouring, which differ between
    voices and recordings but say nothing about the words.
    """
    return (features - features.mean(axis=0)) / (features.std(axis=0) + 1e-5)


def spoken_digits(n, split="train", min_digits=1, max_digits=5, snr_db=(10.0, 40.0), speed=(120, 220),
                  pitch=(20, 80), n_mels=40, keep_waveforms=False, seed=0, workers=2):
    """Synthesize ``n`` utterances of random digit strings and compute their log-mel features.

    Parameters
    ----------
    n : int
        Number of utterances.
    split : {"train", "test"}
        Which voice variants to use (:data:`TRAIN_VARIANTS` or :data:`TEST_VARIANTS`); accents are shared.
    min_digits, max_digits : int
        Length range of the digit strings.
    snr_db, speed, pitch : (low, high)
        Uniform ranges of the signal-to-noise ratio (dB), espeak-ng's words per minute and pitch (0-99).
    n_mels : int
        F, log-mel filters (frames are 23 ms every 10 ms), normalised per utterance by :func:`normalize`.
    keep_waveforms : bool
        Also return the noisy waveforms.
    seed : int or numpy.random.Generator
    workers : int
        espeak-ng processes run at once.

    Returns
    -------
    SpokenDigits
    """
    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    if not 1 <= min_digits <= max_digits:
        raise ValueError(f"need 1 <= min_digits <= max_digits, got {min_digits}, {max_digits}")
    rng = as_generator(seed)
    variants = TRAIN_VARIANTS if split == "train" else TEST_VARIANTS
    jobs = []
    for _ in range(n):
        digits = rng.integers(0, 10, size=rng.integers(min_digits, max_digits + 1)).tolist()
        voice = f"{ACCENTS[rng.integers(len(ACCENTS))]}+{variants[rng.integers(len(variants))]}"
        jobs.append((digits, voice, int(rng.integers(speed[0], speed[1] + 1)),
                     int(rng.integers(pitch[0], pitch[1] + 1)), float(rng.uniform(*snr_db))))
    with ThreadPoolExecutor(workers) as pool:
        clean = list(pool.map(lambda j: synthesize(" ".join(WORDS[d] for d in j[0]), j[1], j[2], j[3]), jobs))
    # Noise is drawn in order after synthesis, so the data do not depend on thread scheduling.
    noisy = [add_noise(x, job[4], rng) for x, job in zip(clean, jobs)]
    features = [normalize(log_mel(x, SAMPLE_RATE, n_mels=n_mels)).astype(np.float32) for x in noisy]
    return SpokenDigits(features, [j[0] for j in jobs], [j[1] for j in jobs], noisy if keep_waveforms else None)
