r"""A vanilla (Elman) RNN in numpy: forward and backward passes for one step and for a whole sequence.

The recurrence, in the layout of ``torch.nn.RNN`` (weights applied as ``x @ W.T``, two bias vectors):

.. math::

    h_t = \phi(W_{ih} x_t + b_{ih} + W_{hh} h_{t-1} + b_{hh}), \qquad \phi \in \{\tanh, \mathrm{relu}\}

Shape symbols: T time steps, B batch, D input features, H hidden units. Sequences are time-major, so ``x`` is
(T, B, D) and the hidden states are (T, B, H). ``params`` is a dict with ``torch.nn.RNN``'s names and shapes:
``weight_ih`` (H, D), ``weight_hh`` (H, H), ``bias_ih`` (H,), ``bias_hh`` (H,); other keys are ignored, so
``{k.removesuffix("_l0"): v.detach().numpy() for k, v in torch.nn.RNN(D, H).double().named_parameters()}`` works.

Each forward returns ``(output, cache)`` and the matching backward takes the upstream gradient and that cache.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from rnnlib.scratch._validate import as_array, as_params, check_cache, check_choice, sizes_from_params

_GATES = 1  # G: the RNN has one pre-activation block and no gates
NONLINEARITIES = ("tanh", "relu")


class RNNStepCache(NamedTuple):
    """What :func:`rnn_step_backward` needs from :func:`rnn_step_forward`."""

    x: np.ndarray          #: (B, D) input at step t
    h_prev: np.ndarray     #: (B, H) state entering the step
    h: np.ndarray          #: (B, H) output; the activation's derivative is computed from it
    weight_ih: np.ndarray  #: (H, D)
    weight_hh: np.ndarray  #: (H, H)
    nonlinearity: str      #: "tanh" or "relu"


class RNNCache(NamedTuple):
    """What :func:`rnn_backward` needs from :func:`rnn_forward`."""

    x: np.ndarray          #: (T, B, D)
    h0: np.ndarray         #: (B, H)
    hs: np.ndarray         #: (T, B, H) h_1 .. h_T
    weight_ih: np.ndarray  #: (H, D)
    weight_hh: np.ndarray  #: (H, H)
    nonlinearity: str      #: "tanh" or "relu"


def _cell_forward(a_x, h_prev, weight_hh, nonlinearity):
    """One step given the input's share ``a_x`` (B, H) of the pre-activation, both biases included."""
    a = a_x + h_prev @ weight_hh.T  # (B, H)
    return np.tanh(a) if nonlinearity == "tanh" else np.maximum(a, 0.0)


def _cell_backward(dh, h, weight_hh, nonlinearity):
    """Gradients of the pre-activation (B, H) and of h_prev (B, H) from dL/dh_t (B, H)."""
    # Both derivatives are functions of the output, so the pre-activation need not be cached.
    da = dh * (1.0 - h * h) if nonlinearity == "tanh" else dh * (h > 0)
    return da, da @ weight_hh


def rnn_step_forward(x, h_prev, params, nonlinearity="tanh"):
    r"""Advance the RNN by one time step.

    .. math:: h_t = \phi(W_{ih} x_t + b_{ih} + W_{hh} h_{t-1} + b_{hh})

    Parameters
    ----------
    x : ndarray, shape (B, D)
        Input at step t.
    h_prev : ndarray, shape (B, H)
        Hidden state at step t-1.
    params : dict
        ``weight_ih`` (H, D), ``weight_hh`` (H, H), ``bias_ih`` (H,), ``bias_hh`` (H,).
    nonlinearity : {"tanh", "relu"}
        The activation :math:`\phi`.

    Returns
    -------
    h : ndarray, shape (B, H)
        Hidden state at step t.
    cache : RNNStepCache
        What :func:`rnn_step_backward` needs.
    """
    dims = sizes_from_params(params, _GATES)
    x = as_array("x", x, ("B", "D"), dims)
    h_prev = as_array("h_prev", h_prev, ("B", "H"), dims)
    p = as_params(params, _GATES, dims)
    check_choice("nonlinearity", nonlinearity, NONLINEARITIES)
    a_x = x @ p["weight_ih"].T + p["bias_ih"] + p["bias_hh"]  # (B, H)
    h = _cell_forward(a_x, h_prev, p["weight_hh"], nonlinearity)
    return h, RNNStepCache(x, h_prev, h, p["weight_ih"], p["weight_hh"], nonlinearity)


def rnn_step_backward(dh, cache):
    """Backward pass of :func:`rnn_step_forward`.

    Parameters
    ----------
    dh : ndarray, shape (B, H)
        Gradient of the loss with respect to the step's output h.
    cache : RNNStepCache
        From :func:`rnn_step_forward`.

    Returns
    -------
    grads : dict of ndarray
        Gradients with respect to ``x`` (B, D), ``h_prev`` (B, H), ``weight_ih`` (H, D), ``weight_hh`` (H, H),
        ``bias_ih`` (H,) and ``bias_hh`` (H,).
    """
    check_cache(cache, RNNStepCache, "rnn_step_forward")
    B, H = cache.h.shape
    dh = as_array("dh", dh, ("B", "H"), {"B": B, "H": H})
    da, dh_prev = _cell_backward(dh, cache.h, cache.weight_hh, cache.nonlinearity)
    db = da.sum(axis=0)  # (H,)
    return {
        "x": da @ cache.weight_ih,
        "h_prev": dh_prev,
        "weight_ih": da.T @ cache.x,
        "weight_hh": da.T @ cache.h_prev,
        "bias_ih": db,
        # The two biases enter the sum identically, so they share one gradient (copied, so updates stay apart).
        "bias_hh": db.copy(),
    }


def rnn_forward(x, h0, params, nonlinearity="tanh"):
    r"""Run the RNN over a whole sequence.

    Equivalent to calling :func:`rnn_step_forward` for t = 1, ..., T, feeding each h back in, but the input
    projection :math:`W_{ih} x_t` of every step is one matrix product, leaving only :math:`W_{hh} h_{t-1}`
    inside the loop.

    .. math:: h_t = \phi(W_{ih} x_t + b_{ih} + W_{hh} h_{t-1} + b_{hh}), \qquad t = 1, \dots, T

    Parameters
    ----------
    x : ndarray, shape (T, B, D)
        Input sequence.
    h0 : ndarray, shape (B, H)
        Initial hidden state.
    params : dict
        ``weight_ih`` (H, D), ``weight_hh`` (H, H), ``bias_ih`` (H,), ``bias_hh`` (H,).
    nonlinearity : {"tanh", "relu"}
        The activation :math:`\phi`.

    Returns
    -------
    hs : ndarray, shape (T, B, H)
        Hidden states h_1, ..., h_T (``hs[-1]`` is the final state).
    cache : RNNCache
        What :func:`rnn_backward` needs.
    """
    dims = sizes_from_params(params, _GATES)
    x = as_array("x", x, ("T", "B", "D"), dims)
    h0 = as_array("h0", h0, ("B", "H"), dims)
    p = as_params(params, _GATES, dims)
    check_choice("nonlinearity", nonlinearity, NONLINEARITIES)
    T, B, D = x.shape
    if T == 0:
        raise ValueError(f"x must hold at least one time step (T >= 1), got shape {x.shape}")
    a_x = (x.reshape(T * B, D) @ p["weight_ih"].T + p["bias_ih"] + p["bias_hh"]).reshape(T, B, -1)  # (T, B, H)
    hs = np.empty_like(a_x)  # (T, B, H)
    h = h0
    for t in range(T):
        h = hs[t] = _cell_forward(a_x[t], h, p["weight_hh"], nonlinearity)
    return hs, RNNCache(x, h0, hs, p["weight_ih"], p["weight_hh"], nonlinearity)


def rnn_backward(dhs, cache):
    """Backward pass of :func:`rnn_forward` (backpropagation through time).

    Parameters
    ----------
    dhs : ndarray, shape (T, B, H)
        Gradient of the loss with respect to every hidden state, as a direct dependence only: ``dhs[t]`` is
        dL/dh_t ignoring the path through later steps, which this function adds. A loss on the final state
        alone has ``dhs`` zero except ``dhs[-1]``.
    cache : RNNCache
        From :func:`rnn_forward`.

    Returns
    -------
    grads : dict of ndarray
        Gradients with respect to ``x`` (T, B, D), ``h0`` (B, H), ``weight_ih`` (H, D), ``weight_hh`` (H, H),
        ``bias_ih`` (H,) and ``bias_hh`` (H,).
    """
    check_cache(cache, RNNCache, "rnn_forward")
    T, B, H = cache.hs.shape
    D = cache.x.shape[2]
    dhs = as_array("dhs", dhs, ("T", "B", "H"), {"T": T, "B": B, "H": H})
    das = np.empty_like(cache.hs)  # (T, B, H)
    dh_next = np.zeros((B, H))
    for t in reversed(range(T)):
        das[t], dh_next = _cell_backward(dhs[t] + dh_next, cache.hs[t], cache.weight_hh, cache.nonlinearity)
    # With every step's pre-activation gradient in hand, the weight gradients are one product each.
    da = das.reshape(T * B, H)
    h_prev = np.concatenate([cache.h0[None], cache.hs[:-1]]).reshape(T * B, H)  # h_0 .. h_{T-1}
    db = da.sum(axis=0)  # (H,)
    return {
        "x": (da @ cache.weight_ih).reshape(T, B, D),
        "h0": dh_next,
        "weight_ih": da.T @ cache.x.reshape(T * B, D),
        "weight_hh": da.T @ h_prev,
        "bias_ih": db,
        "bias_hh": db.copy(),
    }
