"""Wrong and alternative submissions for a02, used by the grader proofs.

Every WRONG entry is the solution with one realistic mistake, written as a small edit of the solution's answer
(``harness.edit`` checks that the edited text occurs exactly once, so the mutant cannot drift from the solution).
FAILURES says, for each, which test cells fail and what the message of each must name: its cause, not a guess
(tests/grading/test_a02_checks.py runs them in-process; test_assignments.py grades them with nbgrader).
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
    # Issue 18: a mistake for every function, each named by its cause.
    'sigmoid instead of tanh': edit('rnn-step', ("return np.tanh(a)", "return 1.0 / (1.0 + np.exp(-a))")),
    'every step from h0': edit('rnn-forward', (LOOP, LOOP.replace("+ h @", "+ h0 @"))),
    # The state updated in place: h is h0 itself, so the caller's h0 ends up holding the last state.
    'h0 overwritten in place': edit('rnn-forward', (LOOP, LOOP.replace("h = np.tanh(", "h[:] = np.tanh("))),
    'bidirectional layers above read H': edit('count-parameters', (INPUTS, "inputs = D if layer == 0 else H")),
    'second direction not counted': edit('count-parameters', (
        "total += directions * (", "total += (")),
    'float32 kept': edit('params-from-torch', (".detach().numpy().astype(np.float64)", ".detach().numpy()")),
    'module converted in place': edit('params-from-torch', (
        'return {name: getattr(rnn, name + "_l0").detach().numpy().astype(np.float64)',
        'rnn.double()\n    return {name: getattr(rnn, name + "_l0").detach().numpy()')),
    'numpy() without detach': edit('params-from-torch', (".detach().numpy()", ".numpy()")),
}

_STEP = ("test-rnn-step-value", "test-rnn-step-torch")
_FORWARD = ("test-rnn-forward-first-steps", "test-rnn-forward-torch")
_PARAMS = ("test-params-from-torch", "test-params-from-torch-forward")
# Every failing test cell of every WRONG mutant, with what its message must say (its cause).
FAILURES = {
    'bias_hh left out': {cell: "your step leaves out bias_hh" for cell in _STEP},
    'weight_hh not transposed': {cell: "your step computes h_prev @ weight_hh;" for cell in _STEP},
    'relu instead of tanh': {cell: "your h uses relu" for cell in _STEP},
    'sigmoid instead of tanh': {cell: "your h uses the sigmoid" for cell in _STEP},
    'weight_ih not transposed': {cell: "x @ weight_ih.T" for cell in _FORWARD},
    'off by one in time': {"test-rnn-forward-first-steps": "hs[0] is h0, but hs[t] should be the state after",
                           "test-rnn-forward-torch": "hs[0] is h0 and every hs[t] is the state before x[t]"},
    'every step from h0': {"test-rnn-forward-first-steps": "hs[1] was computed from h0",
                           "test-rnn-forward-torch": "every step starts from h0"},
    'h0 overwritten in place': {cell: "rnn_forward modified its input h0: do not modify your inputs"
                                for cell in _FORWARD},
    'one bias counted': {"test-count-parameters-one-layer": "counts one bias per layer and direction",
                         "test-count-parameters-stacked": "counts one bias per layer and direction"},
    'later layers read D inputs': {"test-count-parameters-stacked": "gives every layer D inputs"},
    'bidirectional layers above read H': {"test-count-parameters-stacked": "gives the layers above the first H "
                                                                           "inputs"},
    'second direction not counted': {"test-count-parameters-stacked": "counts one direction"},
    'torch names kept': {cell: "params has no key 'weight_ih'" for cell in _PARAMS},
    'float32 kept': {"test-params-from-torch": "has dtype float32 (the module is float32); convert it to float64"},
    'module converted in place': {cell: "params_from_torch modified its input rnn: do not modify your inputs"
                                  for cell in _PARAMS},
    'numpy() without detach': {cell: "params_from_torch raised RuntimeError" for cell in _PARAMS},
}
# Graded alone and with every tampering of tests/grading/tampering.py (one mutant keeps CI short; RNN_TAMPERING=all
# grades every WRONG mutant so).
TAMPERING_MUTANTS = ["bias_hh left out"]

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

# a02's own tampering, appended to each tampering mutant: the torch.nn.RNN that params_from_torch's checks build is
# made float64 whatever the case says, so that a function that keeps float32 would return float64 arrays. The
# checks compare the module with the case after the call, so the swap shows as a modified input and scores 0.
TAMPERING = {
    "torch.nn.RNN swapped for a float64 one": '''
import torch as _torch
class _DoubleRNN(_torch.nn.RNN):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.double()
_torch.nn.RNN = _DoubleRNN
''',
}

# What Validate says, with the students' copy of the checker module (no diagnoses beside it), in a test cell each of
# these mistakes fails: where the numbers are wrong, never the cause of FAILURES, which only the graded feedback
# gives (tests/grading/test_checks.py).
VALIDATE = {
    "bias_hh left out": {
        "test-rnn-step-value": "h = [[0.226028, 0.446244]] instead of [[-0.069886, 0.591519]]",
    },
    "every step from h0": {
        "test-rnn-forward-first-steps": "hs[0] is right but hs[1] differs from torch.nn.RNN's",
    },
    "one bias counted": {
        "test-count-parameters-one-layer": "count_parameters(3, 4) = 32, but torch.nn.RNN holds 36",
    },
}
