"""Wrong and alternative submissions for a04, used by the grader proofs.

Every WRONG entry is the solution with one realistic mistake, written as a small edit of the solution's answer
(``harness.edit`` checks that the edited text occurs exactly once, so the mutant cannot drift from the solution).
FAILURES says, for each, which test cells fail and what the message of each must name: its cause, not a guess
(tests/grading/test_a04_checks.py runs them in-process; test_assignments.py grades them with nbgrader).
"""

import functools

import harness

NOTEBOOK = "a04_vanishing_gradients.ipynb"
AUTOGRADED_POINTS = 19
MANUAL_POINTS = 6

edit = functools.partial(harness.edit, "a04")  # edit(grade_id, (old, new), ...)

EIGENVALUES = "eigenvalues = np.linalg.eigvals(np.asarray(W, dtype=np.float64))  # (H,), complex"
MODULUS = "return float(np.abs(eigenvalues).max())"
BACK_ONE_STEP = "grad = (grad * (1.0 - hs[t] ** 2)) @ weight_hh  # (B, H)"
RECORD = "norms[t] = np.linalg.norm(grad, axis=1).mean()"
SCALE = "scale = max_norm / total_norm if total_norm > max_norm else 1.0"
TOTAL = "total_norm = float(np.sqrt(sum(np.sum(np.square(g)) for g in grads.values())))"

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
    # Issue 18: the realistic mistakes of every function, each named by the message of its first failing check.
    "eigvalsh on a general matrix": edit("spectral-radius", (EIGENVALUES, EIGENVALUES.replace("eigvals", "eigvalsh"))),
    "real part instead of the modulus": edit(
        "spectral-radius", (MODULUS, "return float(np.abs(eigenvalues.real).max())")),
    "largest eigenvalue, not the largest modulus": edit(
        "spectral-radius", (MODULUS, "return float(eigenvalues.real.max())")),
    "tanh derivative of the previous state": edit(
        "grad-norms", (BACK_ONE_STEP, BACK_ONE_STEP.replace("hs[t] ** 2", "hs[t - 1] ** 2"))),
    "norm of the whole batch": edit("grad-norms", (RECORD, "norms[t] = np.linalg.norm(grad)")),
    "norm recorded after the step back": edit("grad-norms", (f"{RECORD}\n        ", ""), (
        BACK_ONE_STEP, BACK_ONE_STEP + f"\n        {RECORD}")),
    "tanh factor applied in place to dh_last": edit("grad-norms", (
        BACK_ONE_STEP, "grad *= 1.0 - hs[t] ** 2  # (B, H)\n        grad = grad @ weight_hh  # (B, H)")),
    "clipped in place": edit("clip-global-norm", (
        "clipped = {name: np.asarray(g, dtype=np.float64) * scale for name, g in grads.items()}  # new arrays",
        "clipped = dict(grads)\n    for g in clipped.values():\n        g *= scale")),
    "total_norm after clipping": edit("clip-global-norm", (
        "return clipped, total_norm",
        "return clipped, float(np.sqrt(sum(np.sum(np.square(g)) for g in clipped.values())))")),
    "sum of the arrays' norms": edit("clip-global-norm", (
        TOTAL, "total_norm = float(sum(np.linalg.norm(np.ravel(g)) for g in grads.values()))")),
    "divides by a zero norm": edit("clip-global-norm", (SCALE, "scale = min(1.0, max_norm / total_norm)")),
}

# For each WRONG entry: test cell -> what its message must say (every failing cell is listed, and only those).
_NORM_CELLS = ("test-grad-norms-last-step", "test-grad-norms-scalar", "test-grad-norms-torch")
FAILURES = {
    "spectral norm instead of spectral radius": {"test-spectral-radius-nonnormal": "the spectral norm ||W||_2"},
    # With one hidden unit W_hh.T = W_hh, and the last step has not gone back yet: only the torch cell fails.
    "Jacobian without the tanh derivative": {
        cell: "you multiply by W_hh alone; the Jacobian of h_t = tanh(...) also has the tanh derivative"
        for cell in _NORM_CELLS[1:]},
    "W_hh transposed (column-vector habit in the row layout)": {
        "test-grad-norms-torch": "you go back through weight_hh.T"},
    "each gradient clipped on its own": {
        cell: "every array was clipped on its own" for cell in ("test-clip-above", "test-clip-inputs")},
    "always rescaled to max_norm": {
        "test-clip-below": "only clip when the norm EXCEEDS max_norm",
        "test-clip-inputs": "only clip when the norm EXCEEDS max_norm"},
    "eigvalsh on a general matrix": {
        "test-spectral-radius-normal": "np.linalg.eigvalsh assumes a symmetric matrix",
        "test-spectral-radius-nonnormal": "np.linalg.eigvalsh assumes a symmetric matrix"},
    "real part instead of the modulus": {
        "test-spectral-radius-normal": "you took the largest |real part|",
        "test-spectral-radius-nonnormal": "you took the largest |real part|"},
    "largest eigenvalue, not the largest modulus": {
        "test-spectral-radius-normal": "not the largest ABSOLUTE value",
        "test-spectral-radius-nonnormal": "not the largest ABSOLUTE value"},
    "tanh derivative of the previous state": {
        cell: "uses 1 - h_t^2, not 1 - h_(t-1)^2" for cell in _NORM_CELLS[1:]},
    "norm of the whole batch": {cell: "take the norm of each row (axis=1)" for cell in _NORM_CELLS},
    "norm recorded after the step back": {
        cell: "norms[t] holds the norm one step further back" for cell in _NORM_CELLS},
    "tanh factor applied in place to dh_last": {
        cell: "grad_norms_by_lag modified its input dh_last: do not modify your inputs" for cell in _NORM_CELLS},
    "clipped in place": {
        cell: "clip_by_global_norm modified its input grads['weight_hh']" for cell in ("test-clip-above",
                                                                                      "test-clip-inputs")},
    "total_norm after clipping": {
        cell: "the global norm BEFORE clipping; you returned the norm after it" for cell in ("test-clip-above",
                                                                                            "test-clip-inputs")},
    "sum of the arrays' norms": {
        cell: "total_norm is the sum of the arrays' norms" for cell in ("test-clip-below", "test-clip-above",
                                                                        "test-clip-inputs")},
    "divides by a zero norm": {"test-clip-inputs": "with all-zero gradients clip_by_global_norm raised "
                                                   "ZeroDivisionError"},
}

# Graded alone and with every tampering of tests/grading/tampering.py (one mutant keeps CI short; RNN_TAMPERING=all
# grades every WRONG mutant so).
TAMPERING_MUTANTS = ["spectral norm instead of spectral radius"]

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

# What Validate says, with the students' copy of the checker module (no diagnoses beside it), in a test cell each of
# these mistakes fails: where the numbers are wrong, never the cause of FAILURES, which only the graded feedback
# gives (tests/grading/test_checks.py).
VALIDATE = {
    "spectral norm instead of spectral radius": {
        "test-spectral-radius-nonnormal": "expected 0.5",
    },
    "W_hh transposed (column-vector habit in the row layout)": {
        "test-grad-norms-torch": "T = 6, B = 3, H = 4: your norms differ from torch.autograd at t = [0, 1, 2, 3, 4]",
    },
    "each gradient clipped on its own": {
        "test-clip-above": "but clipped['weight_hh'] is",
    },
    "total_norm after clipping": {
        "test-clip-above": "total_norm = 1, expected 5, the norm of all entries",
    },
}
