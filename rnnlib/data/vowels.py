"""Real recorded speech: the Japanese Vowels set of Kudo, Toyama and Shimbo (1999), for speaker recognition.

Symbols: N utterances, T_i frames of utterance i, D = 12 features per frame.

Nine male speakers each said the vowels /ae/ in one go; every utterance was cut into 25.6 ms frames (6.4 ms
apart) and each frame summarised by 12 LPC cepstrum coefficients, so an utterance is 7 to 29 frames of 12
numbers. The task is to say which speaker it was. The official split has 270 training utterances (30 per
speaker) and 370 test utterances recorded on other occasions (24 to 88 per speaker).

The two files ship with rnnlib in ``rnnlib/data/japanese_vowels/`` (copied from the aeon 1.6.0 wheel, in the
``.ts`` format of the UEA & UCR time series archive), so nothing is downloaded; the README there gives the
provenance, the format and the checksums.

- Citation: M. Kudo, J. Toyama, M. Shimbo, *Multidimensional Curve Classification Using Passing-Through
  Regions*, Pattern Recognition Letters 20(11-13), 1103-1111, 1999. UCI Machine Learning Repository, data
  set 128, doi:10.24432/C5NS47.
- Licence: CC BY 4.0.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources

import numpy as np

D = 12
"""LPC cepstrum coefficients per frame."""

NUM_SPEAKERS = 9
"""Speakers 0-8 (the files number them 1-9)."""

SPLITS = {"train": "JapaneseVowels_TRAIN.ts", "test": "JapaneseVowels_TEST.ts"}
"""The official split and the vendored file that holds each part."""


@dataclass(frozen=True)
class Utterances:
    """Utterances of /ae/ as time-major frames, with who said them."""

    frames: list[np.ndarray]  # N arrays (T_i, D) float64, T_i in 7-29
    speakers: np.ndarray      # (N,) int64 in 0-8

    def __len__(self) -> int:
        return len(self.frames)

    @property
    def lengths(self) -> np.ndarray:
        """(N,) int64, the number of frames T_i of each utterance."""
        return np.array([len(x) for x in self.frames], dtype=np.int64)

    def padded(self) -> np.ndarray:
        """All utterances zero-padded after their end to the longest: (T_max, N, D) float64, time-major.

        Pass :attr:`lengths` along so that a model packs the batch and never reads the padding.
        """
        x = np.zeros((int(self.lengths.max()), len(self), D))  # (T_max, N, D)
        for i, frames in enumerate(self.frames):
            x[:len(frames), i] = frames
        return x


def parse_ts(text: str, name: str = "<text>") -> tuple[list[np.ndarray], np.ndarray]:
    """Read a multivariate, unequal-length ``.ts`` file with class labels.

    Lines starting with ``#`` are comments and ``@`` lines the header up to ``@data``; every later line is
    one series: its dimensions separated by ``:``, each a comma-separated list of values, and the class
    label last.

    Parameters
    ----------
    text : str
        The file's contents.
    name : str
        The file's name, for error messages.

    Returns
    -------
    series : list of ndarray (T_i, D) float64
        Each series transposed to time-major: row t holds the D values at step t.
    labels : ndarray (N,) str
        The class label of each series, as written.
    """
    lines = text.splitlines()
    try:
        start = next(i for i, line in enumerate(lines) if line.strip().lower() == "@data") + 1
    except StopIteration:
        raise ValueError(f"{name}: no @data line, so this is not a .ts file") from None
    series, labels = [], []
    for number, line in enumerate(lines[start:], start=start + 1):
        if not line.strip():
            continue
        *dims, label = line.split(":")
        values = [np.array(dim.split(","), dtype=np.float64) for dim in dims]  # D arrays (T_i,)
        if not values or len({len(v) for v in values}) != 1:
            raise ValueError(f"{name}, line {number}: dimensions of different lengths "
                             f"{[len(v) for v in values]}")
        series.append(np.stack(values, axis=1))  # (T_i, D)
        labels.append(label.strip())
    return series, np.array(labels)


def japanese_vowels(split: str = "train") -> Utterances:
    """Load one part of the official split of the Japanese Vowels set, in file order.

    Parameters
    ----------
    split : {"train", "test"}
        ``"train"``: 270 utterances, 30 per speaker; ``"test"``: 370 utterances, 24 to 88 per speaker,
        recorded on other occasions.

    Returns
    -------
    Utterances
        ``frames[i]`` (T_i, 12) LPC cepstrum coefficients, T_i in 7-29; ``speakers`` (N,) in 0-8, grouped
        by speaker as in the file.
    """
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; expected one of {list(SPLITS)}")
    path = resources.files("rnnlib.data").joinpath("japanese_vowels", SPLITS[split])
    frames, labels = parse_ts(path.read_text(encoding="ascii"), SPLITS[split])
    if any(x.shape[1] != D for x in frames):
        raise ValueError(f"{SPLITS[split]}: expected {D} dimensions in every utterance")
    speakers = labels.astype(np.int64) - 1  # the file numbers speakers 1-9
    return Utterances(frames, speakers)
