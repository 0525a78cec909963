"""Scenes of real handwritten digits on a canvas, captioned in words: a small image-captioning task.

Symbols: N scenes, K digits in a scene, G cells per side of the canvas grid, P = G * cell pixels per side.

The digits are scikit-learn's handwritten digits (``sklearn.datasets.load_digits``: 1,797 greyscale images of
8x8 pixels, about 180 per digit, written by 43 people; a copy of the UCI "Optical Recognition of Handwritten
Digits" test set, Alpaydin and Kaynak 1998, CC BY 4.0), which ship inside the scikit-learn wheel. Nothing is
downloaded.

A scene puts K digit images into K distinct cells of a G x G grid, each at a random offset inside its cell, and
is captioned by reading the digits row by row, left to right, naming each digit and how it stands to the next
one: ``"left of"`` when the next digit is in the same row, ``"above"`` when it is in a lower row. Every
statement in a caption is true of its scene, and the caption is a function of the scene::

    . 7 .
    2 . 5     ->  "seven above two left of five"
    . . .

Split the digit images first (:func:`digit_pools`) and compose each part's scenes from its own pool only, so
that a held-out scene never contains a digit image that was seen in training, in any position.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
import torch

from rnnlib.data.series import check_fractions, stratified_split
from rnnlib.data.synthetic import as_generator, check_int
from rnnlib.data.vocab import EOS_ID, SPECIALS, pad_batch

DIGIT_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
RELATION_WORDS = ("left", "of", "above")
#: id -> word: the four special tokens of :mod:`rnnlib.data.vocab` (``<pad>`` 0, ``<bos>`` 1, ``<eos>`` 2,
#: ``<unk>`` 3), then the ten digit names, then the relation words.
CAPTION_WORDS = (*SPECIALS, *DIGIT_WORDS, *RELATION_WORDS)
_WORD_ID = {w: i for i, w in enumerate(CAPTION_WORDS)}
DIGIT_SIZE = 8  # pixels per side of a load_digits image


class DigitPool(NamedTuple):
    """Digit images to compose scenes from."""

    images: np.ndarray  # (M, 8, 8) float32 in [0, 1]
    labels: np.ndarray  # (M,) int64 digit 0-9
    index: np.ndarray   # (M,) int64 row of each image in load_digits, to prove that two pools are disjoint


class Scenes(NamedTuple):
    """Composed scenes, their captions and what is where."""

    images: np.ndarray     # (N, 1, P, P) float32 in [0, 1]; channels first, as torch's Conv2d wants
    captions: list         # N strings of words
    cells: np.ndarray      # (N, K_max) int64 cell r * G + c of each digit, in reading order; -1 pads
    digits: np.ndarray     # (N, K_max) int64 digit in each of those cells; -1 pads
    sources: np.ndarray    # (N, K_max) int64 load_digits row of each digit image; -1 pads


def digit_pools(seed, split=(0.8, 0.2)) -> tuple[DigitPool, ...]:
    """Split scikit-learn's 1,797 digit images into disjoint pools, stratified by digit.

    Parameters
    ----------
    seed : int or numpy.random.Generator
        Source of randomness for the split.
    split : sequence of float
        Share of each pool, at least two, summing to 1, e.g. ``(train, test)`` or ``(train, val, test)``.

    Returns
    -------
    pools : tuple of DigitPool
        One per share; every image is in exactly one pool. Pixel values 0-16 are divided by 16.
    """
    from sklearn.datasets import load_digits

    check_fractions(split)
    digits = load_digits()
    images = (digits.images / 16.0).astype(np.float32)  # (1797, 8, 8)
    labels = digits.target.astype(np.int64)  # (1797,)
    return tuple(DigitPool(images[idx], labels[idx], idx) for idx in stratified_split(labels, split, seed))


def caption_for(cells: Sequence[int], digits: Sequence[int], grid: int) -> str:
    """The caption of a layout: digits in reading order, joined by ``left of`` (same row) or ``above``.

    Parameters
    ----------
    cells : sequence of int
        Distinct cells ``r * grid + c`` holding a digit, in any order.
    digits : sequence of int
        The digit (0-9) in each of those cells.
    grid : int
        G, cells per side.

    Returns
    -------
    caption : str
        For example ``caption_for([1, 3, 5], [7, 2, 5], 3) == "seven above two left of five"``.
    """
    grid = check_int("grid", grid, 1)
    if len(cells) != len(digits) or len(cells) == 0:
        raise ValueError(f"cells and digits must be non-empty and of equal length, got {len(cells)} and {len(digits)}")
    if len(set(cells)) != len(cells) or not all(0 <= c < grid * grid for c in cells):
        raise ValueError(f"cells must be distinct cell numbers in [0, {grid * grid}), got {list(cells)}")
    if not all(0 <= d <= 9 for d in digits):
        raise ValueError(f"digits must be in 0-9, got {list(digits)}")
    order = np.argsort(cells, kind="stable")  # r * G + c sorts row by row, left to right
    words = []
    for k, i in enumerate(order):
        if k > 0:
            same_row = cells[order[k - 1]] // grid == cells[i] // grid
            words += ["left", "of"] if same_row else ["above"]
        words.append(DIGIT_WORDS[digits[i]])
    return " ".join(words)


def make_scenes(pool: DigitPool, n, seed, grid=3, n_digits=(2, 3), cell=12, allowed_cells=None) -> Scenes:
    """Compose N scenes from the images of one pool.

    Each scene draws K uniformly from ``n_digits``, K distinct cells uniformly from ``allowed_cells``, K images
    uniformly from the pool (with replacement across scenes, never twice in one scene), and for each image an
    offset inside its cell, uniform over the ``cell - 8 + 1`` positions in each direction.

    Parameters
    ----------
    pool : DigitPool
        Where the digit images come from (see :func:`digit_pools`).
    n : int
        N, scenes.
    seed : int or numpy.random.Generator
        Source of randomness.
    grid : int
        G, cells per side of the canvas.
    n_digits : sequence of int
        The possible numbers K of digits per scene, each between 1 and the number of allowed cells.
    cell : int
        Pixels per side of a cell, at least 8.
    allowed_cells : sequence of int, optional
        Cells a digit may occupy; all G * G when omitted. Leaving cells out makes layouts never seen in
        training, for a generalisation probe.

    Returns
    -------
    scenes : Scenes
        Images (N, 1, P, P) with P = G * cell, their captions, and the cells, digits and load_digits rows of
        the digits in reading order.
    """
    n = check_int("n", n, 1)
    grid = check_int("grid", grid, 1)
    cell = check_int("cell", cell, DIGIT_SIZE)
    if not isinstance(pool, DigitPool) or len(pool.labels) == 0:
        raise ValueError("pool must be a non-empty DigitPool from digit_pools")
    allowed = np.arange(grid * grid) if allowed_cells is None else np.unique(np.asarray(allowed_cells))
    if allowed.size == 0 or allowed.min() < 0 or allowed.max() >= grid * grid:
        raise ValueError(f"allowed_cells must be cell numbers in [0, {grid * grid}), got {allowed_cells!r}")
    ks = np.asarray(n_digits)
    if ks.ndim != 1 or ks.size == 0 or ks.min() < 1 or ks.max() > min(allowed.size, len(pool.labels)):
        raise ValueError(f"n_digits must hold numbers of digits from 1 to {min(allowed.size, len(pool.labels))} "
                         f"(the allowed cells), got {n_digits!r}")
    rng = as_generator(seed)
    P, K_max = grid * cell, int(ks.max())
    images = np.zeros((n, 1, P, P), dtype=np.float32)
    cells, digits, sources = (np.full((n, K_max), -1, dtype=np.int64) for _ in range(3))
    captions = []
    for i in range(n):
        K = int(rng.choice(ks))
        where = np.sort(rng.choice(allowed, size=K, replace=False))  # reading order
        which = rng.choice(len(pool.labels), size=K, replace=False)  # rows of the pool
        offsets = rng.integers(0, cell - DIGIT_SIZE + 1, size=(K, 2))  # (K, 2) rows, columns
        for k, (c, j) in enumerate(zip(where, which)):
            top, left = (c // grid) * cell + offsets[k, 0], (c % grid) * cell + offsets[k, 1]
            images[i, 0, top:top + DIGIT_SIZE, left:left + DIGIT_SIZE] = pool.images[j]
        cells[i, :K], digits[i, :K], sources[i, :K] = where, pool.labels[which], pool.index[which]
        captions.append(caption_for(where.tolist(), pool.labels[which].tolist(), grid))
    return Scenes(images, captions, cells, digits, sources)


def encode_caption(caption: str) -> list[int]:
    """Word ids of a caption (see ``CAPTION_WORDS``), followed by ``EOS_ID``; an unknown word is an error."""
    if not isinstance(caption, str):
        raise ValueError(f"caption must be a str, got {type(caption).__name__}")
    unknown = [w for w in caption.split() if w not in _WORD_ID or _WORD_ID[w] < len(SPECIALS)]
    if unknown:
        raise ValueError(f"words not in the caption vocabulary: {unknown!r}")
    return [_WORD_ID[w] for w in caption.split()] + [EOS_ID]


def decode_caption(ids) -> str:
    """The words of a sequence of ids, up to the first ``<eos>``; ``<pad>`` and ``<bos>`` are dropped."""
    words = []
    for i in (int(t) for t in ids):
        if i == EOS_ID:
            break
        if not 0 <= i < len(CAPTION_WORDS):
            raise ValueError(f"token id {i} is not in the caption vocabulary of {len(CAPTION_WORDS)} words")
        if i >= len(SPECIALS) or CAPTION_WORDS[i] == "<unk>":
            words.append(CAPTION_WORDS[i])
    return " ".join(words)


class SceneBatch(NamedTuple):
    """Images and their captions, the captions padded time-major."""

    images: torch.Tensor   # (B, 1, P, P) float32
    tokens: torch.Tensor   # (T, B) int64, each caption ending with <eos>, then <pad>
    lengths: torch.Tensor  # (B,) int64 tokens per caption, <eos> included
    mask: torch.Tensor     # (T, B) bool, True on real tokens


def collate_scenes(items) -> SceneBatch:
    """Collate ``(image (1, P, P), caption str)`` pairs, e.g. from ``list(zip(scenes.images, scenes.captions))``.

    Use it as a ``DataLoader``'s ``collate_fn``.
    """
    if len(items) == 0:
        raise ValueError("items is empty: a batch needs at least one scene")
    images = torch.as_tensor(np.stack([np.asarray(img, dtype=np.float32) for img, _ in items]))  # (B, 1, P, P)
    tokens, lengths, mask = pad_batch([encode_caption(c) for _, c in items])
    return SceneBatch(images, tokens, lengths, mask)
