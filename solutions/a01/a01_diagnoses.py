"""The instructor's diagnoses for assignment 1 (the recurrent neuron): each names a mistake by re-computing what it
would give and comparing that with what the student's function returned.

a01_checks.py calls these only when they are present (``DIAGNOSES = diagnoses(__file__)``): in the trusted judge,
which loads solutions/a01/a01_checks.py, so graded feedback names the cause. This file is never released
(nbgrader_config.py ignores ``*_diagnoses.py``): the mistaken variants below sit one edit away from the answers
(a neuron step with a weight swapped or the bias left out, plain fixed-point iteration, the slope at h*), so the
students' copy of the checks says what is wrong and where, and leaves the cause to the graded feedback.

Each ``*_cause`` takes the check's case (a dict, in the order of the function's parameters), what the student's
function returned and the solution's answer, and returns the cause as the first line of a message, or None.
Self-contained: numpy only, never the checker module (it loads this file by path under another name).
"""

from __future__ import annotations

import numpy as np


def neuron_step_h_cause(case: dict, h) -> str | None:
    """Why ``h`` (B,) or float differs from tanh(w h_prev + u x + b): a weight swapped, the bias or tanh left out."""
    x, h_prev, w, u, b, v, c = case.values()
    if np.allclose(h, np.tanh(u * h_prev + w * x + b)):
        return "h looks like tanh(u h_prev + w x + b): w multiplies the state, u the input"
    if np.allclose(h, np.tanh(w * h_prev + u * x)):
        return "h looks like tanh(w h_prev + u x): the bias b is missing"
    if np.allclose(h, w * h_prev + u * x + b):
        return "h looks like w h_prev + u x + b: apply tanh to get the state"
    return None


def neuron_step_y_cause(case: dict, y) -> str | None:
    """Why ``y`` differs from v h + c (h right): read from h_prev, or from the pre-activation."""
    x, h_prev, w, u, b, v, c = case.values()
    if np.allclose(y, v * h_prev + c):
        return "y = v h_prev + c: the output is read from the NEW state h, not from h_prev"
    if np.allclose(y, v * (w * h_prev + u * x + b) + c):
        return "y = v (w h_prev + u x + b) + c: the output is read after the tanh"
    return None


def neuron_forward_cause(case: dict, hs: np.ndarray, hs_ref: np.ndarray) -> str | None:
    """Why ``hs`` (T, B) differs from ``hs_ref`` (T, B): every step after the first started again from h = 0."""
    x, h0, w, u, b, v, c = case.values()
    if len(x) > 1 and np.allclose(hs[0], hs_ref[0]) and np.allclose(hs[1:], np.tanh(u * x[1:] + b)):
        return "the state is lost after the first step: carry h from one step to the next"
    return None


def _two_cycle(x, w, u, b) -> tuple[float, float]:
    """The two values plain iteration from h = 0 ends up jumping between (equal if it converges)."""
    h = 0.0
    for _ in range(2000):
        h = np.tanh(w * h + u * x + b)
    return float(h), float(np.tanh(w * h + u * x + b))


def fixed_point_cause(case: dict, h: float, h_ref: float) -> str | None:
    """Why ``h`` is not the fixed point ``h_ref``: a bisection that keeps the wrong half, or plain iteration where
    it cannot converge (a two-cycle) or crawls (slope 1)."""
    x, w, u, b = case.values()
    g = lambda s: np.tanh(w * s + u * x + b) - s  # noqa: E731 -- the function whose root is h*
    if abs(abs(h) - 1) < 1e-6 and abs(g(h)) > 1e-6:
        # A bisection whose sign test is flipped moves away from the root at every step, to an end of [-1, 1].
        return (f"h* = {h:.6f} is an end of [-1, 1], not a root of g(h) = tanh(w h + u x + b) - h (g = {g(h):.3f} "
                f"there): your bisection keeps the half where g does NOT change sign. Check the sign test: g(mid) > 0 "
                f"means the root lies above mid")
    p, q = _two_cycle(x, w, u, b)
    slope = abs(w * (1 - h_ref**2))
    if abs(p - q) > 1e-6 and min(abs(h - p), abs(h - q)) < 1e-6:
        return (f"h* = {h:.6f} is one of the two values that plain iteration h <- tanh(w h + u x + b) jumps between "
                f"here ({p:.6f} and {q:.6f}): with w = {w:.3f} the slope at the fixed point is |w (1 - h*^2)| = "
                f"{slope:.2f} > 1, so plain iteration cannot converge. Use bisection, or slow the iteration down")
    if slope >= 1 - 1e-9 and abs(h - h_ref) > 1e-6 and abs(g(h)) < 1e-6:
        return (f"h* = {h:.8f} is not yet the fixed point {h_ref:.8f} for w = {w}: the slope there is 1 and "
                f"iteration crawls (the error falls like 1 / sqrt(steps)); bisection does not slow down")
    return None


def iteration_converges_cause(case: dict, answer: bool, expected: bool) -> str | None:
    """Why ``answer`` is not ``expected``: |w| < 1 tested instead of the slope at h*, or the slope's sign kept."""
    w, h_star = case["w"], case["h_star"]
    slope = w * (1 - h_star**2)
    if answer == (abs(w) < 1):
        return (f"w = {w:.3f}, h* = {h_star:.3f}: the slope at h* is w (1 - h*^2) = {slope:.2f}, so iteration "
                f"{'converges' if expected else 'does not converge'}. Use the slope w (1 - h*^2), not w alone")
    if w < 0 and answer == (slope < 1):
        return (f"w = {w:.3f}, h* = {h_star:.3f}: a negative slope also counts, compare its magnitude "
                f"|w (1 - h*^2)| = {abs(slope):.2f} with 1")
    return None
