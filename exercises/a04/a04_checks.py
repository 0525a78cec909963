"""The checks of assignment 4 (vanishing and exploding gradients), used by its test cells, e.g.
``check("grad_norms_torch", grad_norms_by_lag)``.

For each check ``name`` (run by rnnlib.checking: ``check = Checker("a04_checks")`` in the setup cell):
``cases_<name>(rng)`` gives the inputs (plain numpy data), ``produce_<name>(fn, case)`` calls your function on
copies of them and records what it returned (plain data), and ``judge_<name>(case, record, reference)`` compares
that record with the instructor's solution's record on the same inputs (for the visible checks, a04_references.json
beside this file) and raises an AssertionError whose first line says what looks wrong and where: the type, the
shape, a modified input, which step, array or number differs, got against expected.

This module computes no answer itself (tanh_rnn_forward, which draws the cases' hidden states, is the forward pass
the notebook's setup cell gives you). Naming the cause of a wrong number (the spectral norm, the Jacobian without
tanh's derivative, each array clipped on its own, ...) needs to recompute what each mistake would give; that is done
by the instructor's diagnoses (a04_diagnoses.py, never released), so the cause appears in the feedback on your
graded work, where the judging happens again with the instructor's copy of this file.
"""

from __future__ import annotations

import contextlib

import numpy as np

from rnnlib.checking import Opaque, call, diagnoses, numeric, returned

DIAGNOSES = diagnoses(__file__)  # None in the students' copy

PASSED = {
    "spectral_radius_normal": "spectral_radius: the visible checks pass",
    "spectral_radius_nonnormal": "spectral_radius: the visible checks pass, non-symmetric matrices included",
    "grad_norms_last_step": "grad_norms_by_lag: one number per step, and the last one is the mean norm of dh_last",
    "grad_norms_scalar": "grad_norms_by_lag: the visible checks pass for one hidden unit",
    "grad_norms_torch": "grad_norms_by_lag matches torch.autograd on the setup's run",
    "clip_below": "clip_by_global_norm: below and at the threshold nothing changes",
    "clip_above": "clip_by_global_norm matches torch.nn.utils.clip_grad_norm_",
    "clip_inputs": "clip_by_global_norm leaves its inputs alone and returns zero gradients as they are",
}
CLIP_HINT = "compute new arrays (g * scale, not g *= scale)"


def _fixed(value: float) -> str:
    return f"{value:.6g}"


def _vector(value, what: str) -> np.ndarray:
    """A 1-D result as a float64 array; a list or tuple of plain numbers is accepted too."""
    if isinstance(value, (list, tuple)) and all(isinstance(v, (int, float)) and not isinstance(v, bool)
                                                for v in value):
        value = np.array(value, dtype=np.float64)
    return numeric(value, what)


# ------------------------------------------------------------------------------------ Part 1: spectral_radius

def _rotation(theta: float) -> np.ndarray:
    return np.array([[np.cos(theta), -np.sin(theta)], [np.sin(theta), np.cos(theta)]])


def cases_spectral_radius_normal(rng):
    # Eigenvalues that are easy to read off: a diagonal with a negative entry, 0.9 times a rotation by 150
    # degrees (complex eigenvalues 0.9 (cos 150 +- i sin 150), of modulus 0.9), symmetric and scaled orthogonal
    # matrices, a 1 x 1.
    cases = [{"W": np.diag([0.5, -3.0, 2.0])}, {"W": 0.9 * _rotation(5 * np.pi / 6)}, {"W": np.array([[-1.75]])}]
    for n in (1, 2, 5, 9):
        A = rng.standard_normal((n, n))
        Q, _ = np.linalg.qr(rng.standard_normal((n, n)))
        cases += [{"W": A + A.T}, {"W": rng.uniform(0.3, 2.5) * Q}]
    return cases


def cases_spectral_radius_nonnormal(rng):
    # Non-symmetric matrices whose largest singular value is not the spectral radius: a triangular one
    # (eigenvalues 0.5 and -0.3 on the diagonal), one with the complex eigenvalues -0.5 +- i, a rotation by 90
    # degrees after a stretch (eigenvalues +-i), random ones, triangular ones with a large off-diagonal part, and
    # stretched rotations at random angles.
    cases = [{"W": np.array([[0.5, 4.0], [0.0, -0.3]])}, {"W": np.array([[-0.5, -2.0], [0.5, -0.5]])},
             {"W": np.array([[0.0, -0.5], [2.0, 0.0]])}]
    for n in (2, 3, 6, 17):
        cases.append({"W": rng.standard_normal((n, n)) * rng.uniform(0.2, 3.0)})
        cases.append({"W": np.triu(rng.standard_normal((n, n)) * 5.0, 1) + np.diag(rng.uniform(-0.9, 0.9, n))})
    cases += [{"W": _rotation(theta) @ np.diag([3.0, 0.2])} for theta in rng.uniform(0.2, 3.0, size=3)]
    return cases


def produce_spectral_radius(fn, case):
    return call(fn, case)


produce_spectral_radius_normal = produce_spectral_radius_nonnormal = produce_spectral_radius


def judge_spectral_radius(case, record, reference):
    W = case["W"]
    value = returned(record, "spectral_radius")
    if isinstance(value, Opaque) and "complex" in value.type_name:
        raise AssertionError(f"spectral_radius returned a complex number ({value.type_name}): the spectral radius "
                             "is the largest MODULUS np.abs(lambda), a real number")
    if not isinstance(value, float):
        got = f"a numpy array of shape {value.shape}" if isinstance(value, np.ndarray) else f"{value!r}"[:60]
        raise AssertionError(f"spectral_radius should return a float, got {got}: use float(...)")
    want = float(returned(reference, "the reference"))
    tol = 1e-9 * max(1.0, abs(want))
    if abs(value - want) < tol:
        return
    shown = f"({np.round(W, 4).tolist()})" if W.size <= 9 else f" of a {W.shape[0]}x{W.shape[1]} matrix"
    cause = DIAGNOSES.spectral_radius_cause(W, value, want, tol) if DIAGNOSES else None
    if cause:
        raise AssertionError(f"spectral_radius{shown} = {_fixed(value)}, expected {_fixed(want)}: {cause}")
    raise AssertionError(f"spectral_radius{shown} = {_fixed(value)}, expected {_fixed(want)}, the largest modulus "
                         "of its eigenvalues")


judge_spectral_radius_normal = judge_spectral_radius_nonnormal = judge_spectral_radius


# ------------------------------------------------------------------------------------ Part 2: grad_norms_by_lag

def tanh_rnn_forward(x, h0, params):
    """The setup cell's tanh RNN: x (T, B, D) and h0 (B, H) give hs (T, B, H), torch.nn.RNN's equation."""
    h, hs = h0, []
    for x_t in x:  # x_t (B, D)
        h = np.tanh(x_t @ params["weight_ih"].T + params["bias_ih"] + h @ params["weight_hh"].T + params["bias_hh"])
        hs.append(h)  # (B, H)
    return np.stack(hs)  # (T, B, H)


def setup_run():
    """The notebook's setup cell's run, drawn the same way: T = 6, B = 3, D = 2, H = 4 (the visible checks use
    it, so a student's setup and the grader's agree)."""
    rng = np.random.default_rng(0)
    T, B, D, H = 6, 3, 2, 4
    params = {"weight_ih": rng.standard_normal((H, D)), "weight_hh": rng.standard_normal((H, H)) / np.sqrt(H),
              "bias_ih": 0.1 * rng.standard_normal(H), "bias_hh": 0.1 * rng.standard_normal(H)}
    x = rng.standard_normal((T, B, D))
    h0 = np.zeros((B, H))
    hs = tanh_rnn_forward(x, h0, params)
    dh_last = rng.standard_normal((B, H))
    return {"weight_hh": params["weight_hh"], "hs": hs, "dh_last": dh_last, "x": x, "h0": h0, **params}


def _norms_case(rng, T, B, H, scale=1.0):
    return {"weight_hh": scale * rng.standard_normal((H, H)) / np.sqrt(H),
            "hs": np.tanh(rng.standard_normal((T, B, H))),
            "dh_last": 3.0 * rng.standard_normal((B, H))}


def cases_grad_norms_last_step(rng):
    run = setup_run()
    keys = ("weight_hh", "hs", "dh_last")
    one = {"weight_hh": run["weight_hh"], "hs": run["hs"][-1:].copy(), "dh_last": run["dh_last"]}  # T = 1
    shapes = [(1, 1, 5), (3, 1, 2), (4, 6, 3)] + [tuple(int(n) for n in rng.integers(1, 7, size=3))]
    return [{k: run[k] for k in keys}, one] + [_norms_case(rng, *shape) for shape in shapes]


def cases_grad_norms_scalar(rng):
    # One hidden unit: each step back multiplies by w * (1 - h_t^2), a number.
    hs = np.array([[0.2, -0.4], [-0.5, 0.1], [0.9, 0.6], [0.3, -0.8]]).reshape(4, 2, 1)  # (T, B, H) = (4, 2, 1)
    cases = [{"weight_hh": np.array([[1.5]]), "hs": hs, "dh_last": np.array([[2.0], [-1.0]])}]
    for w, T, B in zip(rng.choice([-1.7, 0.8, 2.2, -0.6, 1.3], size=3, replace=False), (6, 2, 5), (3, 1, 4)):
        cases.append({"weight_hh": np.array([[w]]), "hs": rng.uniform(-0.95, 0.95, size=(T, B, 1)),
                      "dh_last": rng.standard_normal((B, 1))})
    return cases


def _torch_run(rng, T, B, D, H, scale):
    params = {"weight_ih": rng.standard_normal((H, D)), "bias_ih": 0.2 * rng.standard_normal(H),
              "weight_hh": scale * rng.standard_normal((H, H)) / np.sqrt(H), "bias_hh": 0.2 * rng.standard_normal(H)}
    x, h0 = 0.5 * rng.standard_normal((T, B, D)), 0.3 * rng.standard_normal((B, H))
    return {"hs": tanh_rnn_forward(x, h0, params), "dh_last": rng.standard_normal((B, H)), "x": x, "h0": h0, **params}


def cases_grad_norms_torch(rng):
    # The setup's run, then runs of a tanh RNN (T = 1 first) with W_hh scaled so that the gradient shrinks or grows.
    shapes = [(1, int(rng.integers(1, 4)), 2, 3)] + [tuple(int(n) for n in (rng.integers(2, 16), rng.integers(1, 5),
                                                                            rng.integers(1, 7), rng.integers(2, 9)))
                                                     for _ in range(3)]
    scales = (1.0, 0.5, 1.5, 2.5)
    return [setup_run()] + [_torch_run(rng, *shape, scale) for shape, scale in zip(shapes, scales)]


def _arrays(case):
    """grad_norms_by_lag's arguments: weight_hh (H, H), hs (T, B, H), dh_last (B, H)."""
    return case["weight_hh"], case["hs"], case["dh_last"]


def produce_grad_norms(fn, case):
    return call(fn, dict(zip(("weight_hh", "hs", "dh_last"), _arrays(case))))


produce_grad_norms_last_step = produce_grad_norms_scalar = produce_grad_norms_torch = produce_grad_norms


def _norms(case, record, reference):
    """(the student's norms, the reference's), after the checks of form and shape."""
    T, B = case["hs"].shape[:2]
    got = _vector(returned(record, "grad_norms_by_lag"), "grad_norms_by_lag's result")
    want = numeric(returned(reference, "the reference"), "the reference")
    if got.shape != (T,):
        hint = ": take the batch mean of the row norms" if got.shape in ((T, B), (B, T)) and B > 1 else ""
        raise AssertionError(f"the result has shape {got.shape}, expected (T,) = ({T},): one number per step{hint}")
    return got, want


def judge_grad_norms_last_step(case, record, reference):
    got, want = _norms(case, record, reference)
    if np.isclose(got[-1], want[-1], rtol=1e-10, atol=0):
        return
    cause = DIAGNOSES.last_step_cause(*_arrays(case), got[-1], want[-1]) if DIAGNOSES else None
    if cause:
        raise AssertionError(f"norms[T-1] = {_fixed(got[-1])}, expected {_fixed(want[-1])}: {cause}")
    raise AssertionError(f"norms[T-1] = {_fixed(got[-1])}, expected {_fixed(want[-1])}, the batch mean of ||dh_last|| "
                         "(dL/dh_(T-1) = dh_last)")


def _judge_norms(case, record, reference, against: str):
    got, want = _norms(case, record, reference)
    if np.allclose(got, want, rtol=1e-8, atol=0):
        return
    cause = DIAGNOSES.norms_cause(*_arrays(case), got, want) if DIAGNOSES else None
    if cause:
        raise AssertionError(cause)
    T, B, H = case["hs"].shape
    bad = [t for t in range(T) if not np.isclose(got[t], want[t], rtol=1e-8, atol=0)]
    raise AssertionError(f"T = {T}, B = {B}, H = {H}: your norms differ from {against} at t = {bad}"[:300]
                         + f"\n{against} gives {np.round(want[-8:], 6)}\nyours gives  {np.round(got[-8:], 6)}"
                         + (" (the last 8 steps)" if T > 8 else ""))


def judge_grad_norms_scalar(case, record, reference):
    _judge_norms(case, record, reference, f"the loop by hand (w = {case['weight_hh'][0, 0]})")


def judge_grad_norms_torch(case, record, reference):
    _judge_norms(case, record, reference, "torch.autograd")


# ------------------------------------------------------------------------------------ Part 3: clip_by_global_norm

def _grads(rng, shapes, spread=(1.0, 1.0)):
    return {f"g{i}": rng.standard_normal(s) * rng.uniform(*spread) for i, s in enumerate(shapes)}


def _bounds(grads) -> tuple[float, float]:
    """Bounds of the global norm that need not compute it: the largest |entry| m, and sqrt(N) m for N entries."""
    largest = max(float(np.abs(g).max()) for g in grads.values())
    return largest, np.sqrt(sum(np.size(g) for g in grads.values())) * largest


SHAPES = (((3, 4), (4,)), ((7,),), ((2, 3), (5,), (1, 1), (2, 2, 2)), ((5, 3), (5,), (5, 5)), ((4, 1, 3),),
          ((2,), (3, 2), (6,), (1, 4)))


def _clip_case(grads, max_norm, strict=False, fresh=False):
    """strict: zero gradients, any division by zero raises; fresh: the results must not share memory with grads."""
    return {"grads": grads, "max_norm": float(max_norm), "strict": strict, "fresh": fresh}


def cases_clip_below(rng):
    grads = {"weight_hh": np.array([[3.0, 0.0], [0.0, 0.0]]), "bias_hh": np.array([0.0, 4.0])}  # global norm 5
    cases = [_clip_case(grads, 10.0), _clip_case(grads, 5.0)]
    for i in rng.choice(len(SHAPES), size=3, replace=False):
        grads = _grads(rng, SHAPES[i])
        cases.append(_clip_case(grads, _bounds(grads)[1] * rng.uniform(1.01, 3.0)))  # above the global norm
    return cases


def cases_clip_above(rng):
    grads = {"weight_hh": np.array([[3.0, 0.0], [0.0, 0.0]]), "bias_hh": np.array([0.0, 4.0])}  # global norm 5
    fixed = np.random.default_rng(7)  # the example the test cell used to hold
    mixed = {"weight_ih": fixed.standard_normal((8, 3)), "weight_hh": 3.0 * fixed.standard_normal((8, 2)),
             "bias_ih": fixed.standard_normal(8), "bias_hh": 0.1 * fixed.standard_normal(8)}
    cases = [_clip_case(grads, 1.0), _clip_case(mixed, 2.0)]
    for i, factor in zip(rng.choice(len(SHAPES), size=3, replace=False), (0.1, 0.5, 0.02)):
        grads = _grads(rng, SHAPES[i], (0.5, 20.0))
        cases.append(_clip_case(grads, factor * _bounds(grads)[0]))  # below the global norm
    return cases


def cases_clip_inputs(rng):
    grads = {"weight_hh": rng.standard_normal((4, 4)), "bias_hh": rng.standard_normal(4)}
    return [_clip_case(grads, 0.5, fresh=True), _clip_case(grads, 100.0),
            _clip_case({"w": np.zeros((2, 3)), "b": np.zeros(3)}, 1.0, strict=True),
            _clip_case({"a": 50.0 * rng.standard_normal((3, 5)), "b": rng.standard_normal((2, 2, 2))}, 1.0, fresh=True),
            _clip_case({"only": 10.0 * rng.standard_normal(6)}, 3.0, fresh=True),
            _clip_case({"z": np.zeros(4)}, float(rng.uniform(0.1, 2.0)), strict=True)]


def produce_clip(fn, case):
    """Call clip_by_global_norm(grads, max_norm) on copies; record also whether the results share memory with
    the arrays passed in. With zero gradients (``strict``) a division by zero raises."""
    names = list(case["grads"])
    inputs = {**{f"grads[{k!r}]": v for k, v in case["grads"].items()}, "max_norm": case["max_norm"]}
    given, seen = {}, {}

    def build(max_norm, **arrays):
        given.update(arrays)
        return {k: arrays[f"grads[{k!r}]"] for k in names}, max_norm

    def wrapped(grads, max_norm):
        seen["value"] = fn(grads, max_norm)
        return seen["value"]

    with np.errstate(divide="raise", invalid="raise") if case["strict"] else contextlib.nullcontext():
        record = call(wrapped, inputs, build)
    value = seen.get("value")
    clipped = value[0] if isinstance(value, tuple) and value and isinstance(value[0], dict) else {}
    record["shares"] = any(isinstance(v, np.ndarray) and isinstance(a, np.ndarray) and np.shares_memory(v, a)
                           for v in clipped.values() for a in given.values())
    return record


produce_clip_below = produce_clip_above = produce_clip_inputs = produce_clip


def _same_arrays(got: dict, want: dict) -> bool:
    return all(np.allclose(got[k], want[k], rtol=1e-5, atol=1e-15) for k in want)


def judge_clip(case, record, reference):
    grads, max_norm = case["grads"], case["max_norm"]
    error = record.get("error") if isinstance(record, dict) else None
    if case["strict"] and isinstance(error, dict) and error.get("type") in ("ZeroDivisionError", "FloatingPointError"):
        raise AssertionError(f"with all-zero gradients clip_by_global_norm raised {error.get('type')}: "
                             f"{error.get('message')}; total_norm is 0 <= max_norm, so nothing is clipped and there "
                             "is nothing to divide: compute the factor only when total_norm > max_norm")
    clipped, total = returned(record, "clip_by_global_norm", n=2, hint=CLIP_HINT)
    want_clipped, want_total = returned(reference, "the reference", n=2)
    if not isinstance(clipped, dict):
        raise AssertionError(f"clip_by_global_norm should return (clipped, total_norm) with clipped a dict of "
                             f"arrays, got {clipped!r}"[:200])
    if set(clipped) != set(grads):
        raise AssertionError(f"the keys are {sorted(clipped)}, expected {sorted(grads)}")
    clipped = {k: numeric(clipped[k], f"clipped[{k!r}]") for k in grads}
    for k, g in grads.items():
        if clipped[k].shape != g.shape:
            raise AssertionError(f"clipped[{k!r}] has shape {clipped[k].shape}, expected {g.shape}, that of "
                                 f"grads[{k!r}]")
    total = numeric(total, "total_norm")
    if total.shape != ():
        raise AssertionError(f"total_norm should be one number, got an array of shape {total.shape}")
    total, want_total = float(total), float(want_total)
    if not np.isclose(total, want_total, rtol=1e-12, atol=0):
        cause = DIAGNOSES.clip_total_cause(grads, max_norm, total, want_total) if DIAGNOSES else None
        if cause:
            raise AssertionError(f"total_norm = {_fixed(total)}, expected {_fixed(want_total)}: {cause}")
        raise AssertionError(f"total_norm = {_fixed(total)}, expected {_fixed(want_total)}, the norm of all entries "
                             "of all arrays together (before clipping)")
    if not _same_arrays(clipped, want_clipped):
        cause = DIAGNOSES.clip_value_cause(grads, max_norm, clipped, want_clipped) if DIAGNOSES else None
        if cause:
            raise AssertionError(f"max_norm = {_fixed(max_norm)} and the global norm is {_fixed(want_total)}: "
                                 f"{cause}")
        k = next(k for k in grads if not np.allclose(clipped[k], want_clipped[k], rtol=1e-5, atol=1e-15))
        raise AssertionError(f"max_norm = {_fixed(max_norm)} and the global norm is {_fixed(want_total)}, but "
                             f"clipped[{k!r}] is {np.round(clipped[k], 6).tolist()}, expected "
                             f"{np.round(want_clipped[k], 6).tolist()}"[:400])
    if case["fresh"] and record.get("shares"):
        raise AssertionError("the clipped arrays share memory with the inputs: return new arrays (g * scale), so that "
                             "changing one does not change the other")


judge_clip_below = judge_clip_above = judge_clip_inputs = judge_clip
