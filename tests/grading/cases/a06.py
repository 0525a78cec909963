"""Wrong and alternative submissions for a06, used by the grader proofs."""

NOTEBOOK = "a06_lstm_gru.ipynb"
AUTOGRADED_POINTS = 20
MANUAL_POINTS = 6

WRONG = {
    # CS231n's stacking: the last two blocks read as o, g instead of g, o.
    "LSTM gate order i, f, o, g": {
        "lstm-step": '''\
def lstm_step(x, h_prev, c_prev, params):
    """One step of an LSTM."""
    a = x @ params["weight_ih"].T + params["bias_ih"] + h_prev @ params["weight_hh"].T + params["bias_hh"]
    a_i, a_f, a_o, a_g = np.split(a, 4, axis=1)
    i, f, o, g = sigmoid(a_i), sigmoid(a_f), sigmoid(a_o), np.tanh(a_g)
    c = f * c_prev + i * g
    h = o * np.tanh(c)
    return h, c
''',
    },
    "LSTM output without the tanh of the cell state": {
        "lstm-step": '''\
def lstm_step(x, h_prev, c_prev, params):
    """One step of an LSTM."""
    a = x @ params["weight_ih"].T + params["bias_ih"] + h_prev @ params["weight_hh"].T + params["bias_hh"]
    a_i, a_f, a_g, a_o = np.split(a, 4, axis=1)
    i, f, g, o = sigmoid(a_i), sigmoid(a_f), np.tanh(a_g), sigmoid(a_o)
    c = f * c_prev + i * g
    h = o * c
    return h, c
''',
    },
    # Cho et al. (2014): the reset multiplies h before the product, and b_hn is not reset.
    "GRU reset applied before the matrix product": {
        "gru-step": '''\
def gru_step(x, h_prev, params):
    """One step of a GRU."""
    H = h_prev.shape[1]
    W_ih, W_hh, b_ih, b_hh = params["weight_ih"], params["weight_hh"], params["bias_ih"], params["bias_hh"]
    gi = x @ W_ih.T + b_ih
    r = sigmoid(gi[:, :H] + h_prev @ W_hh[:H].T + b_hh[:H])
    z = sigmoid(gi[:, H:2 * H] + h_prev @ W_hh[H:2 * H].T + b_hh[H:2 * H])
    n = np.tanh(gi[:, 2 * H:] + (r * h_prev) @ W_hh[2 * H:].T + b_hh[2 * H:])
    return (1.0 - z) * n + z * h_prev
''',
    },
    "GRU with z and 1 - z swapped": {
        "gru-step": '''\
def gru_step(x, h_prev, params):
    """One step of a GRU."""
    gi = x @ params["weight_ih"].T + params["bias_ih"]
    gh = h_prev @ params["weight_hh"].T + params["bias_hh"]
    i_r, i_z, i_n = np.split(gi, 3, axis=1)
    h_r, h_z, h_n = np.split(gh, 3, axis=1)
    r = sigmoid(i_r + h_r)
    z = sigmoid(i_z + h_z)
    n = np.tanh(i_n + r * h_n)
    return z * n + (1.0 - z) * h_prev
''',
    },
    "backward: dc_prev misses the forget gate": {
        "lstm-step-backward": '''\
def lstm_step_backward(dh, dc, x, h_prev, c_prev, params):
    """Gradients of one LSTM step."""
    a = x @ params["weight_ih"].T + params["bias_ih"] + h_prev @ params["weight_hh"].T + params["bias_hh"]
    a_i, a_f, a_g, a_o = np.split(a, 4, axis=1)
    i, f, g, o = sigmoid(a_i), sigmoid(a_f), np.tanh(a_g), sigmoid(a_o)
    c = f * c_prev + i * g
    tanh_c = np.tanh(c)
    dc_total = dc + dh * o * (1.0 - tanh_c ** 2)
    da = np.concatenate([dc_total * g * i * (1 - i), dc_total * c_prev * f * (1 - f),
                         dc_total * i * (1 - g ** 2), dh * tanh_c * o * (1 - o)], axis=1)
    db = da.sum(axis=0)
    return {"x": da @ params["weight_ih"], "h_prev": da @ params["weight_hh"], "c_prev": dc_total,
            "weight_ih": da.T @ x, "weight_hh": da.T @ h_prev, "bias_ih": db, "bias_hh": db.copy()}
''',
    },
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
