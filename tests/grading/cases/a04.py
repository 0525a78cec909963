"""Wrong and alternative submissions for a04, used by the grader proofs."""

NOTEBOOK = "a04_vanishing_gradients.ipynb"
AUTOGRADED_POINTS = 19
MANUAL_POINTS = 6

WRONG = {
    # The largest singular value bounds the spectral radius but equals it only for normal matrices.
    "spectral norm instead of spectral radius": {
        "spectral-radius": '''\
def spectral_radius(W):
    """Spectral radius of a real square matrix."""
    return float(np.linalg.norm(np.asarray(W, dtype=np.float64), 2))
''',
    },
    "Jacobian without the tanh derivative": {
        "grad-norms": '''\
def grad_norms_by_lag(weight_hh, hs, dh_last):
    """Batch-mean gradient norm ||dL/dh_t|| at every step of a tanh RNN."""
    T = hs.shape[0]
    norms = np.empty(T)
    grad = np.asarray(dh_last, dtype=np.float64)
    for t in range(T - 1, -1, -1):
        norms[t] = np.linalg.norm(grad, axis=1).mean()
        grad = grad @ weight_hh
    return norms
''',
    },
    "W_hh transposed (column-vector habit in the row layout)": {
        "grad-norms": '''\
def grad_norms_by_lag(weight_hh, hs, dh_last):
    """Batch-mean gradient norm ||dL/dh_t|| at every step of a tanh RNN."""
    T = hs.shape[0]
    norms = np.empty(T)
    grad = np.asarray(dh_last, dtype=np.float64)
    for t in range(T - 1, -1, -1):
        norms[t] = np.linalg.norm(grad, axis=1).mean()
        grad = (grad * (1.0 - hs[t] ** 2)) @ weight_hh.T
    return norms
''',
    },
    "each gradient clipped on its own": {
        "clip-global-norm": '''\
def clip_by_global_norm(grads, max_norm):
    """Scale a set of gradients so that their norm is at most max_norm."""
    total_norm = float(np.sqrt(sum(np.sum(g ** 2) for g in grads.values())))
    clipped = {}
    for name, g in grads.items():
        norm = np.linalg.norm(g)
        clipped[name] = g * (max_norm / norm) if norm > max_norm else g.copy()
    return clipped, total_norm
''',
    },
    "always rescaled to max_norm": {
        "clip-global-norm": '''\
def clip_by_global_norm(grads, max_norm):
    """Scale a set of gradients together so that their global norm is at most max_norm."""
    total_norm = float(np.sqrt(sum(np.sum(g ** 2) for g in grads.values())))
    scale = max_norm / total_norm
    return {name: g * scale for name, g in grads.items()}, total_norm
''',
    },
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
