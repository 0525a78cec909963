"""Input checks shared by the PyTorch models: every failure is a ValueError naming the argument.

The one place where ``rnnlib.models`` checks shapes, integers, cell names, token tensors, lengths and
generation arguments, as ``torch.nn.RNNBase.check_forward_args`` does for torch's layers; every model calls
these instead of writing its own.
"""

from __future__ import annotations

import math
import numbers

import torch
from torch import nn

# One integer check for both backends: the numpy one (the torch side may import numpy code, not the reverse).
from rnnlib.scratch._validate import check_int  # noqa: F401

#: The recurrent layers a model can be built on, by name.
CELLS = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}
#: The same cells one step at a time, for decoders that run step by step.
STEP_CELLS = {"rnn": nn.RNNCell, "lstm": nn.LSTMCell, "gru": nn.GRUCell}
#: The cell every model uses when none is named.
DEFAULT_CELL = "gru"
NONLINEARITIES = ("tanh", "relu")


def check_shape(name: str, t, shape: tuple, expected: str) -> torch.Tensor:
    """Raise a ValueError unless ``t`` is a tensor of ``shape`` (None entries match any size); return it."""
    if not isinstance(t, torch.Tensor):
        raise ValueError(f"{name} must be a tensor of shape {expected}, got {type(t).__name__}")
    if t.dim() != len(shape) or any(want is not None and got != want for got, want in zip(t.shape, shape)):
        raise ValueError(f"{name} must have shape {expected}, got {tuple(t.shape)}")
    return t


def check_cell(cell: str) -> str:
    """Raise a ValueError unless ``cell`` names a recurrent cell: one of ``"rnn"``, ``"lstm"``, ``"gru"``."""
    if cell not in CELLS:
        raise ValueError(f"unknown cell {cell!r}; expected one of {list(CELLS)}")
    return cell


def check_nonlinearity(nonlinearity: str, cell: str = "rnn") -> str:
    """Raise a ValueError unless ``nonlinearity`` is ``"tanh"`` or ``"relu"``, and ``"tanh"`` for a gated cell."""
    if nonlinearity not in NONLINEARITIES:
        raise ValueError(f"unknown nonlinearity {nonlinearity!r}; expected one of {list(NONLINEARITIES)}")
    if cell != "rnn" and nonlinearity != "tanh":
        raise ValueError(f"nonlinearity applies only to cell='rnn', got nonlinearity={nonlinearity!r} "
                         f"with cell={cell!r}")
    return nonlinearity


def check_tokens(name: str, x, rank: int, expected: str) -> torch.Tensor:
    """Raise a ValueError unless ``x`` is an integer tensor of rank ``rank`` (``expected`` names its shape)."""
    check_shape(name, x, (None,) * rank, expected)
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


def padding_mask(lengths, S: int) -> torch.Tensor:
    """True at the real positions of each sequence, False at padding.

    Parameters
    ----------
    lengths : Tensor or list of int, shape (B,)
        True length of each sequence, in [1, S].
    S : int
        Padded length.

    Returns
    -------
    mask : Tensor, shape (S, B), bool
    """
    lengths = torch.as_tensor(lengths)
    lengths = check_lengths(lengths, S, lengths.numel())
    return torch.arange(S)[:, None] < lengths[None, :]  # (S, B)


def lengths_and_mask(lengths, src_mask, S: int, B: int, device) -> tuple[torch.Tensor | None, torch.Tensor]:
    """Reconcile the two ways a padded batch states its lengths: ``lengths`` (B,) and ``src_mask`` (S, B).

    Either, both (they must agree) or neither (every sequence is S long) may be given; returns the lengths
    (None when neither was given) and the mask (S, B) on ``device``.
    """
    if src_mask is not None:
        check_shape("src_mask", src_mask, (S, B), f"(S, B) = ({S}, {B})")
        if src_mask.dtype != torch.bool:
            raise ValueError(f"src_mask must be a bool tensor (True at real positions), got dtype {src_mask.dtype}")
        from_mask = src_mask.sum(0).cpu()  # (B,)
        if not torch.equal(torch.arange(S)[:, None] < from_mask[None, :], src_mask.cpu()):
            raise ValueError("src_mask must be True on a prefix of each column (real positions, then padding)")
        if lengths is not None and not torch.equal(check_lengths(lengths, S, B), from_mask):
            raise ValueError(f"lengths {torch.as_tensor(lengths).tolist()} and src_mask (lengths "
                             f"{from_mask.tolist()}) disagree")
        return (from_mask if lengths is None else lengths), src_mask.to(device)
    if lengths is None:
        return None, torch.ones((S, B), dtype=torch.bool, device=device)
    return lengths, padding_mask(lengths, S).to(device)


def check_generate_args(max_len, temperature, eos, vocab_size: int | None, min_len: int = 1) -> int:
    """Check the arguments every ``generate`` takes; return ``max_len`` as an int."""
    max_len = check_int("max_len", max_len, min_len)
    if isinstance(temperature, bool) or not isinstance(temperature, numbers.Real) \
            or not 0.0 <= temperature < math.inf:
        raise ValueError(f"temperature must be a finite number >= 0 (0 means greedy), got {temperature!r}")
    if eos is not None:
        if isinstance(eos, bool) or not isinstance(eos, numbers.Integral) \
                or not 0 <= eos < (math.inf if vocab_size is None else vocab_size):
            raise ValueError(f"eos must be a token id in [0, V) with V={vocab_size}, got {eos!r}")
    return max_len
