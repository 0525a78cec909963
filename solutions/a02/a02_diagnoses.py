"""The diagnoses of assignment 2 (the RNN layer): what a student's function gives with one mistake switched on, and
the cause each judge of a02_checks.py names when the student's numbers match it.

Every function here computes what a function of the notebook computes (the RNN step and layer in numpy, the
parameter count in closed form), correctly or with a mistake, so this module is never released: it stays in
solutions/a02/ (nbgrader_config.py ignores ``*_diagnoses.py``) and the students' copy of the checker module finds
no diagnoses beside it (its judges then say what is wrong and where, and the graded feedback names the cause).
The checker module reaches it with ``DIAGNOSES = diagnoses(__file__)`` and passes it what it needs (the case's
arrays, the student's numbers, the reference's); it imports numpy and rnnlib only, never the checker
module.

A cause is named only once established: the mistake's prediction matches the student's numbers to float64
rounding and differs from the right answer on the same case.
"""

from __future__ import annotations

import numpy as np

from rnnlib.gradcheck import rel_error

PARAM_KEYS = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")


def _agree(a, b) -> bool:
    """Equal to float64 rounding (as the judges compare): relative to their size, or absolutely near 0."""
    return a.shape == b.shape and (rel_error(a, b) < 1e-10 or np.allclose(a, b, rtol=0, atol=1e-12))


# ------------------------------------------------------------------------------------ rnn_step and rnn_forward

def _rnn_numpy(x, h0, weight_ih, weight_hh, bias_ih, bias_hh, act="tanh", biases=("ih", "hh"), t_ih=True,
               t_hh=True, carry=True, shift=False):
    """The RNN layer in numpy, x (T, B, D) and h0 (B, H) -> hs (T, B, H); the keywords switch on a mistake: another
    activation, a bias left out, a weight used without its transpose, every step started from h0 (``carry``), or
    hs[t] holding the state before x[t] (``shift``)."""
    W_ih, W_hh = (weight_ih.T if t_ih else weight_ih), (weight_hh.T if t_hh else weight_hh)
    b = ("ih" in biases) * bias_ih + ("hh" in biases) * bias_hh  # (H,)
    f = {"tanh": np.tanh, "none": lambda a: a, "relu": lambda a: np.maximum(a, 0.0),
         "sigmoid": lambda a: 0.5 * (1.0 + np.tanh(0.5 * a))}[act]
    hs, h = [], h0
    for x_t in x:
        h_next = f(x_t @ W_ih + (h if carry else h0) @ W_hh + b)  # (B, H)
        hs.append(h if shift else h_next)
        h = h_next
    return np.stack(hs)


# (keywords of _rnn_numpy, cause) for every single mistake in one step the judges can name.
STEP_MISTAKES = [
    ({"act": "none"}, "your h is the pre-activation itself: apply tanh to it"),
    ({"act": "relu"}, "your h uses relu: torch.nn.RNN's default nonlinearity is tanh"),
    ({"act": "sigmoid"}, "your h uses the sigmoid: torch.nn.RNN's default nonlinearity is tanh"),
    ({"biases": ("ih",)}, "your step leaves out bias_hh: torch adds both biases, bias_ih and bias_hh"),
    ({"biases": ("hh",)}, "your step leaves out bias_ih: torch adds both biases, bias_ih and bias_hh"),
    ({"biases": ()}, "your step leaves out both biases, bias_ih and bias_hh: torch adds both"),
    ({"t_hh": False}, "your step computes h_prev @ weight_hh; with states as rows it is h_prev @ weight_hh.T"),
    ({"t_ih": False}, "your step computes x @ weight_ih; with inputs as rows it is x @ weight_ih.T"),
]

# (keywords of _rnn_numpy, cause) for the mistakes of the loop over time.
LOOP_MISTAKES = [
    ({"shift": True}, "hs[0] is h0 and every hs[t] is the state before x[t]: hs[t] should be the state after "
                      "reading x[t] (store h after the step)"),
    ({"carry": False}, "every step starts from h0: each step must start from the state the previous step produced"),
]


def _explain(got, want, hypotheses):
    """The cause of the first (predict, cause) whose ``predict()`` matches ``got`` (and differs from ``want``)."""
    for predict, cause in hypotheses:
        try:
            predicted = predict()
        except ValueError:  # an untransposed weight whose shapes do not fit: not this case's mistake
            continue
        if _agree(got, predicted) and not _agree(predicted, want):
            return cause
    return None


def step_cause(x, h_prev, params, h, want):
    """The mistake of one step that gives ``h`` (B, H) from x (B, D) and h_prev (B, H), or None; ``want`` is the
    right step's (B, H); ``params`` holds the four weights by name."""
    weights = {k: params[k] for k in PARAM_KEYS}
    return _explain(h, want, [(lambda kw=kw: _rnn_numpy(x[None], h_prev, **weights, **kw)[0], cause)
                              for kw, cause in STEP_MISTAKES])


def forward_cause(case, hs, want):
    """The mistake of a whole sequence (one of the loop, or of every step) that gives ``hs`` (T, B, H) on the case
    (x (T, B, D), h0 (B, H) and the four weights), or None; ``want`` is the right (T, B, H)."""
    args = {k: case[k] for k in ("x", "h0") + PARAM_KEYS}
    return _explain(hs, want, [(lambda kw=kw: _rnn_numpy(**args, **kw), cause)
                               for kw, cause in LOOP_MISTAKES + STEP_MISTAKES])


def second_step_cause(case, h1):
    """Whether hs[1] (B, H) is the step from h0 instead of from hs[0]: its cause, or None."""
    from_h0 = _rnn_numpy(case["x"][1:2], case["h0"], **{k: case[k] for k in PARAM_KEYS})[0]  # (B, H)
    if _agree(h1, from_h0):
        return "hs[1] was computed from h0: each step must start from the state the previous step produced"
    return None


# ------------------------------------------------------------------------------------ count_parameters

def _tensors(D, H, num_layers=1, bidirectional=False):
    """torch.nn.RNN's parameters, in its order: [(name, shape)]."""
    k = 2 if bidirectional else 1
    found = []
    for layer in range(num_layers):
        inputs = D if layer == 0 else k * H
        for suffix in ("", "_reverse")[:k]:
            found += [(f"weight_ih_l{layer}{suffix}", (H, inputs)), (f"weight_hh_l{layer}{suffix}", (H, H)),
                      (f"bias_ih_l{layer}{suffix}", (H,)), (f"bias_hh_l{layer}{suffix}", (H,))]
    return found


def _count(D, H, num_layers=1, bidirectional=False, biases=2, later_inputs="kH", directions=True, layers=True):
    """The count in closed form; the keywords switch on a mistake: one bias, later layers reading D or H features
    instead of directions * H, the second direction not counted, only the first layer counted."""
    k = 2 if bidirectional else 1
    total = 0
    for layer in range(num_layers if layers else 1):
        inputs = D if layer == 0 else {"kH": k * H, "D": D, "H": H}[later_inputs]
        total += (k if directions else 1) * (H * inputs + H * H + biases * H)
    return total


COUNT_MISTAKES = [
    ({"biases": 1}, "counts one bias per layer and direction: torch.nn.RNN has two, bias_ih and bias_hh"),
    ({"later_inputs": "D"}, "gives every layer D inputs: a layer above the first reads the output of the layer "
                            "below, directions * H features"),
    ({"later_inputs": "H"}, "gives the layers above the first H inputs: with bidirectional=True the layer below "
                            "outputs both directions' states side by side, 2H features"),
    ({"directions": False}, "counts one direction: with bidirectional=True every layer has a second set of "
                            "weights and biases (named *_reverse)"),
    ({"layers": False}, "counts the first layer only: every one of the num_layers layers has its own weights"),
]


def count_cause(case, n, want):
    """The mistake that counts ``n`` for the case (D, H and maybe num_layers, bidirectional), or None."""
    for kwargs, cause in COUNT_MISTAKES:
        if n == _count(**case, **kwargs) != want:
            return cause
    return None


def count_tensors(case) -> str:
    """torch.nn.RNN's tensors for the case, named with their shapes: where a count with no named cause went wrong."""
    return ", ".join(f"{name} {shape}" for name, shape in _tensors(**case))
