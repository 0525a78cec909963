"""The checks of assignment 2 (the RNN layer), used by its test cells: ``check("rnn_step_torch", rnn_step)``.

For each check ``name`` (run by rnnlib.checking: ``check = Checker("a02_checks")`` in the setup cell):
``cases_<name>(rng)`` gives the inputs (plain numpy data and numbers), ``produce_<name>(fn, case)`` calls your
function on copies of them and records what it returned (plain data), ``judge_<name>(case, record, reference)``
compares that record with the instructor's solution's and raises an AssertionError whose first line says what
looks wrong, and ``reference_<name>(case)`` computes the solution's record here, with torch, so that the checks
run in your own notebook. ``params_from_torch`` takes a torch module: its checks build a ``torch.nn.RNN`` from the
case's weights and record the arrays your function returns. A diagnosis is made only once its cause is
established: the judge recomputes what the suspected mistake would give (no tanh, a missing bias, an untransposed
weight, a state not carried forward, one bias counted, ...) and names it only if your numbers match. When your
work is graded, the judging happens again with the instructor's copy of this file.
"""

from __future__ import annotations

import numpy as np

from rnnlib.checking import Opaque, array, call, encode, numeric, returned
from rnnlib.gradcheck import rel_error

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


def _shape_error(record, what: str, case) -> None:
    """A product whose shapes do not fit raises ValueError; say which product the layout calls for."""
    error = record.get("error") if isinstance(record, dict) else None
    if isinstance(error, dict) and error.get("type") == "ValueError" and "mismatch" in str(error.get("message")):
        D, H = case["weight_ih"].shape[1], case["weight_ih"].shape[0]
        raise AssertionError(
            f"{what} raised ValueError: {error.get('message')}\nThe shapes of a product do not fit: with batches "
            f"stored as rows, every product takes the transposed weight, x @ weight_ih.T is (..., D) @ (D, H) "
            f"with (D, H) = {(D, H)}, and h @ weight_hh.T is (B, H) @ (H, H)")


def _rnn_numpy(x, h0, weight_ih, weight_hh, bias_ih, bias_hh, act="tanh", biases=("ih", "hh"), t_ih=True,
               t_hh=True, carry=True, shift=False, **_):
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


def _explain(got, want, hypotheses):
    """The cause of the first (predict, cause) whose ``predict()`` matches ``got`` (and differs from ``want``)."""
    for predict, cause in hypotheses:
        try:
            predicted = predict()
        except ValueError:  # an untransposed weight whose shapes do not fit: not this case's mistake
            continue
        if _close(got, predicted) and not _close(predicted, want):
            return cause
    return None


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


def reference_rnn_step(case):
    """torch.nn.RNNCell (one step of torch.nn.RNN) with the case's weights, in float64."""
    import torch

    D, H = case["x"].shape[1], case["h_prev"].shape[1]
    with torch.random.fork_rng(devices=[]):  # the module's own initialisation leaves the notebook's seed alone
        cell = torch.nn.RNNCell(D, H).double()
    with torch.no_grad():
        for name in PARAM_KEYS:
            getattr(cell, name).copy_(torch.from_numpy(case[name]))
        h = cell(torch.from_numpy(case["x"]), torch.from_numpy(case["h_prev"])).numpy()  # (B, H)
    return {"returned": encode(h), "error": None, "modified": []}


reference_rnn_step_value = reference_rnn_step_torch = reference_rnn_step


def judge_rnn_step(case, record, reference):
    _shape_error(record, "rnn_step", case)
    (B, D), H = case["x"].shape, case["h_prev"].shape[1]
    value = returned(record, "rnn_step", hint=MODIFIED_HINT)
    h = array(value, "h", (B, H))
    want = returned(reference, "the reference")
    if _close(h, want):
        return
    sequence = {"x": case["x"][None], "h0": case["h_prev"], **{k: case[k] for k in PARAM_KEYS}}  # T = 1
    cause = _explain(h, want, [(lambda kw=kw: _rnn_numpy(**sequence, **kw)[0], cause) for kw, cause in STEP_MISTAKES])
    if cause is not None:
        raise AssertionError(f"{cause} (for (B, D, H) = {(B, D, H)})")
    raise AssertionError(f"for (B, D, H) = {(B, D, H)}, h = {np.round(h, 6).tolist()}"[:160]
                         + f" differs from torch.nn.RNNCell's {np.round(want, 6).tolist()}"[:160]
                         + f" by {rel_error(h, want):.1e} (relative error)")


judge_rnn_step_value = judge_rnn_step_torch = judge_rnn_step


# ------------------------------------------------------------------------------------ Part 2: rnn_forward

def _forward_case(rng, T, B, D, H, params) -> dict:
    """x, h0 and the four parameters, flat (rnn_forward gets the last four as its params dict)."""
    return {"x": rng.standard_normal((T, B, D)), "h0": rng.standard_normal((B, H)), **params}


def _params(case) -> dict:
    return {name: case[name] for name in PARAM_KEYS}


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


def reference_rnn_forward(case):
    """torch.nn.RNN with the case's weights, in float64; it takes h0 as (num_layers, B, H)."""
    import torch

    T, B, D = case["x"].shape
    H = case["h0"].shape[1]
    with torch.random.fork_rng(devices=[]):
        rnn = torch.nn.RNN(D, H).double()
    with torch.no_grad():
        for name in PARAM_KEYS:
            getattr(rnn, name + "_l0").copy_(torch.from_numpy(case[name]))
        hs = rnn(torch.from_numpy(case["x"]), torch.from_numpy(case["h0"])[None])[0].numpy()  # (T, B, H)
    return {"returned": encode(hs), "error": None, "modified": []}


reference_rnn_forward_first_steps = reference_rnn_forward_torch = reference_rnn_forward


def _forward_mistakes(case):
    """(prediction, cause) for the mistakes of a whole sequence: those of one step, and those of the loop."""
    args = {"x": case["x"], "h0": case["h0"], **_params(case)}
    loop = [({"shift": True}, "hs[0] is h0 and every hs[t] is the state before x[t]: hs[t] should be the state "
                              "after reading x[t] (store h after the step)"),
            ({"carry": False}, "every step starts from h0: each step must start from the state the previous "
                               "step produced")]
    return [(lambda kw=kw: _rnn_numpy(**args, **kw), cause) for kw, cause in loop + STEP_MISTAKES]


def _forward_got(case, record):
    _shape_error(record, "rnn_forward", case)
    (T, B, D), H = case["x"].shape, case["h0"].shape[1]
    value = returned(record, "rnn_forward", hint=MODIFIED_HINT)
    return array(value, "hs", (T, B, H))


def judge_rnn_forward_first_steps(case, record, reference):
    hs = _forward_got(case, record)
    want = returned(reference, "the reference")
    h0, T = case["h0"], len(hs)
    args = {"x": case["x"][:1], **_params(case)}
    if not _close(hs[0], want[0]):
        if _close(hs[0], h0):
            raise AssertionError("hs[0] is h0, but hs[t] should be the state after reading x[t]")
        cause = _explain(hs[0], want[0], [(lambda kw=kw: _rnn_numpy(h0=h0, **args, **kw)[0], cause)
                                          for kw, cause in STEP_MISTAKES])
        raise AssertionError(cause or "hs[0] should be tanh(x[0] @ weight_ih.T + bias_ih + h0 @ weight_hh.T + bias_hh)")
    if T > 1 and not _close(hs[1], want[1]):
        from_h0 = _rnn_numpy(case["x"][1:2], h0, **_params(case))[0]
        if _close(hs[1], from_h0):
            raise AssertionError("hs[1] was computed from h0: each step must start from the state the previous "
                                 "step produced")
        raise AssertionError("hs[1] should be the step from hs[0] with x[1]")


def judge_rnn_forward_torch(case, record, reference):
    hs = _forward_got(case, record)
    want = returned(reference, "the reference")
    T, B, D = case["x"].shape
    shapes = f"(T, B, D, H) = {(T, B, D, want.shape[2])}"
    bad = [t for t in range(T) if not _close(hs[t], want[t])]
    if not bad:
        return
    cause = _explain(hs, want, _forward_mistakes(case))
    if cause is not None:
        raise AssertionError(f"{cause} (for {shapes})")
    raise AssertionError(f"for {shapes}, hs[{bad[0]}] differs from torch.nn.RNN's by "
                         f"{rel_error(hs[bad[0]], want[bad[0]]):.1e} (relative)"
                         + (": the earlier steps are right, so look at how the state is carried forward"
                            if bad[0] else ""))


# ------------------------------------------------------------------------------------ Part 3: count_parameters

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


def reference_count(case):
    """The numbers torch.nn.RNN holds."""
    import torch

    with torch.random.fork_rng(devices=[]):
        rnn = torch.nn.RNN(case["D"], case["H"], num_layers=case.get("num_layers", 1),
                           bidirectional=case.get("bidirectional", False))
    return {"returned": encode(sum(p.numel() for p in rnn.parameters())), "error": None, "modified": []}


reference_count_one_layer = reference_count_stacked = reference_count


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
    for kwargs, cause in COUNT_MISTAKES:
        predicted = _count(**case, **kwargs)
        if n == predicted != want:
            raise AssertionError(f"{where} = {n} {cause}")
    raise AssertionError(f"{where} = {n}, but torch.nn.RNN holds {want}; its tensors are "
                         + ", ".join(f"{name} {shape}" for name, shape in _tensors(**case)))


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


def reference_params_from_torch(case):
    rnn = _module(case)
    params = {name: getattr(rnn, name + "_l0").detach().double().numpy() for name in PARAM_KEYS}
    return {"returned": encode(params), "error": None, "modified": []}


reference_params_torch = reference_params_reproduce = reference_params_from_torch


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


def judge_params_reproduce(case, record, reference):
    """The states of the RNN run with the returned weights (computed here, in float64) against those with the
    module's own weights: equal to rounding."""
    got = _params_got(record, case)
    want = returned(reference, "the reference")
    params = {name: array(numeric(got[name], f"params[{name!r}]"), f"params[{name!r}]", want[name].shape)
              for name in PARAM_KEYS}
    hs = _rnn_numpy(case["x"], case["h0"], **params)  # (T, B, H)
    expected = _rnn_numpy(case["x"], case["h0"], **want)
    if not _close(hs, expected):
        wrong = [name for name in PARAM_KEYS if not _close(params[name], want[name])]
        raise AssertionError(f"an RNN run with the weights of params_from_torch(rnn) differs from rnn's output by "
                             f"{rel_error(hs, expected):.1e} (relative): {', '.join(wrong)} "
                             f"{'does' if len(wrong) == 1 else 'do'} not hold the module's values")
