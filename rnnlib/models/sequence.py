r"""Recurrent networks that read a sequence: classify it, or tag every step.

Shapes are time-major. Symbols: T time steps, B batch, D input features, H hidden units, L layers, V
vocabulary, E embedding size, C classes, J forecast horizon.

Both models, and :class:`rnnlib.models.forecast.SequenceRegressor`, are built on ``torch.nn.RNN``,
``torch.nn.LSTM`` or ``torch.nn.GRU`` through :func:`make_rnn`. Batches of sequences of different lengths are padded to a common T and passed with their
``lengths``; the models then pack them (``pack_padded_sequence``), so padded steps are never read, and the
summary of a sequence is the state at its own last step rather than at step T-1.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from rnnlib.models._validate import (CELLS, DEFAULT_CELL, check_cell, check_lengths, check_nonlinearity, check_shape,
                                     check_tokens)
from rnnlib.models.cells import init_like_torch


def make_rnn(cell: str, input_size: int, hidden_size: int, num_layers: int = 1, bidirectional: bool = False,
             dropout: float = 0.0, nonlinearity: str = "tanh", generator: torch.Generator | None = None
             ) -> nn.RNNBase:
    """Build a time-major ``torch.nn.RNN``, ``torch.nn.LSTM`` or ``torch.nn.GRU``.

    Parameters
    ----------
    cell : {"rnn", "lstm", "gru"}
        Which recurrent layer.
    input_size : int
        D, features per step.
    hidden_size : int
        H, hidden units per direction.
    num_layers : int
        M, stacked layers.
    bidirectional : bool
        Add a second layer that reads the sequence backwards; outputs then have 2H features.
    dropout : float
        Dropout on the outputs of every layer but the last. Torch warns when this is set with one layer, where
        there is nothing to apply it to, so it is only passed on for ``num_layers > 1``; the models apply
        their own dropout before the output layer.
    nonlinearity : {"tanh", "relu"}
        Only for ``cell="rnn"``; gated cells always use torch's sigmoid and tanh.
    generator : torch.Generator, optional
        Source of the initial weights (see :func:`rnnlib.models.cells.init_like_torch`); torch's global
        generator when omitted.

    Returns
    -------
    nn.RNNBase
        Expects input of shape (T, B, D).
    """
    check_nonlinearity(nonlinearity, check_cell(cell))
    if num_layers < 1:
        raise ValueError(f"num_layers must be at least 1, got {num_layers}")
    if not 0.0 <= dropout < 1.0:
        raise ValueError(f"dropout must be in [0, 1), got {dropout}")
    kwargs = {"nonlinearity": nonlinearity} if cell == "rnn" else {}
    rnn = CELLS[cell](input_size, hidden_size, num_layers=num_layers, bidirectional=bidirectional,
                      dropout=dropout if num_layers > 1 else 0.0, **kwargs)
    return rnn if generator is None else init_like_torch(rnn, generator)


def final_hidden(h_n: torch.Tensor, num_layers: int, bidirectional: bool) -> torch.Tensor:
    """The last layer's final state (B, H), or (B, 2H) with the forward and backward states concatenated.

    ``h_n`` (L * directions, B, H) is what a torch recurrent layer returns (its ``h`` for an LSTM). The
    backward direction's final state is the one after reading the whole sequence backwards, at step 0.
    """
    dirs = 2 if bidirectional else 1
    last = h_n.view(num_layers, dirs, *h_n.shape[1:])[-1]  # (dirs, B, H)
    return torch.cat(list(last), dim=-1)  # (B, dirs H)


class SequenceReader(nn.Module):
    """Read a padded batch of sequences: an optional embedding, then a recurrent layer over packed input.

    The common front of :class:`SequenceClassifier`, :class:`SequenceTagger` and the encoder in
    ``rnnlib.models.seq2seq``.

    Parameters
    ----------
    input_size : int or None
        D, features per step; may be None when ``embedding`` is given (it is then E).
    hidden_size : int
        H, hidden units per direction.
    cell : {"rnn", "lstm", "gru"}
        Recurrent layer.
    num_layers : int
        M, stacked layers.
    bidirectional : bool
        Read the sequence in both directions.
    dropout : float
        Dropout between stacked layers.
    embedding : tuple (V, E), optional
        Read integer token ids through an ``nn.Embedding(V, E)`` instead of float features.
    nonlinearity : {"tanh", "relu"}
        For ``cell="rnn"`` only.
    generator : torch.Generator, optional
        Source of the initial weights (see :func:`rnnlib.models.cells.init_like_torch`).
    """

    def __init__(self, input_size: int | None, hidden_size: int, cell: str = DEFAULT_CELL, num_layers: int = 1,
                 bidirectional: bool = False, dropout: float = 0.0, embedding: tuple[int, int] | None = None,
                 nonlinearity: str = "tanh", generator: torch.Generator | None = None):
        super().__init__()
        if embedding is not None:
            V, E = embedding
            if input_size is not None and input_size != E:
                raise ValueError(f"input_size must be None or the embedding size E={E} when embedding=(V, E) "
                                 f"is given, got input_size={input_size}")
            self.embedding = nn.Embedding(V, E)
            input_size = E
        elif input_size is None:
            raise ValueError("input_size (D) is required unless embedding=(V, E) is given")
        else:
            self.embedding = None
        self.input_size = input_size
        self.rnn = make_rnn(cell, input_size, hidden_size, num_layers, bidirectional, dropout, nonlinearity)
        if generator is not None:
            init_like_torch(self, generator)

    @property
    def output_size(self) -> int:
        """Features per step of the outputs: H, or 2H when bidirectional."""
        return self.rnn.hidden_size * (2 if self.rnn.bidirectional else 1)

    def forward(self, x: torch.Tensor, lengths=None):
        """Run the recurrent layer, reading each sequence only up to its length.

        Parameters
        ----------
        x : Tensor, shape (T, B, D) float, or (T, B) int64 token ids with ``embedding``
            Padded batch of sequences.
        lengths : Tensor or list of int, shape (B,), optional
            True length of each sequence, in [1, T]; all T when omitted.

        Returns
        -------
        out : Tensor, shape (T, B, H) or (T, B, 2H) when bidirectional
            The last layer's output at every step; zero at padded steps.
        summary : Tensor, shape (B, H) or (B, 2H) when bidirectional
            The last layer's state after each sequence's last step; bidirectional, the forward one
            concatenated with the backward one after reading back to step 0.
        """
        if self.embedding is not None:
            x = self.embedding(check_tokens("x", x, 2, "(T, B) of token ids"))  # (T, B, E)
        else:
            check_shape("x", x, (None, None, self.input_size), f"(T, B, D) with D={self.input_size}")
        T, B = x.shape[:2]
        if lengths is None:
            out, state = self.rnn(x)
        else:
            packed = pack_padded_sequence(x, check_lengths(lengths, T, B), enforce_sorted=False)
            out, state = self.rnn(packed)
            out, _ = pad_packed_sequence(out, total_length=T)  # (T, B, dirs H)
        h_n = state[0] if isinstance(state, tuple) else state  # (L dirs, B, H)
        return out, final_hidden(h_n, self.rnn.num_layers, self.rnn.bidirectional)


class _ReadThenScore(nn.Module):
    """A :class:`SequenceReader` followed by dropout and a linear output layer of C scores."""

    def __init__(self, input_size: int | None, hidden_size: int, num_classes: int, cell: str = DEFAULT_CELL,
                 num_layers: int = 1, bidirectional: bool = False, dropout: float = 0.0,
                 embedding: tuple[int, int] | None = None, nonlinearity: str = "tanh",
                 generator: torch.Generator | None = None):
        super().__init__()
        self.reader = SequenceReader(input_size, hidden_size, cell, num_layers, bidirectional, dropout,
                                     embedding, nonlinearity)
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(self.reader.output_size, num_classes)
        if generator is not None:
            init_like_torch(self, generator)


class SequenceClassifier(_ReadThenScore):
    """Sequence to vector: read a whole sequence, then classify it from the final state.

    Parameters
    ----------
    input_size : int or None
        D, features per step; may be None when ``embedding`` is given (it is then E).
    hidden_size : int
        H, hidden units per direction.
    num_classes : int
        C, classes.
    cell : {"rnn", "lstm", "gru"}
        Recurrent layer.
    num_layers : int
        M, stacked layers.
    bidirectional : bool
        Summarise with the forward state at each sequence's last step concatenated to the backward state at
        step 0.
    dropout : float
        Dropout between stacked layers and on the summary before the output layer.
    embedding : tuple (V, E), optional
        Read integer token ids through an ``nn.Embedding(V, E)`` instead of float features.
    nonlinearity : {"tanh", "relu"}
        For ``cell="rnn"`` only.
    generator : torch.Generator, optional
        Source of the initial weights (see :func:`rnnlib.models.cells.init_like_torch`).
    """

    def forward(self, x: torch.Tensor, lengths=None) -> torch.Tensor:
        """Class scores for each sequence.

        Parameters
        ----------
        x : Tensor, shape (T, B, D) float, or (T, B) int64 token ids with ``embedding``
            Padded batch of sequences.
        lengths : Tensor or list of int, shape (B,), optional
            True length of each sequence, in [1, T]; steps at and after it are never read (token ids there
            must still be valid ids). All T when omitted.

        Returns
        -------
        logits : Tensor, shape (B, C)
            Unnormalised class scores.
        """
        _, summary = self.reader(x, lengths)  # (B, dirs H)
        return self.head(self.dropout(summary))


class SequenceTagger(_ReadThenScore):
    """Sequence to sequence of the same length: one label for every step (for example a part of speech).

    Takes the parameters of :class:`SequenceClassifier`, with C now the number of tags and the dropout
    applied to the output at every step. With ``bidirectional=True`` the label at step t sees the whole
    sequence, both before and after t.
    """

    def forward(self, x: torch.Tensor, lengths=None) -> torch.Tensor:
        """Tag scores at every step.

        Parameters
        ----------
        x : Tensor, shape (T, B, D) float, or (T, B) int64 token ids with ``embedding``
            Padded batch of sequences.
        lengths : Tensor or list of int, shape (B,), optional
            True length of each sequence; all T when omitted.

        Returns
        -------
        logits : Tensor, shape (T, B, C)
            Unnormalised tag scores. At padded steps they are the output layer's bias alone and carry no
            information: leave them out of the loss (for example with ``ignore_index``).
        """
        out, _ = self.reader(x, lengths)  # (T, B, dirs H)
        return self.head(self.dropout(out))
