"""Wrong and alternative submissions for a02, used by the grader proofs.

Every WRONG entry is the solution with one realistic mistake, written as a small edit of the solution's answer
(``harness.edit`` checks that the edited text occurs exactly once, so the mutant cannot drift from the solution).
"""

import functools

import harness

NOTEBOOK = "a02_rnn_layer.ipynb"
AUTOGRADED_POINTS = 20
MANUAL_POINTS = 6

edit = functools.partial(harness.edit, "a02")  # edit(grade_id, (old, new), ...)

STEP = "a = x @ weight_ih.T + bias_ih + h_prev @ weight_hh.T + bias_hh  # (B, H)"
LOOP = 'h = np.tanh(a_x[t] + h @ params["weight_hh"].T)  # (B, H)\n        hs[t] = h'
INPUTS = "inputs = D if layer == 0 else directions * H"

# Realistic wrong submissions: grade_id of one answer cell -> that cell's source with one mistake.
WRONG = {
    'bias_hh left out': edit('rnn-step', (STEP, STEP.replace(" + bias_hh", ""))),
    'weight_hh not transposed': edit('rnn-step', (STEP, STEP.replace("weight_hh.T", "weight_hh"))),
    'relu instead of tanh': edit('rnn-step', ("return np.tanh(a)", "return np.maximum(a, 0.0)")),
    'weight_ih not transposed': edit('rnn-forward', ('x @ params["weight_ih"].T', 'x @ params["weight_ih"]')),
    'off by one in time': edit('rnn-forward', (
        LOOP, 'hs[t] = h\n        h = np.tanh(a_x[t] + h @ params["weight_hh"].T)  # (B, H)')),
    'one bias counted': edit('count-parameters', ("H * H + 2 * H)", "H * H + H)")),
    'later layers read D inputs': edit('count-parameters', (INPUTS, "inputs = D")),
    'torch names kept': edit('params-from-torch', (
        'getattr(rnn, name + "_l0").detach().numpy().astype(np.float64)\n'
        '            for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")}',
        "value.detach().numpy().astype(np.float64) for name, value in rnn.named_parameters()}")),
}

# Correct solutions written differently, for every answer cell: each must score full marks.
ALTERNATIVE = {
    'rnn-step': r'''def rnn_step(x, h_prev, weight_ih, weight_hh, bias_ih, bias_hh):
    """One RNN step with einsum: "bd,hd->bh" is x @ weight_ih.T, (B, D) x (H, D) -> (B, H)."""
    a = np.einsum("bd,hd->bh", x, weight_ih) + np.einsum("bk,hk->bh", h_prev, weight_hh)  # (B, H)
    return np.tanh(a + (bias_ih + bias_hh))''',
    'rnn-forward': r'''def rnn_forward(x, h0, params):
    """A plain loop over rnn_step, collecting the states in a list."""
    hs = []
    h = h0
    for x_t in x:  # x_t is (B, D)
        h = rnn_step(x_t, h, params["weight_ih"], params["weight_hh"], params["bias_ih"], params["bias_hh"])
        hs.append(h)
    return np.stack(hs)  # (T, B, H)''',
    'count-parameters': r'''def count_parameters(D, H, num_layers=1, bidirectional=False):
    """Closed form: the first layer reads D features, the others k*H, with k the number of directions."""
    k = 2 if bidirectional else 1
    first = H * (D + H + 2)
    later = H * (k * H + H + 2)
    return int(k * (first + (num_layers - 1) * later))''',
    'params-from-torch': r'''def params_from_torch(rnn):
    """Through the state dict, whose tensors are already detached."""
    return {key.removesuffix("_l0"): np.array(value, dtype=np.float64) for key, value in rnn.state_dict().items()}''',
}
