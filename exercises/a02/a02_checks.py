"""The checks of assignment 2 (the RNN layer), used by its test cells: ``check("rnn_step_torch", rnn_step)``.

For each check ``name`` (run by rnnlib.checking: ``check = Checker("a02_checks")`` in the setup cell):
``cases_<name>(rng)`` gives the inputs (plain numpy data and numbers), ``produce_<name>(fn, case)`` calls your
function on copies of them and records what it returned (plain data), ``judge_<name>(case, record, reference)``
compares that record with the instructor's solution's record of the same case (for the checks without a seed,
a02_references.json beside this file) and raises an AssertionError that says what is wrong and where: which
output, which step, got against expected, a wrong type or shape, an error raised, an input modified.
``params_from_torch`` takes a torch module: its checks build a ``torch.nn.RNN`` from the case's weights, record
the arrays your function returns, and run a torch.nn.RNN with them to compare its states with the module's.

This module computes no answer. Naming the cause of a wrong number (no tanh, a missing bias, an untransposed
weight, a state not carried forward, one bias counted, ...) takes re-computing what that mistake would give: the
instructor's diagnoses do it, in a02_diagnoses.py, which is not handed out. Your copy says what is wrong and
where; when your work is graded, the judging happens again with the instructor's copy, whose feedback names the
cause once it is established (the suspected mistake gives exactly your numbers).
"""

from __future__ import annotations

import numpy as np

from rnnlib.checking import Opaque, array, call, diagnoses, numeric, returned
from rnnlib.gradcheck import rel_error

DIAGNOSES = diagnoses(__file__)  # None in the students' copy

PASSED = {
    "rnn_step_value": "rnn_step gives the hand-checked value",
    "rnn_step_torch": "rnn_step matches torch.nn.RNNCell",
    "rnn_forward_first_steps": "rnn_forward: the first two states are right",
    "rnn_forward_torch": "rnn_forward matches torch.nn.RNN",
    "count_one_layer": "count_parameters is right for one layer",
    "count_stacked": "count_parameters is right for stacked and bidirectional RNNs",
    "params_torch": "params_from_torch copies the weights",
    "params_reproduce": "params_from_torch: an RNN run with the weights it copies reproduces torch.nn.RNN",
}
PARAM_KEYS = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
MODIFIED_HINT = "compute new arrays (h = np.tanh(...)) instead of writing into the arguments"


# ------------------------------------------------------------------------------------ shared by the parts

def _close(a, b) -> bool:
    """Equal to float64 rounding: relative to their size, or absolutely where both are about 0."""
    return a.shape == b.shape and (rel_error(a, b) < 1e-10 or np.allclose(a, b, rtol=0, atol=1e-12))


def _got_vs_want(got, want, what: str) -> str:
    """What ``got`` holds where it differs from ``want`` (same shape): all of it when small, else the element that
    differs most."""
    if got.size <= 8:
        return f"{what} = {np.round(got, 6).tolist()} instead of {np.round(want, 6).tolist()}"
    index = np.unravel_index(int(np.argmax(np.abs(got - want))), got.shape)
    where = ", ".join(str(int(i)) for i in index)
    return f"{what}[{where}] = {got[index]:.6g} instead of {want[index]:.6g} (the largest difference)"


def _shape_error(record, what: str, case) -> None:
    """A product whose shapes do not fit raises ValueError; say which product the layout calls for."""
    error = record.get("error") if isinstance(record, dict) else None
    if isinstance(error, dict) and error.get("type") == "ValueError" and "mismatch" in str(error.get("message")):
        D, H = case["weight_ih"].shape[1], case["weight_ih"].shape[0]
        raise AssertionError(
            f"{what} raised ValueError: {error.get('message')}\nThe shapes of a product do not fit: with batches "
            f"stored as rows, every product takes the transposed weight, x @ weight_ih.T is (..., D) @ (D, H) "
            f"with (D, H) = {(D, H)}, and h @ weight_hh.T is (B, H) @ (H, H)")


def _layer_params(rng, D, H, dtype=np.float64):
    """torch.nn.RNN's initialisation, uniform in (-1/sqrt(H), 1/sqrt(H)), drawn from ``rng``."""
    k = 1.0 / np.sqrt(H)
    shapes = {"weight_ih": (H, D), "weight_hh": (H, H), "bias_ih": (H,), "bias_hh": (H,)}
    return {name: rng.uniform(-k, k, shape).astype(dtype) for name, shape in shapes.items()}


def _dims(rng, n=4, high=7) -> tuple:
    return tuple(int(s) for s in rng.integers(1, high, size=n))


# ------------------------------------------------------------------------------------ Part 1: rnn_step

def _step_case(x, h_prev, weight_ih, weight_hh, bias_ih, bias_hh) -> dict:
    return {"x": x, "h_prev": h_prev, "weight_ih": weight_ih, "weight_hh": weight_hh, "bias_ih": bias_ih,
            "bias_hh": bias_hh}


def cases_rnn_step_value(rng):
    # B = 1, D = 3, H = 2: W_ih x = [0.4, 0.8] and W_hh h_prev = [-0.22, -0.22], so the pre-activation is
    # [0.4 + 0.05 - 0.22 - 0.3, 0.8 - 0.1 - 0.22 + 0.2] = [-0.07, 0.68].
    return [_step_case(np.array([[1.0, 0.0, -1.0]]), np.array([[0.2, -0.4]]),
                       np.array([[0.5, -0.2, 0.1], [0.3, 0.8, -0.5]]), np.array([[0.1, 0.6], [-0.7, 0.2]]),
                       np.array([0.05, -0.1]), np.array([-0.3, 0.2]))]


def cases_rnn_step_torch(rng):
    # (B, D, H) = (3, 4, 5) first, then one with B = 1 and D = H (an untransposed weight_ih still fits), then two
    # drawn at random.
    shapes = [(3, 4, 5), (1,) + (_dims(rng, 1)[0] + 1,) * 2, _dims(rng, 3), _dims(rng, 3)]
    return [_step_case(rng.standard_normal((B, D)), rng.standard_normal((B, H)), **_layer_params(rng, D, H))
            for B, D, H in shapes]


def produce_rnn_step(fn, case):
    return call(fn, case)


produce_rnn_step_value = produce_rnn_step_torch = produce_rnn_step


def judge_rnn_step(case, record, reference):
    _shape_error(record, "rnn_step", case)
    (B, D), H = case["x"].shape, case["h_prev"].shape[1]
    value = returned(record, "rnn_step", hint=MODIFIED_HINT)
    h = array(value, "h", (B, H))
    want = returned(reference, "the reference")
    if _close(h, want):
        return
    cause = DIAGNOSES.step_cause(case["x"], case["h_prev"], case, h, want) if DIAGNOSES else None
    if cause is not None:
        raise AssertionError(f"{cause} (for (B, D, H) = {(B, D, H)})")
    raise AssertionError(f"for (B, D, H) = {(B, D, H)}, h differs from torch.nn.RNNCell's by "
                         f"{rel_error(h, want):.1e} (relative error): {_got_vs_want(h, want, 'h')}")


judge_rnn_step_value = judge_rnn_step_torch = judge_rnn_step


# ------------------------------------------------------------------------------------ Part 2: rnn_forward

def _forward_case(rng, T, B, D, H, params) -> dict:
    """x, h0 and the four parameters, flat (rnn_forward gets the last four as its params dict)."""
    return {"x": rng.standard_normal((T, B, D)), "h0": rng.standard_normal((B, H)), **params}


def cases_rnn_forward_first_steps(rng):
    # Standard normal weights (weight_hh halved): states far from 0 and from each other, so that h0, hs[0] and a
    # step from the wrong state all differ. T = 1 and B = 1 come in the second case.
    shapes = [(3, 2, 3, 4), (1, 1) + _dims(rng, 2), (2,) + _dims(rng, 3), _dims(rng, 4)]
    cases = []
    for T, B, D, H in shapes:
        params = {"weight_ih": rng.standard_normal((H, D)), "weight_hh": rng.standard_normal((H, H)) / 2,
                  "bias_ih": rng.standard_normal(H), "bias_hh": rng.standard_normal(H)}
        cases.append(_forward_case(rng, T, B, D, H, params))
    return cases


def cases_rnn_forward_torch(rng):
    # (T, B, D, H) = (5, 3, 4, 6) first; then T = B = 1, then D = H (untransposed weights still fit), then random.
    D = _dims(rng, 1)[0] + 1
    shapes = [(5, 3, 4, 6), (1, 1) + _dims(rng, 2), _dims(rng, 2) + (D, D), _dims(rng, 4, high=8)]
    return [_forward_case(rng, T, B, D, H, _layer_params(rng, D, H)) for T, B, D, H in shapes]


def produce_rnn_forward(fn, case):
    return call(fn, case, lambda x, h0, **params: (x, h0, params))


produce_rnn_forward_first_steps = produce_rnn_forward_torch = produce_rnn_forward


def _forward_got(case, record):
    _shape_error(record, "rnn_forward", case)
    (T, B, _), H = case["x"].shape, case["h0"].shape[1]
    value = returned(record, "rnn_forward", hint=MODIFIED_HINT)
    return array(value, "hs", (T, B, H))


def judge_rnn_forward_first_steps(case, record, reference):
    hs = _forward_got(case, record)
    want = returned(reference, "the reference")
    h0, T = case["h0"], len(hs)
    if not _close(hs[0], want[0]):
        if _close(hs[0], h0):
            raise AssertionError("hs[0] is h0, but hs[t] should be the state after reading x[t]")
        cause = DIAGNOSES.step_cause(case["x"][0], h0, case, hs[0], want[0]) if DIAGNOSES else None
        raise AssertionError(cause or f"hs[0] differs from torch.nn.RNN's by {rel_error(hs[0], want[0]):.1e} "
                             f"(relative): {_got_vs_want(hs[0], want[0], 'hs[0]')}; it should be "
                             "tanh(x[0] @ weight_ih.T + bias_ih + h0 @ weight_hh.T + bias_hh)")
    if T > 1 and not _close(hs[1], want[1]):
        cause = DIAGNOSES.second_step_cause(case, hs[1]) if DIAGNOSES else None
        raise AssertionError(cause or f"hs[0] is right but hs[1] differs from torch.nn.RNN's by "
                             f"{rel_error(hs[1], want[1]):.1e} (relative): {_got_vs_want(hs[1], want[1], 'hs[1]')}; "
                             "it should be the step from hs[0] with x[1]")


def judge_rnn_forward_torch(case, record, reference):
    hs = _forward_got(case, record)
    want = returned(reference, "the reference")
    T, B, D = case["x"].shape
    shapes = f"(T, B, D, H) = {(T, B, D, want.shape[2])}"
    bad = [t for t in range(T) if not _close(hs[t], want[t])]
    if not bad:
        return
    cause = DIAGNOSES.forward_cause(case, hs, want) if DIAGNOSES else None
    if cause is not None:
        raise AssertionError(f"{cause} (for {shapes})")
    t = bad[0]
    raise AssertionError(f"for {shapes}, hs[{t}] differs from torch.nn.RNN's by {rel_error(hs[t], want[t]):.1e} "
                         f"(relative): {_got_vs_want(hs[t], want[t], f'hs[{t}]')}"
                         + ("; the earlier steps are right, so look at how the state is carried forward" if t else ""))


# ------------------------------------------------------------------------------------ Part 3: count_parameters

def cases_count_one_layer(rng):
    return [{"D": 3, "H": 4}, {"D": 1, "H": 1}] + [dict(zip("DH", _dims(rng, 2, high=33))) for _ in range(3)]


def cases_count_stacked(rng):
    # The first two as in the text; then deep and bidirectional ones, drawn at random, with D != H so that every
    # layer's input count shows.
    cases = [(3, 4, 2, False), (3, 4, 1, True), (5, 3, 3, True)]
    while len(cases) < 6:
        D, H, num_layers = _dims(rng, 3, high=8)
        if D != H and D != 2 * H:
            cases.append((D, H, num_layers, bool(rng.integers(2))))
    return [{"D": D, "H": H, "num_layers": num_layers, "bidirectional": bi} for D, H, num_layers, bi in cases]


def produce_count(fn, case):
    return call(fn, case)


produce_count_one_layer = produce_count_stacked = produce_count


def judge_count(case, record, reference):
    args = ", ".join([str(case["D"]), str(case["H"])] + [f"{k}={case[k]}" for k in ("num_layers", "bidirectional")
                                                          if k in case])
    where = f"count_parameters({args})"
    n = returned(record, "count_parameters")
    if type(n) is not int:
        raise AssertionError(f"{where} should return an int, got {n!r}"[:200])
    want = returned(reference, "the reference")
    if n == want:
        return
    cause = DIAGNOSES.count_cause(case, n, want) if DIAGNOSES else None
    if cause is not None:
        raise AssertionError(f"{where} = {n} {cause}")
    raise AssertionError(f"{where} = {n}, but torch.nn.RNN holds {want}"
                         + (f"; its tensors are {DIAGNOSES.count_tensors(case)}" if DIAGNOSES else ""))


judge_count_one_layer = judge_count_stacked = judge_count


# ------------------------------------------------------------------------------------ Part 4: params_from_torch

def _module_case(rng, D, H, dtype) -> dict:
    """A torch.nn.RNN(D, H)'s weights as plain arrays of the module's dtype (the module is built from them)."""
    return {"D": D, "H": H, "dtype": np.dtype(dtype).name, **_layer_params(rng, D, H, dtype)}


def _module(case):
    """The torch.nn.RNN a case describes (float32 or float64)."""
    import torch

    with torch.random.fork_rng(devices=[]):
        rnn = torch.nn.RNN(case["D"], case["H"])
    rnn = rnn.double() if case["dtype"] == "float64" else rnn
    with torch.no_grad():
        for name in PARAM_KEYS:
            getattr(rnn, name + "_l0").copy_(torch.from_numpy(case[name]))
    return rnn


def _module_intact(rnn, case) -> bool:
    """Whether the module still holds the case's weights, in the case's dtype (``rnn.double()`` converts in place)."""
    for name in PARAM_KEYS:
        tensor = getattr(rnn, name + "_l0", None)
        if tensor is None or str(tensor.dtype) != f"torch.{case['dtype']}":
            return False
        if not np.array_equal(tensor.detach().numpy(), case[name]):
            return False
    return True


def cases_params_torch(rng):
    # float32 first (torch's default), then float64; D != H so that a transposed weight shows in its shape.
    shapes = [(2, 3), (4, 5), (1, 1)] + [_dims(rng, 2) for _ in range(2)]
    return [_module_case(rng, D, H, dtype) for (D, H), dtype in
            zip(shapes, (np.float32, np.float64, np.float32, np.float64, np.float32))]


def cases_params_reproduce(rng):
    shapes = [(3, 5, 4, 2), (1, 4, 1, 1)] + [_dims(rng, 4) for _ in range(2)]
    return [{**_module_case(rng, D, H, np.float32), "x": rng.standard_normal((T, B, D)),
             "h0": rng.standard_normal((B, H))} for D, H, T, B in shapes]


def produce_params_from_torch(fn, case):
    """Build the module from copies of the case's weights, call ``fn`` on it, and record whether it changed."""
    built = []

    def build(**copies):
        built.append(_module(copies))
        return (built[0],)

    record = call(fn, case, build)
    if built and not _module_intact(built[0], case):
        record["modified"].append("rnn")
    return record


produce_params_torch = produce_params_reproduce = produce_params_from_torch


def _params_got(record, case):
    """The dict params_from_torch returned, after the checks both of its tests share."""
    value = returned(record, "params_from_torch",
                     hint="convert copies (tensor.detach().double()); rnn.double() converts the module itself")
    if not isinstance(value, dict):
        kind = value.type_name if isinstance(value, Opaque) else type(value).__name__
        raise AssertionError(f"params_from_torch should return a dict, got a {kind}")
    for name in PARAM_KEYS:
        if name not in value:
            raise AssertionError(f"params has no key {name!r} (its keys are {sorted(value)}): drop torch's _l0")
        if isinstance(value[name], Opaque):
            raise AssertionError(f"params[{name!r}] is a {value[name].type_name}; make it a numpy array with "
                                 ".detach().numpy()")
    return value


def judge_params_torch(case, record, reference):
    got = _params_got(record, case)
    want = returned(reference, "the reference")
    for name in PARAM_KEYS:
        value, shape = got[name], want[name].shape
        if not isinstance(value, np.ndarray):
            raise AssertionError(f"params[{name!r}] is a {type(value).__name__}; make it a numpy array with "
                                 ".detach().numpy()")
        if value.dtype != np.float64:
            raise AssertionError(f"params[{name!r}] has dtype {value.dtype} (the module is {case['dtype']}); "
                                 "convert it to float64")
        if value.shape != shape:
            hint = ": it is transposed" if value.shape == shape[::-1] else ""
            raise AssertionError(f"params[{name!r}] has shape {value.shape} but rnn.{name}_l0 has {shape}{hint}")
        if not np.array_equal(value, want[name]):
            raise AssertionError(f"params[{name!r}] does not hold the values of rnn.{name}_l0")


def _states(case, params):
    """The states (T, B, H) of a float64 torch.nn.RNN holding the weights ``params`` on the case's x and h0."""
    import torch

    rnn = _module({"D": case["D"], "H": case["H"], "dtype": "float64", **params})
    with torch.no_grad():
        return rnn(torch.from_numpy(case["x"]), torch.from_numpy(case["h0"])[None])[0].numpy()


def judge_params_reproduce(case, record, reference):
    """The states of torch.nn.RNN run with the returned weights against those with the module's own weights (both
    in float64): equal to rounding."""
    got = _params_got(record, case)
    want = returned(reference, "the reference")
    params = {name: array(numeric(got[name], f"params[{name!r}]"), f"params[{name!r}]", want[name].shape)
              for name in PARAM_KEYS}
    hs = _states(case, params)  # (T, B, H)
    expected = _states(case, want)
    if not _close(hs, expected):
        wrong = [name for name in PARAM_KEYS if not _close(params[name], want[name])]
        raise AssertionError(f"an RNN run with the weights of params_from_torch(rnn) differs from rnn's output by "
                             f"{rel_error(hs, expected):.1e} (relative): {', '.join(wrong)} "
                             f"{'does' if len(wrong) == 1 else 'do'} not hold the module's values")
