r"""Bach's four-part chorales as note grids and token sequences, from the corpus inside the music21 wheel.

Symbols: T time steps (eighth notes) of one chorale, N chorales, V token vocabulary.

Source: the 371 chorales of J. S. Bach in Riemenschneider's numbering, as encoded in the corpus that ships
inside the ``music21`` package (``music21/corpus/bach/*.mxl``; Cuthbert and Ariza 2010; the corpus files are
distributed with music21 under its BSD licence). Parsing hundreds of MusicXML files with music21 takes minutes,
so :func:`derive_chorales` parses them once and ``python -m rnnlib.data.chorales`` stores the result in the
small file ``rnnlib/data/bach_chorales.npz`` next to this module; :func:`load_chorales` reads that file, and a
test re-derives a few chorales from music21 and compares. Nothing here touches the network.

**The grid.** A chorale of four voices (soprano, alto, tenor, bass) becomes an int8 array of shape (T, 4), one
row per eighth note: ``+p`` where a note of MIDI pitch p starts, ``-p`` where it is still sounding, 0 for a
rest. Notes shorter than an eighth that start between two grid points (passing sixteenths) are dropped, a
note tied over a bar line is one note (a tie between two different pitches is two notes), and a chord inside a
voice keeps its top note. This is the hold symbol
of DeepBach (Hadjeres et al. 2017) on a coarser grid.

**The tokens.** :func:`encode` reads the grid row by row, soprano to bass, one token per voice and step, so a
step is 4 tokens, between ``BOS`` and ``EOS``. A token names its voice and what that voice does: start pitch p,
hold, or rest, so the position inside a step needs no separator (as in BachBot, Liang et al. 2017, with the voice
folded into the token). V = 2 + 4 (P + 2) with P the pitches from ``LOWEST`` to ``HIGHEST``.
"""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

import numpy as np

from rnnlib.data.series import check_fractions
from rnnlib.data.synthetic import as_generator

VOICES = ("soprano", "alto", "tenor", "bass")
#: Quarter notes per grid step: an eighth note.
STEP = 0.5
#: MIDI pitch range of the token vocabulary (C2 to C6): every voice of every chorale, transposed by up to
#: 6 semitones, fits in it.
LOWEST, HIGHEST = 30, 90
N_PITCHES = HIGHEST - LOWEST + 1
BOS, EOS = 0, 1
_PER_VOICE = N_PITCHES + 2  # pitches, then hold, then rest
VOCAB_SIZE = 2 + 4 * _PER_VOICE
DATA_FILE = Path(__file__).with_name("bach_chorales.npz")


class Chorale(NamedTuple):
    """One chorale: its corpus name (``"bach/bwv269"``), Riemenschneider number, and grid."""

    name: str
    number: int
    grid: np.ndarray  # (T, 4) int8: +p onset of MIDI pitch p, -p held, 0 rest; voices S, A, T, B


# ------------------------------------------------------------------------------------------------ from music21

def chorale_grid(score, step: float = STEP) -> np.ndarray:
    """The grid of a music21 score's four voices (parts named Soprano, Alto, Tenor, Bass; others are ignored).

    Parameters
    ----------
    score : music21.stream.Score
    step : float
        Quarter notes per grid row.

    Returns
    -------
    ndarray, shape (T, 4), int8
        T covers the whole score; see the module docstring for the values.
    """
    parts = _satb_parts(score)
    T = int(np.ceil(score.highestTime / step - 1e-9))
    grid = np.zeros((T, 4), dtype=np.int16)
    for v, part in enumerate(parts):
        for n in part.flatten().notes:
            if n.duration.quarterLength == 0:  # grace notes take no time
                continue
            start = int(np.ceil(n.offset / step - 1e-9))
            stop = int(np.ceil((n.offset + n.duration.quarterLength) / step - 1e-9))
            if stop <= start:  # shorter than a step and between two grid points
                continue
            p = max(x.midi for x in n.pitches)
            tied = n.tie is not None and n.tie.type in ("stop", "continue")
            grid[start:stop, v] = -p
            if not tied:
                grid[start, v] = p
    # A few files tie two different pitches, or tie into a note whose start was dropped: a hold that does not
    # continue the pitch sounding before it starts a note instead, so every hold is a true continuation.
    orphan = np.zeros_like(grid, dtype=bool)
    orphan[0] = grid[0] < 0
    orphan[1:] = (grid[1:] < 0) & (-grid[1:] != np.abs(grid[:-1]))
    grid[orphan] = -grid[orphan]
    return grid.astype(np.int8)


def _satb_parts(score) -> list:
    """The soprano, alto, tenor and bass parts of a score, found by name among any instrumental parts; four
    unnamed parts (some Humdrum files) are taken top to bottom if their mean pitches fall in that order."""
    parts = list(score.parts)
    by_name = {(p.partName or "").strip().lower(): p for p in parts}
    if all(v in by_name for v in VOICES):
        return [by_name[v] for v in VOICES]
    if len(parts) == 4 and not any(p.partName for p in parts):
        means = [np.mean([x.midi for n in p.flatten().notes for x in n.pitches] or [0]) for p in parts]
        if all(a > b for a, b in zip(means, means[1:])):
            return parts
    names = [p.partName or p.id for p in parts]
    raise ValueError(f"a chorale needs the parts {VOICES} (by name, or four unnamed parts from high to low), "
                     f"got {names}")


def derive_chorales(names=None) -> list[Chorale]:
    """Parse chorales from music21's corpus into grids (minutes for all of them).

    Parameters
    ----------
    names : list of str, optional
        Corpus names such as ``"bach/bwv269"``; by default all of Riemenschneider's 371 (a few are the same
        file twice). Instrumental parts are ignored; a chorale whose four voices cannot be found is skipped.

    Returns
    -------
    list of Chorale
    """
    from music21 import corpus

    numbers = {}
    for i, name in enumerate(corpus.chorales.Iterator(numberingSystem="riemenschneider", returnType="filename")):
        numbers.setdefault(name, i + 1)
    chosen = list(numbers) if names is None else list(names)
    out = []
    for name in chosen:
        if name not in numbers:
            raise ValueError(f"{name!r} is not one of music21's Riemenschneider chorales (e.g. 'bach/bwv269')")
        try:
            grid = chorale_grid(corpus.parse(name))
        except ValueError:
            continue
        out.append(Chorale(name, numbers[name], grid))
    return out


def save_chorales(chorales: list[Chorale], path: Path = DATA_FILE) -> None:
    """Write chorales to a compressed ``.npz``: the grids concatenated, with their offsets, names and numbers."""
    lengths = [len(c.grid) for c in chorales]
    np.savez_compressed(path, grids=np.concatenate([c.grid for c in chorales]),
                        offsets=np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64),
                        names=np.array([c.name for c in chorales]),
                        numbers=np.array([c.number for c in chorales], dtype=np.int64))


# ------------------------------------------------------------------------------------------------ loading

def load_chorales(path: Path | str = DATA_FILE) -> list[Chorale]:
    """The chorales derived by :func:`derive_chorales` (see the module docstring for the source and licence).

    Returns
    -------
    list of Chorale
        In Riemenschneider's order.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing: derive it from music21's corpus with "
                                "`python -m rnnlib.data.chorales` (a few minutes)")
    with np.load(path) as data:
        grids, offsets = data["grids"], data["offsets"]
        return [Chorale(str(name), int(number), grids[a:b].copy())
                for name, number, a, b in zip(data["names"], data["numbers"], offsets[:-1], offsets[1:])]


def tune_of(grid: np.ndarray) -> tuple[int, ...]:
    """The soprano's melody as intervals between successive notes: the same for a tune in any key."""
    onsets = grid[:, 0][grid[:, 0] > 0].astype(int)
    return tuple(np.diff(onsets))


def split_chorales(chorales: list[Chorale], fractions=(0.8, 0.1, 0.1), seed=0) -> list[list[Chorale]]:
    """Split chorales at random into parts, keeping every harmonisation of one tune in the same part.

    Bach harmonised many hymn tunes several times, and the corpus holds a few chorales twice. Chorales whose
    soprano melodies have the same intervals (:func:`tune_of`) go to the same part, so a held-out chorale is
    never a re-harmonisation, or a copy, of a training one.

    Parameters
    ----------
    chorales : list of Chorale
    fractions : sequence of float
        Share of the tunes in each part, summing to 1.
    seed : int or numpy.random.Generator

    Returns
    -------
    list of lists of Chorale, one per fraction
    """
    fractions = check_fractions(fractions)
    groups = {}
    for c in chorales:
        groups.setdefault(tune_of(c.grid), []).append(c)
    tunes = list(groups.values())
    order = as_generator(seed).permutation(len(tunes))
    bounds = np.round(np.cumsum(fractions) * len(tunes)).astype(int)
    parts, start = [], 0
    for stop in bounds:
        parts.append([c for i in order[start:stop] for c in tunes[i]])
        start = stop
    return parts


def transpose(grid: np.ndarray, semitones: int) -> np.ndarray:
    """The grid moved up by ``semitones`` (down if negative); rests stay rests. (T, 4) int8."""
    g = grid.astype(np.int16)
    out = g + np.sign(g) * int(semitones)
    if (g != 0).any() and (np.abs(out[g != 0]).min() < 1 or np.abs(out).max() > 127):
        raise ValueError(f"transposing by {semitones} leaves the MIDI range 1..127")
    return out.astype(np.int8)


# ------------------------------------------------------------------------------------------------ tokens

def encode(grid: np.ndarray) -> np.ndarray:
    """Tokens of a grid: ``BOS``, then per step the tokens of S, A, T, B, then ``EOS``. Returns (4T + 2,) int64."""
    g = np.asarray(grid)
    if g.ndim != 2 or g.shape[1] != 4:
        raise ValueError(f"grid must have shape (T, 4), got {g.shape}")
    g = g.astype(np.int64)
    pitch = np.abs(g)
    if ((pitch != 0) & ((pitch < LOWEST) | (pitch > HIGHEST))).any():
        raise ValueError(f"grid pitches must lie in [{LOWEST}, {HIGHEST}] (MIDI), got "
                         f"{pitch[pitch > 0].min()}..{pitch.max()}; transpose the chorale")
    within = np.where(g > 0, g - LOWEST, np.where(g < 0, N_PITCHES, N_PITCHES + 1))  # (T, 4) index in a voice
    tokens = 2 + np.arange(4) * _PER_VOICE + within  # (T, 4)
    return np.concatenate([[BOS], tokens.ravel(), [EOS]]).astype(np.int64)


def decode(tokens) -> np.ndarray:
    """The grid written by a token sequence, inverse of :func:`encode`.

    Reading stops at ``EOS``; ``BOS`` is skipped. A generated sequence can be ill-formed: a token of the wrong
    voice for its position ends the grid there, a hold with nothing to hold becomes a rest, and a last
    incomplete step is dropped.

    Returns
    -------
    ndarray, shape (T, 4), int8
    """
    toks = [int(t) for t in np.asarray(tokens).ravel()]
    if toks and toks[0] == BOS:
        toks = toks[1:]
    if EOS in toks:
        toks = toks[:toks.index(EOS)]
    rows, sounding = [], [0, 0, 0, 0]
    for t in range(len(toks) // 4):
        row = []
        for v, tok in enumerate(toks[4 * t:4 * t + 4]):
            voice, within = divmod(tok - 2, _PER_VOICE)
            if tok < 2 or voice != v:
                return np.array(rows, dtype=np.int8).reshape(-1, 4)
            if within < N_PITCHES:
                sounding[v] = LOWEST + within
                row.append(sounding[v])
            elif within == N_PITCHES:
                row.append(-sounding[v])
            else:
                sounding[v] = 0
                row.append(0)
        rows.append(row)
    return np.array(rows, dtype=np.int8).reshape(-1, 4)


def legal_mask(T: int) -> np.ndarray:
    """Which tokens the encoding's grammar permits at each position of a sequence of T tokens.

    Position 0 is ``BOS``; position p >= 1 belongs to voice (p - 1) mod 4 and permits that voice's tokens
    only, and at the start of a step (voice 0) also ``EOS``. A model can waste probability on tokens that can
    never occur there; renormalising over the permitted ones removes that handicap, and sampling under the mask
    keeps every sample well formed.

    Returns
    -------
    ndarray, shape (T, V), bool
    """
    mask = np.zeros((T, VOCAB_SIZE), dtype=bool)
    mask[0, BOS] = True
    p = np.arange(1, T)
    voice = (p - 1) % 4
    for v in range(4):
        rows = p[voice == v]
        mask[rows, 2 + v * _PER_VOICE:2 + (v + 1) * _PER_VOICE] = True
    mask[p[voice == 0], EOS] = True
    return mask


def token_name(token: int) -> str:
    """A readable name: ``"<bos>"``, ``"S:G4"``, ``"A:hold"``, ``"B:rest"``."""
    if token == BOS:
        return "<bos>"
    if token == EOS:
        return "<eos>"
    voice, within = divmod(int(token) - 2, _PER_VOICE)
    if not 0 <= voice < 4:
        raise ValueError(f"token must be in [0, {VOCAB_SIZE}), got {token}")
    what = "hold" if within == N_PITCHES else "rest" if within == N_PITCHES + 1 else pitch_name(LOWEST + within)
    return f"{'SATB'[voice]}:{what}"


def pitch_name(midi: int) -> str:
    """Scientific pitch name of a MIDI number with sharps: 60 is ``"C4"``, 61 ``"C#4"``."""
    names = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")
    return f"{names[midi % 12]}{midi // 12 - 1}"


if __name__ == "__main__":
    chorales = derive_chorales()
    save_chorales(chorales)
    print(f"{len(chorales)} chorales, {sum(len(c.grid) for c in chorales)} steps -> {DATA_FILE}")
