r"""Acoustic models trained with CTC: frames of audio features in, per-frame log-probabilities over symbols out.

Shapes are time-major. Symbols: T frames, B batch, F features per frame, H hidden units, V output symbols
(blank included, at index 0).

:class:`CTCRecognizer` reads the whole utterance with a (by default bidirectional) recurrent network, so the
output at frame t can use sound before and after t. With ``cell=None`` it becomes the baseline without
recurrence: a per-frame network that sees a fixed window of ``2 * context + 1`` frames around t (a 1-D
convolution over time followed by a per-frame layer, i.e. an MLP on stacked neighbouring frames, the input of
classic hybrid speech recognisers).
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from rnnlib.models._validate import DEFAULT_CELL
from rnnlib.models.cells import init_like_torch
from rnnlib.models.sequence import make_rnn
from rnnlib.scratch.ctc_decoding import ctc_greedy_decode, ctc_prefix_beam_search


class CTCRecognizer(nn.Module):
    """Features (T, B, F) -> log-probabilities (T, B, V) for ``torch.nn.CTCLoss``.

    Parameters
    ----------
    n_features : int
        F.
    n_symbols : int
        V, including the blank.
    hidden_size : int
        H per direction (recurrent) or hidden units (per-frame).
    num_layers : int
        Stacked recurrent layers (ignored when ``cell`` is None).
    cell : {"gru", "lstm", "rnn"} or None
        None gives the per-frame baseline without recurrence.
    bidirectional : bool
    context : int
        Frames on each side that the per-frame baseline sees (only with ``cell=None``).
    dropout : float
        Dropout before the output layer.
    stride : int
        Frames stacked into one step before the network (2 turns 10 ms frames into 20 ms steps of 2F features),
        which halves the recurrent work; CTC only needs at least as many steps as labels plus repeats.
    generator : torch.Generator, optional
        Source of the initial weights (see :func:`rnnlib.models.cells.init_like_torch`); torch's global
        generator when omitted.
    """

    def __init__(self, n_features, n_symbols, hidden_size=64, num_layers=2, cell=DEFAULT_CELL, bidirectional=True,
                 context=5, dropout=0.1, stride=2, generator: torch.Generator | None = None):
        super().__init__()
        self.cell, self.stride = cell, stride
        n_features = n_features * stride
        if cell is None:
            self.body = nn.Sequential(
                nn.Conv1d(n_features, hidden_size, 2 * context + 1, padding=context), nn.ReLU(),
                nn.Conv1d(hidden_size, hidden_size, 1), nn.ReLU())
            out = hidden_size
        else:
            self.body = make_rnn(cell, n_features, hidden_size, num_layers, bidirectional, dropout=dropout)
            out = hidden_size * (2 if bidirectional else 1)
        self.drop = nn.Dropout(dropout)
        self.head = nn.Linear(out, n_symbols)
        if generator is not None:
            init_like_torch(self, generator)

    def forward(self, x, lengths):
        """Log-probabilities per output step.

        Parameters
        ----------
        x : Tensor, shape (T, B, F)
            Zero-padded features.
        lengths : Tensor of int, shape (B,)
            Frames of each utterance.

        Returns
        -------
        log_probs : Tensor, shape (T', B, V), T' = ceil(T / stride); steps past ``out_lengths[b]`` are junk
        out_lengths : Tensor of int, shape (B,), ceil(lengths / stride)
        """
        if x.dim() != 3:
            raise ValueError(f"x must have shape (T, B, F), got {tuple(x.shape)}")
        T, B, F = x.shape
        s = self.stride
        x = torch.cat([x, x.new_zeros((-T % s, B, F))]).reshape(-1, s, B, F)  # (T', s, B, F)
        x = x.permute(0, 2, 1, 3).reshape(-1, B, s * F)  # (T', B, sF), consecutive frames side by side
        lengths = (torch.as_tensor(lengths) + s - 1) // s
        if self.cell is None:
            h = self.body(x.permute(1, 2, 0)).permute(2, 0, 1)  # (B, F, T) for Conv1d, back to (T, B, H)
        else:
            packed = pack_padded_sequence(x, torch.as_tensor(lengths).cpu(), enforce_sorted=False)
            h, _ = pad_packed_sequence(self.body(packed)[0], total_length=x.shape[0])  # (T, B, H or 2H)
        return torch.log_softmax(self.head(self.drop(h)), dim=-1), lengths

    @torch.no_grad()
    def decode(self, x, lengths, beam_width=1, prune=None):
        """Transcripts (lists of symbol ids, blank removed): greedy when ``beam_width`` is 1, else prefix beam.

        ``prune`` is passed to :func:`rnnlib.scratch.ctc_decoding.ctc_prefix_beam_search`.
        """
        was_training = self.training
        self.eval()
        lp, lengths = self(x, lengths)
        self.train(was_training)
        lp, lengths = lp.double().numpy(), lengths.numpy()  # (T', B, V), (B,)
        if beam_width == 1:
            return ctc_greedy_decode(lp, lengths)
        return [list(ctc_prefix_beam_search(lp[: lengths[b], b], beam_width, prune=prune)[0][0]) for b in range(lp.shape[1])]


def pad_features(features):
    """Stack a list of (T_i, F) arrays into a zero-padded float tensor (T, B, F) and their lengths (B,)."""
    lengths = np.array([len(f) for f in features])
    x = np.zeros((lengths.max(), len(features), features[0].shape[1]), dtype=np.float32)
    for b, f in enumerate(features):
        x[: len(f), b] = f
    return torch.from_numpy(x), torch.from_numpy(lengths)


def pad_targets(targets):
    """Stack lists of symbol ids into a (B, S) long tensor (padded with 0) and their lengths (B,)."""
    lengths = np.array([len(t) for t in targets])
    y = np.zeros((len(targets), max(lengths.max(), 1)), dtype=np.int64)
    for b, t in enumerate(targets):
        y[b, : len(t)] = t
    return torch.from_numpy(y), torch.from_numpy(lengths)
