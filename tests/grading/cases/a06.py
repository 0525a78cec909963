"""Wrong and alternative submissions for a06, used by the grader proofs.

Every WRONG entry is the solution with one realistic mistake, written as a small edit of the solution's answer
(``edit`` checks that the edited text occurs exactly once, so the mutant cannot silently stop being one).
FAILURES says, for each, which test cells fail and what the message of each must name: its cause, not a guess
(tests/grading/test_a06_checks.py runs them in-process; test_assignments.py grades them with nbgrader).
"""

import functools

import harness

NOTEBOOK = "a06_lstm_gru.ipynb"
AUTOGRADED_POINTS = 20
MANUAL_POINTS = 6

edit = functools.partial(harness.edit, "a06")  # edit(grade_id, (old, new), ...)


GATES = "i, f, g, o = sigmoid(a_i), sigmoid(a_f), np.tanh(a_g), sigmoid(a_o)"
BIAS_HH = '+ h_prev @ params["weight_hh"].T + params["bias_hh"])  # (B, 4H)'
DC_TOTAL = "dc_total = dc + dh * o * (1.0 - tanh_c ** 2)  # (B, H)"

WRONG = {
    # CS231n's stacking: the last two blocks read as o, g instead of g, o.
    "LSTM gate order i, f, o, g": edit("lstm-step", ("a_i, a_f, a_g, a_o = np.split", "a_i, a_f, a_o, a_g = np.split")),
    "LSTM output without the tanh of the cell state": edit("lstm-step", ("h = o * np.tanh(c)", "h = o * c")),
    # Cho et al. (2014): the reset multiplies h before the product, and b_hn is not reset.
    "GRU reset applied before the matrix product": edit(
        "gru-step", ("n = np.tanh(i_n + r * h_n)",
                     'H = h_prev.shape[1]\n    n = np.tanh(i_n + (r * h_prev) @ params["weight_hh"][2 * H:].T '
                     '+ params["bias_hh"][2 * H:])')),
    "GRU with z and 1 - z swapped": edit(
        "gru-step", ("return (1.0 - z) * n + z * h_prev", "return z * n + (1.0 - z) * h_prev")),
    "backward: dc_prev misses the forget gate": edit(
        "lstm-step-backward", ('"c_prev": dc_total * f,', '"c_prev": dc_total,')),
    # Issue 18: each of these used to get a hint that pointed elsewhere.
    "LSTM without bias_hh": edit("lstm-step", (BIAS_HH, '+ h_prev @ params["weight_hh"].T)  # (B, 4H)')),
    "LSTM input gate with tanh": edit("lstm-step", (GATES, GATES.replace("sigmoid(a_i)", "np.tanh(a_i)"))),
    "backward: forget gate derivative with the wrong sign": edit(
        "lstm-step-backward", ("dc_total * c_prev * f * (1.0 - f),", "dc_total * c_prev * f * (f - 1.0),")),
    "backward: dc += in place": edit(
        "lstm-step-backward", (DC_TOTAL, "dc += dh * o * (1.0 - tanh_c ** 2)  # (B, H)\n    dc_total = dc")),
    "backward: c's path through h left out": edit("lstm-step-backward", (DC_TOTAL, "dc_total = dc  # (B, H)")),
    "backward: gates recomputed without bias_hh": edit(
        "lstm-step-backward", (BIAS_HH, '+ h_prev @ params["weight_hh"].T)  # (B, 4H)')),
}

_BACKWARD = ("test-lstm-backward-params", "test-lstm-backward-c-prev")
FAILURES = {
    "LSTM gate order i, f, o, g": {
        "test-lstm-step-gate-order": "your code reads the candidate g from rows 15:20 (the output gate o's), the "
                                     "output gate o from rows 10:15 (the candidate g's)",
        "test-lstm-step-torch": "the row blocks are in the order i, f, g, o"},
    "LSTM output without the tanh of the cell state": {
        cell: "your h is o * c" for cell in ("test-lstm-step-zero-weights", "test-lstm-step-gate-order",
                                             "test-lstm-step-torch")},
    "GRU reset applied before the matrix product": {
        cell: "your reset gate acts before the product" for cell in ("test-gru-step-gates", "test-gru-step-torch")},
    "GRU with z and 1 - z swapped": {
        cell: "you swapped z and 1 - z" for cell in ("test-gru-step-gates", "test-gru-step-torch")},
    "backward: dc_prev misses the forget gate": {
        "test-lstm-backward-c-prev": "dc_prev should be the total gradient on c times f"},
    "LSTM without bias_hh": {
        cell: "your gates ignore bias_hh" for cell in ("test-lstm-step-gate-order", "test-lstm-step-torch")},
    "LSTM input gate with tanh": {
        cell: "the input gate i uses tanh: i, f and o use sigmoid" for cell in ("test-lstm-step-gate-order",
                                                                              "test-lstm-step-torch")},
    "backward: forget gate derivative with the wrong sign": {
        "test-lstm-backward-params": "the forget gate f's part of the gradient has the wrong sign"},
    "backward: dc += in place": {
        cell: "lstm_step_backward modified its input dc: do not modify your inputs" for cell in _BACKWARD},
    "backward: c's path through h left out": {
        cell: "c reaches the loss through dc AND through h" for cell in _BACKWARD},
    "backward: gates recomputed without bias_hh": {
        cell: "your backward recomputes the gates without bias_hh" for cell in _BACKWARD},
}

ALTERNATIVE = {
    # One gate at a time from named row slices, einsum for the products, exp-form sigmoid.
    "lstm-step": '''\
def lstm_step(x, h_prev, c_prev, params):
    """One step of an LSTM, as torch.nn.LSTMCell computes it."""
    H = h_prev.shape[1]
    gate = {}
    for k, (name, act) in enumerate((("i", "sig"), ("f", "sig"), ("g", "tanh"), ("o", "sig"))):
        rows = slice(k * H, (k + 1) * H)
        a = (np.einsum("bd,hd->bh", x, params["weight_ih"][rows]) + np.einsum("bj,hj->bh", h_prev, params["weight_hh"][rows])
             + params["bias_ih"][rows] + params["bias_hh"][rows])
        gate[name] = 1.0 / (1.0 + np.exp(-a)) if act == "sig" else np.tanh(a)
    c = gate["f"] * c_prev + gate["i"] * gate["g"]
    return gate["o"] * np.tanh(c), c
''',
    # Column-vector algebra (states as columns), transposed back at the end.
    "gru-step": '''\
def gru_step(x, h_prev, params):
    """One step of a GRU, as torch.nn.GRUCell computes it."""
    H = h_prev.shape[1]
    xt, ht = x.T, h_prev.T  # (D, B), (H, B)
    W_ir, W_iz, W_in = params["weight_ih"][:H], params["weight_ih"][H:2 * H], params["weight_ih"][2 * H:]
    W_hr, W_hz, W_hn = params["weight_hh"][:H], params["weight_hh"][H:2 * H], params["weight_hh"][2 * H:]
    b_ir, b_iz, b_in = (params["bias_ih"][k * H:(k + 1) * H, None] for k in range(3))
    b_hr, b_hz, b_hn = (params["bias_hh"][k * H:(k + 1) * H, None] for k in range(3))
    r = sigmoid(W_ir @ xt + b_ir + W_hr @ ht + b_hr)
    z = sigmoid(W_iz @ xt + b_iz + W_hz @ ht + b_hz)
    n = np.tanh(W_in @ xt + b_in + r * (W_hn @ ht + b_hn))
    return (n + z * (ht - n)).T
''',
    # Gate derivatives from the pre-activations, a dict per gate, einsum for the outer products.
    "lstm-step-backward": '''\
def lstm_step_backward(dh, dc, x, h_prev, c_prev, params):
    """Gradients of one LSTM step with respect to its inputs and parameters."""
    H = h_prev.shape[1]
    W_ih, W_hh = params["weight_ih"], params["weight_hh"]
    a = np.einsum("bd,gd->bg", x, W_ih) + np.einsum("bh,gh->bg", h_prev, W_hh) + params["bias_ih"] + params["bias_hh"]
    pre = {name: a[:, k * H:(k + 1) * H] for k, name in enumerate("ifgo")}
    act = {name: (np.tanh(v) if name == "g" else 1.0 / (1.0 + np.exp(-v))) for name, v in pre.items()}
    slope = {name: (1.0 - act[name] ** 2 if name == "g" else act[name] * (1.0 - act[name])) for name in act}
    c = act["f"] * c_prev + act["i"] * act["g"]
    dcell = dc + dh * act["o"] * (1.0 - np.tanh(c) ** 2)
    upstream = {"i": dcell * act["g"], "f": dcell * c_prev, "g": dcell * act["i"], "o": dh * np.tanh(c)}
    da = np.hstack([upstream[name] * slope[name] for name in "ifgo"])
    return {"x": np.einsum("bg,gd->bd", da, W_ih), "h_prev": np.einsum("bg,gh->bh", da, W_hh),
            "c_prev": dcell * act["f"], "weight_ih": np.einsum("bg,bd->gd", da, x),
            "weight_hh": np.einsum("bg,bh->gh", da, h_prev), "bias_ih": np.sum(da, axis=0), "bias_hh": np.sum(da, axis=0)}
''',
}


# Graded alone and with every tampering of tests/grading/tampering.py (one mutant keeps CI short; RNN_TAMPERING=all
# grades every WRONG mutant so).
TAMPERING_MUTANTS = ["LSTM gate order i, f, o, g"]

# What Validate says, with the students' copy of the checker module (no diagnoses beside it), in a test cell each of
# these mistakes fails: where the numbers are wrong, never the cause of FAILURES, which only the graded feedback
# gives (tests/grading/test_checks.py).
VALIDATE = {
    "LSTM gate order i, f, o, g": {
        "test-lstm-step-gate-order": "lstm_step: h (relative error",
    },
    "GRU with z and 1 - z swapped": {
        "test-gru-step-torch": "gru_step: h (relative error",
    },
    "backward: c's path through h left out": {
        "test-lstm-backward-params":
            "in the parameters' gradients only the rows of the input gate i and forget gate f and candidate g are "
            "wrong",
    },
}
