"""The instructor's diagnoses of assignment 4 (vanishing and exploding gradients): what each realistic mistake in
``spectral_radius``, ``grad_norms_by_lag`` and ``clip_by_global_norm`` computes, and the cause it is named by.

A judge of a04_checks.py calls these once it knows that a result is wrong (``cause = DIAGNOSES.<fn>(...) if
DIAGNOSES else None``): each function recomputes what the suspected mistakes would give on the case's inputs and
returns the cause of the one the student's numbers match (None if none does), so a hint fires only when its cause
is established. To do that this module computes every answer, right and with a mistake switched on, so it is never
released: nbgrader_config.py ignores ``*_diagnoses.py``, the students' copy of the checker finds nothing beside it
and says what is wrong and where, and the cause appears in the graded feedback (the trusted judge loads
solutions/a04/a04_checks.py, which finds this file).

Self-contained (numpy only); it never imports the checker module, which passes it the case's arrays.
"""

from __future__ import annotations

import numpy as np

# ------------------------------------------------------------------------------------ Part 1: spectral_radius


def _spectral_hypotheses(W):
    """(what the mistake returns: one or more numbers, its cause) for every mistake the judge can name."""
    eigenvalues = np.linalg.eigvals(W)
    largest = eigenvalues[np.argmax(np.abs(eigenvalues))]
    return [
        (np.linalg.norm(W, 2), "you returned the largest singular value (the spectral norm ||W||_2); it bounds the "
                               "spectral radius from above but differs from it for non-symmetric matrices"),
        (np.abs(np.linalg.eigvalsh(W)).max(), "np.linalg.eigvalsh assumes a symmetric matrix and reads one triangle "
                                              "only; use np.linalg.eigvals for a general matrix"),
        (np.abs(eigenvalues.real).max(), "you took the largest |real part|; the eigenvalues are complex in general "
                                         "and their modulus is np.abs(lambda) = sqrt(re**2 + im**2)"),
        ((eigenvalues.real.max(), largest.real), "you returned an eigenvalue (its real part), not the largest "
                                                 "ABSOLUTE value: take the modulus np.abs of every eigenvalue, then "
                                                 "the max (-3 counts as 3)"),
        (np.linalg.norm(W), "you returned the Frobenius norm of W, not the largest modulus of its eigenvalues"),
    ]


def spectral_radius_cause(W, value: float, want: float, tol: float) -> str | None:
    """The cause of ``spectral_radius(W) = value`` instead of ``want``: every mistake that gives ``value`` on W
    (and not ``want``), all of them when several do, so that none is picked at random."""
    causes = [cause for predicted, cause in _spectral_hypotheses(W)
              if any(abs(value - p) < tol and abs(p - want) >= tol for p in np.ravel(predicted))]
    if len(causes) > 1:
        return "on this matrix each of these mistakes gives that number: " + "; or ".join(causes)
    return causes[0] if causes else None


# ------------------------------------------------------------------------------------ Part 2: grad_norms_by_lag

def _norms_numpy(weight_hh, hs, dh_last, *, tanh=True, transposed=False, shifted=False, whole=False,
                 backwards=False, total=False, late=False):
    """grad_norms_by_lag in numpy, with one of the mistakes the judge looks for switched on.

    tanh=False: no tanh derivative; transposed: W_hh.T; shifted: 1 - h_(t-1)**2 (hs[t - 1] wraps at t = 0);
    whole: the norm of the whole (B, H) array; backwards: the array reversed; total: summed over the batch;
    late: norms[t] recorded after going back a step.
    """
    T = len(hs)
    norms = np.empty(T)
    W = weight_hh.T if transposed else weight_hh
    grad = dh_last  # (B, H)
    for t in range(T - 1, -1, -1):
        if not late:
            norms[t] = _batch_norm(grad, whole, total)
        grad = (grad * (1.0 - hs[t - 1 if shifted else t] ** 2) if tanh else grad) @ W  # (B, H)
        if late:
            norms[t] = _batch_norm(grad, whole, total)
    return norms[::-1] if backwards else norms


def _batch_norm(grad, whole, total):
    if whole:
        return np.linalg.norm(grad)
    row = np.linalg.norm(grad, axis=1)  # (B,)
    return row.sum() if total else row.mean()


NORM_CAUSES = {
    "tanh": (dict(tanh=False), "you multiply by W_hh alone; the Jacobian of h_t = tanh(...) also has the tanh "
                               "derivative: diag(1 - h_t^2) W_hh"),
    "transposed": (dict(transposed=True), "you go back through weight_hh.T: with rows as batch entries the forward "
                                          "pass computed h_(t-1) @ W_hh.T, so the gradient goes back as "
                                          "(dL/dh_t * (1 - h_t^2)) @ W_hh"),
    "shifted": (dict(shifted=True), "your result is shifted by one step; going from h_t back to h_(t-1) uses "
                                    "1 - h_t^2, not 1 - h_(t-1)^2"),
    "whole": (dict(whole=True), "you took the norm of the whole (B, H) array; take the norm of each row (axis=1), "
                                "then the batch mean"),
    "total": (dict(total=True), "you summed the norms over the batch; take their batch mean"),
    "backwards": (dict(backwards=True), "your array runs backwards; norms[t] belongs to step t, so norms[T-1] is the "
                                        "mean norm of dh_last"),
    "late": (dict(late=True), "norms[t] holds the norm one step further back: record the mean norm of dL/dh_t "
                              "before going back a step (norms[T-1] is the mean norm of dh_last)"),
}

#: The mistakes that already change norms[T-1], where no step back has happened yet.
LAST_STEP = ("whole", "total", "backwards", "late")


def _norm_hypotheses(weight_hh, hs, dh_last, which=tuple(NORM_CAUSES)):
    """(what the mistake returns, (T,), its cause) for each mistake of ``which``."""
    return [(_norms_numpy(weight_hh, hs, dh_last, **NORM_CAUSES[name][0]), NORM_CAUSES[name][1]) for name in which]


def last_step_cause(weight_hh, hs, dh_last, got: float, want: float) -> str | None:
    """The cause of norms[T-1] = ``got`` instead of ``want``, if a mistake gives exactly that (rtol 1e-10)."""
    for predicted, cause in _norm_hypotheses(weight_hh, hs, dh_last, LAST_STEP):
        if (np.isclose(got, predicted[-1], rtol=1e-10, atol=0)
                and not np.isclose(predicted[-1], want, rtol=1e-10, atol=0)):
            return cause
    return None


def norms_cause(weight_hh, hs, dh_last, got, want) -> str | None:
    """The cause of the norms ``got`` (T,) instead of ``want`` (T,), if a mistake gives them all (rtol 1e-8)."""
    for predicted, cause in _norm_hypotheses(weight_hh, hs, dh_last):
        if np.allclose(got, predicted, rtol=1e-8, atol=0) and not np.allclose(predicted, want, rtol=1e-8, atol=0):
            return cause
    return None


# ------------------------------------------------------------------------------------ Part 3: clip_by_global_norm

def _global_norm(grads) -> float:
    return float(np.sqrt(sum(np.sum(g ** 2) for g in grads.values())))


def _clip_total_causes(grads, max_norm):
    total = _global_norm(grads)
    return [(min(total, max_norm), "total_norm should be the global norm BEFORE clipping; you returned the norm "
                                   "after it"),
            (sum(float(np.linalg.norm(np.ravel(g))) for g in grads.values()),
             "total_norm is the sum of the arrays' norms; the global norm is sqrt(sum over k of ||g_k||^2), the "
             "norm of all entries of all arrays together"),
            (total ** 2, "total_norm is the squared global norm: take the square root")]


def _clip_value_causes(grads, max_norm):
    total = _global_norm(grads)
    own = {k: g * min(1.0, max_norm / max(float(np.linalg.norm(g)), 1e-300)) for k, g in grads.items()}
    return [(own, "every array was clipped on its own; clip them TOGETHER, with one factor max_norm / total_norm "
                  "from the global norm, so that the update keeps its direction"),
            ({k: g * (max_norm / total) for k, g in grads.items()} if total else None,
             "you rescaled to max_norm although the global norm does not exceed it: only clip when the norm EXCEEDS "
             "max_norm; below it nothing changes"),
            ({k: g * (total / max_norm) for k, g in grads.items()},
             "the factor is upside down: multiply by max_norm / total_norm, which shrinks the gradients"),
            ({k: np.clip(g, -max_norm, max_norm) for k, g in grads.items()},
             "np.clip clips each entry on its own (clipping by value); clipping by the global norm multiplies every "
             "array by one factor, max_norm / total_norm")]


def clip_total_cause(grads, max_norm: float, total: float, want: float) -> str | None:
    """The cause of total_norm = ``total`` instead of ``want``, if a mistake gives exactly that (rtol 1e-12)."""
    for predicted, cause in _clip_total_causes(grads, max_norm):
        if np.isclose(total, predicted, rtol=1e-12) and not np.isclose(predicted, want, rtol=1e-12):
            return cause
    return None


def _agree(got: dict, want: dict) -> bool:
    """The judge's tolerance for clipped arrays (torch's clip_grad_norm_ divides by total_norm + 1e-6)."""
    return all(np.allclose(got[k], want[k], rtol=1e-5, atol=1e-15) for k in want)


def clip_value_cause(grads, max_norm: float, clipped: dict, want: dict) -> str | None:
    """The cause of the arrays ``clipped`` instead of ``want`` (dicts like ``grads``), if a mistake gives them."""
    for predicted, cause in _clip_value_causes(grads, max_norm):
        if predicted is not None and _agree(clipped, predicted) and not _agree(predicted, want):
            return cause
    return None
