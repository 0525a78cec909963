"""Character vocabularies, padding, and torch Datasets whose batches come out time-major.

Symbols: T steps (the longest sequence in a batch), B batch, N examples, V vocabulary size.

A :class:`Vocab` maps each character to an id. Four special tokens come first, always with the same ids:
``<pad>`` 0 (fills the steps after a sequence ends), ``<bos>`` 1 and ``<eos>`` 2 (mark where a sequence
begins and ends, for decoders), ``<unk>`` 3 (any character the vocabulary has not seen). Because the padding
id is always 0, :func:`pad_batch` and the collate functions default to it.

Batches are padded to the longest sequence and laid out (T, B), with the lengths (B,) that
``torch.nn.utils.rnn.pack_padded_sequence`` needs and a mask (T, B) that is True on real tokens::

    dataset = SequenceDataset([vocab.encode(name) for name in names], labels)
    loader = DataLoader(dataset, batch_size=32, shuffle=True, collate_fn=collate_sequences)
    for tokens, lengths, mask, labels in loader:  # (T, B), (B,), (T, B), (B,)
        ...
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from typing import NamedTuple

import torch
from torch.utils.data import Dataset

from rnnlib.data.synthetic import check_int
from rnnlib.models._validate import padding_mask

PAD, BOS, EOS, UNK = "<pad>", "<bos>", "<eos>", "<unk>"
SPECIALS = (PAD, BOS, EOS, UNK)
PAD_ID, BOS_ID, EOS_ID, UNK_ID = range(4)


class Vocab:
    """A character-level vocabulary: ids 0-3 are ``<pad>``, ``<bos>``, ``<eos>``, ``<unk>``, then characters.

    Build it with :meth:`Vocab.build`; ``Vocab(chars)`` takes the ordinary characters in id order.

    Parameters
    ----------
    chars : sequence of str
        Distinct single characters, given ids 4, 5, ... in this order.
    """

    def __init__(self, chars: Sequence[str]):
        chars = list(chars)
        if any(not isinstance(c, str) or len(c) != 1 for c in chars) or len(set(chars)) != len(chars):
            raise ValueError("chars must be distinct single-character strings")
        self.itos = [*SPECIALS, *chars]  # id -> token
        self.stoi = {tok: i for i, tok in enumerate(self.itos)}  # token -> id

    @classmethod
    def build(cls, texts: Iterable[str], min_freq: int = 1) -> Vocab:
        """Collect every character that occurs at least ``min_freq`` times in ``texts``.

        Characters are ordered by code point, not by frequency, so that ids do not change when the counts
        shift a little and the table reads like an alphabet.

        Parameters
        ----------
        texts : iterable of str
            The training texts (never the validation or test texts, whose unseen characters should be unknown).
        min_freq : int
            Rarer characters are left out and will encode as ``<unk>``.

        Returns
        -------
        vocab : Vocab
        """
        min_freq = check_int("min_freq", min_freq, 1)
        counts = Counter()
        n_texts = 0
        for text in texts:
            if not isinstance(text, str):
                raise ValueError(f"texts must hold strings, got {type(text).__name__}")
            counts.update(text)
            n_texts += 1
        if n_texts == 0:
            raise ValueError("texts is empty: there are no characters to build a vocabulary from")
        return cls(sorted(c for c, k in counts.items() if k >= min_freq))

    def __len__(self) -> int:
        """V, including the four special tokens."""
        return len(self.itos)

    def __contains__(self, char) -> bool:
        return char in self.stoi

    def __repr__(self) -> str:
        return f"Vocab(V={len(self)}, chars={''.join(self.itos[len(SPECIALS):])!r})"

    def encode(self, text: str, add_bos: bool = False, add_eos: bool = False, strict: bool = False) -> list[int]:
        """Map each character of ``text`` to its id.

        A character outside the vocabulary maps to ``UNK_ID`` (3), unless ``strict`` is true.

        Parameters
        ----------
        text : str
            The text to encode.
        add_bos, add_eos : bool
            Prepend ``BOS_ID`` / append ``EOS_ID``.
        strict : bool
            Raise ``ValueError`` on an unknown character instead of mapping it to ``<unk>``.

        Returns
        -------
        ids : list of int
            ``len(text) + add_bos + add_eos`` ids.
        """
        if not isinstance(text, str):
            raise ValueError(f"text must be a str, got {type(text).__name__}")
        if strict:
            unknown = sorted(set(text) - self.stoi.keys())
            if unknown:
                raise ValueError(f"characters not in the vocabulary: {unknown!r} (strict=True)")
        ids = [self.stoi.get(c, UNK_ID) for c in text]
        return [BOS_ID] * add_bos + ids + [EOS_ID] * add_eos

    def decode(self, ids: Iterable[int], strip_special: bool = True) -> str:
        """Map ids back to text.

        Parameters
        ----------
        ids : iterable of int
            Token ids, for example a list or a 1-D tensor.
        strip_special : bool
            Drop ``<pad>``, ``<bos>`` and ``<eos>``. ``<unk>`` is always written out as ``"<unk>"``: dropping it
            would hide that a character was lost.

        Returns
        -------
        text : str
        """
        out = []
        for i in (int(i) for i in ids):
            if not 0 <= i < len(self.itos):
                raise ValueError(f"id {i} is outside the vocabulary (0 to {len(self.itos) - 1})")
            if not (strip_special and i in (PAD_ID, BOS_ID, EOS_ID)):
                out.append(self.itos[i])
        return "".join(out)


class PaddedBatch(NamedTuple):
    """Sequences padded to a common length, time-major."""

    tokens: torch.Tensor   # (T, B) int64, PAD after each sequence's end
    lengths: torch.Tensor  # (B,) int64
    mask: torch.Tensor     # (T, B) bool, True on real tokens


def pad_batch(seqs: Sequence[Sequence[int]], pad_id: int = PAD_ID) -> PaddedBatch:
    """Pad token sequences to the longest one and stack them time-major.

    Parameters
    ----------
    seqs : sequence of sequence of int
        B sequences of token ids, each non-empty (``pack_padded_sequence`` refuses length 0).
    pad_id : int
        Id written after each sequence's end.

    Returns
    -------
    batch : PaddedBatch
        ``tokens`` (T, B) int64 with T the longest length, ``lengths`` (B,) int64, ``mask`` (T, B) bool with
        ``mask[t, b] == (t < lengths[b])``.
    """
    if len(seqs) == 0:
        raise ValueError("seqs is empty: a batch needs at least one sequence")
    lengths = torch.tensor([len(s) for s in seqs], dtype=torch.int64)  # (B,)
    if (lengths == 0).any():
        raise ValueError(f"sequence {int((lengths == 0).nonzero()[0])} is empty; every sequence needs a token")
    tokens = torch.full((int(lengths.max()), len(seqs)), pad_id, dtype=torch.int64)  # (T, B)
    for b, s in enumerate(seqs):
        tokens[:len(s), b] = torch.as_tensor(s, dtype=torch.int64)
    mask = padding_mask(lengths, tokens.shape[0])  # (T, B)
    return PaddedBatch(tokens, lengths, mask)


def _check_token_lists(name: str, seqs) -> list[list[int]]:
    seqs = [list(map(int, s)) for s in seqs]
    if not seqs:
        raise ValueError(f"{name} is empty: a dataset needs at least one example")
    empty = [i for i, s in enumerate(seqs) if not s]
    if empty:
        raise ValueError(f"{name}[{empty[0]}] is empty; every sequence needs at least one token")
    return seqs


class SequenceDataset(Dataset):
    """Token sequences with one class label each, e.g. surnames and their languages.

    Parameters
    ----------
    seqs : sequence of sequence of int
        N non-empty token-id sequences.
    labels : sequence of int
        N class labels.
    """

    def __init__(self, seqs, labels):
        self.seqs = _check_token_lists("seqs", seqs)
        self.labels = [int(y) for y in labels]
        if len(self.labels) != len(self.seqs):
            raise ValueError(f"seqs and labels must have the same length, got {len(self.seqs)} and "
                             f"{len(self.labels)}")

    def __len__(self) -> int:
        return len(self.seqs)

    def __getitem__(self, i) -> tuple[list[int], int]:
        return self.seqs[i], self.labels[i]


class SequenceBatch(NamedTuple):
    """A collated batch of :class:`SequenceDataset` items."""

    tokens: torch.Tensor   # (T, B) int64
    lengths: torch.Tensor  # (B,) int64
    mask: torch.Tensor     # (T, B) bool
    labels: torch.Tensor   # (B,) int64


def collate_sequences(items, pad_id: int = PAD_ID) -> SequenceBatch:
    """``collate_fn`` for :class:`SequenceDataset`: pad the sequences and stack the labels.

    Parameters
    ----------
    items : list of tuple
        B ``(token_ids, label)`` pairs.
    pad_id : int
        Padding id.

    Returns
    -------
    batch : SequenceBatch
        ``tokens`` (T, B), ``lengths`` (B,), ``mask`` (T, B), ``labels`` (B,).
    """
    seqs, labels = zip(*items) if items else ((), ())
    return SequenceBatch(*pad_batch(seqs, pad_id), torch.tensor(labels, dtype=torch.int64))


class Seq2SeqDataset(Dataset):
    """Source and target token sequences in pairs, e.g. written dates and their ISO form.

    Encode the targets with ``add_eos=True``: :meth:`rnnlib.models.seq2seq.Seq2Seq.forward` feeds ``<bos>`` itself
    and scores ``logits[t]`` against ``tgt[t]``, so a target that also starts with ``<bos>`` (``add_bos=True``)
    must be passed to it as ``tgt[1:]``.

    Parameters
    ----------
    sources : sequence of sequence of int
        N non-empty source sequences.
    targets : sequence of sequence of int
        N non-empty target sequences.
    """

    def __init__(self, sources, targets):
        self.sources = _check_token_lists("sources", sources)
        self.targets = _check_token_lists("targets", targets)
        if len(self.sources) != len(self.targets):
            raise ValueError(f"sources and targets must have the same length, got {len(self.sources)} and "
                             f"{len(self.targets)}")

    def __len__(self) -> int:
        return len(self.sources)

    def __getitem__(self, i) -> tuple[list[int], list[int]]:
        return self.sources[i], self.targets[i]


class Seq2SeqBatch(NamedTuple):
    """A collated batch of :class:`Seq2SeqDataset` items; S and T are the longest source and target.

    ``Seq2Seq`` takes the source as ``model(batch.src, batch.src_lengths, ...)`` or, equally,
    ``model(batch.src, None, ..., src_mask=batch.src_mask)``.
    """

    src: torch.Tensor          #: (S, B) int64
    src_lengths: torch.Tensor  #: (B,) int64
    src_mask: torch.Tensor     #: (S, B) bool, True at real source positions
    tgt: torch.Tensor          #: (T, B) int64
    tgt_lengths: torch.Tensor  #: (B,) int64
    tgt_mask: torch.Tensor     #: (T, B) bool


def collate_seq2seq(items, pad_id: int = PAD_ID) -> Seq2SeqBatch:
    """``collate_fn`` for :class:`Seq2SeqDataset`: pad sources and targets separately.

    Parameters
    ----------
    items : list of tuple
        B ``(source_ids, target_ids)`` pairs.
    pad_id : int
        Padding id.

    Returns
    -------
    batch : Seq2SeqBatch
        ``src`` (S, B), ``src_lengths`` (B,), ``src_mask`` (S, B), ``tgt`` (T, B), ``tgt_lengths`` (B,),
        ``tgt_mask`` (T, B).
    """
    sources, targets = zip(*items) if items else ((), ())
    return Seq2SeqBatch(*pad_batch(sources, pad_id), *pad_batch(targets, pad_id))
