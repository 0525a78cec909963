"""A character-level language-modelling corpus from Python's own standard library, and the batching around it.

Symbols: N characters (token ids) in a stream, B parallel streams, T_total steps per stream, t chunk length.

:func:`stdlib_corpus` concatenates the ``.py`` files of the running interpreter's standard library, found with
``sysconfig.get_paths()["stdlib"]``: several megabytes of consistently styled code, on every machine with
Python, and with no download. Left out are directories that are not library code or not the standard
library's (see ``EXCLUDED_DIRS``). Some distributions ship the standard library compiled only (``.pyc``);
there :func:`stdlib_corpus` raises ``FileNotFoundError``, or with ``fallback=True`` returns the docstrings of
the builtins instead (about 26,000 characters of English prose: enough to see a model learn, too little to
see it generalise).

:func:`batchify` and :func:`bptt_chunks` implement truncated backpropagation through time: the stream is cut
into B columns, each read top to bottom in chunks of t steps, so that the hidden state left by one chunk is
the right starting state for the next chunk of the same column.
"""

from __future__ import annotations

import builtins
import os
import sysconfig
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import torch

from rnnlib.data.synthetic import as_generator, check_int

EXCLUDED_DIRS = frozenset({
    # Test suites: not library code, and some files are deliberately malformed or in odd encodings
    # (test/, tests/, idlelib/idle_test, lib2to3/tests, unittest/test, ctypes/test, ...).
    "test", "tests", "idle_test",
    # Third-party packages installed into this interpreter, not the standard library.
    "site-packages", "dist-packages",
    # Generated codec tables (encodings/cp1252.py, ...): 122 files of hex literals rather than code.
    "encodings",
    "__pycache__",
})
"""Directory names that exclude every file below them, at any depth."""


def stdlib_files(root=None) -> list[Path]:
    """The standard library's ``.py`` files that :func:`stdlib_corpus` draws on, sorted by relative path.

    Parameters
    ----------
    root : str or pathlib.Path, optional
        Directory to search; defaults to ``sysconfig.get_paths()["stdlib"]``.

    Returns
    -------
    files : list of pathlib.Path
        Files not under any directory named in ``EXCLUDED_DIRS``; empty if ``root`` holds none.
    """
    root = Path(sysconfig.get_paths()["stdlib"] if root is None else root)
    files = []
    for dirpath, dirnames, filenames in os.walk(root):
        # Pruning in place stops the walk from descending into excluded trees such as site-packages.
        dirnames[:] = [d for d in dirnames if d not in EXCLUDED_DIRS]
        files += [Path(dirpath, f) for f in filenames if f.endswith(".py")]
    # Sort on the relative path so the order does not depend on the file system's directory order.
    return sorted(files, key=lambda p: p.relative_to(root).as_posix())


def _builtin_docstrings() -> list[str]:
    names = sorted(n for n in dir(builtins) if not n.startswith("_"))
    return [doc for doc in (getattr(builtins, n).__doc__ for n in names) if doc]


def stdlib_corpus(max_chars=1_000_000, seed=0, fallback=False, root=None) -> str:
    """Source code of the Python standard library as one string, for character-level language models.

    The files of :func:`stdlib_files` are shuffled with ``seed``, then read in that order and joined with a
    newline until ``max_chars`` characters are collected; the last file is cut off there. The result is
    deterministic for a given seed and Python installation (another Python version has other files).

    Parameters
    ----------
    max_chars : int or None
        Length of the returned text; ``None`` for every file (about 10.7 million characters from 612 files
        for CPython 3.11).
    seed : int or numpy.random.Generator
        Source of randomness for the file order.
    fallback : bool
        If the installation has no ``.py`` files, return the builtins' docstrings (shuffled and cut the same
        way) instead of raising.
    root : str or pathlib.Path, optional
        Directory to read instead of the standard library.

    Returns
    -------
    text : str
        ``max_chars`` characters, or fewer if the files hold fewer.

    Raises
    ------
    FileNotFoundError
        If ``root`` has no ``.py`` files outside ``EXCLUDED_DIRS`` and ``fallback`` is false.
    """
    if max_chars is not None:
        max_chars = check_int("max_chars", max_chars, 1)
    rng = as_generator(seed)
    files = stdlib_files(root)
    if files:
        documents = (files[i].read_text(encoding="utf-8") for i in rng.permutation(len(files)))
    elif fallback:
        docs = _builtin_docstrings()
        documents = (docs[i] for i in rng.permutation(len(docs)))
    else:
        where = sysconfig.get_paths()["stdlib"] if root is None else root
        raise FileNotFoundError(f"no Python source files (*.py) in {where}; this installation may ship the "
                                "standard library compiled only. Pass fallback=True to use builtin docstrings")
    pieces, total = [], 0
    for doc in documents:
        pieces.append(doc)
        total += len(doc) + 1
        if max_chars is not None and total >= max_chars:
            break
    return "\n".join(pieces)[:max_chars]


def train_val_split_text(text, val_fraction=0.1):
    """Split a text chronologically: the first part for training, the rest for validation.

    Cutting at one point (rather than sampling characters or lines) keeps both parts natural text and the
    validation part unseen, apart from the one context that straddles the cut.

    Parameters
    ----------
    text : str
        The corpus.
    val_fraction : float
        Share of characters for validation, strictly between 0 and 1.

    Returns
    -------
    train, val : str
        ``train + val == text``; neither is empty.
    """
    if not isinstance(text, str):
        raise ValueError(f"text must be a str, got {type(text).__name__}")
    if not 0 < val_fraction < 1:
        raise ValueError(f"val_fraction must be strictly between 0 and 1, got {val_fraction!r}")
    cut = round(len(text) * (1 - val_fraction))
    if cut == 0 or cut == len(text):
        raise ValueError(f"text of {len(text)} characters is too short to split with val_fraction={val_fraction}")
    return text[:cut], text[cut:]


def batchify(ids, B) -> torch.Tensor:
    """Lay a token stream out as B parallel streams, one per column.

    Column b holds ``ids[b * T_total : (b + 1) * T_total]`` with ``T_total = N // B``; the last ``N % B``
    tokens are dropped.

    Parameters
    ----------
    ids : array_like of int, shape (N,)
        Token ids of the whole corpus.
    B : int
        Number of streams (the batch size).

    Returns
    -------
    data : torch.LongTensor, shape (T_total, B)
    """
    ids = np.asarray(ids)
    if ids.size == 0:
        raise ValueError("ids is empty: there are no tokens to batch")
    ids = torch.as_tensor(ids)
    if ids.ndim != 1 or ids.dtype.is_floating_point or ids.dtype == torch.bool:
        raise ValueError(f"ids must be a 1-D array of ints, got dtype {ids.dtype} and shape {tuple(ids.shape)}")
    B = check_int("B", B, 1)
    T_total = len(ids) // B
    if T_total == 0:
        raise ValueError(f"ids has {len(ids)} tokens, fewer than B={B} streams")
    return ids[:T_total * B].long().view(B, T_total).t().contiguous()  # (T_total, B)


def bptt_chunks(data, seq_len) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    """Walk down batchified data in chunks for truncated backpropagation through time.

    Targets are the inputs shifted one step ahead, so the chunks cover rows 0 to T_total - 2 as inputs;
    the last chunk is shorter when ``seq_len`` does not divide ``T_total - 1``. Carry the hidden state from
    one chunk to the next, detached, to let the model see context beyond ``seq_len``.

    Parameters
    ----------
    data : torch.LongTensor or ndarray, shape (T_total, B)
        From :func:`batchify`.
    seq_len : int
        Chunk length, >= 1.

    Yields
    ------
    inputs : torch.LongTensor, shape (t, B)
        Rows i, ..., i + t - 1, with t = ``seq_len`` except perhaps for the last chunk.
    targets : torch.LongTensor, shape (t, B)
        Rows i + 1, ..., i + t.
    """
    data = torch.as_tensor(data)
    if data.ndim != 2 or data.shape[0] < 2:
        raise ValueError(f"data must have shape (T_total, B) with T_total >= 2, got {tuple(data.shape)}")
    seq_len = check_int("seq_len", seq_len, 1)
    for i in range(0, data.shape[0] - 1, seq_len):
        t = min(seq_len, data.shape[0] - 1 - i)
        yield data[i:i + t], data[i + 1:i + 1 + t]
