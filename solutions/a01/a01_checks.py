"""The checks of assignment 1 (the recurrent neuron), used by its test cells: ``check("neuron_step", neuron_step)``.

For each check ``name`` (see rnnlib/checking.py): ``cases_<name>(rng)`` gives the inputs, ``produce_<name>``
calls your function on copies of them and records what it returned, and ``judge_<name>`` compares that record
with the instructor's solution's record of the same inputs (a01_references.json beside this file, for the
visible checks) and says what is wrong and where: the output, the step or the value, got and expected. This file
computes no answer. When your work is graded, the judging happens again outside your notebook, with the
instructor's copy of this file and its diagnoses (a01_diagnoses.py, never released), which also name the cause
by re-computing what each likely mistake would give.
"""

from __future__ import annotations

import numpy as np

from rnnlib.checking import call, diagnoses, numeric, returned
from rnnlib.gradcheck import rel_error

DIAGNOSES = diagnoses(__file__)  # None in the students' copy

PASSED = {
    "neuron_step_values": "neuron_step: the hand-checked values are right",
    "neuron_step": "neuron_step matches torch.nn.RNNCell",
    "neuron_forward_first_step": "neuron_forward: shapes and the first step are right",
    "neuron_forward": "neuron_forward matches torch.nn.RNN",
    "neuron_forward_edges": "neuron_forward handles T = B = 1 and integer inputs",
    "fixed_point_stable": "fixed_point: the fixed points for w in (-1, 1) are right",
    "fixed_point_hard": "fixed_point: the fixed points for strongly negative w are right",
    "iteration_converges": "iteration_converges agrees on the examples",
}


def _fmt(case: dict) -> str:
    return ", ".join(f"{k}={np.round(v, 4).tolist() if isinstance(v, np.ndarray) else round(float(v), 4)}"
                     for k, v in case.items())


# ------------------------------------------------------------------------------------ Part 1: neuron_step

def _step_case(x, h_prev, w, u, b, v, c) -> dict:
    return {"x": x, "h_prev": h_prev, "w": w, "u": u, "b": b, "v": v, "c": c}


def cases_neuron_step_values(rng):
    # w h_prev + u x + b = 0.8 * 0.5 - 1.0 * 1.0 + 0.1 = -0.5: a value to check by hand. Then a batch of three.
    return [_step_case(1.0, 0.5, 0.8, -1.0, 0.1, 2.0, -0.3),
            _step_case(np.array([0.0, 1.0, -2.0]), np.zeros(3), 0.5, 1.0, 0.0, 1.0, 0.0)]


def cases_neuron_step(rng):
    cases = []
    for B in (4, 1, 7):
        x, h_prev = rng.normal(size=B) * 2, rng.uniform(-1, 1, size=B)
        cases.append(_step_case(x, h_prev, *(float(p) for p in rng.normal(size=5) * 1.5)))
    # Floats in, floats out, with a saturating pre-activation.
    cases.append(_step_case(3.0, -0.25, 2.0, 4.0, -1.0, -0.5, 0.75))
    return cases


def produce_neuron_step(fn, case):
    return call(fn, case)


produce_neuron_step_values = produce_neuron_step


def judge_neuron_step(case, record, reference):
    h, y = returned(record, "neuron_step", 2)
    h_ref, y_ref = returned(reference, "the reference", 2)
    shape = np.shape(case["x"])
    if shape == ():
        assert np.ndim(h) == 0 and np.ndim(y) == 0, (
            f"for float inputs, return two floats (h, y); got shapes {np.shape(h)} and {np.shape(y)}")
    else:
        assert np.shape(h) == shape and np.shape(y) == shape, (
            f"h has shape {np.shape(h)} and y {np.shape(y)}, expected (B,) = {shape}")
    h, y = numeric(h, "h"), numeric(y, "y")
    if not np.allclose(h, h_ref, rtol=1e-10, atol=1e-12):
        cause = DIAGNOSES.neuron_step_h_cause(case, h) if DIAGNOSES else None
        if cause:
            raise AssertionError(cause)
        raise AssertionError(f"h = {np.round(h, 6).tolist()}, expected {np.round(h_ref, 6).tolist()} "
                             f"(rel. error {rel_error(h, h_ref):.1e}) for {_fmt(case)}")
    if not np.allclose(y, y_ref, rtol=1e-10, atol=1e-12):
        cause = DIAGNOSES.neuron_step_y_cause(case, y) if DIAGNOSES else None
        if cause:
            raise AssertionError(cause)
        raise AssertionError(f"y = {np.round(y, 6).tolist()}, expected v h + c = {np.round(y_ref, 6).tolist()}")


judge_neuron_step_values = judge_neuron_step


# ------------------------------------------------------------------------------------ Part 2: neuron_forward

def _forward_case(x, h0, w, u, b, v, c) -> dict:
    return {"x": x, "h0": h0, "w": w, "u": u, "b": b, "v": v, "c": c}


def cases_neuron_forward_first_step(rng):
    return [_forward_case(rng.normal(size=(5, 3)), np.array([0.5, -0.5, 0.0]), 0.9, 0.7, 0.2, -1.5, 0.1)]


def cases_neuron_forward(rng):
    # By hand: w = 1, u = 1, b = 0, h0 = 0 and inputs 1, 0, 0 give tanh(1), tanh(tanh(1)), tanh(tanh(tanh(1))).
    cases = [_forward_case(np.array([[1.0], [0.0], [0.0]]), np.zeros(1), 1.0, 1.0, 0.0, 1.0, 0.0)]
    for T, B in ((6, 4), (9, 5), (3, 2)):
        cases.append(_forward_case(rng.normal(size=(T, B)), rng.uniform(-1, 1, size=B),
                                   *(float(p) for p in rng.normal(size=5))))
    return cases


def cases_neuron_forward_edges(rng):
    return [_forward_case(np.array([[2.0]]), np.array([0.1]), 0.5, 0.25, 0.0, 1.0, 1.0),
            _forward_case(np.array([[1, 2], [0, -1]]), np.zeros(2), 0.5, 0.5, 0.1, 1.0, 0.0)]


def cases_neuron_forward_long(rng):
    # A long sequence of integers with w near 1: an off-by-one, a lost state or a missing bias shows up here.
    return [_forward_case(rng.integers(-2, 3, size=(60, 3)), rng.uniform(-1, 1, size=3), 0.99, 0.3, -0.05, 0.5,
                          0.25),
            _forward_case(np.array([[-0.5]]), np.array([0.75]), -1.5, 2.0, 0.5, 3.0, -2.0)]


def produce_neuron_forward(fn, case):
    return call(fn, case)


produce_neuron_forward_first_step = produce_neuron_forward_edges = produce_neuron_forward_long = \
    produce_neuron_forward


def judge_neuron_forward(case, record, reference):
    hs, ys = returned(record, "neuron_forward", 2)
    hs_ref, ys_ref = returned(reference, "the reference", 2)
    x, h0 = case["x"], case["h0"]
    T, B = x.shape
    assert np.shape(hs) == (T, B), f"hs has shape {np.shape(hs)}, expected (T, B) = ({T}, {B})"
    assert np.shape(ys) == (T, B), f"ys has shape {np.shape(ys)}, expected (T, B) = ({T}, {B})"
    if np.asarray(hs).dtype.kind != "f":
        raise AssertionError(f"hs has dtype {np.asarray(hs).dtype}: an integer x gave an integer hs "
                             f"(create hs as a float array)")
    hs, ys = numeric(hs, "hs"), numeric(ys, "ys")
    if not np.allclose(hs, hs_ref, rtol=1e-10, atol=1e-12):
        if np.allclose(hs[0], h0):
            raise AssertionError("hs[0] equals h0: store the state AFTER reading x[0] (off by one in time)")
        cause = DIAGNOSES.neuron_forward_cause(case, hs, hs_ref) if DIAGNOSES else None
        if cause:
            raise AssertionError(cause)
        if np.allclose(hs, np.round(hs)) and not np.allclose(hs_ref, np.round(hs_ref)):
            raise AssertionError("hs holds whole numbers: an integer x gave an integer hs (use a float array)")
        if not np.allclose(hs[0], hs_ref[0]):
            raise AssertionError(f"hs[0] = {np.round(hs[0], 6).tolist()}, expected the state after x[0]: "
                                 f"{np.round(hs_ref[0], 6).tolist()}")
        t = int(np.argmax(np.any(~np.isclose(hs, hs_ref), axis=1)))
        raise AssertionError(f"hs[{t}] = {np.round(hs[t], 6).tolist()}, expected {np.round(hs_ref[t], 6).tolist()}"
                             f" (hs differs from torch.nn.RNN's output from step {t} on)")
    if not np.allclose(ys, ys_ref, rtol=1e-10, atol=1e-12):
        raise AssertionError("ys should be v * hs + c at every step")


judge_neuron_forward_first_step = judge_neuron_forward_edges = judge_neuron_forward_long = judge_neuron_forward


# ------------------------------------------------------------------------------------ Part 3: fixed_point

def _point_case(x, w, u, b) -> dict:
    return {"x": x, "w": w, "u": u, "b": b}


def cases_fixed_point_stable(rng):
    cases = [_point_case(0.0, 0.5, 1.0, 0.0), _point_case(1.0, 0.0, 0.7, 0.2), _point_case(1.0, 0.5, 1.0, 0.2)]
    for _ in range(5):
        x, u, b = (float(p) for p in rng.normal(size=3))
        cases.append(_point_case(x, float(rng.uniform(-0.9, 0.95)), u, b))
    return cases


def cases_fixed_point_hard(rng):
    # Strong negative feedback, where plain iteration jumps between two values forever; and w = 1, where the slope
    # at h* = 0 is exactly 1 and iteration crawls (the error falls like 1 / sqrt(steps)).
    cases = [_point_case(1.0, -2.5, 1.0, -0.5)]
    for _ in range(4):
        x, u, b = (float(p) for p in rng.normal(size=3))
        cases.append(_point_case(x, float(rng.uniform(-6.0, -1.5)), u, b))
    return cases + [_point_case(0.0, 1.0, 0.5, 0.0), _point_case(0.4, 1.0, 0.5, 0.1)]


def produce_fixed_point(fn, case):
    return call(fn, case)


produce_fixed_point_stable = produce_fixed_point_hard = produce_fixed_point


def judge_fixed_point(case, record, reference):
    h = returned(record, "fixed_point")
    h_ref = returned(reference, "the reference")
    assert np.ndim(h) == 0, f"return one float, got {'an array of shape ' + str(np.shape(h)) if np.ndim(h) else h!r}"
    h = float(numeric(h, "h*"))
    x, w, u, b = case.values()
    residual = abs(h - np.tanh(w * h + u * x + b))
    if residual < 1e-10 and abs(h - h_ref) < 1e-6:
        return
    cause = DIAGNOSES.fixed_point_cause(case, h, h_ref) if DIAGNOSES else None
    if cause:
        raise AssertionError(cause)
    raise AssertionError(f"h* = {h:.8f} is not a fixed point for {_fmt(case)}: |h* - tanh(w h* + u x + b)| = "
                         f"{residual:.1e}, expected below 1e-10 (h* = {h_ref:.8f})")


judge_fixed_point_stable = judge_fixed_point_hard = judge_fixed_point


# ------------------------------------------------------------------------------------ Part 4: iteration_converges

def cases_iteration_converges(rng):
    cases = [{"w": w, "h_star": h} for w, h in [(0.5, 0.0), (-2.5, 0.1), (1.5, 0.0), (1.5, 0.86), (-0.9, 0.3)]]
    while len(cases) < 25:
        w, h_star = float(rng.uniform(-4, 4)), float(rng.uniform(-0.99, 0.99))
        if abs(abs(w * (1 - h_star**2)) - 1) > 0.05:  # away from the boundary, where the answer is clear-cut
            cases.append({"w": w, "h_star": h_star})
    return cases


def produce_iteration_converges(fn, case):
    return call(fn, case)


def judge_iteration_converges(case, record, reference):
    answer = returned(record, "iteration_converges")
    expected = returned(reference, "the reference")
    assert type(answer) is bool, f"return True or False, got {answer!r}"
    if answer == expected:
        return
    cause = DIAGNOSES.iteration_converges_cause(case, answer, expected) if DIAGNOSES else None
    if cause:
        raise AssertionError(cause)
    raise AssertionError(f"iteration_converges({case['w']}, {case['h_star']}) returned {answer}, expected {expected}")
