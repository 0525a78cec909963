"""Wrong and alternative submissions for a03, used by the grader proofs.

Every WRONG entry is the solution with one realistic mistake, written as a small edit of the solution's answer
(``edit`` checks that the edited text occurs exactly once, so the mutant cannot silently stop being one).
FAILURES says, for each, which test cells fail and what the message of each must name: its cause, not a guess
(tests/grading/test_a03_checks.py runs them in-process; test_assignments.py grades them with nbgrader).
"""

import functools

import harness

NOTEBOOK = "a03_bptt.ipynb"
AUTOGRADED_POINTS = 21
MANUAL_POINTS = 5

edit = functools.partial(harness.edit, "a03")  # edit(grade_id, (old, new), ...)


STEP_DA = "da = dh * (1.0 - cache.h ** 2)  # (B, H)"
H_PREV = "h_prev = cache.hs[t - 1] if t > 0 else cache.h0"

WRONG = {
    "no tanh derivative": edit("rnn-step-backward", (STEP_DA, "da = dh  # (B, H)")),
    "bias gradient not summed over the batch": edit(
        "rnn-step-backward", ("db = da.sum(axis=0)", "db = da")),
    "weight gradients overwritten, not accumulated": edit(
        "rnn-backward", ("grads[name] += step[name]", "grads[name] = step[name]")),
    "gradient from the next step not added": edit("rnn-backward", ("dhs[t] + dh_next,", "dhs[t],")),
    "forward difference": edit(
        "grad-check", ("grad = np.zeros_like(x)\n", "grad = np.zeros_like(x)\n    f_x = float(f())\n"),
        ("grad[i] = (f_plus - f_minus) / (2 * eps)", "grad[i] = (f_plus - f_x) / eps")),
    "x not restored": edit("grad-check", ("        x[i] = old\n", "")),
    # Issue 18: each of these used to get a hint that pointed elsewhere, or passed.
    "h0 read as hs[-1] at step 0": edit("rnn-backward", (H_PREV, "h_prev = cache.hs[t - 1]")),
    "tanh derivative with the wrong sign": edit("rnn-step-backward", (STEP_DA, "da = dh * (cache.h ** 2 - 1.0)")),
    "centred difference with the wrong sign": edit(
        "grad-check", ("(f_plus - f_minus) / (2 * eps)", "(f_minus - f_plus) / (2 * eps)")),
    "perturbs a copy of x": edit(
        "grad-check",
        ("grad = np.zeros_like(x)\n", "grad = np.zeros_like(x)\n    x = x.copy()  # keep the caller's x\n")),
    "dh_prev through weight_hh.T": edit(
        "rnn-step-backward", ('"h_prev": da @ cache.weight_hh,', '"h_prev": da @ cache.weight_hh.T,')),
    "rnn_backward writes into the caller's dhs": edit(
        "rnn-backward", ("dhs[t] + dh_next,", "dhs[t],"),
        ('dh_next = step["h_prev"]', 'if t > 0:\n            dhs[t - 1] += step["h_prev"]  # what reaches hs[t-1]\n'
                                     '        dh_next = step["h_prev"]')),
}

# For each WRONG entry: test cell -> what its message must say (every failing cell is listed, and only those).
_SEQUENCE_CELLS = ("test-rnn-backward-one-step", "test-rnn-backward-last-state", "test-rnn-backward-every-state")
FAILURES = {
    "no tanh derivative": {
        "test-rnn-step-backward-inputs": "you did not go back through tanh",
        "test-rnn-step-backward-params": "you did not go back through tanh",
        **{cell: "in rnn_step_backward, which rnn_backward calls: you did not go back through tanh"
           for cell in _SEQUENCE_CELLS}},
    "bias gradient not summed over the batch": {
        "test-rnn-step-backward-params": "sum over the batch",
        # rnn_backward's own += then fails on the (B, H) bias gradient: the message says so, as it is.
        **{cell: "rnn_backward raised ValueError: non-broadcastable output operand" for cell in _SEQUENCE_CELLS}},
    "weight gradients overwritten, not accumulated": {
        "test-rnn-backward-last-state": "add the steps' gradients up (+=)",
        "test-rnn-backward-every-state": "add the steps' gradients up (+=)"},
    "gradient from the next step not added": {
        "test-rnn-backward-last-state": "the gradient from step t+1 is not added",
        "test-rnn-backward-every-state": "the gradient from step t+1 is not added"},
    "forward difference": {"test-grad-check-centred": "a forward difference"},
    "x not restored": {"test-grad-check-restores": "put every entry back"},
    "h0 read as hs[-1] at step 0": {cell: "at t = 0 your h_prev is hs[-1]" for cell in _SEQUENCE_CELLS},
    "tanh derivative with the wrong sign": {
        "test-rnn-step-backward-inputs": "exactly the negative of torch's (relative error 1.0): a sign flip",
        "test-rnn-step-backward-params": "exactly the negative of torch's (relative error 1.0): a sign flip",
        **{cell: "in rnn_step_backward, which rnn_backward calls: every gradient of the step is exactly the negative"
           for cell in _SEQUENCE_CELLS}},
    "centred difference with the wrong sign": {
        "test-grad-check-known": "a sign flip", "test-grad-check-centred": "a sign flip"},
    "perturbs a copy of x": {
        cell: "grad_check perturbed a copy of x" for cell in
        ("test-grad-check-known", "test-grad-check-restores", "test-grad-check-centred")},
    "dh_prev through weight_hh.T": {
        "test-rnn-step-backward-inputs": "dh_prev uses weight_hh.T",
        **{cell: "in rnn_step_backward, which rnn_backward calls: dh_prev uses weight_hh.T"
           for cell in _SEQUENCE_CELLS}},
    # With T = 1 there is no dhs[t - 1] to write into: the one-step test passes.
    "rnn_backward writes into the caller's dhs": {
        cell: "rnn_backward modified its input dhs: do not modify your inputs" for cell in _SEQUENCE_CELLS[1:]},
}

# Correct solutions written differently, for every answer cell: each must score full marks.
ALTERNATIVE = {
    'grad-check': r'''def grad_check(f, x, eps=1e-6):
    """Centred differences, walking x with np.nditer and undoing each step by arithmetic."""
    grad = np.empty_like(x)
    it = np.nditer(x, flags=["multi_index"])
    while not it.finished:
        i = it.multi_index
        x[i] += eps
        f_plus = f()
        x[i] -= 2 * eps
        f_minus = f()
        x[i] += eps
        grad[i] = (f_plus - f_minus) / (2 * eps)
        it.iternext()
    return grad''',
    'rnn-step-backward': r'''def rnn_step_backward(dh, cache):
    """The same gradients with einsum; b is the batch index."""
    x, h_prev, h, weight_ih, weight_hh = cache
    da = (1 - h * h) * dh  # (B, H)
    return {"x": np.einsum("bh,hd->bd", da, weight_ih), "h_prev": np.einsum("bh,hk->bk", da, weight_hh),
            "weight_ih": np.einsum("bh,bd->hd", da, x), "weight_hh": np.einsum("bh,bk->hk", da, h_prev),
            "bias_ih": np.einsum("bh->h", da), "bias_hh": np.einsum("bh->h", da)}''',
    'rnn-backward': r'''def rnn_backward(dhs, cache):
    """Only the recurrence stays in the loop; each weight gradient is then one product over all T*B rows."""
    T, B, H = cache.hs.shape
    D = cache.x.shape[2]
    das = np.empty((T, B, H))  # gradient of every step's pre-activation
    dh_next = np.zeros((B, H))
    for t in range(T - 1, -1, -1):
        das[t] = (dhs[t] + dh_next) * (1 - cache.hs[t] ** 2)
        dh_next = das[t] @ cache.weight_hh
    h_prevs = np.concatenate([cache.h0[None], cache.hs[:-1]])  # (T, B, H): the state entering each step
    da = das.reshape(T * B, H)
    return {"x": das @ cache.weight_ih, "h0": dh_next,
            "weight_ih": da.T @ cache.x.reshape(T * B, D), "weight_hh": da.T @ h_prevs.reshape(T * B, H),
            "bias_ih": da.sum(axis=0), "bias_hh": da.sum(axis=0)}''',
}


# Graded alone and with every tampering of tests/grading/tampering.py (one mutant keeps CI short; RNN_TAMPERING=all
# grades every WRONG mutant so).
TAMPERING_MUTANTS = ["h0 read as hs[-1] at step 0"]

# What Validate says, with the students' copy of the checker module (no diagnoses beside it), in a test cell each of
# these mistakes fails: where the numbers are wrong, never the cause of FAILURES, which only the graded feedback
# gives (tests/grading/test_checks.py).
VALIDATE = {
    "h0 read as hs[-1] at step 0": {
        "test-rnn-backward-every-state": "dweight_hh is off (relative error",
    },
    "forward difference": {
        "test-grad-check-centred": "the largest difference is at grad[",
    },
    "no tanh derivative": {
        "test-rnn-step-backward-inputs": "dx is off (relative error",
    },
}
