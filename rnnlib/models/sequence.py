r"""Recurrent networks that read a sequence: classify it, tag every step, or forecast what comes next.

Shapes are time-major. Symbols: T time steps, B batch, D input features, H hidden units, L layers, V
vocabulary, E embedding size, C classes, K forecast horizon.

All three models are built on ``torch.nn.RNN``, ``torch.nn.LSTM`` or ``torch.nn.GRU`` through
:func:`make_rnn`. Batches of sequences of different lengths are padded to a common T and passed with their
``lengths``; the models then pack them (``pack_padded_sequence``), so padded steps are never read, and the
summary of a sequence is the state at its own last step rather than at step T-1.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from rnnlib.models.cells import _check_shape, init_like_torch

CELLS = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}


def check_cell(cell: str) -> str:
    """Raise a ValueError unless ``cell`` names a recurrent cell: one of ``"rnn"``, ``"lstm"``, ``"gru"``."""
    if cell not in CELLS:
        raise ValueError(f"unknown cell {cell!r}; expected one of {list(CELLS)}")
    return cell


def make_rnn(cell: str, input_size: int, hidden_size: int, num_layers: int = 1, bidirectional: bool = False,
             dropout: float = 0.0, nonlinearity: str = "tanh") -> nn.RNNBase:
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
        L, stacked layers.
    bidirectional : bool
        Add a second layer that reads the sequence backwards; outputs then have 2H features.
    dropout : float
        Dropout on the outputs of every layer but the last. Torch warns when this is set with one layer, where
        there is nothing to apply it to, so it is only passed on for ``num_layers > 1``; the models apply
        their own dropout before the output layer.
    nonlinearity : {"tanh", "relu"}
        Only for ``cell="rnn"``; gated cells always use torch's sigmoid and tanh.

    Returns
    -------
    nn.RNNBase
        Expects input of shape (T, B, D).
    """
    check_cell(cell)
    if nonlinearity not in ("tanh", "relu"):
        raise ValueError(f"unknown nonlinearity {nonlinearity!r}; expected one of ['tanh', 'relu']")
    if cell != "rnn" and nonlinearity != "tanh":
        raise ValueError(f"nonlinearity applies only to cell='rnn', got nonlinearity={nonlinearity!r} "
                         f"with cell={cell!r}")
    if num_layers < 1:
        raise ValueError(f"num_layers must be at least 1, got {num_layers}")
    if not 0.0 <= dropout < 1.0:
        raise ValueError(f"dropout must be in [0, 1), got {dropout}")
    kwargs = {"nonlinearity": nonlinearity} if cell == "rnn" else {}
    return CELLS[cell](input_size, hidden_size, num_layers=num_layers, bidirectional=bidirectional,
                       dropout=dropout if num_layers > 1 else 0.0, **kwargs)


def check_tokens(name: str, x, rank: int, expected: str) -> torch.Tensor:
    """Raise a ValueError unless ``x`` is an integer tensor of rank ``rank`` (``expected`` names its shape)."""
    _check_shape(name, x, (None,) * rank, expected)
    if x.dtype.is_floating_point or x.dtype.is_complex or x.dtype == torch.bool:
        raise ValueError(f"{name} must hold integer token ids of shape {expected}, got dtype {x.dtype}")
    return x


def check_lengths(lengths, T: int, B: int) -> torch.Tensor:
    """Return ``lengths`` as a CPU int64 tensor (B,) after checking that each lies in [1, T]."""
    lengths = torch.as_tensor(lengths)
    if lengths.dim() != 1 or lengths.shape[0] != B or lengths.dtype.is_floating_point:
        raise ValueError(f"lengths must be integers of shape (B,) with B={B}, got {tuple(lengths.shape)} "
                         f"of dtype {lengths.dtype}")
    if B and (lengths.min() < 1 or lengths.max() > T):
        raise ValueError(f"lengths must lie in [1, T] with T={T}, got {lengths.tolist()}")
    return lengths.to("cpu", torch.int64)


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
        L, stacked layers.
    bidirectional : bool
        Read the sequence in both directions.
    dropout : float
        Dropout between stacked layers.
    embedding : tuple (V, E), optional
        Read integer token ids through an ``nn.Embedding(V, E)`` instead of float features.
    nonlinearity : {"tanh", "relu"}
        For ``cell="rnn"`` only.
    """

    def __init__(self, input_size: int | None, hidden_size: int, cell: str = "gru", num_layers: int = 1,
                 bidirectional: bool = False, dropout: float = 0.0, embedding: tuple[int, int] | None = None,
                 nonlinearity: str = "tanh"):
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
            _check_shape("x", x, (None, None, self.input_size), f"(T, B, D) with D={self.input_size}")
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

    def __init__(self, input_size: int | None, hidden_size: int, num_classes: int, cell: str = "gru",
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
        L, stacked layers.
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


class SequenceRegressor(nn.Module):
    """Forecast real values: the next K values after a window, or the next value at every step.

    Always reads forwards only: a backward direction would see the very values it is asked to predict.

    Parameters
    ----------
    input_size : int
        D, features per step.
    hidden_size : int
        H, hidden units.
    out_features : int
        Features per predicted step (1 for a univariate series).
    horizon : int
        K, steps predicted from the last state by :meth:`forward`. Must be 1 with ``per_step``.
    cell : {"rnn", "lstm", "gru"}
        Recurrent layer.
    num_layers : int
        L, stacked layers.
    dropout : float
        Dropout between stacked layers and on the states before the output layer.
    per_step : bool
        Make :meth:`forward` predict the next value at every step, (T, B, out_features), instead of the
        next K values after the last step, (B, K, out_features).
    nonlinearity : {"tanh", "relu"}
        For ``cell="rnn"`` only.
    generator : torch.Generator, optional
        Source of the initial weights.
    """

    def __init__(self, input_size: int, hidden_size: int, out_features: int = 1, horizon: int = 1,
                 cell: str = "lstm", num_layers: int = 1, dropout: float = 0.0, per_step: bool = False,
                 nonlinearity: str = "tanh", generator: torch.Generator | None = None):
        super().__init__()
        if horizon < 1:
            raise ValueError(f"horizon must be at least 1, got {horizon}")
        if per_step and horizon != 1:
            raise ValueError(f"per_step=True predicts one step ahead at every step, so horizon must be 1, "
                             f"got horizon={horizon}")
        self.input_size, self.out_features = input_size, out_features
        self.horizon, self.per_step = horizon, per_step
        self.rnn = make_rnn(cell, input_size, hidden_size, num_layers, False, dropout, nonlinearity)
        self.dropout = nn.Dropout(dropout)
        # One linear map from a state to the next K values; the first of them is the one-step-ahead prediction.
        self.head = nn.Linear(hidden_size, horizon * out_features)
        if generator is not None:
            init_like_torch(self, generator)

    def _predict(self, out: torch.Tensor) -> torch.Tensor:
        """Map states (..., H) to predictions (..., K, out_features)."""
        y = self.head(self.dropout(out))  # (..., K out_features)
        return y.view(*out.shape[:-1], self.horizon, self.out_features)

    def _check(self, x: torch.Tensor) -> None:
        _check_shape("x", x, (None, None, self.input_size), f"(T, B, D) with D={self.input_size}")
        if x.shape[0] == 0:
            raise ValueError("x must have at least one time step")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Predict from a window of the series.

        Parameters
        ----------
        x : Tensor, shape (T, B, D)
            Input window, every sequence of full length T.

        Returns
        -------
        Tensor, shape (B, K, out_features), or (T, B, out_features) with ``per_step``
            The K values following step T-1; with ``per_step``, at each step t the prediction of the value
            at t+1, made from steps 0..t only.
        """
        self._check(x)
        out, _ = self.rnn(x)  # (T, B, H)
        if self.per_step:
            return self._predict(out)[:, :, 0]  # (T, B, out_features)
        return self._predict(out[-1])  # (B, K, out_features)

    def forecast(self, x: torch.Tensor, steps: int) -> torch.Tensor:
        """Continue the series for ``steps`` steps, feeding each prediction back in as the next input.

        Uses the one-step-ahead prediction (the first of the K), so it needs ``D == out_features``: the model
        must predict the very features it reads. Errors compound, which is the point of comparing this with
        :meth:`forward`. Gradients flow through it; wrap the call in ``torch.no_grad()`` to only plot.

        Parameters
        ----------
        x : Tensor, shape (T, B, D)
            Observed history.
        steps : int
            Number of future steps to generate, at least 1.

        Returns
        -------
        Tensor, shape (steps, B, out_features)
            Predicted values after the history.
        """
        if self.input_size != self.out_features:
            raise ValueError(f"forecast feeds predictions back as inputs, so it needs input_size D == "
                             f"out_features, got D={self.input_size} and out_features={self.out_features}")
        if steps < 1:
            raise ValueError(f"steps must be at least 1, got {steps}")
        self._check(x)
        out, state = self.rnn(x)  # (T, B, H)
        ys = [self._predict(out[-1])[:, 0]]  # [(B, out_features)]
        for _ in range(steps - 1):
            out, state = self.rnn(ys[-1][None], state)  # (1, B, H)
            ys.append(self._predict(out[-1])[:, 0])
        return torch.stack(ys)  # (steps, B, out_features)
