"""Elementwise functions the numpy reference shares, written so that they cannot overflow."""

from __future__ import annotations

import numpy as np


def sigmoid(a: np.ndarray) -> np.ndarray:
    """The logistic function, in a form that cannot overflow.

    ``1 / (1 + exp(-a))`` overflows (with a RuntimeWarning) for a < -709; the equal ``0.5 (1 + tanh(a / 2))``
    cannot.
    """
    return 0.5 * (1.0 + np.tanh(0.5 * a))
