"""Wrong and alternative submissions for a01, used by the grader proofs."""

NOTEBOOK = "a01_recurrent_neuron.ipynb"  # file name inside solutions/a01/
AUTOGRADED_POINTS = 20  # total points of the grade: true code test cells
MANUAL_POINTS = 6  # total points of the manually graded cells

# Realistic wrong submissions: each maps grade_id of an autograded answer cell -> the full replacement source of
# that cell. All other answer cells keep the correct solution, so each mutant has ONE realistic mistake.
WRONG = {
    "output read from the old state": {"neuron-step": '''
def neuron_step(x, h_prev, w, u, b, v, c):
    h = np.tanh(w * h_prev + u * x + b)
    y = v * h_prev + c
    return h, y
'''},
    "input and recurrent weights swapped": {"neuron-step": '''
def neuron_step(x, h_prev, w, u, b, v, c):
    h = np.tanh(u * h_prev + w * x + b)
    return h, v * h + c
'''},
    "off by one in time": {"neuron-forward": '''
def neuron_forward(x, h0, w, u, b, v, c):
    T, B = x.shape
    hs = np.zeros((T, B))
    h = h0
    for t in range(T):
        hs[t] = h
        h = np.tanh(w * h + u * x[t] + b)
    return hs, v * hs + c
'''},
    "integer state array for integer inputs": {"neuron-forward": '''
def neuron_forward(x, h0, w, u, b, v, c):
    hs = np.zeros_like(x)
    h = h0
    for t in range(len(x)):
        h = np.tanh(w * h + u * x[t] + b)
        hs[t] = h
    return hs, v * hs + c
'''},
    "plain fixed-point iteration": {"fixed-point": '''
def fixed_point(x, w, u, b):
    h = 0.0
    for _ in range(1000):
        h = np.tanh(w * h + u * x + b)
    return h
'''},
    "|w| < 1 instead of the slope at h*": {"iteration-converges": '''
def iteration_converges(w, h_star):
    return abs(w) < 1
'''},
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
