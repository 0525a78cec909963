"""Wrong and alternative submissions for a01, used by the grader proofs.

Each realistic mistake is a small edit of the solution's answer (``harness.edit``: the text to change must occur
exactly once), so it cannot drift from the solution it mutates. ``FAILURES`` says which test cells each fails and what
each message must name (tests/grading/test_checks.py).
"""

import functools

import harness

NOTEBOOK = "a01_recurrent_neuron.ipynb"  # file name inside solutions/a01/
AUTOGRADED_POINTS = 20  # total points of the grade: true code test cells
MANUAL_POINTS = 6  # total points of the manually graded cells

edit = functools.partial(harness.edit, "a01")  # edit(grade_id, (old, new), ...)

# Realistic wrong submissions: each maps grade_id of an autograded answer cell -> the solution's answer with one
# small edit. All other answer cells keep the correct solution, so each mutant has ONE realistic mistake.
WRONG = {
    "output read from the old state": edit("neuron-step", ("y = v * h + c", "y = v * h_prev + c")),
    "input and recurrent weights swapped": edit("neuron-step", ("np.tanh(w * h_prev + u * x + b)",
                                                                 "np.tanh(u * h_prev + w * x + b)")),
    "bias missing": edit("neuron-step", ("np.tanh(w * h_prev + u * x + b)", "np.tanh(w * h_prev + u * x)")),
    "off by one in time": edit("neuron-forward", ("h = np.tanh(w * h + u * x[t] + b)  # (B,)\n        hs[t] = h",
                                                "hs[t] = h\n        h = np.tanh(w * h + u * x[t] + b)")),
    "integer state array for integer inputs": edit("neuron-forward",
                                                   ("hs = np.empty((T, B))", "hs = np.zeros_like(x)")),
    "plain fixed-point iteration": edit(
        "fixed-point", ("lo, hi = -1.0, 1.0  # g(lo) >= 0 >= g(hi), and g decreases for w <= 1\n"
                        "    while hi - lo > 1e-13:\n"
                        "        mid = 0.5 * (lo + hi)\n"
                        "        if np.tanh(w * mid + a) - mid > 0:\n"
                        "            lo = mid\n"
                        "        else:\n"
                        "            hi = mid\n"
                        "    return 0.5 * (lo + hi)",
                        "h = 0.0\n    for _ in range(1000):\n        h = np.tanh(w * h + a)\n    return h")),
    "bisection with its sign test flipped": edit("fixed-point", ("if np.tanh(w * mid + a) - mid > 0:",
                                                                  "if np.tanh(w * mid + a) - mid < 0:")),
    "|w| < 1 instead of the slope at h*": edit("iteration-converges",
                                               ("abs(w * (1.0 - h_star**2)) < 1.0", "abs(w) < 1.0")),
}

# For each WRONG mutant, every test cell that fails and what its message must name: the cause.
_STEP = ("test-neuron-step-values", "test-neuron-step-torch")
_FORWARD = ("test-neuron-forward-shapes", "test-neuron-forward-values", "test-neuron-forward-edges")
FAILURES = {
    "output read from the old state": dict.fromkeys(_STEP, "the output is read from the NEW state h"),
    "input and recurrent weights swapped": dict.fromkeys(_STEP, "w multiplies the state, u the input"),
    "bias missing": dict.fromkeys(_STEP, "the bias b is missing"),
    "off by one in time": dict.fromkeys(_FORWARD, "store the state AFTER reading x[0] (off by one in time)"),
    "integer state array for integer inputs": {"test-neuron-forward-edges": "an integer x gave an integer hs"},
    "plain fixed-point iteration": {"test-fixed-point-hard": "plain iteration cannot converge"},
    "bisection with its sign test flipped": dict.fromkeys(("test-fixed-point-stable", "test-fixed-point-hard"),
                                                          "your bisection keeps the half where g does NOT change sign"),
    "|w| < 1 instead of the slope at h*": {"test-iteration-converges": "Use the slope w (1 - h*^2), not w alone"},
}

# A correct solution written differently (e.g. a loop instead of vectorised, einsum instead of @), for EVERY
# answer cell, which must score full marks.
ALTERNATIVE = {
    "neuron-step": '''
def neuron_step(x, h_prev, w, u, b, v, c):
    # tanh(z) = 1 - 2 / (exp(2z) + 1), which neither overflows nor loses the sign for large |z|.
    z = np.add(np.multiply(w, h_prev), np.multiply(u, x)) + b
    h = 1.0 - 2.0 / (np.exp(2.0 * z) + 1.0)
    return h, np.multiply(v, h) + c
''',
    "neuron-forward": '''
def neuron_forward(x, h0, w, u, b, v, c):
    states, h = [], np.asarray(h0, dtype=float)
    for x_t in x:
        h, _ = neuron_step(x_t, h, w, u, b, v, c)
        states.append(h)
    hs = np.stack(states)  # (T, B)
    return hs, v * hs + c
''',
    "fixed-point": '''
def fixed_point(x, w, u, b):
    # Damped iteration h <- (1 - a) h + a tanh(w h + u x + b). Its slope 1 - a + a w (1 - h^2) lies in
    # (1 - a (1 + |w|), 1] for w <= 1, so with a = 1 / (1 + |w|) it never overshoots and converges.
    a = 1.0 / (1.0 + abs(w))
    h = 0.0
    for _ in range(100_000):
        h_new = (1 - a) * h + a * np.tanh(w * h + u * x + b)
        if abs(h_new - h) < 1e-15:
            break
        h = h_new
    return float(h_new)
''',
    "iteration-converges": '''
def iteration_converges(w, h_star):
    slope_squared = (w * (1 - h_star * h_star)) ** 2
    return slope_squared < 1
''',
}


# One mutant per function is graded with every tampering (tests/grading/test_a01_tampering.py), and with a01's own:
# the example, generalised: torch's RNNCell and RNN compute what the student's functions compute, so a
# reference built from them in the student's kernel agrees with the mistake.
TAMPERING_MUTANTS = ["bias missing", "off by one in time", "plain fixed-point iteration",
                     "|w| < 1 instead of the slope at h*"]
TAMPERING = {"torch patched to agree": '''
import torch as _torch
def _cell_forward(self, x, h=None):
    h_new, _ = neuron_step(x.detach().numpy()[:, 0], h.detach().numpy()[:, 0], self.weight_hh.item(),
                           self.weight_ih.item(), self.bias_ih.item(), 1.0, 0.0)
    return _torch.tensor(np.asarray(h_new, dtype=float))[:, None]
def _rnn_forward(self, x, h0=None):
    hs, _ = neuron_forward(x.detach().numpy()[:, :, 0], h0.detach().numpy()[0, :, 0], self.weight_hh_l0.item(),
                           self.weight_ih_l0.item(), self.bias_ih_l0.item(), 1.0, 0.0)
    out = _torch.tensor(np.asarray(hs, dtype=float))[:, :, None]
    return out, out[-1:]
_torch.nn.RNNCell.forward = _cell_forward
_torch.nn.RNN.forward = _rnn_forward
'''}

# What Validate says, with the students' copy of the checker module (no diagnoses beside it), in a test cell each of
# these mistakes fails: where the numbers are wrong, never the cause of FAILURES, which only the graded feedback
# gives (tests/grading/test_checks.py).
VALIDATE = {
    "bias missing": {
        "test-neuron-step-values": "h = -0.53705, expected -0.462117",
    },
    "plain fixed-point iteration": {
        "test-fixed-point-hard": "is not a fixed point for x=",
    },
    "|w| < 1 instead of the slope at h*": {
        "test-iteration-converges": "returned False, expected True",
    },
}
