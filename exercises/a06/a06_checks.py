"""The checks of assignment 6 (LSTM and GRU cells), used by its test cells: ``check("lstm_gates", lstm_step)``.

For each check ``name`` (run by rnnlib.checking: ``check = Checker("a06_checks")`` in the setup cell):
``cases_<name>(rng)`` gives the inputs (plain numpy data), ``produce_<name>(fn, case)`` calls your function on
copies of them and records what it returned (plain data), and ``judge_<name>(case, record, reference)`` compares
that record with the instructor's solution's record on the same inputs (for the visible checks, released beside
this file in a06_references.json) and raises an AssertionError whose first line says what looks wrong and where:
which output or gradient, how far off, which gate's rows, a gate's part with the wrong sign.

This module computes no answer. Naming the cause of a mistake (another gate order, tanh for a gate, a missing
bias, ...) takes re-computing what that mistake would give, which the instructor's a06_diagnoses.py does; it is
never released, so Validate says what and where, and the feedback on your graded work also names the cause.
"""

from __future__ import annotations

import functools

import numpy as np

from rnnlib.checking import array, call, close, diagnoses, returned
from rnnlib.gradcheck import rel_error

PASSED = {
    "lstm_zero_weights": "lstm_step: the visible checks pass",
    "lstm_gates": "lstm_step: the gates are in the order i, f, g, o, with their activations and both biases",
    "lstm_torch": "lstm_step matches torch.nn.LSTMCell",
    "gru_zero_weights": "gru_step: the visible checks pass",
    "gru_gates": "gru_step: the update and reset gates act as in torch",
    "gru_torch": "gru_step matches torch.nn.GRUCell",
    "lstm_backward_params": "lstm_step_backward matches torch.autograd for x, h_prev and the parameters",
    "lstm_backward_c_prev": "lstm_step_backward matches torch.autograd for c_prev",
}
MODIFIED_HINT = "work on new arrays (e.g. dc_total = dc + ...) instead of writing into the arguments"
_returned = functools.partial(returned, hint=MODIFIED_HINT)
DIAGNOSES = diagnoses(__file__)  # None in the students' copy


# ------------------------------------------------------------------------------------ shared by the parts

LSTM_GATES = "ifgo"
GRU_GATES = "rzn"
GATE_NAMES = {"i": "input gate i", "f": "forget gate f", "g": "candidate g", "o": "output gate o",
              "r": "reset gate r", "z": "update gate z", "n": "new state n"}
PARAM_KEYS = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")


def _shapes(rng, first, n=2):
    """``first`` and ``n`` more (B, D, H) drawn from ``rng``, so that hidden seeds bring shapes not seen before."""
    return [first] + [tuple(int(s) for s in rng.integers(1, 7, size=3)) for _ in range(n)]


def _params(rng, G, D, H, scale=1.0, weights=True):
    return {"weight_ih": scale * rng.standard_normal((G * H, D)) * weights,
            "weight_hh": scale * rng.standard_normal((G * H, H)) * weights,
            "bias_ih": rng.standard_normal(G * H), "bias_hh": rng.standard_normal(G * H)}


def _zeros(G, D, H):
    return {"weight_ih": np.zeros((G * H, D)), "weight_hh": np.zeros((G * H, H)), "bias_ih": np.zeros(G * H),
            "bias_hh": np.zeros(G * H)}


def _step_inputs(rng, B, D, H, lstm=True):
    case = {"x": rng.standard_normal((B, D)), "h_prev": np.tanh(rng.standard_normal((B, H)))}
    if lstm:
        case["c_prev"] = 2.0 * rng.standard_normal((B, H))
    return case


def _outputs(value, what, shapes, names):
    """The arrays a step returned, checked for their number and shapes."""
    if len(names) == 1:
        value = (value,)
    elif not (isinstance(value, (tuple, list)) and len(value) == len(names)):
        raise AssertionError(f"{what} should return the pair ({', '.join(names)}), got {value!r}"[:200])
    return tuple(array(v, n, s) for v, n, s in zip(value, names, shapes))


def _close(a, b) -> bool:
    """A step's output equal to the solution's to rounding."""
    return close(a, b, 1e-10)


def _where(got, want, name):
    """The element of ``got`` farthest from ``want``: where to look first."""
    index = np.unravel_index(np.argmax(np.abs(got - want)), got.shape)
    return f"{name}[{', '.join(map(str, index))}] is {got[index]:.4g} where torch's is {want[index]:.4g}"


def _differ(got, want, what, names, cause):
    """Raise the ``cause`` of outputs that differ from the solution's (from the diagnoses, so in graded feedback
    only), or without one say which outputs differ and where."""
    if cause:
        raise AssertionError(cause)
    wrong = [f"{n} (relative error {rel_error(g, w):.1e}: {_where(g, w, n)})"
             for g, w, n in zip(got, want, names) if not _close(g, w)]
    raise AssertionError(f"{what}: {', '.join(wrong)} differ{'s' if len(wrong) == 1 else ''} from torch's")


# ------------------------------------------------------------------------------------ Part 1: lstm_step

def cases_lstm_zero_weights(rng):
    # All weights and biases zero: i = f = o = sigmoid(0) = 0.5 and g = tanh(0) = 0, so c = 0.5 c_prev and
    # h = 0.5 tanh(c).
    return [{**_step_inputs(rng, B, D, H), **_zeros(4, D, H)} for B, D, H in _shapes(rng, (3, 4, 5))]


def cases_lstm_gates(rng):
    # The weights zero and both biases random, unit by unit: every gate is a known number, none is 0, so a gate
    # in the wrong block, with the wrong activation or without a bias changes h and c.
    return [{**_step_inputs(rng, B, D, H), **_params(rng, 4, D, H, weights=False)}
            for B, D, H in _shapes(rng, (3, 4, 5))]


def cases_lstm_torch(rng):
    return [{**_step_inputs(rng, B, D, H), **_params(rng, 4, D, H, scale)}
            for (B, D, H), scale in zip(_shapes(rng, (3, 4, 5), 3), (1.0, 0.5, 2.0, 1.0))]


def produce_lstm_step(fn, case):
    return call(fn, case, lambda x, h_prev, c_prev, **params: (x, h_prev, c_prev, params))


produce_lstm_zero_weights = produce_lstm_gates = produce_lstm_torch = produce_lstm_step


def judge_lstm_step(case, record, reference):
    shape = case["h_prev"].shape
    got = _outputs(_returned(record, "lstm_step"), "lstm_step", (shape, shape), ("h", "c"))
    want = _returned(reference, "the reference")
    if not all(_close(g, w) for g, w in zip(got, want)):
        cause = DIAGNOSES.lstm_step_cause(case, got, want, _close) if DIAGNOSES else None
        _differ(got, want, "lstm_step", ("h", "c"), cause)


judge_lstm_zero_weights = judge_lstm_gates = judge_lstm_torch = judge_lstm_step


# ------------------------------------------------------------------------------------ Part 2: gru_step

def cases_gru_zero_weights(rng):
    # All parameters zero: r = z = 0.5 and n = tanh(0) = 0, so h = 0.5 h_prev.
    return [{**_step_inputs(rng, B, D, H, lstm=False), **_zeros(3, D, H)} for B, D, H in _shapes(rng, (3, 4, 5))]


def cases_gru_gates(rng):
    # Gates set through the biases alone (all weights zero), every one a known number different from 0.
    return [{**_step_inputs(rng, B, D, H, lstm=False), **_params(rng, 3, D, H, weights=False)}
            for B, D, H in _shapes(rng, (3, 4, 5))]


def cases_gru_torch(rng):
    return [{**_step_inputs(rng, B, D, H, lstm=False), **_params(rng, 3, D, H, scale)}
            for (B, D, H), scale in zip(_shapes(rng, (3, 4, 5), 3), (1.0, 0.5, 2.0, 1.0))]


def produce_gru_step(fn, case):
    return call(fn, case, lambda x, h_prev, **params: (x, h_prev, params))


produce_gru_zero_weights = produce_gru_gates = produce_gru_torch = produce_gru_step


def judge_gru_step(case, record, reference):
    got = _outputs(_returned(record, "gru_step"), "gru_step", (case["h_prev"].shape,), ("h",))
    want = (_returned(reference, "the reference"),)
    if not _close(got[0], want[0]):
        cause = DIAGNOSES.gru_step_cause(case, got, want, _close) if DIAGNOSES else None
        _differ(got, want, "gru_step", ("h",), cause)


judge_gru_zero_weights = judge_gru_gates = judge_gru_torch = judge_gru_step


# ------------------------------------------------------------------------------------ Part 3: lstm_step_backward

BACKWARD_KEYS = ("x", "h_prev", "c_prev") + PARAM_KEYS
DERIVATIVES = {"i": "i * (1 - i)", "f": "f * (1 - f)", "g": "1 - g**2", "o": "o * (1 - o)"}


def _backward_case(rng, B, D, H, scale=1.0, use_dc=True, shut=False):
    case = {"dh": rng.standard_normal((B, H)),
            "dc": rng.standard_normal((B, H)) if use_dc else np.zeros((B, H)),
            **_step_inputs(rng, B, D, H), **_params(rng, 4, D, H, scale)}
    if shut:  # the forget gate shut (b_f = -40, so f = 4e-18): nothing of c_prev survives, and dL/dc_prev = 0
        case["bias_ih"][H:2 * H] = -40.0
    return case


def cases_lstm_backward_params(rng):
    shapes = _shapes(rng, (3, 4, 5), 3)
    return [_backward_case(rng, *shape, scale, use_dc)
            for shape, scale, use_dc in zip(shapes, (1.0, 0.5, 1.5, 1.0), (True, False, True, True))]


def cases_lstm_backward_c_prev(rng):
    shapes = _shapes(rng, (3, 4, 5))
    return [_backward_case(rng, *shapes[0], shut=True), _backward_case(rng, *shapes[0])] + [
        _backward_case(rng, *shape, use_dc=use_dc) for shape, use_dc in zip(shapes[1:], (False, True))]


def produce_lstm_step_backward(fn, case):
    return call(fn, case, lambda dh, dc, x, h_prev, c_prev, **params: (dh, dc, x, h_prev, c_prev, params))


produce_lstm_backward_params = produce_lstm_backward_c_prev = produce_lstm_step_backward


def _agree(a, b) -> bool:
    """Equal to rounding: relative to their size, or absolutely where both are about 0 (the shut forget gate)."""
    return close(a, b, 1e-9) or np.allclose(a, b, rtol=0, atol=1e-12)


def _judge_backward(case, record, reference, keys):
    H = case["h_prev"].shape[1]
    value = _returned(record, "lstm_step_backward")
    want = _returned(reference, "the reference")
    if not isinstance(value, dict):
        raise AssertionError(f"lstm_step_backward should return a dict of gradients, got {value!r}"[:200])
    missing = [k for k in BACKWARD_KEYS if k not in value]
    if missing:
        raise AssertionError(f"lstm_step_backward's gradients have no key {missing[0]!r} "
                             f"(they should have {', '.join(BACKWARD_KEYS)})")
    got = {k: array(value[k], f"grads[{k!r}]", np.shape(want[k])) for k in keys}
    wrong = [k for k in keys if not _agree(got[k], want[k])]
    if not wrong:
        return
    differ = f" (the gradients of {', '.join(wrong)} differ from torch's)"
    cause = DIAGNOSES.lstm_backward_cause(case, {k: got[k] for k in wrong}, want, _agree) if DIAGNOSES else None
    if cause:
        raise AssertionError(cause + differ)
    # Compare the parameters' gradients gate by gate (torch's row blocks i, f, g, o): which gates' rows are wrong,
    # and whether they are exactly the negative of torch's, are facts of the records that narrow the search.
    rows = [slice(b * H, (b + 1) * H) for b in range(4)]
    blocks = [b for b in range(4) if any(k in wrong and not _agree(got[k][rows[b]], want[k][rows[b]])
                                         for k in PARAM_KEYS)]
    if len(blocks) == 1 and all(_agree(got[k][rows[blocks[0]]], -want[k][rows[blocks[0]]]) for k in PARAM_KEYS):
        gate = LSTM_GATES[blocks[0]]
        raise AssertionError(f"the {GATE_NAMES[gate]}'s part of the gradient has the wrong sign (its rows of "
                             f"dweight_ih, dweight_hh and the biases are exactly the negative of torch's): its "
                             f"derivative is {DERIVATIVES[gate]}{differ}")
    where = ""
    if blocks and len(blocks) < 4:
        names = " and ".join(GATE_NAMES[LSTM_GATES[b]] for b in blocks)
        where = (f"; in the parameters' gradients only the rows of the {names} are wrong (torch's layout i, f, g, o): "
                 f"look at {'their' if len(blocks) > 1 else 'its'} part of the pre-activations' gradient")
    raise AssertionError("these gradients differ from torch.autograd's: "
                         + ", ".join(f"{k} (relative error {rel_error(got[k], want[k]):.1e})" for k in wrong)
                         + f"; {_where(got[wrong[0]], want[wrong[0]], wrong[0])}" + where)


def judge_lstm_backward_params(case, record, reference):
    _judge_backward(case, record, reference, ("x", "h_prev") + PARAM_KEYS)


def judge_lstm_backward_c_prev(case, record, reference):
    _judge_backward(case, record, reference, ("c_prev",))
