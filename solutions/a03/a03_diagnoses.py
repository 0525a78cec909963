"""The instructor's diagnoses of assignment 3 (backpropagation through time): what a suspected mistake would give,
and the cause named when a student's numbers match it. Never released to students.

The checker module a03_checks.py reaches this module through ``rnnlib.checking.diagnoses`` and asks it for a
cause once it has found what is wrong and where. To name a cause only once it is established, this module
re-computes the student's function with the mistake switched on (a forward, backward or undivided difference
for grad_check; the step's and the whole sequence's gradients in numpy for rnn_step_backward and rnn_backward)
and names the mistake only if the student's numbers match that prediction. Those re-computations, switched off,
are working answers to the exercises: that is why this file stays in solutions/ (nbgrader_config.py ignores
``*_diagnoses.py``), and the students' copy of the checker says what is wrong and where without a cause, which
the graded feedback then gives.

Self-contained (the checker loads it by path under another name): numpy and rnnlib only; the checker passes it
the case, the test function and the arrays it compares.
"""

from __future__ import annotations

import numpy as np

from rnnlib.checking import close
from rnnlib.gradcheck import rel_error

# ------------------------------------------------------------------------------------ Part 1: grad_check

_DIFFERENCE_CAUSES = {
    "forward": "a forward difference (f(x + eps) - f(x)) / eps is off by about eps; use the centred "
               "(f(x + eps) - f(x - eps)) / (2 eps), off by eps**2",
    "backward": "a backward difference (f(x) - f(x - eps)) / eps is off by about eps; use the centred "
                "(f(x + eps) - f(x - eps)) / (2 eps), off by eps**2",
    "no_half": "your gradient is twice the true one: divide f(x + eps) - f(x - eps) by 2 eps, the distance "
               "between the two points",
}


def _difference(case, f, kind: str) -> np.ndarray:
    """What grad_check would return for ``f(x, case)`` with the ``kind`` of difference (x put back after each
    entry): "centred" (right), "forward", "backward" or "no_half" (centred, not divided by 2)."""
    eps, x = case["eps"], np.array(case["x"], dtype=np.float64)
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + eps
        plus = f(x, case)
        x[i] = old - eps
        minus = f(x, case)
        x[i] = old
        here = f(x, case)
        grad[i] = {"forward": (plus - here) / eps, "backward": (here - minus) / eps,
                   "centred": (plus - minus) / (2 * eps), "no_half": (plus - minus) / eps}[kind]
    return grad


def grad_check_cause(case, f, grad, want, tol) -> str | None:
    """The cause of grad_check's ``grad`` differing from ``want`` on ``case`` (f is the case's test function,
    ``f(x, case)``), if one of the wrong differences predicts it; else None."""
    centred = _difference(case, f, "centred")
    far = rel_error(centred, want) + tol  # how far the right method is from the reference, at most
    for kind, cause in _DIFFERENCE_CAUSES.items():
        guess = _difference(case, f, kind)
        if rel_error(grad, guess) < 0.01 * rel_error(guess, centred) and rel_error(guess, centred) > far:
            return cause
    return None


# ------------------------------------------------------------------------------------ Part 2: rnn_step_backward

STEP_CAUSES = {
    "no_tanh": "you did not go back through tanh: multiply dh by its derivative 1 - h**2 first",
    "one_minus_h": "tanh's derivative is 1 - h**2, not 1 - h",
    "tanh_of_h": "h is already tanh(a), so tanh's derivative is 1 - h**2, not 1 - tanh(h)**2",
    "negated": "every gradient of the step is exactly the negative of torch's (relative error 1.0): a sign flip; "
               "tanh's derivative is 1 - h**2",
    "hh_transposed": "dh_prev uses weight_hh.T: the forward multiplies h_prev by weight_hh.T, so the backward "
                     "multiplies by weight_hh",
    "dw_transposed": "dweight_hh is transposed: it is da.T @ h_prev, one row per hidden unit of the output",
}


def _step_numpy(x, h_prev, h, weight_ih, weight_hh, dh, mistake=None, **_):
    """The step's gradients in numpy, right or with one of the ``STEP_CAUSES`` mistakes."""
    da = {"no_tanh": dh, "one_minus_h": dh * (1 - h), "tanh_of_h": dh * (1 - np.tanh(h) ** 2),
          "negated": dh * (h ** 2 - 1)}.get(mistake, dh * (1 - h ** 2))  # (B, H)
    db = da.sum(axis=0)
    return {"x": da @ weight_ih, "h_prev": da @ (weight_hh.T if mistake == "hh_transposed" else weight_hh),
            "weight_ih": da.T @ x, "weight_hh": h_prev.T @ da if mistake == "dw_transposed" else da.T @ h_prev,
            "bias_ih": db, "bias_hh": db}


def _step_causes(case):
    return [(_step_numpy(**case, mistake=mistake), cause) for mistake, cause in STEP_CAUSES.items()]


# ------------------------------------------------------------------------------------ Part 3: rnn_backward

def _bptt_numpy(x, h0, hs, weight_ih, weight_hh, dhs, *, wrap=False, carry=True, accumulate=True, mistake=None,
                **_):
    """BPTT in numpy, with one of the mistakes the judge looks for switched on.

    wrap: step 0 reads hs[-1] (Python's last state) as h_prev instead of h0; carry=False: the gradient from step
    t+1 is not added; accumulate=False: the weight gradients keep only the last step visited (t = 0); mistake:
    one of rnn_step_backward's ``STEP_CAUSES``.
    """
    T, B, H = hs.shape
    grads = {"x": np.zeros(x.shape), "weight_ih": 0.0, "weight_hh": 0.0, "bias_ih": 0.0, "bias_hh": 0.0}
    dh_next = np.zeros((B, H))
    for t in reversed(range(T)):
        h_prev = hs[t - 1] if t > 0 or wrap else h0
        step = _step_numpy(x[t], h_prev, hs[t], weight_ih, weight_hh, dhs[t] + (dh_next if carry else 0.0),
                           mistake)
        grads["x"][t] = step["x"]
        for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
            grads[name] = grads[name] + step[name] if accumulate else step[name]
        dh_next = step["h_prev"]
    grads["h0"] = dh_next
    return grads


def _sequence_causes(case):
    return [
        (_bptt_numpy(**case, wrap=True),
         "at t = 0 your h_prev is hs[-1], the LAST state (hs[t - 1] with t = 0 wraps around in Python): the state "
         "before step 0 is h0"),
        (_bptt_numpy(**case, accumulate=False),
         "the weight and bias gradients hold only one step's share: the same weights act at every step, so add "
         "the steps' gradients up (+=) instead of overwriting them"),
        (_bptt_numpy(**case, carry=False),
         "the gradient from step t+1 is not added: hs[t] is also the h_prev of step t+1, so the gradient reaching "
         "it is dhs[t] plus what step t+1 passes back"),
    ] + [(_bptt_numpy(**case, mistake=mistake),
          f"in rnn_step_backward, which rnn_backward calls: {cause} (make Part 2's tests pass first)")
         for mistake, cause in STEP_CAUSES.items()]


# ------------------------------------------------------------------------------------ Parts 2 and 3: the cause

_CAUSES = {"rnn_step_backward": _step_causes, "rnn_backward": _sequence_causes}


def gradient_cause(what: str, case, got: dict, want: dict, wrong: list, tol: float) -> str | None:
    """The cause of the gradients ``wrong`` of ``what`` ("rnn_step_backward" or "rnn_backward") differing from
    ``want`` on ``case``: the first mistake whose prediction matches every wrong gradient (and is not the
    reference); None if none does."""
    for prediction, cause in _CAUSES[what](case):
        if set(wrong) <= set(prediction) and all(close(got[k], prediction[k], tol) for k in wrong) and not all(
                close(prediction[k], want[k], tol) for k in wrong):
            return cause
    return None
