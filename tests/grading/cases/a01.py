"""Wrong and alternative submissions for a01, used by the grader proofs.

Each realistic mistake is a small edit of the solution's answer (``harness.edit``: the text to change must occur
exactly once), so it cannot drift from the solution it mutates. ``HINTS`` says what the first failing check must name.
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

# The cause the first failing check must name, for each WRONG mutant (a piece of its message).
HINTS = {
    "output read from the old state": "the output is read from the NEW state h",
    "input and recurrent weights swapped": "w multiplies the state, u the input",
    "bias missing": "the bias b is missing",
    "off by one in time": "off by one in time",
    "integer state array for integer inputs": "an integer x gave an integer hs",
    "plain fixed-point iteration": "plain iteration cannot converge",
    "bisection with its sign test flipped": "Check the sign test",
    "|w| < 1 instead of the slope at h*": "not w alone",
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
