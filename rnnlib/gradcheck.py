"""Numerical gradients by centred differences, to prove that a hand-written backward pass is right.

The check used throughout the course: pick a random upstream gradient ``dout`` of the output's shape, define
the scalar ``L = sum(f(x) * dout)``, whose gradient with respect to ``x`` is exactly what a backward pass
receiving ``dout`` must return, and compare it with

.. math:: \\frac{\\partial L}{\\partial x_i} \\approx \\frac{L(x + \\epsilon e_i) - L(x - \\epsilon e_i)}{2\\epsilon}.

The centred difference has error :math:`O(\\epsilon^2)`; in float64 with :math:`\\epsilon = 10^{-6}` a correct
backward agrees to a relative error near :math:`10^{-9}`, a wrong one rarely better than :math:`10^{-3}`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np


def rel_error(a, b) -> float:
    """Relative error ``||a - b|| / (||a|| + ||b||)`` of two arrays of the same shape (0 when both are 0).

    Norm-based rather than element-wise, so entries that are zero in theory and 1e-12 in practice do not
    dominate the figure.
    """
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"rel_error needs arrays of one shape, got {a.shape} and {b.shape}")
    denom = np.linalg.norm(a) + np.linalg.norm(b)
    return 0.0 if denom == 0 else float(np.linalg.norm(a - b) / denom)


def numerical_gradient(f: Callable[[], float], x: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """Centred-difference gradient of the scalar ``f()`` with respect to the array ``x``.

    Parameters
    ----------
    f : callable
        Takes no arguments and returns a scalar computed from ``x`` (and anything else it closes over).
    x : ndarray, any shape
        Perturbed in place, one entry at a time, and restored afterwards; must be a float64 array.
    eps : float
        Step size.

    Returns
    -------
    ndarray, same shape as ``x``
    """
    if not isinstance(x, np.ndarray) or x.dtype != np.float64:
        raise ValueError("numerical_gradient perturbs x in place, so x must be a float64 numpy array")
    grad = np.zeros_like(x)
    it = np.nditer(x, flags=["multi_index"], op_flags=[["readwrite"]])
    for _ in it:
        i = it.multi_index
        old = x[i]
        x[i] = old + eps
        plus = float(f())
        x[i] = old - eps
        minus = float(f())
        x[i] = old
        grad[i] = (plus - minus) / (2 * eps)
    return grad


def gradient_errors(loss: Callable[[], float], arrays: Mapping[str, np.ndarray],
                    analytic: Mapping[str, np.ndarray], eps: float = 1e-6) -> dict[str, float]:
    """Relative error between ``analytic[name]`` and the numerical gradient of ``loss()`` for each name.

    ``arrays[name]`` is the array ``loss`` reads (an input or a parameter); it is perturbed in place.
    Names in ``analytic`` that are missing from ``arrays`` raise a ValueError.
    """
    missing = sorted(set(analytic) - set(arrays))
    if missing:
        raise ValueError(f"no array to perturb for gradients {missing}")
    return {name: rel_error(analytic[name], numerical_gradient(loss, arrays[name], eps)) for name in analytic}
