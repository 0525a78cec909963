"""The checks of assignment 3 (backpropagation through time), used by its test cells, e.g.
``check("rnn_backward_every_state", rnn_backward)``.

Also the forward pass that the assignment gives (``rnn_step_forward``, ``rnn_forward`` and their caches), which
the notebook's setup cell imports from here.

For each check ``name`` (run by rnnlib.checking: ``check = Checker("a03_checks")`` in the setup cell):
``cases_<name>(rng)`` gives the inputs (plain numpy data), ``produce_<name>(fn, case)`` calls your function on
copies of them and records what it returned (plain data), ``judge_<name>(case, record, reference)`` compares that
record with the instructor's solution's and raises an AssertionError whose first line says what looks wrong, and
``reference_<name>(case)`` computes the solution's record here, with torch autograd or a closed form, so that the
checks run in your own notebook. Each diagnosis is made only once its cause is established: the judge recomputes
what the suspected mistake would give and names it only if your numbers match. When your work is graded, the
judging happens again with the instructor's copy of this file.
"""

from __future__ import annotations

import copy
import functools
from typing import NamedTuple

import numpy as np

from rnnlib.checking import array, call, close, encode, returned
from rnnlib.gradcheck import rel_error

PASSED = {
    "grad_check_known": "grad_check finds the gradients of known functions",
    "grad_check_restores": "grad_check leaves x as it found it",
    "grad_check_centred": "grad_check uses centred differences",
    "step_backward_inputs": "dx and dh_prev match torch autograd",
    "step_backward_params": "the weight and bias gradients match torch autograd",
    "rnn_backward_one_step": "rnn_backward is right for a single step",
    "rnn_backward_last_state": "rnn_backward is right for a loss on the last state",
    "rnn_backward_every_state": "rnn_backward is right for a loss on every state",
}

# ------------------------------------------------------------------------------------ the given forward pass


class StepCache(NamedTuple):
    """What rnn_step_backward needs from rnn_step_forward."""

    x: np.ndarray  # (B, D)
    h_prev: np.ndarray  # (B, H)
    h: np.ndarray  # (B, H)
    weight_ih: np.ndarray  # (H, D)
    weight_hh: np.ndarray  # (H, H)


class SequenceCache(NamedTuple):
    """What rnn_backward needs from rnn_forward."""

    x: np.ndarray  # (T, B, D)
    h0: np.ndarray  # (B, H)
    hs: np.ndarray  # (T, B, H): hs[t] is the state after reading x[t]
    weight_ih: np.ndarray  # (H, D)
    weight_hh: np.ndarray  # (H, H)


def rnn_step_forward(x, h_prev, params):
    """One step: h = tanh(x @ weight_ih.T + bias_ih + h_prev @ weight_hh.T + bias_hh).

    x (B, D), h_prev (B, H), params with weight_ih (H, D), weight_hh (H, H), bias_ih (H,), bias_hh (H,).
    Returns h (B, H) and the StepCache that rnn_step_backward needs.
    """
    a = x @ params["weight_ih"].T + params["bias_ih"] + h_prev @ params["weight_hh"].T + params["bias_hh"]  # (B, H)
    h = np.tanh(a)
    return h, StepCache(x, h_prev, h, params["weight_ih"], params["weight_hh"])


def rnn_forward(x, h0, params):
    """The RNN over a sequence: x (T, B, D) and h0 (B, H) give hs (T, B, H) and a SequenceCache.

    hs[t] is the state after reading x[t]; the same as calling rnn_step_forward for t = 0, ..., T-1.
    """
    hs = np.empty((len(x), *np.shape(h0)))  # (T, B, H)
    h = h0
    for t in range(len(x)):
        h, _ = rnn_step_forward(x[t], h, params)
        hs[t] = h
    return hs, SequenceCache(x, h0, hs, params["weight_ih"], params["weight_hh"])


# ------------------------------------------------------------------------------------ records (rnnlib.checking)

MODIFIED_HINT = "build new arrays, e.g. dh_next = ..., instead of writing into the arguments"
_returned = functools.partial(returned, hint=MODIFIED_HINT)


def _flipped(got, want, tol) -> bool:
    return np.linalg.norm(want) > 0 and rel_error(got, -want) < tol


# ------------------------------------------------------------------------------------ Part 1: grad_check

# The functions f whose gradients grad_check is asked for: name -> (f(x, case), its exact gradient).
FUNCTIONS = {
    "w_sin": (lambda x, c: np.sum(c["w"] * np.sin(x)), lambda x, c: c["w"] * np.cos(x)),
    "tanh_xv": (lambda x, c: np.sum(np.tanh(x @ c["v"])), lambda x, c: (1 - np.tanh(x @ c["v"]) ** 2) @ c["v"].T),
    "norm": (lambda x, c: np.sqrt(np.sum(x ** 2)), lambda x, c: x / np.sqrt(np.sum(x ** 2))),
    "square": (lambda x, c: 3.0 * x[0] ** 2, lambda x, c: 6.0 * x),
    # On a cubic the centred difference is exactly 3 x**2 + eps**2: it also shows that eps is the step used.
    "cube": (lambda x, c: np.sum(x ** 3), lambda x, c: 3 * x ** 2 + c["eps"] ** 2),
    "prod_tanh": (lambda x, c: np.prod(np.tanh(x)), None),
    "cos_sum": (lambda x, c: np.sum(np.cos(x) * x.sum()), None),
}


def _gc_case(f, x, eps=1e-6, **arrays):
    return {"f": f, "x": x, "eps": eps, **arrays}


def cases_grad_check_known(rng):
    return [_gc_case("w_sin", rng.standard_normal((3, 4)), w=rng.standard_normal((3, 4))),
            _gc_case("tanh_xv", rng.standard_normal((4, 3)), v=rng.standard_normal((3, 2))),
            _gc_case("norm", rng.standard_normal((2, 3, 2))),
            _gc_case("square", rng.uniform(0.5, 1.5, size=1))]


def cases_grad_check_restores(rng):
    return [_gc_case("tanh_xv", rng.standard_normal((2, 5)), v=rng.standard_normal((5, 5))),
            _gc_case("cos_sum", rng.standard_normal((3, 2, 2)), eps=1e-3),
            _gc_case("prod_tanh", rng.standard_normal(7), eps=1e-2)]


def cases_grad_check_centred(rng):
    # A cubic tells the differences apart: the centred one is off by eps**2, the forward one by about 3 x eps.
    return [_gc_case("cube", rng.uniform(0.5, 2.0, size=5)),
            _gc_case("cube", rng.uniform(-2.0, 2.0, size=(2, 3)), eps=1e-3),
            _gc_case("cube", rng.uniform(-2.0, 2.0, size=(2, 3)), eps=1e-2)]


def produce_grad_check(fn, case):
    """Call grad_check(f, x, eps) with f reading x; record also how often f saw x perturbed, and x afterwards."""
    x = case["x"].copy()
    others = copy.deepcopy({k: v for k, v in case.items() if k != "x"})
    f = FUNCTIONS[others["f"]][0]
    record = {"returned": None, "error": None, "modified": [], "calls": 0, "moved": 0}

    def f_of_x():
        record["calls"] += 1
        record["moved"] += int(not np.array_equal(x, case["x"]))
        return f(x, others)

    try:
        value = fn(f_of_x, x, others["eps"])
    except Exception as error:  # the student's bug, reported by the judge
        record["error"] = {"type": type(error).__name__, "message": str(error)[:300]}
        value = None
    record["returned"] = encode(value)
    # grad_check changes x on purpose; whether it put x back is recorded here, not as "modified".
    record["change"] = float(np.max(np.abs(x - case["x"])))
    record["shares"] = bool(isinstance(value, np.ndarray) and np.shares_memory(value, x))
    return record


produce_grad_check_known = produce_grad_check_restores = produce_grad_check_centred = produce_grad_check


def reference_grad_check(case):
    """The exact gradient where it has a closed form, else the centred difference of rnnlib.gradcheck."""
    from rnnlib.gradcheck import numerical_gradient

    f, exact = FUNCTIONS[case["f"]]
    x = case["x"].copy()
    grad = exact(x, case) if exact else numerical_gradient(lambda: f(x, case), x, case["eps"])
    return {"returned": encode(grad), "error": None, "modified": [], "calls": 2 * x.size, "moved": 2 * x.size,
            "change": 0.0, "shares": False}


reference_grad_check_known = reference_grad_check_restores = reference_grad_check_centred = reference_grad_check


def _grad_check_grad(case, record) -> np.ndarray:
    """grad_check's result after the checks that every grad_check case makes, with the cause of a failure."""
    value = _returned(record, "grad_check")
    for field in ("calls", "moved", "change", "shares"):
        if field not in record:
            raise AssertionError("grad_check: unreadable record")
    if record["calls"] == 0:
        raise AssertionError("grad_check never called f: evaluate f() at x[i] + eps and at x[i] - eps")
    if record["moved"] == 0:
        raise AssertionError(
            "f never saw x change: grad_check perturbed a copy of x, but f reads the array x it closes over; "
            "change x itself in place (x[i] = old + eps), then put it back")
    x = case["x"]
    grad = array(value, "grad_check's result", x.shape)
    if not np.all(np.isfinite(grad)):
        raise AssertionError("grad_check returned NaN or infinite entries")
    return grad


def _difference(case, kind: str) -> np.ndarray:
    """What grad_check would return with the ``kind`` of difference (x put back after each entry)."""
    f, eps, x = FUNCTIONS[case["f"]][0], case["eps"], case["x"].copy()
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + eps
        plus = f(x, case)
        x[i] = old - eps
        minus = f(x, case)
        x[i] = old
        here = f(x, case)
        grad[i] = {"forward": (plus - here) / eps, "backward": (here - minus) / eps,
                   "centred": (plus - minus) / (2 * eps), "no_half": (plus - minus) / eps}[kind]
    return grad


def _grad_check_diagnosis(case, grad, want, tol) -> str:
    """The first line of the message when grad_check's ``grad`` differs from ``want``: the cause, if established."""
    err = rel_error(grad, want)
    if _flipped(grad, want, tol):
        return (f"grad_check's gradient is exactly the negative of the true one (relative error {err:.1f}): a sign "
                "flip; the difference is f(x + eps) - f(x - eps), in that order")
    if not np.any(grad):
        return "grad_check returned zeros: f reads x, so perturb x itself, in place"
    centred = _difference(case, "centred")
    far = rel_error(centred, want) + tol  # how far the right method is from the reference, at most
    for kind, cause in (
            ("forward", "a forward difference (f(x + eps) - f(x)) / eps is off by about eps; use the centred "
                        "(f(x + eps) - f(x - eps)) / (2 eps), off by eps**2"),
            ("backward", "a backward difference (f(x) - f(x - eps)) / eps is off by about eps; use the centred "
                         "(f(x + eps) - f(x - eps)) / (2 eps), off by eps**2"),
            ("no_half", "your gradient is twice the true one: divide f(x + eps) - f(x - eps) by 2 eps, the distance "
                        "between the two points")):
        guess = _difference(case, kind)
        if rel_error(grad, guess) < 0.01 * rel_error(guess, centred) and rel_error(guess, centred) > far:
            return f"grad_check's gradient differs from the true one by {err:.1e} (relative): {cause}"
    return (f"for f = {case['f']} with eps = {case['eps']}, grad_check's gradient differs from the true one by "
            f"{err:.1e} (relative)")


def judge_grad_check_known(case, record, reference):
    grad, want = _grad_check_grad(case, record), _returned(reference, "the reference")
    if not close(grad, want, 1e-5):
        raise AssertionError(_grad_check_diagnosis(case, grad, want, 1e-5))


def judge_grad_check_restores(case, record, reference):
    _grad_check_grad(case, record)
    change = record["change"]
    if not change < 1e-12:
        raise AssertionError(
            f"grad_check left x changed (by up to {change:.1e}) after it returned: put every entry back after "
            "perturbing it")
    if record["shares"]:
        raise AssertionError("grad_check returned x itself: return a new array (np.zeros_like(x), filled in)")


def judge_grad_check_centred(case, record, reference):
    grad, want = _grad_check_grad(case, record), _returned(reference, "the reference")
    tol = 1e-8 if case["eps"] < 1e-4 else 1e-10
    if not (close(grad, want, tol) or np.allclose(grad, want, rtol=0, atol=1e-8)):
        raise AssertionError(_grad_check_diagnosis(case, grad, want, tol))


# ------------------------------------------------------------------------------------ Part 2: rnn_step_backward

STEP_KEYS = ("x", "h_prev", "weight_ih", "weight_hh", "bias_ih", "bias_hh")
SEQUENCE_KEYS = ("x", "h0", "weight_ih", "weight_hh", "bias_ih", "bias_hh")


def _params(rng, D, H):
    k = 1 / np.sqrt(H)  # torch.nn.RNN's initialisation range
    return {"weight_ih": rng.uniform(-k, k, (H, D)), "weight_hh": rng.uniform(-k, k, (H, H)),
            "bias_ih": rng.uniform(-k, k, H), "bias_hh": rng.uniform(-k, k, H)}


def _shapes(rng, first, n=2):
    """``first`` and ``n`` more (B, D, H) drawn from ``rng``, so that hidden seeds bring shapes not seen before."""
    return [first] + [tuple(int(s) for s in rng.integers(1, 6, size=3)) for _ in range(n)]


def _step_case(rng, B, D, H):
    params = _params(rng, D, H)
    x, h_prev, dh = rng.standard_normal((B, D)), rng.standard_normal((B, H)), rng.standard_normal((B, H))
    h, _ = rnn_step_forward(x, h_prev, params)
    return {"x": x, "h_prev": h_prev, "h": h, "dh": dh, **params}


def cases_step_backward_inputs(rng):
    return [_step_case(rng, *shape) for shape in _shapes(rng, (2, 4, 3))]


cases_step_backward_params = cases_step_backward_inputs


def produce_step_backward(fn, case):
    inputs = {k: case[k] for k in ("dh", "x", "h_prev", "h", "weight_ih", "weight_hh")}
    return call(fn, inputs, lambda dh, **cache: (dh, StepCache(**cache)))


produce_step_backward_inputs = produce_step_backward_params = produce_step_backward


def _torch_grads(case, dhs):
    """torch.nn.RNN in float64 with the case's weights; autograd's gradients of L = sum(hs * dhs)."""
    import torch

    x, h0 = np.asarray(case["x"]), np.asarray(case["h0"] if "h0" in case else case["h_prev"])
    x = x if x.ndim == 3 else x[None]  # one step is a sequence with T = 1
    rnn = torch.nn.RNN(x.shape[2], h0.shape[1]).double()
    with torch.no_grad():
        for name, p in rnn.named_parameters():
            p.copy_(torch.from_numpy(case[name.removesuffix("_l0")]))
    x_t = torch.tensor(x, requires_grad=True)
    h0_t = torch.tensor(h0[None], requires_grad=True)  # (1, B, H): torch wants (num_layers, B, H)
    hs, _ = rnn(x_t, h0_t)
    hs.backward(torch.tensor(np.asarray(dhs).reshape(hs.shape)))
    grads = {name.removesuffix("_l0"): p.grad.numpy() for name, p in rnn.named_parameters()}
    grads.update(x=x_t.grad.numpy(), h0=h0_t.grad[0].numpy())
    return grads


def reference_step_backward(case):
    grads = _torch_grads(case, case["dh"])
    grads["x"], grads["h_prev"] = grads["x"][0], grads.pop("h0")
    return {"returned": encode(grads), "error": None, "modified": []}


reference_step_backward_inputs = reference_step_backward_params = reference_step_backward


def _step_numpy(x, h_prev, h, weight_ih, weight_hh, dh, mistake=None, **_):
    """The step's gradients in numpy, right or with one of the ``STEP_CAUSES`` mistakes."""
    da = {"no_tanh": dh, "one_minus_h": dh * (1 - h), "tanh_of_h": dh * (1 - np.tanh(h) ** 2),
          "negated": dh * (h ** 2 - 1)}.get(mistake, dh * (1 - h ** 2))  # (B, H)
    db = da.sum(axis=0)
    return {"x": da @ weight_ih, "h_prev": da @ (weight_hh.T if mistake == "hh_transposed" else weight_hh),
            "weight_ih": da.T @ x, "weight_hh": h_prev.T @ da if mistake == "dw_transposed" else da.T @ h_prev,
            "bias_ih": db, "bias_hh": db}


STEP_CAUSES = {
    "no_tanh": "you did not go back through tanh: multiply dh by its derivative 1 - h**2 first",
    "one_minus_h": "tanh's derivative is 1 - h**2, not 1 - h",
    "tanh_of_h": "h is already tanh(a), so tanh's derivative is 1 - h**2, not 1 - tanh(h)**2",
    "negated": "every gradient of the step is exactly the negative of torch's (relative error 1.0): a sign flip; "
               "tanh's derivative is 1 - h**2",
    "hh_transposed": "dh_prev uses weight_hh.T: the forward multiplies h_prev by weight_hh.T, so the backward "
                     "multiplies by weight_hh",
    "dw_transposed": "dweight_hh is transposed: it is da.T @ h_prev, one row per hidden unit of the output",
}


def _gradient_dict(value, what: str, keys, shapes: dict) -> dict:
    if not isinstance(value, dict):
        raise AssertionError(f"{what} should return a dict of gradients, got {value!r}"[:200])
    for key in keys:
        if key not in value:
            raise AssertionError(f"{what}'s gradients have no key {key!r} (their keys are {sorted(value)})")
    return {key: array(value[key], f"d{key}", shapes[key]) for key in keys}


def _judge_gradients(what, case, record, reference, keys, causes, tol=1e-8):
    """Compare the gradients ``keys`` with the reference; name the mistake whose prediction matches.

    ``causes`` is a list of (prediction: dict of arrays, cause); the first whose prediction matches every gradient
    that is wrong (and not the reference) names the cause.
    """
    want = _returned(reference, "the reference")
    got = _gradient_dict(_returned(record, what), what, keys, {k: np.shape(want[k]) for k in keys})
    wrong = [k for k in keys if not close(got[k], want[k], tol)]
    if not wrong:
        return
    for prediction, cause in causes:
        if set(wrong) <= set(prediction) and all(close(got[k], prediction[k], tol) for k in wrong) and not all(
                close(prediction[k], want[k], tol) for k in wrong):
            raise AssertionError(f"{cause} (d{', d'.join(wrong)} "
                                 f"{'differs' if len(wrong) == 1 else 'differ'} from torch autograd's)")
    flipped = [k for k in wrong if _flipped(got[k], want[k], tol)]
    if flipped == wrong:
        raise AssertionError(
            f"d{', d'.join(flipped)} {'is' if len(flipped) == 1 else 'are'} exactly the negative of torch's "
            f"(relative error {rel_error(got[flipped[0]], want[flipped[0]]):.1f}): a sign flip")
    k = wrong[0]
    raise AssertionError(f"d{k} is off (relative error {rel_error(got[k], want[k]):.1e} against torch autograd)"
                         + _where(k, got[k], want[k], tol))


def _where(key, got, want, tol) -> str:
    """Where a sequence's dx is wrong, time step by time step: a fact, not a guess."""
    if key != "x" or got.ndim != 3 or len(got) == 1:
        return ""
    bad = [t for t in range(len(got)) if not close(got[t], want[t], tol)]
    return f"; dx[t] is wrong at t = {bad} and right at the other steps"


def _step_causes(case):
    return [(_step_numpy(**case, mistake=mistake), cause) for mistake, cause in STEP_CAUSES.items()]


def judge_step_backward_inputs(case, record, reference):
    _judge_gradients("rnn_step_backward", case, record, reference, ("x", "h_prev"), _step_causes(case))


def judge_step_backward_params(case, record, reference):
    _judge_gradients("rnn_step_backward", case, record, reference, STEP_KEYS[2:], _step_causes(case))


# ------------------------------------------------------------------------------------ Part 3: rnn_backward

def _sequence_case(rng, T, B, D, H, last_only=False):
    params = _params(rng, D, H)
    x, h0, dhs = rng.standard_normal((T, B, D)), rng.standard_normal((B, H)), rng.standard_normal((T, B, H))
    if last_only:
        dhs[:-1] = 0.0
    hs, _ = rnn_forward(x, h0, params)
    return {"x": x, "h0": h0, "hs": hs, "dhs": dhs, **params}


def cases_rnn_backward_one_step(rng):
    return [_sequence_case(rng, 1, *shape) for shape in _shapes(rng, (2, 3, 4))]


def cases_rnn_backward_last_state(rng):
    T = [4, *rng.integers(2, 7, size=2)]
    return [_sequence_case(rng, int(t), *shape, last_only=True) for t, shape in zip(T, _shapes(rng, (2, 3, 5)))]


def cases_rnn_backward_every_state(rng):
    T = [5, *rng.integers(2, 9, size=3)]
    return [_sequence_case(rng, int(t), *shape) for t, shape in zip(T, _shapes(rng, (3, 4, 3), 3))]


def produce_rnn_backward(fn, case):
    inputs = {k: case[k] for k in ("dhs", "x", "h0", "hs", "weight_ih", "weight_hh")}
    return call(fn, inputs, lambda dhs, **cache: (dhs, SequenceCache(**cache)))


produce_rnn_backward_one_step = produce_rnn_backward_last_state = produce_rnn_backward_every_state = \
    produce_rnn_backward


def reference_rnn_backward(case):
    return {"returned": encode(_torch_grads(case, case["dhs"])), "error": None, "modified": []}


reference_rnn_backward_one_step = reference_rnn_backward_last_state = reference_rnn_backward_every_state = \
    reference_rnn_backward


def _bptt_numpy(x, h0, hs, weight_ih, weight_hh, dhs, *, wrap=False, carry=True, accumulate=True, mistake=None,
                **_):
    """BPTT in numpy, with one of the mistakes the judge looks for switched on.

    wrap: step 0 reads hs[-1] (Python's last state) as h_prev instead of h0; carry=False: the gradient from step
    t+1 is not added; accumulate=False: the weight gradients keep only the last step visited (t = 0); mistake:
    one of rnn_step_backward's ``STEP_CAUSES``.
    """
    T, B, H = hs.shape
    grads = {"x": np.zeros(x.shape), "weight_ih": 0.0, "weight_hh": 0.0, "bias_ih": 0.0, "bias_hh": 0.0}
    dh_next = np.zeros((B, H))
    for t in reversed(range(T)):
        h_prev = hs[t - 1] if t > 0 or wrap else h0
        step = _step_numpy(x[t], h_prev, hs[t], weight_ih, weight_hh, dhs[t] + (dh_next if carry else 0.0),
                           mistake)
        grads["x"][t] = step["x"]
        for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
            grads[name] = grads[name] + step[name] if accumulate else step[name]
        dh_next = step["h_prev"]
    grads["h0"] = dh_next
    return grads


def _sequence_causes(case):
    return [
        (_bptt_numpy(**case, wrap=True),
         "at t = 0 your h_prev is hs[-1], the LAST state (hs[t - 1] with t = 0 wraps around in Python): the state "
         "before step 0 is h0"),
        (_bptt_numpy(**case, accumulate=False),
         "the weight and bias gradients hold only one step's share: the same weights act at every step, so add "
         "the steps' gradients up (+=) instead of overwriting them"),
        (_bptt_numpy(**case, carry=False),
         "the gradient from step t+1 is not added: hs[t] is also the h_prev of step t+1, so the gradient reaching "
         "it is dhs[t] plus what step t+1 passes back"),
    ] + [(_bptt_numpy(**case, mistake=mistake),
          f"in rnn_step_backward, which rnn_backward calls: {cause} (make Part 2's tests pass first)")
         for mistake, cause in STEP_CAUSES.items()]


def judge_rnn_backward(case, record, reference):
    _judge_gradients("rnn_backward", case, record, reference, SEQUENCE_KEYS, _sequence_causes(case))


judge_rnn_backward_one_step = judge_rnn_backward_last_state = judge_rnn_backward_every_state = judge_rnn_backward
