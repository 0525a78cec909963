r"""An LSTM in numpy: forward and backward passes for one step and for a whole sequence.

The cell, exactly as ``torch.nn.LSTM`` computes it (:math:`\sigma` is the logistic sigmoid, :math:`\odot` the
element-wise product):

.. math::

    i_t &= \sigma(W_{ii} x_t + b_{ii} + W_{hi} h_{t-1} + b_{hi}) \\
    f_t &= \sigma(W_{if} x_t + b_{if} + W_{hf} h_{t-1} + b_{hf}) \\
    g_t &= \tanh(W_{ig} x_t + b_{ig} + W_{hg} h_{t-1} + b_{hg}) \\
    o_t &= \sigma(W_{io} x_t + b_{io} + W_{ho} h_{t-1} + b_{ho}) \\
    c_t &= f_t \odot c_{t-1} + i_t \odot g_t \\
    h_t &= o_t \odot \tanh(c_t)

Shape symbols: T time steps, B batch, D input features, H hidden units. Sequences are time-major, so ``x`` is
(T, B, D) and the states are (T, B, H). ``params`` is a dict with ``torch.nn.LSTM``'s names and shapes:
``weight_ih`` (4H, D) stacks :math:`W_{ii}, W_{if}, W_{ig}, W_{io}` row-wise in the gate order **i, f, g, o**,
``weight_hh`` (4H, H) likewise, ``bias_ih`` (4H,) and ``bias_hh`` (4H,); other keys are ignored, so
``{k.removesuffix("_l0"): v.detach().numpy() for k, v in torch.nn.LSTM(D, H).double().named_parameters()}`` works.

How this differs from the papers and other references:

- Hochreiter & Schmidhuber (1997) had no forget gate: the cell was :math:`c_t = c_{t-1} + i_t \odot g_t`, a
  "constant error carousel" that never decays, so a long input stream had to be cut into sequences and the
  cell reset by hand. Gers, Schmidhuber & Cummins (2000, "Learning to forget") added :math:`f_t`, giving the
  form above. The peephole connections of Gers & Schmidhuber (2000), gates that also read :math:`c`, are in
  neither ``torch.nn.LSTM`` nor this module.
- Papers use one bias per gate; torch keeps two, :math:`b_{i\cdot}` and :math:`b_{h\cdot}`. Only their sum
  matters, so the model is the same and both receive the same gradient.
- CS231n's assignment and several tutorials order the stacked gates i, f, o, g, and multiply ``x @ Wx`` with
  ``Wx`` of shape (D, 4H). Copying weights between the two conventions needs the last two blocks swapped and
  the matrices transposed.

Each forward returns its outputs and a cache; the matching backward takes the upstream gradients and that cache.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from rnnlib.scratch._validate import as_array, as_params, check_cache, sizes_from_params
from rnnlib.scratch.activations import sigmoid

_GATES = 4  # G: the blocks i, f, g, o


class LSTMStepCache(NamedTuple):
    """What :func:`lstm_step_backward` needs from :func:`lstm_step_forward`."""

    x: np.ndarray          #: (B, D) input at step t
    h_prev: np.ndarray     #: (B, H)
    c_prev: np.ndarray     #: (B, H)
    gates: np.ndarray      #: (B, 4H) activated i, f, g, o side by side
    c: np.ndarray          #: (B, H)
    weight_ih: np.ndarray  #: (4H, D)
    weight_hh: np.ndarray  #: (4H, H)


class LSTMCache(NamedTuple):
    """What :func:`lstm_backward` needs from :func:`lstm_forward`."""

    x: np.ndarray          #: (T, B, D)
    h0: np.ndarray         #: (B, H)
    c0: np.ndarray         #: (B, H)
    hs: np.ndarray         #: (T, B, H) h_1 .. h_T
    cs: np.ndarray         #: (T, B, H) c_1 .. c_T
    gates: np.ndarray      #: (T, B, 4H) activated i, f, g, o of every step
    weight_ih: np.ndarray  #: (4H, D)
    weight_hh: np.ndarray  #: (4H, H)


def _cell_forward(a_x, h_prev, c_prev, weight_hh):
    """One step given the input's share ``a_x`` (B, 4H) of the pre-activations, both biases included."""
    a = a_x + h_prev @ weight_hh.T  # (B, 4H)
    H = h_prev.shape[1]
    gates = np.empty_like(a)  # (B, 4H)
    gates[:, : 2 * H] = sigmoid(a[:, : 2 * H])  # i, f
    gates[:, 2 * H : 3 * H] = np.tanh(a[:, 2 * H : 3 * H])  # g
    gates[:, 3 * H :] = sigmoid(a[:, 3 * H :])  # o
    i, f, g, o = np.split(gates, 4, axis=1)  # each (B, H)
    c = f * c_prev + i * g
    h = o * np.tanh(c)
    return gates, c, h


def _cell_backward(dh, dc, gates, c_prev, c, weight_hh):
    """Gradients of the pre-activations (B, 4H), h_prev (B, H) and c_prev (B, H) from dL/dh_t and dL/dc_t."""
    i, f, g, o = np.split(gates, 4, axis=1)  # each (B, H)
    tanh_c = np.tanh(c)
    # c_t reaches the loss directly (dc) and through h_t = o * tanh(c_t).
    dc = dc + dh * o * (1.0 - tanh_c * tanh_c)
    # The activations' derivatives are written in terms of their outputs: sigma' = s(1 - s), tanh' = 1 - t^2.
    da = np.concatenate(
        [dc * g * i * (1.0 - i), dc * c_prev * f * (1.0 - f), dc * i * (1.0 - g * g), dh * tanh_c * o * (1.0 - o)],
        axis=1,
    )  # (B, 4H)
    return da, da @ weight_hh, dc * f


def lstm_step_forward(x, h_prev, c_prev, params):
    r"""Advance the LSTM by one time step (the equations in the module docstring).

    .. math:: c_t = f_t \odot c_{t-1} + i_t \odot g_t, \qquad h_t = o_t \odot \tanh(c_t)

    Parameters
    ----------
    x : ndarray, shape (B, D)
        Input at step t.
    h_prev : ndarray, shape (B, H)
        Hidden state at step t-1.
    c_prev : ndarray, shape (B, H)
        Cell state at step t-1.
    params : dict
        ``weight_ih`` (4H, D), ``weight_hh`` (4H, H), ``bias_ih`` (4H,), ``bias_hh`` (4H,), gates i, f, g, o.

    Returns
    -------
    h : ndarray, shape (B, H)
        Hidden state at step t.
    c : ndarray, shape (B, H)
        Cell state at step t.
    cache : LSTMStepCache
        What :func:`lstm_step_backward` needs.
    """
    dims = sizes_from_params(params, _GATES)
    x = as_array("x", x, ("B", "D"), dims)
    h_prev = as_array("h_prev", h_prev, ("B", "H"), dims)
    c_prev = as_array("c_prev", c_prev, ("B", "H"), dims)
    p = as_params(params, _GATES, dims)
    a_x = x @ p["weight_ih"].T + p["bias_ih"] + p["bias_hh"]  # (B, 4H)
    gates, c, h = _cell_forward(a_x, h_prev, c_prev, p["weight_hh"])
    return h, c, LSTMStepCache(x, h_prev, c_prev, gates, c, p["weight_ih"], p["weight_hh"])


def lstm_step_backward(dh, dc, cache):
    """Backward pass of :func:`lstm_step_forward`.

    Parameters
    ----------
    dh : ndarray, shape (B, H)
        Gradient of the loss with respect to the step's hidden state h.
    dc : ndarray, shape (B, H)
        Gradient of the loss with respect to the step's cell state c (zeros if only h is used).
    cache : LSTMStepCache
        From :func:`lstm_step_forward`.

    Returns
    -------
    grads : dict of ndarray
        Gradients with respect to ``x`` (B, D), ``h_prev`` (B, H), ``c_prev`` (B, H), ``weight_ih`` (4H, D),
        ``weight_hh`` (4H, H), ``bias_ih`` (4H,) and ``bias_hh`` (4H,).
    """
    check_cache(cache, LSTMStepCache, "lstm_step_forward")
    dims = dict(zip("BH", cache.c.shape))
    dh = as_array("dh", dh, ("B", "H"), dims)
    dc = as_array("dc", dc, ("B", "H"), dims)
    da, dh_prev, dc_prev = _cell_backward(dh, dc, cache.gates, cache.c_prev, cache.c, cache.weight_hh)
    db = da.sum(axis=0)  # (4H,)
    return {
        "x": da @ cache.weight_ih,
        "h_prev": dh_prev,
        "c_prev": dc_prev,
        "weight_ih": da.T @ cache.x,
        "weight_hh": da.T @ cache.h_prev,
        "bias_ih": db,
        # The two biases enter the sum identically, so they share one gradient (copied, so updates stay apart).
        "bias_hh": db.copy(),
    }


def lstm_forward(x, h0, c0, params):
    """Run the LSTM over a whole sequence.

    Equivalent to calling :func:`lstm_step_forward` for t = 1, ..., T, feeding h and c back in, but the input
    projections of every step are one matrix product, leaving only the recurrent product inside the loop.

    Parameters
    ----------
    x : ndarray, shape (T, B, D)
        Input sequence.
    h0 : ndarray, shape (B, H)
        Initial hidden state.
    c0 : ndarray, shape (B, H)
        Initial cell state.
    params : dict
        ``weight_ih`` (4H, D), ``weight_hh`` (4H, H), ``bias_ih`` (4H,), ``bias_hh`` (4H,), gates i, f, g, o.

    Returns
    -------
    hs : ndarray, shape (T, B, H)
        Hidden states h_1, ..., h_T (``hs[-1]`` is torch's ``h_n``).
    cs : ndarray, shape (T, B, H)
        Cell states c_1, ..., c_T (``cs[-1]`` is torch's ``c_n``).
    cache : LSTMCache
        What :func:`lstm_backward` needs.
    """
    dims = sizes_from_params(params, _GATES)
    x = as_array("x", x, ("T", "B", "D"), dims)
    h0 = as_array("h0", h0, ("B", "H"), dims)
    c0 = as_array("c0", c0, ("B", "H"), dims)
    p = as_params(params, _GATES, dims)
    T, B, D = x.shape
    if T == 0:
        raise ValueError(f"x must hold at least one time step (T >= 1), got shape {x.shape}")
    H = h0.shape[1]
    a_x = (x.reshape(T * B, D) @ p["weight_ih"].T + p["bias_ih"] + p["bias_hh"]).reshape(T, B, 4 * H)  # (T, B, 4H)
    gates = np.empty_like(a_x)  # (T, B, 4H)
    hs = np.empty((T, B, H))
    cs = np.empty((T, B, H))
    h, c = h0, c0
    for t in range(T):
        gates[t], c, h = _cell_forward(a_x[t], h, c, p["weight_hh"])
        hs[t], cs[t] = h, c
    return hs, cs, LSTMCache(x, h0, c0, hs, cs, gates, p["weight_ih"], p["weight_hh"])


def lstm_backward(dhs, cache):
    """Backward pass of :func:`lstm_forward` (backpropagation through time).

    Parameters
    ----------
    dhs : ndarray, shape (T, B, H)
        Gradient of the loss with respect to every hidden state, as a direct dependence only: ``dhs[t]`` is
        dL/dh_t ignoring the path through later steps, which this function adds. A loss on the final state
        alone has ``dhs`` zero except ``dhs[-1]``. The cell states are taken to reach the loss only through h.
    cache : LSTMCache
        From :func:`lstm_forward`.

    Returns
    -------
    grads : dict of ndarray
        Gradients with respect to ``x`` (T, B, D), ``h0`` (B, H), ``c0`` (B, H), ``weight_ih`` (4H, D),
        ``weight_hh`` (4H, H), ``bias_ih`` (4H,) and ``bias_hh`` (4H,).
    """
    check_cache(cache, LSTMCache, "lstm_forward")
    T, B, H = cache.hs.shape
    D = cache.x.shape[2]
    dhs = as_array("dhs", dhs, ("T", "B", "H"), {"T": T, "B": B, "H": H})
    das = np.empty_like(cache.gates)  # (T, B, 4H)
    dh_next = np.zeros((B, H))
    dc_next = np.zeros((B, H))
    for t in reversed(range(T)):
        c_prev = cache.cs[t - 1] if t else cache.c0
        das[t], dh_next, dc_next = _cell_backward(
            dhs[t] + dh_next, dc_next, cache.gates[t], c_prev, cache.cs[t], cache.weight_hh
        )
    # With every step's pre-activation gradients in hand, the weight gradients are one product each.
    da = das.reshape(T * B, 4 * H)
    h_prev = np.concatenate([cache.h0[None], cache.hs[:-1]]).reshape(T * B, H)  # h_0 .. h_{T-1}
    db = da.sum(axis=0)  # (4H,)
    return {
        "x": (da @ cache.weight_ih).reshape(T, B, D),
        "h0": dh_next,
        "c0": dc_next,
        "weight_ih": da.T @ cache.x.reshape(T * B, D),
        "weight_hh": da.T @ h_prev,
        "bias_ih": db,
        "bias_hh": db.copy(),
    }
