"""Wrong and alternative submissions for a04, used by the grader proofs.

Every WRONG entry is the solution with one realistic mistake, written as a small edit of the solution's answer
(``harness.edit`` checks that the edited text occurs exactly once, so the mutant cannot drift from the solution).
"""

import functools

import harness

NOTEBOOK = "a04_vanishing_gradients.ipynb"
AUTOGRADED_POINTS = 19
MANUAL_POINTS = 6

edit = functools.partial(harness.edit, "a04")  # edit(grade_id, (old, new), ...)

BACK_ONE_STEP = "grad = (grad * (1.0 - hs[t] ** 2)) @ weight_hh  # (B, H)"
SCALE = "scale = max_norm / total_norm if total_norm > max_norm else 1.0"

WRONG = {
    # The largest singular value bounds the spectral radius but equals it only for normal matrices.
    "spectral norm instead of spectral radius": edit("spectral-radius", (
        "eigenvalues = np.linalg.eigvals(np.asarray(W, dtype=np.float64))  # (H,), complex\n"
        "    return float(np.abs(eigenvalues).max())",
        "return float(np.linalg.norm(np.asarray(W, dtype=np.float64), 2))")),
    "Jacobian without the tanh derivative": edit("grad-norms", (BACK_ONE_STEP, "grad = grad @ weight_hh  # (B, H)")),
    "W_hh transposed (column-vector habit in the row layout)": edit(
        "grad-norms", (BACK_ONE_STEP, BACK_ONE_STEP.replace("@ weight_hh", "@ weight_hh.T"))),
    "each gradient clipped on its own": edit("clip-global-norm", (
        SCALE + "\n    clipped = {name: np.asarray(g, dtype=np.float64) * scale for name, g in grads.items()}"
                "  # new arrays",
        "clipped = {}\n"
        "    for name, g in grads.items():\n"
        "        norm = np.linalg.norm(g)\n"
        "        clipped[name] = g * (max_norm / norm) if norm > max_norm else g.copy()")),
    "always rescaled to max_norm": edit("clip-global-norm", (SCALE, "scale = max_norm / total_norm")),
}

ALTERNATIVE = {
    # Eigenvalues one at a time, modulus by hypot of the real and imaginary parts.
    "spectral-radius": '''\
def spectral_radius(W):
    """Spectral radius of a real square matrix: the largest modulus |lambda| of its eigenvalues."""
    eigenvalues, _ = np.linalg.eig(np.array(W, dtype=float))
    return max(float(np.hypot(lam.real, lam.imag)) for lam in eigenvalues)
''',
    # Explicit per-sequence Jacobian matrices in the column-vector form: dL/dh_(t-1) = J^T dL/dh_t.
    "grad-norms": '''\
def grad_norms_by_lag(weight_hh, hs, dh_last):
    """Batch-mean gradient norm ||dL/dh_t|| at every step of a tanh RNN, for a loss on the last state."""
    T, B, H = hs.shape
    grads = [np.array(dh_last[b], dtype=float) for b in range(B)]
    norms = [0.0] * T
    for t in reversed(range(T)):
        norms[t] = sum(np.sqrt(g @ g) for g in grads) / B
        for b in range(B):
            J = np.diag(1.0 - hs[t, b] ** 2) @ weight_hh  # dh_t/dh_(t-1), (H, H)
            grads[b] = J.T @ grads[b]
    return np.array(norms)
''',
    # torch's recipe: one concatenated vector, and the factor min(1, max_norm / (total_norm + 1e-6)) applied always.
    "clip-global-norm": '''\
def clip_by_global_norm(grads, max_norm):
    """Scale a set of gradients together so that their global norm is at most max_norm."""
    flat = np.concatenate([np.ravel(g) for g in grads.values()])
    total_norm = float(np.linalg.norm(flat))
    factor = min(1.0, max_norm / (total_norm + 1e-6))
    return {name: np.multiply(g, factor) for name, g in grads.items()}, total_norm
''',
}
