r"""Recurrent cells written out in PyTorch: one time step of an RNN, an LSTM and a GRU.

Shapes are time-major. Symbols: T time steps, B batch, D input features, H hidden units, G gates (1 for the
RNN, 4 for the LSTM, 3 for the GRU).

Each cell is the torch version of the numpy reference in ``rnnlib.scratch``, line for line, with autograd in
place of the hand-written backward pass. The parameters carry ``torch.nn.RNNCell``'s names and layout,
``weight_ih (GH, D)``, ``weight_hh (GH, H)``, ``bias_ih (GH,)`` and ``bias_hh (GH,)``, with rows grouped by
gate in torch's order (LSTM i, f, g, o; GRU r, z, n). So
``LSTMCell(D, H).load_state_dict(torch.nn.LSTMCell(D, H).state_dict())`` works and the two then give the
same numbers. :func:`unroll` runs a cell over a sequence with a
plain Python loop, which is what ``torch.nn.RNN`` and friends compute with fused kernels.

:func:`init_like_torch` redraws the parameters of any model in ``rnnlib.models`` from torch's default
distributions using an explicit ``torch.Generator``, so a model can be rebuilt identically without seeding
torch's global generator.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from rnnlib.models._validate import check_nonlinearity, check_shape


class _Cell(nn.Module):
    """Parameters, initialisation and input checks shared by the three cells; ``gates`` is G."""

    gates = 1

    def __init__(self, input_size: int, hidden_size: int, generator: torch.Generator | None = None):
        super().__init__()
        self.input_size = input_size
        self.hidden_size = hidden_size
        G, D, H = self.gates, input_size, hidden_size
        self.weight_ih = nn.Parameter(torch.empty(G * H, D))
        self.weight_hh = nn.Parameter(torch.empty(G * H, H))
        self.bias_ih = nn.Parameter(torch.empty(G * H))
        self.bias_hh = nn.Parameter(torch.empty(G * H))
        self.reset_parameters(generator)

    def reset_parameters(self, generator: torch.Generator | None = None) -> None:
        r"""Draw every parameter from :math:`U(-1/\sqrt{H}, 1/\sqrt{H})`, torch's default for recurrent layers.

        Parameters
        ----------
        generator : torch.Generator, optional
            Source of randomness; torch's global generator when omitted.
        """
        bound = 1.0 / math.sqrt(self.hidden_size)
        with torch.no_grad():
            for p in self.parameters():
                p.uniform_(-bound, bound, generator=generator)

    def _check(self, x: torch.Tensor, h: torch.Tensor | None, name: str = "state") -> torch.Tensor:
        """Check x (B, D) and a state tensor (B, H); return the state, zeros when ``h`` is None."""
        check_shape("x", x, (None, self.input_size), f"(B, D) with D={self.input_size}")
        B = x.shape[0]
        if h is None:
            return x.new_zeros(B, self.hidden_size)
        check_shape(name, h, (B, self.hidden_size), f"(B, H) with B={B}, H={self.hidden_size}")
        return h

    def extra_repr(self) -> str:
        return f"{self.input_size}, {self.hidden_size}"


class RNNCell(_Cell):
    r"""One step of a vanilla (Elman) RNN.

    .. math:: h' = \tanh(W_{ih} x + b_{ih} + W_{hh} h + b_{hh})

    Parameters
    ----------
    input_size : int
        D, features per step.
    hidden_size : int
        H, hidden units.
    nonlinearity : {"tanh", "relu"}
        Applied to the pre-activation, as in ``torch.nn.RNNCell``.
    generator : torch.Generator, optional
        Source of the initial weights.
    """

    gates = 1

    def __init__(self, input_size: int, hidden_size: int, nonlinearity: str = "tanh",
                 generator: torch.Generator | None = None):
        check_nonlinearity(nonlinearity)
        super().__init__(input_size, hidden_size, generator)
        self.nonlinearity = nonlinearity

    def forward(self, x: torch.Tensor, state: torch.Tensor | None = None) -> torch.Tensor:
        """Advance one step.

        Parameters
        ----------
        x : Tensor, shape (B, D)
            Input at this step.
        state : Tensor, shape (B, H), optional
            Hidden state from the previous step; zeros when omitted.

        Returns
        -------
        h : Tensor, shape (B, H)
            Hidden state after this step.
        """
        h_prev = self._check(x, state)
        a = x @ self.weight_ih.T + self.bias_ih + h_prev @ self.weight_hh.T + self.bias_hh  # (B, H)
        return torch.tanh(a) if self.nonlinearity == "tanh" else torch.relu(a)


class LSTMCell(_Cell):
    r"""One step of a long short-term memory cell, gates in torch's order i, f, g, o.

    .. math::

        i &= \sigma(W_{ii} x + b_{ii} + W_{hi} h + b_{hi}) \\
        f &= \sigma(W_{if} x + b_{if} + W_{hf} h + b_{hf}) \\
        g &= \tanh(W_{ig} x + b_{ig} + W_{hg} h + b_{hg}) \\
        o &= \sigma(W_{io} x + b_{io} + W_{ho} h + b_{ho}) \\
        c' &= f \odot c + i \odot g \\
        h' &= o \odot \tanh(c')

    Parameters
    ----------
    input_size : int
        D, features per step.
    hidden_size : int
        H, hidden units.
    generator : torch.Generator, optional
        Source of the initial weights.
    """

    gates = 4

    def forward(self, x: torch.Tensor, state: tuple[torch.Tensor, torch.Tensor] | None = None
                ) -> tuple[torch.Tensor, torch.Tensor]:
        """Advance one step.

        Parameters
        ----------
        x : Tensor, shape (B, D)
            Input at this step.
        state : tuple of two Tensors, each of shape (B, H), optional
            ``(h, c)``, hidden and cell state from the previous step; zeros when omitted.

        Returns
        -------
        h : Tensor, shape (B, H)
            Hidden state after this step.
        c : Tensor, shape (B, H)
            Cell state after this step.
        """
        if state is None:
            h_prev = c_prev = self._check(x, None)
        else:
            if not isinstance(state, (tuple, list)) or len(state) != 2:
                raise ValueError("state of an LSTMCell must be a pair (h, c) of tensors of shape (B, H)")
            h_prev, c_prev = self._check(x, state[0], "state[0] (h)"), self._check(x, state[1], "state[1] (c)")
        H = self.hidden_size
        a = x @ self.weight_ih.T + self.bias_ih + h_prev @ self.weight_hh.T + self.bias_hh  # (B, 4H)
        i = torch.sigmoid(a[:, :H])
        f = torch.sigmoid(a[:, H:2 * H])
        g = torch.tanh(a[:, 2 * H:3 * H])
        o = torch.sigmoid(a[:, 3 * H:])
        c = f * c_prev + i * g
        h = o * torch.tanh(c)
        return h, c


class GRUCell(_Cell):
    r"""One step of a gated recurrent unit, gates in torch's order r, z, n.

    .. math::

        r &= \sigma(W_{ir} x + b_{ir} + W_{hr} h + b_{hr}) \\
        z &= \sigma(W_{iz} x + b_{iz} + W_{hz} h + b_{hz}) \\
        n &= \tanh(W_{in} x + b_{in} + r \odot (W_{hn} h + b_{hn})) \\
        h' &= (1 - z) \odot n + z \odot h

    The reset gate scales the already projected state, as in torch (not ``W_hn (r * h)`` as in Cho et al.,
    2014); ``rnnlib.scratch.gru`` discusses the difference.

    Parameters
    ----------
    input_size : int
        D, features per step.
    hidden_size : int
        H, hidden units.
    generator : torch.Generator, optional
        Source of the initial weights.
    """

    gates = 3

    def forward(self, x: torch.Tensor, state: torch.Tensor | None = None) -> torch.Tensor:
        """Advance one step.

        Parameters
        ----------
        x : Tensor, shape (B, D)
            Input at this step.
        state : Tensor, shape (B, H), optional
            Hidden state from the previous step; zeros when omitted.

        Returns
        -------
        h : Tensor, shape (B, H)
            Hidden state after this step.
        """
        h_prev = self._check(x, state)
        H = self.hidden_size
        ai = x @ self.weight_ih.T + self.bias_ih  # (B, 3H)
        ah = h_prev @ self.weight_hh.T + self.bias_hh  # (B, 3H)
        r = torch.sigmoid(ai[:, :H] + ah[:, :H])
        z = torch.sigmoid(ai[:, H:2 * H] + ah[:, H:2 * H])
        hn = ah[:, 2 * H:]  # (B, H)
        n = torch.tanh(ai[:, 2 * H:] + r * hn)
        return (1.0 - z) * n + z * h_prev


def unroll(cell: nn.Module, x: torch.Tensor, state=None):
    r"""Run a cell over a whole sequence with a Python loop over time.

    This is what ``torch.nn.RNN``, ``torch.nn.LSTM`` and ``torch.nn.GRU`` compute (one layer, one direction),
    written so that every step is visible. To see how far back the gradient reaches, make ``x`` require
    gradients, put a loss on the last step only, and look at the norm of ``x.grad[t]`` for each t.

    Parameters
    ----------
    cell : RNNCell, LSTMCell or GRUCell
        Any module with the cells' ``forward(x (B, D), state) -> state`` contract; torch's own cells work too.
    x : Tensor, shape (T, B, D)
        Input sequence.
    state : Tensor of shape (B, H), or a pair of them for an LSTM, optional
        Initial state; zeros when omitted.

    Returns
    -------
    hs : Tensor, shape (T, B, H)
        Hidden state after every step.
    final_state : Tensor of shape (B, H), or a pair ``(h, c)`` of them for an LSTM
        State after the last step, ready to continue from.
    """
    check_shape("x", x, (None, None, None), "(T, B, D)")
    if x.shape[0] == 0:
        raise ValueError("x must have at least one time step, got shape (0, B, D)")
    hs = []
    for t in range(x.shape[0]):
        state = cell(x[t], state)
        # An LSTM's state is (h, c); the output at each step is h.
        hs.append(state[0] if isinstance(state, tuple) else state)
    return torch.stack(hs), state  # (T, B, H)


def init_like_torch(module: nn.Module, generator: torch.Generator) -> nn.Module:
    r"""Redraw every parameter of ``module`` from torch's default distributions, using ``generator``.

    Recurrent layers and cells get :math:`U(-1/\sqrt{H}, 1/\sqrt{H})`, linear layers and convolutions
    :math:`U(-1/\sqrt{\mathrm{fan\_in}}, 1/\sqrt{\mathrm{fan\_in}})` for weights and biases (what torch's
    Kaiming-uniform default works out to) and embeddings :math:`N(0, 1)`. Building a model and then calling
    this with ``torch.Generator().manual_seed(s)`` gives the same weights for the same ``s`` every time.

    Parameters
    ----------
    module : nn.Module
        Made of recurrent layers or cells, ``nn.Linear`` and ``nn.Embedding``; any other module that holds
        parameters of its own raises a ValueError rather than being left at a different distribution.
    generator : torch.Generator
        Source of randomness.

    Returns
    -------
    nn.Module
        ``module``, changed in place.
    """
    with torch.no_grad():
        for m in module.modules():
            own = list(m.parameters(recurse=False))
            if isinstance(m, _Cell):
                m.reset_parameters(generator)
            elif isinstance(m, (nn.RNNBase, nn.RNNCellBase)):
                bound = 1.0 / math.sqrt(m.hidden_size)
                for p in own:
                    p.uniform_(-bound, bound, generator=generator)
            elif isinstance(m, (nn.Linear, nn.modules.conv._ConvNd)):
                # fan_in: input features, or input channels times the kernel's size for a convolution.
                bound = 1.0 / math.sqrt(m.weight[0].numel())
                for p in own:
                    p.uniform_(-bound, bound, generator=generator)
            elif isinstance(m, nn.Embedding):
                m.weight.normal_(0.0, 1.0, generator=generator)
            elif own:
                raise ValueError(f"init_like_torch does not know how to initialise {type(m).__name__}")
    return module
