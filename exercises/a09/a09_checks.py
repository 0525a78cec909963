"""The checks of assignment 9 (CTC and the parallel scan), used by its test cells: ``check("ctc_torch",
ctc_log_likelihood)``.

Also the helpers that the notebook's setup cell imports from here and gives students: ``random_log_probs``, the
reference ``torch_ctc_log_likelihood`` and the definition ``scan_loop``.

For each check ``name`` (run by rnnlib.checking: ``check = Checker("a09_checks")`` in the setup cell):
``cases_<name>(rng)`` gives the inputs (plain numpy data and ints), ``produce_<name>(fn, case)`` calls your function
on copies of them and records what it returned (plain data), ``judge_<name>(case, record, reference)`` compares
that record with the instructor's solution's record of the same case (released beside this file as
a09_references.json for the visible checks) and raises an AssertionError whose first line says what is wrong and
where: the type or shape you returned, an input you modified, which utterance, which steps of the scan, what you
returned and what was expected.

This file computes no answer. The cause of a mistake (the loss instead of the log-likelihood, a skip between equal
labels, blanks removed before merging, a round that reads values it already updated, ...) is named only once it is
established, by recomputing what that mistake would give: the instructor's diagnoses do that (a09_diagnoses.py,
never released, ``DIAGNOSES`` below), so in your notebook a failed check says what and where, and the feedback on
your graded work also names the cause.
"""

from __future__ import annotations

import functools
import math

import numpy as np

from rnnlib.checking import call, diagnoses, returned

PASSED = {
    "ctc_hand": "ctc_log_likelihood: the examples worked by hand",
    "ctc_torch": "ctc_log_likelihood: equal to torch.nn.CTCLoss on random utterances",
    "ctc_long": "ctc_log_likelihood: long utterances, equal to torch",
    "greedy_hand": "ctc_greedy_decode: the examples worked by hand",
    "greedy_random": "ctc_greedy_decode: equal to the definition on random utterances",
    "scan_hand": "linear_scan: the examples worked by hand",
    "scan_random": "linear_scan: equal to the loop on random recurrences",
    "scan_rounds": "linear_scan: about log2 T rounds",
}
DIAGNOSES = diagnoses(__file__)  # None in the students' copy
MODIFIED_HINT = "work on copies (e.g. A = np.array(a, dtype=float)) instead of writing into the arguments"


# ------------------------------------------------------------------------------------ the setup cell's helpers

def random_log_probs(T, C, seed, scale=2.0):
    """A random utterance: (T, C) log-probabilities, each row a log-softmax of random scores."""
    z = scale * np.random.default_rng(seed).standard_normal((T, C))
    return z - np.logaddexp.reduce(z, axis=1, keepdims=True)


def torch_ctc_log_likelihood(log_probs, target, blank):
    """log p(target | utterance) from torch.nn.CTCLoss, the reference Part 1 is checked against."""
    import torch

    T = log_probs.shape[0]
    loss = torch.nn.CTCLoss(blank=blank, reduction="sum")(
        torch.as_tensor(log_probs, dtype=torch.float64)[:, None],  # (T, N=1, C)
        torch.as_tensor([list(target)], dtype=torch.long),  # (N=1, U)
        torch.tensor([T]), torch.tensor([len(target)]))
    return -loss.item()  # CTCLoss is -log p


def scan_loop(a, b, h0):
    """The definition of Part 3, one step at a time: h_t = a_t * h_{t-1} + b_t; returns (T, B, H)."""
    hs, h = [], h0
    for t in range(len(a)):
        h = a[t] * h + b[t]
        hs.append(h)
    return np.stack(hs)


# ------------------------------------------------------------------------------------ records (rnnlib.checking)

def _returned(record, what: str, n: int | None = None):
    """What ``what`` returned (rnnlib.checking.returned), with this assignment's advice on modified inputs."""
    return returned(record, what, n, hint=MODIFIED_HINT)


# ------------------------------------------------------------------------------------ Part 1: ctc_log_likelihood

def _same_number(got, want, rtol=1e-9, atol=1e-9) -> bool:
    """Equal to rounding; infinities equal only themselves."""
    if not (np.isfinite(got) and np.isfinite(want)):
        return bool(got == want)
    return bool(np.isclose(got, want, rtol=rtol, atol=atol))


def _describe_ctc(case):
    (T, C), target, blank = case["log_probs"].shape, list(case["target"]), case["blank"]
    shown = f"{target}" if len(target) <= 12 else f"[{', '.join(map(str, target[:12]))}, ...] ({len(target)} labels)"
    text = f"T={T}, C={C}, target={shown}, blank={blank}"
    if DIAGNOSES and C ** T <= 1000:
        text += f" (the paths that give the target: {DIAGNOSES.paths(case)})"
    return text


def _log_likelihood(value, what="ctc_log_likelihood") -> float:
    """The number a student's ctc_log_likelihood returned: a float, or a numpy array with one element."""
    if isinstance(value, bool) or not (isinstance(value, (int, float)) or (
            isinstance(value, np.ndarray) and value.size == 1)):
        raise AssertionError(f"{what} should return a float, log p(target | utterance), got {value!r}"[:200])
    return float(np.asarray(value, dtype=np.float64).ravel()[0])


def _cases_ctc(log_probs, target, blank):
    return {"log_probs": log_probs, "target": [int(v) for v in target], "blank": int(blank)}


def _random_target(rng, C, blank, U, repeat=False):
    labels = [c for c in range(C) if c != blank]
    target = [int(v) for v in rng.choice(labels, size=U)]
    if repeat and U > 1:
        target[1] = target[0]
    return target


def _fitting(target):
    """The fewest frames an alignment of ``target`` needs: one per label, one more per repeat."""
    return len(target) + sum(a == b for a, b in zip(target, target[1:]))


def cases_ctc_hand(rng):
    # T = 2 frames, C = 3 symbols, blank = 0: the label [1] comes from the paths (1, 1), (0, 1), (1, 0), with
    # probability 0.5 * 0.1 + 0.2 * 0.1 + 0.5 * 0.6 = 0.37. The label [1, 1] in 3 frames: only (1, 0, 1); the path
    # (1, 1, 1) would be read as a single 1. The label [1, 2] in 2 frames: only (1, 2), a skip over the blank. Then
    # the same utterances with the symbols relabelled so that the blank is not 0.
    p2 = np.log(np.array([[0.2, 0.5, 0.3], [0.6, 0.1, 0.3]]))
    p3 = np.log(np.array([[0.2, 0.5, 0.3], [0.6, 0.1, 0.3], [0.1, 0.7, 0.2]]))
    hand = [(p2, [1], 0), (p3, [1, 1], 0), (p2, [1, 2], 0)]
    perm = rng.permutation(3)
    while perm[0] == 0:  # the old blank 0 moves to a new id
        perm = rng.permutation(3)
    new = {old: int(n) for old, n in zip(range(3), perm)}  # old symbol -> new id
    order = np.argsort(perm)  # column j of the relabelled utterance holds old symbol order[j]
    relabelled = [(lp[:, order], [new[v] for v in target], new[0]) for lp, target, _ in hand]
    return [_cases_ctc(*c) for c in hand + relabelled]


def cases_ctc_torch(rng):
    # Different labels, repeated labels, a blank that is not 0 (and the label 0), then random utterances, some of
    # exactly the fewest frames that fit, and one too short to fit (the answer is -inf).
    cases = [_cases_ctc(random_log_probs(12, 5, rng.integers(2**31)), _random_target(rng, 5, 0, 3), 0),
             _cases_ctc(random_log_probs(12, 5, rng.integers(2**31)), [1, 3, 3, 2], 0),
             _cases_ctc(random_log_probs(9, 4, rng.integers(2**31)), [0, 1, 1], 3),
             _cases_ctc(random_log_probs(15, 6, rng.integers(2**31)), [2, 0, 4, 4, 4, 1], 5)]
    for k in range(4):
        C = int(rng.integers(2, 8))
        blank = int(rng.integers(C))
        target = _random_target(rng, C, blank, int(rng.integers(1, 6)), repeat=k % 2 == 0)
        T = _fitting(target) + (0 if k == 0 else int(rng.integers(0, 6)))
        cases.append(_cases_ctc(random_log_probs(T, C, rng.integers(2**31), scale=rng.uniform(0.5, 3)), target,
                                blank))
    target = _random_target(rng, 4, 0, 2, repeat=True)
    cases.append(_cases_ctc(random_log_probs(_fitting(target) - 1, 4, rng.integers(2**31)), target, 0))
    return cases


def cases_ctc_long(rng):
    # Hundreds of frames: log p is far below log(1e-308) = -709, so products of probabilities underflow to 0. Sizes
    # kept so that a loop over frames and positions (T * (2U + 1) steps) still runs in about a second.
    T, U = int(rng.integers(1000, 1501)), int(rng.integers(5, 61))
    return [_cases_ctc(random_log_probs(800, 6, rng.integers(2**31)), _random_target(rng, 6, 0, 40), 0),
            _cases_ctc(random_log_probs(T, 8, rng.integers(2**31)), _random_target(rng, 8, 7, U), 7)]


def produce_ctc_log_likelihood(fn, case):
    return call(fn, case)


produce_ctc_hand = produce_ctc_torch = produce_ctc_long = produce_ctc_log_likelihood


def judge_ctc_log_likelihood(case, record, reference):
    got = _log_likelihood(_returned(record, "ctc_log_likelihood"))
    want = _log_likelihood(_returned(reference, "the reference"), "the reference")
    # A long utterance's log p is about -2 per frame: absolute rounding grows with it.
    atol = 1e-9 if len(case["log_probs"]) < 100 else 1e-7
    if _same_number(got, want, atol=atol):
        return
    same = functools.partial(_same_number, atol=atol)
    cause = DIAGNOSES.ctc_cause(case, got, want, same) if DIAGNOSES else None
    if cause:
        raise AssertionError(f"ctc_log_likelihood: {cause}. {_describe_ctc(case)}: log p should be {want:.6f}, "
                             f"you return {got:.6f}")
    why = ""
    if want == -np.inf:
        why = " (no alignment fits in T frames: a repeated label needs a blank between its copies)"
    raise AssertionError(f"ctc_log_likelihood: {_describe_ctc(case)}: log p should be {want:.6f} (as torch.nn.CTCLoss "
                         f"gives){why}, you return {got:.6f}")


judge_ctc_hand = judge_ctc_torch = judge_ctc_long = judge_ctc_log_likelihood


# ------------------------------------------------------------------------------------ Part 2: ctc_greedy_decode

def _labels(value, what="ctc_greedy_decode") -> list[int]:
    """The labels a decoder returned: a list (or tuple, or 1-D integer array) of whole numbers."""
    if isinstance(value, np.ndarray) and value.ndim == 1 and value.dtype.kind in "iu":
        return [int(v) for v in value]
    if isinstance(value, (list, tuple)) and all(
            not isinstance(v, bool) and isinstance(v, (int, float)) and float(v).is_integer() for v in value):
        return [int(v) for v in value]
    raise AssertionError(f"{what} should return a list of int labels, got {value!r}"[:200])


def _frames(symbols, C):
    """log_probs (T, C) whose most likely symbol at frame t is symbols[t]."""
    lp = np.full((len(symbols), C), np.log(0.1 / (C - 1)))
    lp[np.arange(len(symbols)), symbols] = np.log(0.9)
    return lp


def _greedy_case(log_probs, blank):
    return {"log_probs": log_probs, "blank": int(blank)}


def cases_greedy_hand(rng):
    # a = 1, b = 2, c = 3, blank = 0: the frames a a - a b b - - c decode to a a b c; with blank = 3, the frames
    # 0 3 0 0 3 1 3 decode to 0 0 1 (0 is a real label there). Then frames of blanks only, one frame, and a
    # drawn path with a label repeated across a blank.
    C = int(rng.integers(3, 6))
    blank = int(rng.integers(C))
    label = int(rng.choice([c for c in range(C) if c != blank]))
    drawn = [int(s) for s in rng.integers(C, size=int(rng.integers(0, 4)))] + [label, label, blank, label]
    return [_greedy_case(_frames([1, 1, 0, 1, 2, 2, 0, 0, 3], 4), 0),
            _greedy_case(_frames([0, 3, 0, 0, 3, 1, 3], 4), 3),
            _greedy_case(_frames([blank] * 3, C), blank), _greedy_case(_frames([label], C), blank),
            _greedy_case(_frames(drawn, C), blank)]


def cases_greedy_random(rng):
    cases = [_greedy_case(random_log_probs(30, 5, rng.integers(2**31)), 0),
             _greedy_case(random_log_probs(30, 5, rng.integers(2**31)), 4)]
    for _ in range(6):
        C = int(rng.integers(2, 7))
        cases.append(_greedy_case(random_log_probs(int(rng.integers(1, 60)), C, rng.integers(2**31), scale=0.7),
                                  rng.integers(C)))
    return cases


def produce_ctc_greedy_decode(fn, case):
    return call(fn, case)


produce_greedy_hand = produce_greedy_random = produce_ctc_greedy_decode


def judge_ctc_greedy_decode(case, record, reference):
    got = _labels(_returned(record, "ctc_greedy_decode"))
    want = _labels(_returned(reference, "the reference"), "the reference")
    if got == want:
        return
    path = [int(s) for s in np.argmax(case["log_probs"], axis=1)]
    frames = f"the best path {path}" if len(path) <= 30 else f"{len(path)} frames"
    where = f"{frames} with blank = {case['blank']} should decode to {want}, you return {got}"
    cause = DIAGNOSES.greedy_cause(case, got, want) if DIAGNOSES else None
    if cause:
        raise AssertionError(f"ctc_greedy_decode: {cause}. Here {where}")
    raise AssertionError(f"ctc_greedy_decode: {where}")


judge_greedy_hand = judge_greedy_random = judge_ctc_greedy_decode


# ------------------------------------------------------------------------------------ Part 3: linear_scan

def _states(value, shape, what="linear_scan") -> np.ndarray:
    if not (isinstance(value, np.ndarray) and value.dtype.kind in "iuf"):
        raise AssertionError(f"{what}'s hs should be a numpy array of shape (T, B, H) = {shape}, got {value!r}"[:200])
    if value.shape != shape:
        extra = ": h0 is not part of the output, hs[t] is the state after step t" if value.shape == (
            shape[0] + 1,) + shape[1:] else ""
        raise AssertionError(f"{what}'s hs has the shape {value.shape}, but should have the shape (T, B, H) = "
                             f"{shape} of a{extra}")
    return value.astype(np.float64)


def _scan_case(a, b, h0):
    return {"a": np.asarray(a, dtype=float), "b": np.asarray(b, dtype=float), "h0": np.asarray(h0, dtype=float)}


def _random_scan(rng, T, B, H, a_max=1.2):
    return _scan_case(rng.uniform(-a_max, a_max, (T, B, H)), rng.standard_normal((T, B, H)),
                      rng.standard_normal((B, H)))


def cases_scan_hand(rng):
    # T = 3, one unit, h0 = 2; a = (0.5, 2, -1), b = (1, 1, 1): h_1 = 0.5*2 + 1 = 2, h_2 = 2*2 + 1 = 5,
    # h_3 = -5 + 1 = -4. Then one step only, and a constant a with a zero initial state.
    c, d = float(rng.integers(2, 4)), float(rng.integers(-2, 3))
    return [_scan_case(np.array([0.5, 2.0, -1.0]).reshape(3, 1, 1), np.ones((3, 1, 1)), [[2.0]]),
            _scan_case(np.full((1, 2, 1), c), np.full((1, 2, 1), d), [[1.0], [0.0]]),
            _scan_case(np.full((4, 1, 1), c), np.ones((4, 1, 1)), np.zeros((1, 1)))]


def cases_scan_random(rng):
    # T from 1 to about 1000 steps, powers of two and one past them, a few units: |a| up to 1.2 (states that
    # grow) and up to 1.05 for the long ones. Few units on the long ones: their states are the record's bulk.
    shapes = [(1, 1, 1), (2, 1, 3), (5, 2, 4), (8, 3, 2), (13, 2, 5), (16, 2, 3), (17, 1, 4)]
    cases = [_random_scan(rng, *shape) for shape in shapes]
    return cases + [_random_scan(rng, int(rng.integers(90, 130)), 3, 2, 1.05),
                    _random_scan(rng, int(rng.integers(500, 1001)), 1, 2, 1.05)]


def cases_scan_rounds(rng):
    # The point of the scan: about log2 T rounds instead of T steps. One unit: the states are recorded too.
    T = [2, int(rng.integers(3, 10)), 64, 65, 1000, int(rng.integers(1025, 2049))]
    return [_scan_case(np.full((t, 1, 1), rng.uniform(0.5, 0.95)), np.ones((t, 1, 1)), np.zeros((1, 1))) for t in T]


def produce_linear_scan(fn, case):
    return call(fn, case)


produce_scan_hand = produce_scan_random = produce_scan_rounds = produce_linear_scan


def _judge_states(case, record, reference):
    """The states hs a student's linear_scan returned, equal to the definition's; and its rounds."""
    shape = case["a"].shape
    value = _returned(record, "linear_scan")
    if not (isinstance(value, tuple) and len(value) == 2):
        raise AssertionError(f"linear_scan should return the pair (hs, rounds), got {value!r}"[:200])
    hs, rounds = value
    got = _states(hs, shape)
    want = _states(_returned(reference, "the reference", 2)[0], shape, "the reference")
    same = functools.partial(np.allclose, rtol=1e-9, atol=1e-9)
    if same(got, want):
        return rounds
    cause = DIAGNOSES.scan_cause(case, got, want, same) if DIAGNOSES else None
    if cause:
        raise AssertionError(f"linear_scan: {cause} (T={shape[0]}, B={shape[1]}, H={shape[2]})")
    wrong = ~np.isclose(got, want, rtol=1e-9, atol=1e-9)  # (T, B, H)
    steps = np.where(wrong.any(axis=(1, 2)))[0]
    t, i, j = np.argwhere(wrong)[0]
    raise AssertionError(f"linear_scan: T={shape[0]}, B={shape[1]}, H={shape[2]}: the states differ from the loop's "
                         f"(scan_loop) at steps {steps.tolist()[:10]}{' ...' if len(steps) > 10 else ''}; first "
                         f"hs[{t}, {i}, {j}] = {got[t, i, j]:.6g}, should be {want[t, i, j]:.6g}")


def judge_linear_scan(case, record, reference):
    _judge_states(case, record, reference)


judge_scan_hand = judge_scan_random = judge_linear_scan


def judge_scan_rounds(case, record, reference):
    rounds = _judge_states(case, record, reference)
    T = len(case["a"])
    depth = math.ceil(math.log2(T))
    limit = 2 * depth + 1
    if isinstance(rounds, bool) or not isinstance(rounds, int):
        raise AssertionError(f"linear_scan should return the number of rounds as an int, got {rounds!r}"[:200])
    if 1 <= rounds <= limit:
        return
    cause = ("; that is one round per step, a loop over the T steps, which is not a scan: count one round per "
             "doubling of the shift" if rounds == T else ": count one round per doubling of the shift")
    raise AssertionError(f"linear_scan: for T = {T} your scan reports {rounds} rounds; a parallel scan runs about "
                         f"log2(T) of them (Hillis-Steele: {depth}), at most {limit} here{cause}")
