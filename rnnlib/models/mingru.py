r"""minGRU (Feng et al., 2024): a GRU whose gates do not read the state, trained with a parallel scan.

Shapes are time-major. Symbols: T time steps, B batch, D input features, H hidden units, L layers.

One layer computes, for every step,

.. math::

    z_t &= \sigma(W_z x_t + b_z) \\
    \tilde h_t &= W_h x_t + b_h \\
    h_t &= (1 - z_t) \odot h_{t-1} + z_t \odot \tilde h_t

Unlike the GRU of Chapter 8, neither the gate nor the candidate sees :math:`h_{t-1}`, so both are computed for
all T steps at once by two matrix products, and what is left along time is the linear recurrence
:math:`h_t = a_t \odot h_{t-1} + b_t` with :math:`a_t = 1 - z_t` and :math:`b_t = z_t \odot \tilde h_t`.
:func:`parallel_scan` solves it in :math:`\lceil \log_2 T \rceil` vectorised levels (the Hillis-Steele scan of
``rnnlib.scratch.scan``, here in torch so that autograd differentiates it). The same layer can also run one
step at a time (:meth:`MinGRU.step`), which is how it generates: a constant-size state, like any RNN.
"""

from __future__ import annotations

import torch
from torch import nn

from rnnlib.models._validate import check_shape
from rnnlib.models.cells import init_like_torch


def parallel_scan(a: torch.Tensor, b: torch.Tensor, h0: torch.Tensor | None = None) -> torch.Tensor:
    r"""All states of :math:`h_t = a_t \odot h_{t-1} + b_t` by the Hillis-Steele scan, differentiably.

    Parameters
    ----------
    a, b : Tensor, shape (T, ...)
        Coefficients and inputs, time on axis 0.
    h0 : Tensor, shape (...), optional
        Initial state; zeros when omitted.

    Returns
    -------
    Tensor, shape (T, ...)
        ``out[t]`` is the state after step t.
    """
    if a.shape != b.shape or a.dim() == 0 or a.shape[0] == 0:
        raise ValueError(f"a and b must have one shape (T, ...) with T >= 1, got {tuple(a.shape)} and "
                         f"{tuple(b.shape)}")
    if h0 is not None:
        check_shape("h0", h0, tuple(a.shape[1:]), f"{tuple(a.shape[1:])}")
        # Folding h0 into the first input keeps one code path: h_1 = a_1 h0 + b_1.
        b = torch.cat([a[:1] * h0 + b[:1], b[1:]])
    shift = 1
    while shift < a.shape[0]:
        # Out of place, so that autograd keeps every level's values for the backward pass.
        a, b = (torch.cat([a[:shift], a[shift:] * a[:-shift]]),
                torch.cat([b[:shift], a[shift:] * b[:-shift] + b[shift:]]))
        shift *= 2
    return b


class MinGRU(nn.Module):
    """A stack of L minGRU layers with ``torch.nn.GRU``'s calling convention.

    Parameters
    ----------
    input_size : int
        D, features per step.
    hidden_size : int
        H, hidden units per layer.
    num_layers : int
        L; layer l > 0 reads the states of layer l - 1.
    generator : torch.Generator, optional
        Source of the initial weights (torch's defaults for ``nn.Linear``).

    Layer l's gate and candidate maps are ``linear_z[l]`` and ``linear_h[l]``, ``nn.Linear`` from D (l = 0) or H
    (l > 0) features to H.
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 generator: torch.Generator | None = None):
        super().__init__()
        if num_layers < 1:
            raise ValueError(f"num_layers must be at least 1, got {num_layers}")
        self.input_size, self.hidden_size, self.num_layers = input_size, hidden_size, num_layers
        sizes = [input_size] + [hidden_size] * (num_layers - 1)
        self.linear_z = nn.ModuleList(nn.Linear(d, hidden_size) for d in sizes)
        self.linear_h = nn.ModuleList(nn.Linear(d, hidden_size) for d in sizes)
        if generator is not None:
            init_like_torch(self, generator)

    def _initial(self, B: int, h0, like: torch.Tensor) -> torch.Tensor:
        M, H = self.num_layers, self.hidden_size
        if h0 is None:
            return like.new_zeros(M, B, H)
        check_shape("h0", h0, (M, B, H), f"(M, B, H) with M={M}, B={B}, H={H}")
        return h0

    def forward(self, x: torch.Tensor, h0: torch.Tensor | None = None, parallel: bool = True):
        """Run over a whole sequence.

        Parameters
        ----------
        x : Tensor, shape (T, B, D)
        h0 : Tensor, shape (M, B, H), optional
            Initial states; zeros when omitted.
        parallel : bool
            Solve each layer's recurrence with :func:`parallel_scan` (True) or with a Python loop over
            :meth:`step` (False). Both give the same numbers up to rounding.

        Returns
        -------
        out : Tensor, shape (T, B, H)
            States of the last layer at every step.
        h_n : Tensor, shape (M, B, H)
            Every layer's state after the last step.
        """
        check_shape("x", x, (None, None, self.input_size), f"(T, B, D) with D={self.input_size}")
        if x.shape[0] == 0:
            raise ValueError("x must have at least one time step, got shape (0, B, D)")
        h0 = self._initial(x.shape[1], h0, x)
        if not parallel:
            outs, h = [], h0
            for t in range(x.shape[0]):
                o, h = self.step(x[t], h)
                outs.append(o)
            return torch.stack(outs), h
        last = []
        for layer in range(self.num_layers):
            z = torch.sigmoid(self.linear_z[layer](x))  # (T, B, H)
            h_tilde = self.linear_h[layer](x)  # (T, B, H)
            x = parallel_scan(1 - z, z * h_tilde, h0[layer])  # (T, B, H), the next layer's input
            last.append(x[-1])
        return x, torch.stack(last)

    def step(self, x: torch.Tensor, h: torch.Tensor | None = None):
        """Advance every layer by one step: the sequential mode, for generation.

        Parameters
        ----------
        x : Tensor, shape (B, D)
        h : Tensor, shape (M, B, H), optional
            States after the previous step; zeros when omitted.

        Returns
        -------
        out : Tensor, shape (B, H)
            The last layer's new state.
        h : Tensor, shape (M, B, H)
            Every layer's new state.
        """
        check_shape("x", x, (None, self.input_size), f"(B, D) with D={self.input_size}")
        h = self._initial(x.shape[0], h, x)
        new = []
        for layer in range(self.num_layers):
            z = torch.sigmoid(self.linear_z[layer](x))  # (B, H)
            x = (1 - z) * h[layer] + z * self.linear_h[layer](x)  # (B, H)
            new.append(x)
        return x, torch.stack(new)

    def extra_repr(self) -> str:
        return f"{self.input_size}, {self.hidden_size}, num_layers={self.num_layers}"
