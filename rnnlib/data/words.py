"""Word-level tokenisation and a word vocabulary with the same special tokens and interface as :class:`Vocab`.

Symbols: N texts, V vocabulary size.

:func:`tokenize` lower-cases a text and cuts it into words, keeping contractions whole (``didn't`` is one
token, so that a negation stays visible as a word) and ``!`` and ``?`` as tokens of their own (they carry
sentiment); all other punctuation is dropped. :class:`WordVocab` is a :class:`~rnnlib.data.vocab.Vocab` whose
ordinary tokens are words instead of characters: ids 0-3 are still ``<pad>``, ``<bos>``, ``<eos>``, ``<unk>``,
so :func:`~rnnlib.data.vocab.pad_batch`, :class:`~rnnlib.data.vocab.SequenceDataset` and
:func:`~rnnlib.data.vocab.collate_sequences` work unchanged::

    vocab = WordVocab.build(train_texts, min_freq=2)          # the training texts only
    dataset = SequenceDataset([vocab.encode(t) for t in train_texts], train_labels)
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence

from rnnlib.data.synthetic import check_int
from rnnlib.data.vocab import BOS_ID, EOS_ID, PAD_ID, SPECIALS, UNK_ID, Vocab

# A word is a run of letters or digits, optionally followed by apostrophe parts (don't, it's, o'clock).
TOKEN_PATTERN = re.compile(r"[^\W_]+(?:'[^\W_]+)*|[!?]")
# Typographic apostrophes and the Windows-1252 quote that some scraped text carries become "'".
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\x92": "'", "`": "'"})


def tokenize(text: str) -> list[str]:
    """Lower-case ``text`` and split it into words, ``!`` and ``?``.

    Parameters
    ----------
    text : str
        Any text.

    Returns
    -------
    tokens : list of str
        For example ``tokenize("Didn't LOVE it... 5/10!")`` is ``["didn't", "love", "it", "5", "10", "!"]``;
        empty if ``text`` has no letters, digits, ``!`` or ``?``.
    """
    if not isinstance(text, str):
        raise ValueError(f"text must be a str, got {type(text).__name__}")
    return TOKEN_PATTERN.findall(text.translate(_APOSTROPHES).lower())


class WordVocab(Vocab):
    """A word-level vocabulary: ids 0-3 are ``<pad>``, ``<bos>``, ``<eos>``, ``<unk>``, then words.

    Build it with :meth:`WordVocab.build`; ``WordVocab(words)`` takes the ordinary words in id order.

    Parameters
    ----------
    words : sequence of str
        Distinct non-empty strings without whitespace, none of them a special token; given ids 4, 5, ...
    tokenizer : callable, optional
        ``str -> list of str``, used by :meth:`encode` (and by :meth:`build`); :func:`tokenize` by default.
    """

    def __init__(self, words: Sequence[str], tokenizer: Callable[[str], list[str]] = tokenize):
        # Vocab.__init__ insists on single characters; a word vocabulary checks its own tokens instead.
        words = list(words)
        bad = [w for w in words if not isinstance(w, str) or not w or any(c.isspace() for c in w) or w in SPECIALS]
        if bad:
            raise ValueError(f"words must be non-empty strings without whitespace and not a special token, "
                             f"got {bad[:5]!r}")
        if len(set(words)) != len(words):
            raise ValueError("words must be distinct")
        self.tokenizer = tokenizer
        self.itos = [*SPECIALS, *words]  # id -> token
        self.stoi = {tok: i for i, tok in enumerate(self.itos)}  # token -> id

    @classmethod
    def build(cls, texts: Iterable[str], min_freq: int = 1, max_size: int | None = None,
              tokenizer: Callable[[str], list[str]] = tokenize) -> WordVocab:
        """Collect the words that occur at least ``min_freq`` times in ``texts``.

        Words are ordered by decreasing count, ties alphabetically, so that ``max_size`` keeps the most frequent
        and the ids do not depend on the order of the texts.

        Parameters
        ----------
        texts : iterable of str
            The training texts (never the validation or test texts: their unseen words should be unknown, as
            they will be for any new text).
        min_freq : int
            Rarer words are left out and will encode as ``<unk>``.
        max_size : int, optional
            Keep at most this many ordinary words (V is then at most ``max_size + 4``).
        tokenizer : callable
            ``str -> list of str``.

        Returns
        -------
        vocab : WordVocab
        """
        min_freq = check_int("min_freq", min_freq, 1)
        if max_size is not None:
            max_size = check_int("max_size", max_size, 1)
        counts = Counter()
        n_texts = 0
        for text in texts:
            if not isinstance(text, str):
                raise ValueError(f"texts must hold strings, got {type(text).__name__}")
            counts.update(tokenizer(text))
            n_texts += 1
        if n_texts == 0:
            raise ValueError("texts is empty: there are no words to build a vocabulary from")
        ranked = sorted((w for w, k in counts.items() if k >= min_freq and w not in SPECIALS),
                        key=lambda w: (-counts[w], w))
        return cls(ranked[:max_size], tokenizer)

    def __contains__(self, word) -> bool:
        return word in self.stoi

    def __repr__(self) -> str:
        shown = " ".join(self.itos[len(SPECIALS):len(SPECIALS) + 8])
        return f"WordVocab(V={len(self)}, words='{shown} ...')"

    def encode(self, text: str, add_bos: bool = False, add_eos: bool = False, strict: bool = False) -> list[int]:
        """Tokenise ``text`` and map each word to its id.

        A word outside the vocabulary maps to ``UNK_ID`` (3), unless ``strict`` is true.

        Parameters
        ----------
        text : str
            The text to encode.
        add_bos, add_eos : bool
            Prepend ``BOS_ID`` / append ``EOS_ID``.
        strict : bool
            Raise ``ValueError`` on an unknown word instead of mapping it to ``<unk>``.

        Returns
        -------
        ids : list of int
            One id per token of ``tokenizer(text)``, plus ``add_bos + add_eos``; may be empty when the text has
            no tokens (a :class:`~rnnlib.data.vocab.SequenceDataset` refuses empty sequences, so such texts need
            a decision: drop them, or encode with ``add_eos=True``).
        """
        if not isinstance(text, str):
            raise ValueError(f"text must be a str, got {type(text).__name__}")
        tokens = self.tokenizer(text)
        if strict:
            unknown = sorted(set(tokens) - self.stoi.keys())
            if unknown:
                raise ValueError(f"words not in the vocabulary: {unknown!r} (strict=True)")
        ids = [self.stoi.get(w, UNK_ID) for w in tokens]
        return [BOS_ID] * add_bos + ids + [EOS_ID] * add_eos

    def decode(self, ids: Iterable[int], strip_special: bool = True) -> str:
        """Map ids back to words joined by single spaces (``<unk>`` is always written out).

        Parameters
        ----------
        ids : iterable of int
            Token ids, for example a list or a 1-D tensor.
        strip_special : bool
            Drop ``<pad>``, ``<bos>`` and ``<eos>``.

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
        return " ".join(out)
