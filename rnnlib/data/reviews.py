"""Review sentences labelled positive or negative: the "Sentiment Labelled Sentences" of Kotzias et al. (2015).

Symbols: N sentences.

3,000 English sentences, 1,000 each from amazon.com (phones and accessories), imdb.com (films) and yelp.com
(restaurants), each source with 500 positive (label 1) and 500 negative (label 0) sentences, labelled by hand.
The files ship with rnnlib in ``rnnlib/data/sentiment/`` (``amazon.json``, ``imdb.json``, ``yelp.json``), so
nothing is downloaded; their README there gives the provenance and the checksums.

- Citation: D. Kotzias, M. Denil, N. de Freitas, P. Smyth, *From Group to Individual Labels Using Deep
  Features*, KDD 2015. Distributed by the UCI Machine Learning Repository (data set 331).
- Licence: CC BY 4.0.
- These copies are the test fixtures of the npm package ``sentiment`` 5.0.2, byte for byte: JSON lists of
  ``{"text": ..., "class": 0 or 1}`` that end with one empty record, which is skipped.

18 sentences occur twice, always with the same label. By default only the first copy is kept (2,982 sentences
remain), so that a sentence cannot be in a training split and a test split at once.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources

import numpy as np

from rnnlib.data.series import check_fractions, stratified_split
from rnnlib.data.synthetic import as_generator

SOURCES = ("amazon", "imdb", "yelp")
"""The three web sites, in the order their sentences are loaded; ``LabelledSentences.sources`` uses these names."""

LABELS = ("negative", "positive")
"""Label c means LABELS[c]."""


@dataclass(frozen=True)
class LabelledSentences:
    """Sentences, their labels and the site each comes from."""

    texts: list[str]     # N sentences, spaces at both ends stripped
    labels: np.ndarray   # (N,) int64, 0 negative, 1 positive
    sources: np.ndarray  # (N,) str, one of SOURCES

    def __len__(self) -> int:
        return len(self.texts)

    def subset(self, idx) -> LabelledSentences:
        """The sentences at the integer indices (or boolean mask) ``idx``, in that order."""
        idx = np.arange(len(self))[np.asarray(idx)]
        return LabelledSentences([self.texts[i] for i in idx], self.labels[idx], self.sources[idx])


@dataclass(frozen=True)
class Reviews:
    """The three splits of :func:`load_reviews`."""

    train: LabelledSentences
    val: LabelledSentences
    test: LabelledSentences


def _read_source(source: str) -> list[dict]:
    with resources.files("rnnlib.data").joinpath("sentiment", f"{source}.json").open(encoding="utf-8") as f:
        return json.load(f)


def review_sentences(sources=SOURCES, dedupe: bool = True) -> LabelledSentences:
    """All labelled sentences of the given sites, in file order, before any split.

    Parameters
    ----------
    sources : sequence of str
        Any of ``"amazon"``, ``"imdb"``, ``"yelp"``.
    dedupe : bool
        Keep only the first copy of a sentence that occurs more than once (compared after stripping spaces),
        across all the requested sources.

    Returns
    -------
    sentences : LabelledSentences
    """
    if isinstance(sources, str):
        sources = (sources,)
    unknown = [s for s in sources if s not in SOURCES]
    if unknown or not sources:
        raise ValueError(f"sources must be a non-empty selection of {list(SOURCES)}, got {list(sources)!r}")
    texts, labels, origin, seen = [], [], [], set()
    for source in sources:
        for record in _read_source(source):
            text = record["text"].strip()
            if not text or record["class"] is None:
                continue
            if dedupe and text in seen:
                continue
            seen.add(text)
            texts.append(text)
            labels.append(int(record["class"]))
            origin.append(source)
    return LabelledSentences(texts, np.array(labels, dtype=np.int64), np.array(origin))


def load_reviews(seed=0, split=(0.7, 0.1, 0.2), sources=SOURCES, dedupe: bool = True) -> Reviews:
    """Labelled review sentences split into train, validation and test sets.

    Every (site, label) group is divided in the same proportions, so each split has the same mix of sites and
    of positive and negative sentences (half and half, up to rounding and the removed duplicates).

    Parameters
    ----------
    seed : int or numpy.random.Generator
        Source of randomness for the split and the order within each split.
    split : tuple of float
        ``(train, validation, test)`` fractions, summing to 1.
    sources : sequence of str
        Which sites to use (see :func:`review_sentences`).
    dedupe : bool
        Drop repeated sentences first (see :func:`review_sentences`).

    Returns
    -------
    reviews : Reviews
        ``train``, ``val``, ``test``, disjoint :class:`LabelledSentences`.
    """
    check_fractions(split, n_parts=3)
    everything = review_sentences(sources, dedupe)
    # One stratum per (site, label) pair.
    strata = np.array([SOURCES.index(s) for s in everything.sources]) * 2 + everything.labels  # (N,)
    parts = stratified_split(strata, split, as_generator(seed))
    return Reviews(*(everything.subset(idx) for idx in parts))
