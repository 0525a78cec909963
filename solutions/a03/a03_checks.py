"""The checks of assignment 3 (backpropagation through time), used by its test cells, e.g.
``check("rnn_backward_every_state", rnn_backward)``.

Also the forward pass that the assignment gives (``rnn_step_forward``, ``rnn_forward`` and their caches), which
the notebook's setup cell imports from here.

For each check ``name`` (run by rnnlib.checking: ``check = Checker("a03_checks")`` in the setup cell):
``cases_<name>(rng)`` gives the inputs (plain numpy data), ``produce_<name>(fn, case)`` calls your function on
copies of them and records what it returned (plain data), and ``judge_<name>(case, record, reference)`` compares
that record with the instructor's solution's record of the same case (a03_references.json beside this file) and
raises an AssertionError whose first line says what is wrong and where: which gradient, which time step, got
against expected, a gradient that is exactly the negative of the right one.

This module computes no answer. The cause of a mistake (a forward difference, a missing tanh derivative, h0 read
as hs[-1], ...) is named only once it is established, by re-computing what the suspected mistake would give; that
is done by the instructor's a03_diagnoses.py, which is not released: your graded feedback names the cause, while
Validate in your notebook says what is wrong and where.
"""

from __future__ import annotations

import copy
import functools
from typing import NamedTuple

import numpy as np

from rnnlib.checking import array, call, close, diagnoses, encode, returned
from rnnlib.gradcheck import rel_error

DIAGNOSES = diagnoses(__file__)  # None in the students' copy

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

# The functions f whose gradients grad_check is asked for: name -> f(x, case).
FUNCTIONS = {
    "w_sin": lambda x, c: np.sum(c["w"] * np.sin(x)),
    "tanh_xv": lambda x, c: np.sum(np.tanh(x @ c["v"])),
    "norm": lambda x, c: np.sqrt(np.sum(x ** 2)),
    "square": lambda x, c: 3.0 * x[0] ** 2,
    "cube": lambda x, c: np.sum(x ** 3),
    "prod_tanh": lambda x, c: np.prod(np.tanh(x)),
    "cos_sum": lambda x, c: np.sum(np.cos(x) * x.sum()),
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
    f = FUNCTIONS[others["f"]]
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


def _grad_check_diagnosis(case, grad, want, tol) -> str:
    """The first line of the message when grad_check's ``grad`` differs from ``want``: what is wrong and where, and
    the cause if the diagnoses establish it."""
    err = rel_error(grad, want)
    if _flipped(grad, want, tol):
        return (f"grad_check's gradient is exactly the negative of the true one (relative error {err:.1f}): a sign "
                "flip; the difference is f(x + eps) - f(x - eps), in that order")
    if not np.any(grad):
        return "grad_check returned zeros although f saw x perturbed: store each entry's difference in grad[i]"
    cause = DIAGNOSES.grad_check_cause(case, FUNCTIONS[case["f"]], grad, want, tol) if DIAGNOSES else None
    if cause:
        return f"grad_check's gradient differs from the true one by {err:.1e} (relative): {cause}"
    i = np.unravel_index(np.argmax(np.abs(grad - want)), grad.shape)
    return (f"for f = {case['f']} with eps = {case['eps']}, grad_check's gradient differs from the true one by "
            f"{err:.1e} (relative); the largest difference is at grad[{', '.join(map(str, i))}]: got {grad[i]:.9g}, "
            f"expected {want[i]:.9g}")


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


def _gradient_dict(value, what: str, keys, shapes: dict) -> dict:
    if not isinstance(value, dict):
        raise AssertionError(f"{what} should return a dict of gradients, got {value!r}"[:200])
    for key in keys:
        if key not in value:
            raise AssertionError(f"{what}'s gradients have no key {key!r} (their keys are {sorted(value)})")
    return {key: array(value[key], f"d{key}", shapes[key]) for key in keys}


def _judge_gradients(what, case, record, reference, keys, tol=1e-8):
    """Compare the gradients ``keys`` with the reference: say which are wrong, and how, and the cause if the
    diagnoses find the mistake whose prediction matches every wrong gradient."""
    want = _returned(reference, "the reference")
    got = _gradient_dict(_returned(record, what), what, keys, {k: np.shape(want[k]) for k in keys})
    wrong = [k for k in keys if not close(got[k], want[k], tol)]
    if not wrong:
        return
    cause = DIAGNOSES.gradient_cause(what, case, got, want, wrong, tol) if DIAGNOSES else None
    if cause:
        raise AssertionError(f"{cause} (d{', d'.join(wrong)} "
                             f"{'differs' if len(wrong) == 1 else 'differ'} from torch autograd's)")
    flipped = [k for k in wrong if _flipped(got[k], want[k], tol)]
    if flipped == wrong:
        raise AssertionError(
            f"d{', d'.join(flipped)} {'is' if len(flipped) == 1 else 'are'} exactly the negative of torch's "
            f"(relative error {rel_error(got[flipped[0]], want[flipped[0]]):.1f}): a sign flip")
    k = wrong[0]
    transposed = got[k].ndim == 2 and got[k].shape[0] == got[k].shape[1] and close(got[k].T, want[k], tol)
    right = [key for key in keys if key not in wrong]
    raise AssertionError(f"d{k} is off (relative error {rel_error(got[k], want[k]):.1e} against torch autograd)"
                         + (": it is the transpose of torch's" if transposed else "")
                         + _where(k, got[k], want[k], tol)
                         + (f"; also wrong: d{', d'.join(wrong[1:])}" if len(wrong) > 1 else "")
                         + (f"; right: d{', d'.join(right)}" if right else ""))


def _where(key, got, want, tol) -> str:
    """Where a sequence's dx is wrong, time step by time step: a fact, not a guess."""
    if key != "x" or got.ndim != 3 or len(got) == 1:
        return ""
    bad = [t for t in range(len(got)) if not close(got[t], want[t], tol)]
    if len(bad) == len(got):
        return "; dx[t] is wrong at every step t"
    return f"; dx[t] is wrong at t = {bad} and right at the other steps"


def judge_step_backward_inputs(case, record, reference):
    _judge_gradients("rnn_step_backward", case, record, reference, ("x", "h_prev"))


def judge_step_backward_params(case, record, reference):
    _judge_gradients("rnn_step_backward", case, record, reference, STEP_KEYS[2:])


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


def judge_rnn_backward(case, record, reference):
    _judge_gradients("rnn_backward", case, record, reference, SEQUENCE_KEYS)


judge_rnn_backward_one_step = judge_rnn_backward_last_state = judge_rnn_backward_every_state = judge_rnn_backward
