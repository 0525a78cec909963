"""The checks of assignment 6 (LSTM and GRU cells), used by its test cells: ``check("lstm_gates", lstm_step)``.

For each check ``name`` (run by rnnlib.checking: ``check = Checker("a06_checks")`` in the setup cell):
``cases_<name>(rng)`` gives the inputs (plain numpy data), ``produce_<name>(fn, case)`` calls your function on
copies of them and records what it returned (plain data), ``judge_<name>(case, record, reference)`` compares that
record with the instructor's solution's and raises an AssertionError whose first line says what looks wrong, and
``reference_<name>(case)`` computes the solution's record here, with torch, so that the checks run in your own
notebook. A diagnosis is made only once its cause is established: the judge recomputes what the suspected mistake
would give (another gate order, tanh for a gate, a missing bias, ...) and names it only if your numbers match. When
your work is graded, the judging happens again with the instructor's copy of this file.
"""

from __future__ import annotations

import functools
import itertools

import numpy as np

from rnnlib.checking import array, call, close, encode, returned
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


# ------------------------------------------------------------------------------------ shared by the parts

LSTM_GATES = "ifgo"
GRU_GATES = "rzn"
GATE_NAMES = {"i": "input gate i", "f": "forget gate f", "g": "candidate g", "o": "output gate o",
              "r": "reset gate r", "z": "update gate z", "n": "new state n"}
PARAM_KEYS = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")


def sigmoid(a):
    return 0.5 * (1.0 + np.tanh(0.5 * a))


ACTIVATIONS = {"sigmoid": sigmoid, "tanh": np.tanh}


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


def _torch_cell(kind, case):
    import torch

    D, H = case["x"].shape[1], case["h_prev"].shape[1]
    cell = getattr(torch.nn, kind)(D, H).double()
    with torch.no_grad():
        for name in PARAM_KEYS:
            getattr(cell, name).copy_(torch.from_numpy(case[name]))
    return cell


def _outputs(value, what, shapes, names):
    """The arrays a step returned, checked for their number and shapes."""
    if len(names) == 1:
        value = (value,)
    elif not (isinstance(value, (tuple, list)) and len(value) == len(names)):
        raise AssertionError(f"{what} should return the pair ({', '.join(names)}), got {value!r}"[:200])
    return tuple(array(v, n, s) for v, n, s in zip(value, names, shapes))


def _diagnose(got, want, hypotheses, what, names, tol=1e-10):
    """Raise the cause of the first hypothesis whose outputs match ``got``, or say which outputs differ."""
    if all(close(g, w, tol) for g, w in zip(got, want)):
        return
    for predicted, cause in hypotheses:
        if all(close(g, p, tol) for g, p in zip(got, predicted)) and not all(
                close(p, w, tol) for p, w in zip(predicted, want)):
            raise AssertionError(cause)
    wrong = [f"{n} (relative error {rel_error(g, w):.1e})"
             for g, w, n in zip(got, want, names) if not close(g, w, tol)]
    raise AssertionError(f"{what}: {', '.join(wrong)} differ{'s' if len(wrong) == 1 else ''} from torch's")


# ------------------------------------------------------------------------------------ Part 1: lstm_step

def _lstm_numpy(x, h_prev, c_prev, weight_ih, weight_hh, bias_ih, bias_hh, blocks=(0, 1, 2, 3),
                acts=("sigmoid", "sigmoid", "tanh", "sigmoid"), biases=("ih", "hh"), squash_c=True, **_):
    """lstm_step in numpy; the keywords switch on a mistake: the row block each gate reads (``blocks``), each gate's
    activation, the biases used, and whether h squashes c."""
    a = x @ weight_ih.T + h_prev @ weight_hh.T + ("ih" in biases) * bias_ih + ("hh" in biases) * bias_hh  # (B, 4H)
    parts = np.split(a, 4, axis=1)
    i, f, g, o = (ACTIVATIONS[act](parts[b]) for b, act in zip(blocks, acts))
    c = f * c_prev + i * g
    return o * (np.tanh(c) if squash_c else c), c


def _lstm_hypotheses(case):
    """(outputs, cause) for every single mistake the judge can name."""
    hyps = [(_lstm_numpy(**case, biases=("ih",)), "your gates ignore bias_hh: torch adds both biases, bias_ih and "
                                                   "bias_hh, to every pre-activation"),
            (_lstm_numpy(**case, biases=("hh",)), "your gates ignore bias_ih: torch adds both biases, bias_ih and "
                                                   "bias_hh, to every pre-activation"),
            (_lstm_numpy(**case, squash_c=False), "your h is o * c; the LSTM squashes the cell state first, "
                                                  "h = o * tanh(c)")]
    standard = ("sigmoid", "sigmoid", "tanh", "sigmoid")
    for acts in itertools.product(("sigmoid", "tanh"), repeat=4):
        if acts != standard:
            wrong = [f"the {GATE_NAMES[g]} uses {a}" for g, a, s in zip(LSTM_GATES, acts, standard) if a != s]
            hyps.append((_lstm_numpy(**case, acts=acts), f"{' and '.join(wrong)}: i, f and o use sigmoid, only the "
                                                          "candidate g uses tanh"))
    for blocks in itertools.permutations(range(4)):
        if blocks != (0, 1, 2, 3):
            hyps.append((_lstm_numpy(**case, blocks=blocks), _order_cause(blocks, LSTM_GATES, case["h_prev"].shape[1])))
    return hyps


def _order_cause(blocks, gates, H):
    moved = [f"the {GATE_NAMES[g]} from rows {b * H}:{(b + 1) * H} (the {GATE_NAMES[gates[b]]}'s)"
             for g, b in zip(gates, blocks) if gates[b] != g]
    return f"your code reads {', '.join(moved)}: the row blocks are in the order {', '.join(gates)}"


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


def reference_lstm_step(case):
    import torch

    with torch.no_grad():
        h, c = _torch_cell("LSTMCell", case)(*(torch.from_numpy(case[k]) for k in ("x",)),
                                             (torch.from_numpy(case["h_prev"]), torch.from_numpy(case["c_prev"])))
    return {"returned": encode((h.numpy(), c.numpy())), "error": None, "modified": []}


reference_lstm_zero_weights = reference_lstm_gates = reference_lstm_torch = reference_lstm_step


def judge_lstm_step(case, record, reference):
    shape = case["h_prev"].shape
    got = _outputs(_returned(record, "lstm_step"), "lstm_step", (shape, shape), ("h", "c"))
    want = _returned(reference, "the reference")
    _diagnose(got, want, _lstm_hypotheses(case), "lstm_step", ("h", "c"))


judge_lstm_zero_weights = judge_lstm_gates = judge_lstm_torch = judge_lstm_step


# ------------------------------------------------------------------------------------ Part 2: gru_step

def _gru_numpy(x, h_prev, weight_ih, weight_hh, bias_ih, bias_hh, blocks=(0, 1, 2), reset_after=True,
               z_keeps_h=True, biases=("ih", "hh"), **_):
    """gru_step in numpy; the keywords switch on a mistake (blocks, Cho et al.'s reset, z and 1 - z swapped, a
    missing bias)."""
    H = h_prev.shape[1]
    b_ih, b_hh = ("ih" in biases) * bias_ih, ("hh" in biases) * bias_hh
    rows = [slice(b * H, (b + 1) * H) for b in blocks]  # the rows read as r, z, n
    gi = [x @ weight_ih[s].T + b_ih[s] for s in rows]
    gh = [h_prev @ weight_hh[s].T + b_hh[s] for s in rows]
    r, z = sigmoid(gi[0] + gh[0]), sigmoid(gi[1] + gh[1])
    n_rows = rows[2]
    n = np.tanh(gi[2] + (r * gh[2] if reset_after else (r * h_prev) @ weight_hh[n_rows].T + b_hh[n_rows]))
    return (1 - z) * n + z * h_prev if z_keeps_h else z * n + (1 - z) * h_prev


def _gru_hypotheses(case):
    hyps = [((_gru_numpy(**case, z_keeps_h=False),),
             "you swapped z and 1 - z; in torch z is the share of the PREVIOUS state that is kept, "
             "h' = (1 - z) * n + z * h_prev"),
            ((_gru_numpy(**case, reset_after=False),),
             "your reset gate acts before the product, W_hn (r * h) + b_hn, as in Cho et al.; torch resets the whole "
             "projected state, r * (h @ W_hn.T + b_hn)"),
            ((_gru_numpy(**case, biases=("ih",)),), "your gates ignore bias_hh: torch adds both biases, bias_ih and "
                                                     "bias_hh (the n block's inside the reset)"),
            ((_gru_numpy(**case, biases=("hh",)),), "your gates ignore bias_ih: torch adds both biases, bias_ih and "
                                                     "bias_hh")]
    for blocks in itertools.permutations(range(3)):
        if blocks != (0, 1, 2):
            hyps.append(((_gru_numpy(**case, blocks=blocks),),
                         _order_cause(blocks, GRU_GATES, case["h_prev"].shape[1])))
    return hyps


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


def reference_gru_step(case):
    import torch

    with torch.no_grad():
        h = _torch_cell("GRUCell", case)(torch.from_numpy(case["x"]), torch.from_numpy(case["h_prev"]))
    return {"returned": encode(h.numpy()), "error": None, "modified": []}


reference_gru_zero_weights = reference_gru_gates = reference_gru_torch = reference_gru_step


def judge_gru_step(case, record, reference):
    got = _outputs(_returned(record, "gru_step"), "gru_step", (case["h_prev"].shape,), ("h",))
    want = (_returned(reference, "the reference"),)
    _diagnose(got, want, _gru_hypotheses(case), "gru_step", ("h",))


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


def reference_lstm_step_backward(case):
    """Autograd through torch.nn.LSTMCell for L = sum(dh * h) + sum(dc * c), from the untouched case."""
    import torch

    cell = _torch_cell("LSTMCell", case)
    inputs = {k: torch.tensor(case[k], requires_grad=True) for k in ("x", "h_prev", "c_prev")}
    h, c = cell(inputs["x"], (inputs["h_prev"], inputs["c_prev"]))
    ((h * torch.from_numpy(case["dh"])).sum() + (c * torch.from_numpy(case["dc"])).sum()).backward()
    grads = {k: t.grad.numpy() for k, t in inputs.items()}
    grads.update({k: getattr(cell, k).grad.numpy() for k in PARAM_KEYS})
    return {"returned": encode(grads), "error": None, "modified": []}


reference_lstm_backward_params = reference_lstm_backward_c_prev = reference_lstm_step_backward


def _lstm_backward_numpy(dh, dc, x, h_prev, c_prev, weight_ih, weight_hh, bias_ih, bias_hh, via_h=True, via_dc=True,
                         flip=None, forget_to_c_prev=True, biases=("ih", "hh"), **_):
    """lstm_step_backward in numpy; the keywords switch on a mistake: a path to c left out, the sign of one gate's
    derivative flipped, dc_prev without f, a bias left out of the recomputed forward pass."""
    a = x @ weight_ih.T + h_prev @ weight_hh.T + ("ih" in biases) * bias_ih + ("hh" in biases) * bias_hh  # (B, 4H)
    a_i, a_f, a_g, a_o = np.split(a, 4, axis=1)
    i, f, g, o = sigmoid(a_i), sigmoid(a_f), np.tanh(a_g), sigmoid(a_o)
    tanh_c = np.tanh(f * c_prev + i * g)
    dc_total = via_dc * dc + via_h * dh * o * (1 - tanh_c ** 2)  # (B, H)
    da = [dc_total * g * i * (1 - i), dc_total * c_prev * f * (1 - f), dc_total * i * (1 - g ** 2),
          dh * tanh_c * o * (1 - o)]
    if flip is not None:
        da[flip] = -da[flip]
    da = np.concatenate(da, axis=1)  # (B, 4H)
    return {"x": da @ weight_ih, "h_prev": da @ weight_hh, "c_prev": dc_total * (f if forget_to_c_prev else 1.0),
            "weight_ih": da.T @ x, "weight_hh": da.T @ h_prev, "bias_ih": da.sum(axis=0), "bias_hh": da.sum(axis=0)}


def _backward_hypotheses(case):
    total = "the total gradient on c is dc + dh * o * (1 - tanh(c)**2)"
    hyps = [(_lstm_backward_numpy(**case, via_h=False),
             f"c reaches the loss through dc AND through h = o * tanh(c), and your gradient on c misses the path "
             f"through h: {total}"),
            (_lstm_backward_numpy(**case, via_dc=False),
             f"your gradient on c misses dc, the gradient that reaches c directly: {total}"),
            (_lstm_backward_numpy(**case, forget_to_c_prev=False),
             "dc_prev should be the total gradient on c times f, since c = f * c_prev + i * g"),
            (_lstm_backward_numpy(**case, biases=("ih",)),
             "your backward recomputes the gates without bias_hh: torch adds both biases to every pre-activation")]
    for k, gate in enumerate(LSTM_GATES):
        hyps.append((_lstm_backward_numpy(**case, flip=k),
                     f"the {GATE_NAMES[gate]}'s part of the gradient has the wrong sign (its rows of dweight_ih, "
                     f"dweight_hh and the biases are exactly the negative of torch's): its derivative is "
                     f"{DERIVATIVES[gate]}"))
    return hyps


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
    for predicted, cause in _backward_hypotheses(case):
        if all(_agree(got[k], predicted[k]) for k in wrong) and not all(_agree(predicted[k], want[k]) for k in wrong):
            raise AssertionError(f"{cause} (the gradients of {', '.join(wrong)} differ from torch's)")
    # No single mistake explains it: say which gates' rows are wrong, a fact that narrows the search.
    blocks = [gate for b, gate in enumerate(LSTM_GATES) if any(
        k in wrong and not _agree(got[k][b * H:(b + 1) * H], want[k][b * H:(b + 1) * H]) for k in PARAM_KEYS)]
    where = ""
    if blocks and len(blocks) < 4:
        where = (f"; in the parameters' gradients only the rows of the {' and '.join(GATE_NAMES[g] for g in blocks)} "
                 f"are wrong (torch's layout i, f, g, o): look at {'their' if len(blocks) > 1 else 'its'} part of "
                 "the pre-activations' gradient")
    raise AssertionError("these gradients differ from torch.autograd's: "
                         + ", ".join(f"{k} (relative error {rel_error(got[k], want[k]):.1e})" for k in wrong) + where)


def judge_lstm_backward_params(case, record, reference):
    _judge_backward(case, record, reference, ("x", "h_prev") + PARAM_KEYS)


def judge_lstm_backward_c_prev(case, record, reference):
    _judge_backward(case, record, reference, ("c_prev",))
