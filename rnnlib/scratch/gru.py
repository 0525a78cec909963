r"""Gated recurrent unit (GRU) in numpy: forward and backward passes, one step and a whole sequence.

Shapes are time-major. Symbols: T time steps, B batch, D input features, H hidden units, G = 3 gates.

The parameters follow ``torch.nn.GRU``'s layout and names, so a dict built from a torch module can be passed
in as is: ``weight_ih (3H, D)``, ``weight_hh (3H, H)``, ``bias_ih (3H,)``, ``bias_hh (3H,)``, with the rows of
each grouped by gate in the order reset ``r``, update ``z``, new (candidate) ``n``. One step computes

.. math::

    r &= \sigma(W_{ir} x + b_{ir} + W_{hr} h + b_{hr}) \\
    z &= \sigma(W_{iz} x + b_{iz} + W_{hz} h + b_{hz}) \\
    n &= \tanh(W_{in} x + b_{in} + r \odot (W_{hn} h + b_{hn})) \\
    h' &= (1 - z) \odot n + z \odot h

These are torch's equations, and they differ from the paper that introduced the unit (Cho et al., 2014) in
where the reset gate acts. There it multiplies the previous state *before* the matrix product,

.. math:: n = \tanh(W_{in} x + W_{hn} (r \odot h) + b_n),

whereas torch resets the already projected state, ``r * (W_hn h + b_hn)``. Torch's form lets the three
products ``W_h* h`` run as one ``(3H, H)`` matrix product; the two forms give different outputs for the same
weights (``tests/scratch/test_gru.py`` shows it), so weights do not transfer between them. Separately, some
texts (for example Chung et al., 2014) swap the roles of ``z`` and ``1 - z``, writing
:math:`h' = (1 - z) \odot h + z \odot n`, so that there ``z`` is the share of the *new* candidate kept.

Every function checks its inputs and raises a ``ValueError`` naming the offending argument and its expected
shape. All arithmetic is float64.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from rnnlib.scratch._validate import as_array, as_params, check_cache, sizes_from_params
from rnnlib.scratch.activations import sigmoid


class GRUStepCache(NamedTuple):
    """What :func:`gru_step_backward` needs from :func:`gru_step_forward`."""

    x: np.ndarray          #: (B, D)
    h_prev: np.ndarray     #: (B, H)
    r: np.ndarray          #: (B, H) reset gate
    z: np.ndarray          #: (B, H) update gate
    n: np.ndarray          #: (B, H) candidate state
    hn: np.ndarray         #: (B, H) W_hn h_prev + b_hn, the term the reset gate scales
    weight_ih: np.ndarray  #: (3H, D)
    weight_hh: np.ndarray  #: (3H, H)


class GRUCache(NamedTuple):
    """What :func:`gru_backward` needs from :func:`gru_forward`."""

    x: np.ndarray          #: (T, B, D)
    h_prev: np.ndarray     #: (T, B, H) state entering each step: h0, hs[0], ..., hs[T-2]
    r: np.ndarray          #: (T, B, H)
    z: np.ndarray          #: (T, B, H)
    n: np.ndarray          #: (T, B, H)
    hn: np.ndarray         #: (T, B, H)
    weight_ih: np.ndarray  #: (3H, D)
    weight_hh: np.ndarray  #: (3H, H)


def _cell(ai, h_prev, weight_hh, bias_hh):
    """One GRU step given the input projection ``ai = x W_ih^T + b_ih`` (B, 3H); returns h, r, z, n, hn."""
    H = h_prev.shape[1]
    ah = h_prev @ weight_hh.T + bias_hh  # (B, 3H)
    r = sigmoid(ai[:, :H] + ah[:, :H])  # (B, H)
    z = sigmoid(ai[:, H:2 * H] + ah[:, H:2 * H])  # (B, H)
    hn = ah[:, 2 * H:]  # (B, H)
    n = np.tanh(ai[:, 2 * H:] + r * hn)
    h = (1.0 - z) * n + z * h_prev
    return h, r, z, n, hn


def _cell_backward(dh, h_prev, r, z, n, hn, weight_hh):
    """Backward through ``_cell``: gradients of the projections ``ai`` and ``ah`` (B, 3H) and of ``h_prev``."""
    dn = dh * (1.0 - z) * (1.0 - n * n)
    dz = dh * (h_prev - n) * z * (1.0 - z)
    dr = dn * hn * r * (1.0 - r)
    dai = np.concatenate([dr, dz, dn], axis=1)  # (B, 3H)
    # The reset gate scales the recurrent half of the candidate's pre-activation, not the input half.
    dah = np.concatenate([dr, dz, dn * r], axis=1)  # (B, 3H)
    dh_prev = dh * z + dah @ weight_hh
    return dai, dah, dh_prev


def _param_grads(dai, dah, x, h_prev, weight_ih):
    """Gradients of x and the parameters from projection gradients stacked over N rows (N = B, or T*B)."""
    return {"x": dai @ weight_ih, "weight_ih": dai.T @ x, "weight_hh": dah.T @ h_prev,
            "bias_ih": dai.sum(axis=0), "bias_hh": dah.sum(axis=0)}


def gru_step_forward(x, h_prev, params):
    r"""Advance a GRU by one time step.

    .. math:: h' = (1 - z) \odot n + z \odot h_{prev}

    with the gates of the module docstring (torch's equations, reset applied after the matrix product).

    Parameters
    ----------
    x : ndarray, shape (B, D)
        Input at this step.
    h_prev : ndarray, shape (B, H)
        Hidden state from the previous step.
    params : dict
        ``weight_ih`` (3H, D), ``weight_hh`` (3H, H), ``bias_ih`` (3H,), ``bias_hh`` (3H,), gate rows in the
        order r, z, n as in ``torch.nn.GRU``.

    Returns
    -------
    h : ndarray, shape (B, H)
        Hidden state after this step.
    cache : GRUStepCache
        What ``gru_step_backward`` needs.
    """
    dims = sizes_from_params(params, 3)
    x = as_array("x", x, ("B", "D"), dims)
    h_prev = as_array("h_prev", h_prev, ("B", "H"), dims)
    p = as_params(params, 3, dims)
    ai = x @ p["weight_ih"].T + p["bias_ih"]  # (B, 3H)
    h, r, z, n, hn = _cell(ai, h_prev, p["weight_hh"], p["bias_hh"])
    return h, GRUStepCache(x, h_prev, r, z, n, hn, p["weight_ih"], p["weight_hh"])


def gru_step_backward(dh, cache):
    """Backward pass for one GRU step.

    Parameters
    ----------
    dh : ndarray, shape (B, H)
        Gradient of the loss with respect to the step's output ``h``.
    cache : GRUStepCache
        From ``gru_step_forward``.

    Returns
    -------
    grads : dict
        ``x`` (B, D), ``h_prev`` (B, H), ``weight_ih`` (3H, D), ``weight_hh`` (3H, H), ``bias_ih`` (3H,),
        ``bias_hh`` (3H,).
    """
    check_cache(cache, GRUStepCache, "gru_step_forward")
    B, H = cache.h_prev.shape
    dh = as_array("dh", dh, ("B", "H"), {"B": B, "H": H})
    dai, dah, dh_prev = _cell_backward(dh, cache.h_prev, cache.r, cache.z, cache.n, cache.hn, cache.weight_hh)
    grads = _param_grads(dai, dah, cache.x, cache.h_prev, cache.weight_ih)
    grads["h_prev"] = dh_prev
    return grads


def gru_forward(x, h0, params):
    """Run a GRU over a whole sequence.

    Equivalent to calling ``gru_step_forward`` for t = 0, ..., T-1, but the input projection of all T steps
    is a single matrix product, since it does not depend on the recurrence.

    Parameters
    ----------
    x : ndarray, shape (T, B, D)
        Input sequence.
    h0 : ndarray, shape (B, H)
        Initial hidden state.
    params : dict
        ``weight_ih`` (3H, D), ``weight_hh`` (3H, H), ``bias_ih`` (3H,), ``bias_hh`` (3H,), as for
        ``gru_step_forward``.

    Returns
    -------
    hs : ndarray, shape (T, B, H)
        Hidden state after every step; equals the output of ``torch.nn.GRU`` with the same weights.
    cache : GRUCache
        What ``gru_backward`` needs.
    """
    dims = sizes_from_params(params, 3)
    x = as_array("x", x, ("T", "B", "D"), dims)
    h0 = as_array("h0", h0, ("B", "H"), dims)
    p = as_params(params, 3, dims)
    T, B, D = x.shape
    if T == 0:
        raise ValueError(f"x must hold at least one time step (T >= 1), got shape {x.shape}")
    H = dims["H"]
    ai = (x.reshape(T * B, D) @ p["weight_ih"].T + p["bias_ih"]).reshape(T, B, 3 * H)  # (T, B, 3H)
    hs, r, z, n, hn = (np.empty((T, B, H)) for _ in range(5))
    h = h0
    for t in range(T):
        h, r[t], z[t], n[t], hn[t] = _cell(ai[t], h, p["weight_hh"], p["bias_hh"])
        hs[t] = h
    h_prev = np.concatenate([h0[None], hs[:-1]], axis=0)  # (T, B, H)
    return hs, GRUCache(x, h_prev, r, z, n, hn, p["weight_ih"], p["weight_hh"])


def gru_backward(dhs, cache):
    """Backward pass for a whole sequence (backpropagation through time).

    Only the recurrence through ``h`` is sequential; the parameter and input gradients are summed over all
    steps with one matrix product each.

    Parameters
    ----------
    dhs : ndarray, shape (T, B, H)
        Gradient of the loss with respect to every hidden output ``hs``, as a direct dependence only:
        ``dhs[t]`` ignores the path through later steps, which this function adds.
    cache : GRUCache
        From ``gru_forward``.

    Returns
    -------
    grads : dict
        ``x`` (T, B, D), ``h0`` (B, H), ``weight_ih`` (3H, D), ``weight_hh`` (3H, H), ``bias_ih`` (3H,),
        ``bias_hh`` (3H,).
    """
    check_cache(cache, GRUCache, "gru_forward")
    T, B, H = cache.h_prev.shape
    D = cache.x.shape[2]
    dhs = as_array("dhs", dhs, ("T", "B", "H"), {"T": T, "B": B, "H": H})
    dai = np.empty((T, B, 3 * H))
    dah = np.empty((T, B, 3 * H))
    dh = np.zeros((B, H))
    for t in reversed(range(T)):
        dai[t], dah[t], dh = _cell_backward(dhs[t] + dh, cache.h_prev[t], cache.r[t], cache.z[t], cache.n[t],
                                            cache.hn[t], cache.weight_hh)
    grads = _param_grads(dai.reshape(T * B, 3 * H), dah.reshape(T * B, 3 * H), cache.x.reshape(T * B, D),
                         cache.h_prev.reshape(T * B, H), cache.weight_ih)
    grads["x"] = grads["x"].reshape(T, B, D)
    grads["h0"] = dh
    return grads
