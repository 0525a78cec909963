r"""A bidirectional wrapper around the numpy RNN, LSTM and GRU: one cell reads forward, another backward in time.

Shapes are time-major. Symbols: T time steps, B batch, D input features, H hidden units per direction.

Two cells of the same kind with separate parameters read the sequence in opposite directions, and their
hidden states are concatenated at each time step:

.. math::

    \overrightarrow{h}_t &= \mathrm{cell}(x_t, \overrightarrow{h}_{t-1}), \qquad t = 0, \dots, T-1 \\
    \overleftarrow{h}_t &= \mathrm{cell}'(x_t, \overleftarrow{h}_{t+1}), \qquad t = T-1, \dots, 0 \\
    h_t &= [\overrightarrow{h}_t; \overleftarrow{h}_t]

so ``hs[t]`` (B, 2H) sees the whole sequence, the first H features summarising ``x[:t+1]`` and the last H
features ``x[t:]``. This is exactly the output of ``torch.nn.RNN/LSTM/GRU(D, H, bidirectional=True)``. The
final states torch returns as ``h_n`` are ``hs[-1, :, :H]`` for the forward direction and ``hs[0, :, H:]``
for the backward one, since the backward cell finishes at t = 0.

The backward direction is the ordinary sequence function applied to ``x[::-1]``, with its outputs reversed
back into the original time order; no cell is re-implemented here. ``params`` uses torch's names with
``_l0`` removed: ``weight_ih``, ``weight_hh``, ``bias_ih``, ``bias_hh`` for the forward cell and the same
names ending in ``_reverse`` for the backward cell, each with the cell's torch shapes (G*H, D), (G*H, H),
(G*H,), where G is 1 for ``"rnn"``, 4 for ``"lstm"`` and 3 for ``"gru"``.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from rnnlib.scratch._validate import PARAM_NAMES, as_array, as_params, check_cache, check_choice
from rnnlib.scratch.gru import gru_backward, gru_forward
from rnnlib.scratch.lstm import lstm_backward, lstm_forward
from rnnlib.scratch.rnn import rnn_backward, rnn_forward

CELLS = ("rnn", "lstm", "gru")
_GATES = {"rnn": 1, "lstm": 4, "gru": 3}
_BACKWARD = {"rnn": rnn_backward, "lstm": lstm_backward, "gru": gru_backward}


class BidirectionalCache(NamedTuple):
    """What :func:`bidirectional_backward` needs from :func:`bidirectional_forward`."""

    cell: str                       #: "rnn", "lstm" or "gru"
    forward: tuple                  #: the cell's cache from reading x (T, B, D) forward
    reverse: tuple                  #: the cell's cache from reading x[::-1] (T, B, D)
    hidden_shape: tuple[int, ...]   #: (T, B, H), the shape of each direction's hidden states


def _run(cell, x, h0, c0, params, nonlinearity):
    """One direction: hidden states (T, B, H) and the cell's cache, whatever the cell's own signature."""
    if cell == "lstm":
        hs, _, cache = lstm_forward(x, h0, c0, params)
        return hs, cache
    if cell == "gru":
        return gru_forward(x, h0, params)
    return rnn_forward(x, h0, params, nonlinearity)


def bidirectional_forward(x, h0, params, cell="rnn", c0=None, nonlinearity="tanh"):
    """Run a bidirectional RNN, LSTM or GRU over a sequence.

    Parameters
    ----------
    x : ndarray, shape (T, B, D)
        Input sequence.
    h0 : ndarray, shape (2, B, H)
        Initial hidden states, ``h0[0]`` for the forward cell and ``h0[1]`` for the backward cell, as torch's
        (num_directions, B, H).
    params : dict
        ``weight_ih`` (G*H, D), ``weight_hh`` (G*H, H), ``bias_ih`` (G*H,), ``bias_hh`` (G*H,) and the same
        four names ending in ``_reverse``.
    cell : {"rnn", "lstm", "gru"}
        Which cell both directions use.
    c0 : ndarray, shape (2, B, H), optional
        Initial cell states; required for ``cell="lstm"`` and must be None for the other cells.
    nonlinearity : {"tanh", "relu"}
        Passed to the RNN cell; the LSTM and GRU accept only the default.

    Returns
    -------
    hs : ndarray, shape (T, B, 2H)
        Forward hidden states in ``hs[..., :H]``, backward hidden states in ``hs[..., H:]``, both in the
        original time order.
    cache : BidirectionalCache
        What ``bidirectional_backward`` needs.
    """
    check_choice("cell", cell, CELLS)
    dims = {}
    x = as_array("x", x, ("T", "B", "D"), dims)
    h0 = as_array("h0", h0, (2, "B", "H"), dims)
    if cell == "lstm":
        if c0 is None:
            raise ValueError("c0 of shape (2, B, H) is required for cell='lstm'")
        c0 = as_array("c0", c0, (2, "B", "H"), dims)
    elif c0 is not None:
        raise ValueError(f"c0 is only used by cell='lstm'; pass c0=None for cell={cell!r}")
    if cell != "rnn" and nonlinearity != "tanh":
        raise ValueError(f"nonlinearity applies only to cell='rnn', got nonlinearity={nonlinearity!r} "
                         f"for cell={cell!r}")
    p_forward = as_params(params, _GATES[cell], dims)
    p_reverse = as_params(params, _GATES[cell], dims, suffix="_reverse")
    c0s = (None, None) if c0 is None else c0
    hs_forward, cache_forward = _run(cell, x, h0[0], c0s[0], p_forward, nonlinearity)
    hs_reverse, cache_reverse = _run(cell, x[::-1], h0[1], c0s[1], p_reverse, nonlinearity)
    hs = np.concatenate([hs_forward, hs_reverse[::-1]], axis=2)  # (T, B, 2H)
    return hs, BidirectionalCache(cell, cache_forward, cache_reverse, hs_forward.shape)


def bidirectional_backward(dhs, cache):
    """Backward pass of :func:`bidirectional_forward`.

    Parameters
    ----------
    dhs : ndarray, shape (T, B, 2H)
        Gradient of the loss with respect to every output ``hs``, as a direct dependence only (the paths
        through later or earlier steps are added here).
    cache : BidirectionalCache
        From :func:`bidirectional_forward`.

    Returns
    -------
    grads : dict of ndarray
        ``x`` (T, B, D), ``h0`` (2, B, H), ``c0`` (2, B, H) for the LSTM only, and the gradient of every
        parameter under its name in ``params``: ``weight_ih`` (G*H, D), ``weight_hh`` (G*H, H), ``bias_ih``
        (G*H,), ``bias_hh`` (G*H,) and the same four ending in ``_reverse``.
    """
    check_cache(cache, BidirectionalCache, "bidirectional_forward")
    T, B, H = cache.hidden_shape
    dhs = as_array("dhs", dhs, ("T", "B", "2H"), {"T": T, "B": B, "2H": 2 * H})
    backward = _BACKWARD[cache.cell]
    g_forward = backward(dhs[:, :, :H], cache.forward)
    # The backward cell emitted its states in reversed time, so its upstream gradient is reversed to match
    # and its input gradient is reversed back.
    g_reverse = backward(dhs[::-1, :, H:], cache.reverse)
    grads = {"x": g_forward["x"] + g_reverse["x"][::-1],
             "h0": np.stack([g_forward["h0"], g_reverse["h0"]])}  # (2, B, H)
    if cache.cell == "lstm":
        grads["c0"] = np.stack([g_forward["c0"], g_reverse["c0"]])  # (2, B, H)
    for name in PARAM_NAMES:
        grads[name] = g_forward[name]
        grads[name + "_reverse"] = g_reverse[name]
    return grads
