r"""Linear recurrences in numpy: the sequential loop and two parallel scans, forward and backward.

Shapes are time-major. Symbols: T time steps, B batch, H hidden units.

A linear recurrence with elementwise coefficients,

.. math:: h_t = a_t \odot h_{t-1} + b_t, \qquad t = 1, \dots, T,

is the part of minGRU, LRU and Mamba that runs along time. Step t is the affine map
:math:`f_t(h) = a_t h + b_t`, stored as the pair :math:`(a_t, b_t)`. Applying :math:`(a_1, b_1)` and then
:math:`(a_2, b_2)` is again affine,

.. math:: (a_1, b_1) \bullet (a_2, b_2) = (a_2 a_1,\; a_2 b_1 + b_2),

and :math:`\bullet` is associative (composition of maps is), with identity :math:`(1, 0)`. So the prefixes
:math:`(A_t, B_t) = (a_1, b_1) \bullet \dots \bullet (a_t, b_t)` can be computed by any parallel prefix scan,
and then :math:`h_t = A_t h_0 + B_t`. Two scans are here:

- :func:`hillis_steele_scan` (Hillis & Steele 1986): :math:`\lceil \log_2 T \rceil` levels, each combining
  every element with the one :math:`2^d` places before it; :math:`O(T \log T)` work.
- :func:`blelloch_scan` (Blelloch 1990): an up-sweep that builds a tree of partial results and a down-sweep
  that hands every element the combination of everything before it, about :math:`2 \log_2 T` levels and
  :math:`O(T)` work, which is what makes it the scan of choice on a GPU.

Each function returns the number of *levels* it ran: steps that depend on each other and must run one after
another, however many processors there are. Everything inside a level is one vectorised numpy operation. The
loop has T levels; the scans have :math:`O(\log T)`.

The gradient of a linear recurrence is a linear recurrence run backwards:
:math:`\delta_t = g_t + a_{t+1} \odot \delta_{t+1}` for the total gradient :math:`\delta_t` reaching
:math:`h_t` from the direct gradients :math:`g_t`, and then :math:`\partial L/\partial b_t = \delta_t`,
:math:`\partial L/\partial a_t = \delta_t \odot h_{t-1}`, :math:`\partial L/\partial h_0 = a_1 \odot \delta_1`.
:func:`linear_scan_backward` computes it with the same scan as the forward pass.

:func:`log_space_scan` is the variant minGRU trains with when every quantity is positive: it works with
:math:`\log h_t` and never forms the products :math:`A_t`, which underflow to zero over long sequences.

Every function checks its inputs and raises a ``ValueError`` naming the offending argument. All arithmetic is
float64.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from rnnlib.scratch._validate import as_array, check_cache, check_choice

METHODS = ("loop", "hillis_steele", "blelloch")


class LinearScanCache(NamedTuple):
    """What :func:`linear_scan_backward` needs from :func:`linear_scan_forward`."""

    a: np.ndarray       #: (T, B, H)
    h_prev: np.ndarray  #: (T, B, H) state entering each step: h0, hs[0], ..., hs[T-2]
    method: str


def combine(first, second):
    r"""The associative operator: the pair for applying ``first``, then ``second``.

    .. math:: (a_1, b_1) \bullet (a_2, b_2) = (a_2 a_1,\; a_2 b_1 + b_2)

    Parameters
    ----------
    first, second : tuple of two ndarrays of one shape
        Pairs ``(a, b)`` standing for the maps ``h -> a * h + b``.

    Returns
    -------
    tuple of two ndarrays
        ``(a, b)`` of the composed map.
    """
    (a1, b1), (a2, b2) = first, second
    return a2 * a1, a2 * b1 + b2


def sequential_scan(a, b):
    """Inclusive prefixes ``(A_t, B_t)`` of the pairs by a plain loop: T levels, one per step.

    Parameters
    ----------
    a, b : ndarray, shape (T, ...)
        Coefficients and inputs of the recurrence, time on axis 0.

    Returns
    -------
    A, B : ndarray, shape (T, ...)
        ``(A_t, B_t) = (a_0, b_0) . ... . (a_t, b_t)``, so that ``h_t = A_t * h0 + B_t``.
    levels : int
        T.
    """
    A, B = np.empty_like(a), np.empty_like(b)
    A[0], B[0] = a[0], b[0]
    for t in range(1, len(a)):
        A[t], B[t] = combine((A[t - 1], B[t - 1]), (a[t], b[t]))
    return A, B, len(a)


def hillis_steele_scan(a, b):
    """Inclusive prefixes ``(A_t, B_t)`` by the Hillis-Steele scan.

    At level d every element t >= 2^d is combined with the element 2^d places before it; after level d each
    element holds the combination of the (up to) 2^(d+1) elements ending at it. All elements of a level are
    updated at once from the previous level's values.

    Parameters
    ----------
    a, b : ndarray, shape (T, ...)

    Returns
    -------
    A, B : ndarray, shape (T, ...)
    levels : int
        ceil(log2 T).
    """
    A, B = a.copy(), b.copy()
    levels, shift = 0, 1
    while shift < len(a):
        # The right-hand sides are evaluated before assignment, so every update reads the previous level.
        A[shift:], B[shift:] = combine((A[:-shift], B[:-shift]), (A[shift:], B[shift:]))
        levels, shift = levels + 1, 2 * shift
    return A, B, levels


def blelloch_scan(a, b):
    """Inclusive prefixes ``(A_t, B_t)`` by the work-efficient Blelloch scan.

    The sequence is padded with identity pairs (1, 0) to a power of two n. The up-sweep combines neighbours
    pairwise up a binary tree (log2 n levels), leaving at each right child the combination of its subtree. The
    down-sweep starts from the identity at the root and, going down (log2 n levels), gives each left child its
    parent's prefix and each right child the parent's prefix followed by the left sibling's subtree: an
    exclusive scan. One last level combines each exclusive prefix with its own element.

    Parameters
    ----------
    a, b : ndarray, shape (T, ...)

    Returns
    -------
    A, B : ndarray, shape (T, ...)
    levels : int
        2 ceil(log2 T) + 1.
    """
    T = len(a)
    n = 1 << max(T - 1, 0).bit_length()
    A = np.concatenate([a, np.ones((n - T, *a.shape[1:]))])  # (n, ...)
    B = np.concatenate([b, np.zeros((n - T, *b.shape[1:]))])  # (n, ...)
    levels, stride = 0, 2
    while stride <= n:
        right = np.arange(stride - 1, n, stride)
        left = right - stride // 2
        A[right], B[right] = combine((A[left], B[left]), (A[right], B[right]))
        levels, stride = levels + 1, 2 * stride
    A[-1], B[-1] = 1.0, 0.0
    stride = n
    while stride >= 2:
        right = np.arange(stride - 1, n, stride)
        left = right - stride // 2
        # The prefix before the right child's subtree comes first; the left sibling's subtree follows it.
        left_sum = A[left].copy(), B[left].copy()
        A[left], B[left] = A[right], B[right]
        A[right], B[right] = combine((A[right], B[right]), left_sum)
        levels, stride = levels + 1, stride // 2
    A, B = combine((A[:T], B[:T]), (a, b))
    return A, B, levels + 1


SCANS = {"loop": sequential_scan, "hillis_steele": hillis_steele_scan, "blelloch": blelloch_scan}


def _check(a, b, h0):
    dims = {}
    a = as_array("a", a, ("T", "B", "H"), dims)
    b = as_array("b", b, ("T", "B", "H"), dims)
    if a.shape[0] == 0:
        raise ValueError(f"a must hold at least one time step (T >= 1), got shape {a.shape}")
    h0 = np.zeros(a.shape[1:]) if h0 is None else as_array("h0", h0, ("B", "H"), dims)
    return a, b, h0


def linear_scan_forward(a, b, h0=None, method="blelloch"):
    r"""Every state of :math:`h_t = a_t \odot h_{t-1} + b_t`, by a loop or a parallel scan.

    Parameters
    ----------
    a : ndarray, shape (T, B, H)
        Coefficients (in minGRU, ``1 - z_t``).
    b : ndarray, shape (T, B, H)
        Inputs (in minGRU, ``z_t * h~_t``).
    h0 : ndarray, shape (B, H), optional
        Initial state; zeros when omitted.
    method : {"loop", "hillis_steele", "blelloch"}
        How to compute the prefixes; all three give the same states up to rounding.

    Returns
    -------
    hs : ndarray, shape (T, B, H)
        ``hs[t]`` is the state after step t.
    cache : LinearScanCache
        What ``linear_scan_backward`` needs.
    """
    check_choice("method", method, METHODS)
    a, b, h0 = _check(a, b, h0)
    A, B, _ = SCANS[method](a, b)
    hs = A * h0 + B  # (T, B, H)
    h_prev = np.concatenate([h0[None], hs[:-1]], axis=0)  # (T, B, H)
    return hs, LinearScanCache(a, h_prev, method)


def linear_scan_backward(dhs, cache):
    r"""Gradients of a linear recurrence, by the same scan run backwards in time.

    The total gradient reaching :math:`h_t` obeys :math:`\delta_t = g_t + a_{t+1} \odot \delta_{t+1}`, a
    linear recurrence over reversed time with coefficients :math:`a_{t+1}` and inputs :math:`g_t`.

    Parameters
    ----------
    dhs : ndarray, shape (T, B, H)
        Gradient of the loss with respect to every state, ``g_t``.
    cache : LinearScanCache
        From ``linear_scan_forward``.

    Returns
    -------
    grads : dict
        ``a`` (T, B, H), ``b`` (T, B, H), ``h0`` (B, H).
    """
    check_cache(cache, LinearScanCache, "linear_scan_forward")
    a = cache.a
    dhs = as_array("dhs", dhs, a.shape)
    # Reversed time s = T-1-t: delta_s = a'_s delta_{s-1} + g_s with a'_s = a_{t+1}; a'_0 meets delta_{-1} = 0.
    a_rev = np.concatenate([np.ones_like(a[:1]), a[:0:-1]], axis=0)  # (T, B, H)
    _, delta_rev, _ = SCANS[cache.method](a_rev, dhs[::-1])
    delta = delta_rev[::-1]  # (T, B, H)
    return {"a": delta * cache.h_prev, "b": delta, "h0": a[0] * delta[0]}


def scan_levels(T, method):
    """Number of sequential levels ``method`` runs for a sequence of T steps (counted by running it)."""
    check_choice("method", method, METHODS)
    if not isinstance(T, (int, np.integer)) or T < 1:
        raise ValueError(f"T must be a positive integer, got {T!r}")
    return SCANS[method](np.ones((T, 1)), np.zeros((T, 1)))[2]


def log_space_scan(log_a, log_b, log_h0=None):
    r"""The logarithms of the states of :math:`h_t = a_t h_{t-1} + b_t` for positive a, b and h0.

    With :math:`a^*_t = \sum_{s \le t} \log a_s`,

    .. math::

        \log h_t &= a^*_t + \log\Bigl(h_0 + \sum_{s \le t} e^{\log b_s - a^*_s}\Bigr) \\
                 &= a^*_t + \operatorname{logcumsumexp}_s\bigl([\log h_0, \log b_s - a^*_s]\bigr),

    two scans (a cumulative sum and a cumulative log-sum-exp) that never form :math:`A_t = e^{a^*_t}`, which
    underflows to 0 when many :math:`a_t < 1` are multiplied, nor its reciprocal, which overflows.

    Parameters
    ----------
    log_a : ndarray, shape (T, B, H)
        Logarithms of the coefficients (any real values).
    log_b : ndarray, shape (T, B, H)
        Logarithms of the inputs; ``-inf`` stands for an input of 0.
    log_h0 : ndarray, shape (B, H), optional
        Logarithm of the initial state; ``-inf`` (h0 = 0) when omitted.

    Returns
    -------
    log_hs : ndarray, shape (T, B, H)
    """
    dims = {}
    log_a = as_array("log_a", log_a, ("T", "B", "H"), dims)
    log_b = np.asarray(log_b, dtype=np.float64)
    if log_b.shape != log_a.shape or np.isnan(log_b).any() or np.isposinf(log_b).any():
        raise ValueError(f"log_b must have the shape of log_a {log_a.shape} and hold reals or -inf, "
                         f"got shape {log_b.shape}")
    if log_a.shape[0] == 0:
        raise ValueError(f"log_a must hold at least one time step (T >= 1), got shape {log_a.shape}")
    log_h0 = np.full(log_a.shape[1:], -np.inf) if log_h0 is None else np.asarray(log_h0, dtype=np.float64)
    if log_h0.shape != log_a.shape[1:] or np.isnan(log_h0).any() or np.isposinf(log_h0).any():
        raise ValueError(f"log_h0 must have shape (B, H) = {log_a.shape[1:]} and hold reals or -inf, "
                         f"got shape {log_h0.shape}")
    a_star = np.cumsum(log_a, axis=0)  # (T, B, H)
    terms = np.concatenate([log_h0[None], log_b - a_star], axis=0)  # (T+1, B, H)
    with np.errstate(invalid="ignore"):  # logaddexp(-inf, -inf) is -inf, as it should be
        return a_star + np.logaddexp.accumulate(terms, axis=0)[1:]
