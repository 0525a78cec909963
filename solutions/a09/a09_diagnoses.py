"""The instructor's diagnoses of assignment 9 (CTC and the parallel scan): what each mistake the checks can name
would give, and the cause named when a student's answer equals it.

A cause is named only once it is established: each ``*_cause`` function recomputes what the suspected mistake
would give on the case (the loss instead of the log-likelihood, a skip between equal labels, blanks removed before
merging, a round that reads values it already updated, ...) and returns its cause only if the student's numbers
match it and the right answer does not. To do that this module computes every answer of the assignment, right or
wrong (the CTC forward recursion, greedy decoding, the Hillis-Steele scan), so it is never released to students:
nbgrader_config.py keeps ``*_diagnoses.py`` out of exercises/. The checker module a09_checks.py reaches it with
``DIAGNOSES = diagnoses(__file__)`` (None in the students' copy, whose messages then say what is wrong and where,
and leave the cause to the graded feedback). It is loaded by path under another name, so it never imports the
checker module: the judges pass it the case (a dict of the check's inputs), the student's answer, the solution's
answer and how to compare them.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable

import numpy as np

# ------------------------------------------------------------------------------------ Part 1: ctc_log_likelihood

END_CAUSE = ("a path may end in the final blank OR in the last label: log p = logaddexp of alpha at the last two "
             "positions of y'")


def ctc_numpy(log_probs, target, blank, *, blank_id=None, skip_equal=False, skip=True, start_label=True,
              ends=(-1, -2), linear=False):
    """log p(target) by the CTC forward recursion; the keywords switch on a mistake: the blank taken as the id
    ``blank_id``, skips allowed between equal labels or not at all, paths that may not start in the first label,
    the positions a path may end in, the recursion on probabilities (underflows)."""
    blank = blank if blank_id is None else blank_id
    ext = np.full(2 * len(target) + 1, blank)  # (S,)
    ext[1::2] = target
    allowed = np.zeros(len(ext), dtype=bool)
    allowed[2:] = (ext[2:] != blank) & (skip_equal | (ext[2:] != ext[:-2])) & skip
    if linear:
        probs = np.exp(log_probs)  # (T, C)
        alpha = np.zeros(len(ext))
        alpha[0] = probs[0, ext[0]]
        alpha[1] = probs[0, ext[1]] * start_label
        for t in range(1, len(probs)):
            alpha = (alpha + np.r_[0.0, alpha[:-1]] + np.where(allowed, np.r_[0.0, 0.0, alpha[:-2]], 0.0)) \
                * probs[t, ext]
        with np.errstate(divide="ignore"):
            return float(np.log(sum(alpha[e] for e in ends)))
    alpha = np.full(len(ext), -np.inf)
    alpha[0] = log_probs[0, ext[0]]
    alpha[1] = log_probs[0, ext[1]] if start_label else -np.inf
    for t in range(1, len(log_probs)):
        alpha = np.logaddexp.reduce([alpha, np.r_[-np.inf, alpha[:-1]],
                                     np.where(allowed, np.r_[-np.inf, -np.inf, alpha[:-2]], -np.inf)], axis=0) \
            + log_probs[t, ext]
    return float(np.logaddexp.reduce([alpha[e] for e in ends]))


def ctc_hypotheses(case):
    """(the value, cause) of every single mistake the judge can name, in the order they are tried."""
    log_probs, target, blank = case["log_probs"], case["target"], case["blank"]
    want = ctc_numpy(log_probs, target, blank)
    hyps = [(-want, "that is minus the answer, the loss -log p; return the log-likelihood log p"),
            (math.exp(want), "that is the probability itself; return its logarithm, log p"),
            (ctc_numpy(log_probs, target, blank, ends=(-1,)), f"{END_CAUSE} (you add only the final blank)"),
            (ctc_numpy(log_probs, target, blank, ends=(-2,)), f"{END_CAUSE} (you add only the last label)"),
            (ctc_numpy(log_probs, target, blank, skip_equal=True),
             "you also count paths that skip the blank between two equal labels, which merge them into one: a skip "
             "from s - 2 is allowed only when y'_s is a label different from y'_{s-2}"),
            (ctc_numpy(log_probs, target, blank, skip=False),
             "your paths never skip from s - 2: a path may jump over the blank between two DIFFERENT labels "
             "(y'_s not a blank and y'_s != y'_{s-2})"),
            (ctc_numpy(log_probs, target, blank, start_label=False),
             "your paths all start in the first blank: a path may also start in the first label, "
             "alpha_0(1) = log p_0(y_1)")]
    if blank != 0:
        hyps.append((ctc_numpy(log_probs, target, blank, blank_id=0),
                     f"you use the id 0 as the blank; here the blank is {blank}: use the argument blank everywhere "
                     "(in y' and in the skip rule)"))
    hyps.append((ctc_numpy(log_probs, target, blank, linear=True),
                 "probabilities multiplied in linear space underflow to 0 on long utterances (the smallest float64 "
                 "is about 1e-308, log -709): keep alpha in log space and add with np.logaddexp"))
    return hyps


def ctc_cause(case, got: float, want: float, same: Callable[[float, float], bool]) -> str | None:
    """The cause of a wrong log p ``got`` (the solution's is ``want``; ``same`` says when two numbers agree)."""
    for predicted, cause in ctc_hypotheses(case):
        if same(got, predicted) and not same(predicted, want):
            return cause
    return None


def paths(case) -> str:
    """The paths of a small utterance that turn into the target: '(1, 1), (0, 1), (1, 0)'."""
    (T, C), target, blank = case["log_probs"].shape, list(case["target"]), case["blank"]
    found = []
    for path in itertools.product(range(C), repeat=T):
        labels = [s for s, _ in itertools.groupby(path) if s != blank]
        if labels == target:
            found.append("(" + ", ".join(map(str, path)) + ")")
    return ", ".join(found) or "none"


# ------------------------------------------------------------------------------------ Part 2: ctc_greedy_decode

def greedy_numpy(log_probs, blank, *, blank_id=None, blanks_first=False, merge=True, drop=True):
    """Greedy decoding; the keywords switch on a mistake: the blank taken as ``blank_id``, blanks removed before
    the repeats are merged, no merging, blanks kept."""
    blank = blank if blank_id is None else blank_id
    path = [int(s) for s in np.argmax(log_probs, axis=1)]
    if blanks_first:
        path = [s for s in path if s != blank]
    if merge:
        path = [s for s, _ in itertools.groupby(path)]
    return [s for s in path if s != blank or not drop]


def greedy_hypotheses(case):
    log_probs, blank = case["log_probs"], case["blank"]
    hyps = [(greedy_numpy(log_probs, blank, blanks_first=True),
             "you remove the blanks before merging repeats: a blank between two equal labels keeps them apart "
             "(a - a is a a); merge repeats FIRST, then remove the blanks"),
            (greedy_numpy(log_probs, blank, merge=False), "merge each run of the same symbol into one"),
            (greedy_numpy(log_probs, blank, drop=False), "remove the blanks from the decoded labels"),
            (greedy_numpy(log_probs, blank, merge=False, drop=False),
             "that is the best path itself: merge runs of the same symbol, then remove the blanks")]
    if blank != 0:
        hyps.append((greedy_numpy(log_probs, blank, blank_id=0),
                     f"you use the id 0 as the blank; here the blank is {blank}: use the argument blank"))
    return hyps


def greedy_cause(case, got: list[int], want: list[int]) -> str | None:
    """The cause of wrong decoded labels ``got`` (the solution's are ``want``)."""
    for predicted, cause in greedy_hypotheses(case):
        if got == predicted != want:
            return cause
    return None


# ------------------------------------------------------------------------------------ Part 3: linear_scan

def hillis_steele(a, b, h0, *, swapped=False, in_place=False):
    """The states by Hillis-Steele; the keywords switch on a mistake: the operator's order swapped, or B computed
    from the A already updated in the same round."""
    A, B = np.array(a, dtype=float), np.array(b, dtype=float)
    shift = 1
    while shift < len(A):
        if swapped:
            A[shift:], B[shift:] = A[shift:] * A[:-shift], A[:-shift] * B[shift:] + B[:-shift]
        elif in_place:
            A[shift:] = A[shift:] * A[:-shift]
            B[shift:] = A[shift:] * B[:-shift] + B[shift:]
        else:
            A[shift:], B[shift:] = A[shift:] * A[:-shift], A[shift:] * B[:-shift] + B[shift:]
        shift *= 2
    return A * h0 + B


def scan_hypotheses(case):
    a, b, h0 = case["a"], case["b"], case["h0"]
    hs = hillis_steele(a, b, h0)  # (T, B, H)
    return [(np.concatenate([h0[None], hs[:-1]]),
             "these are the states BEFORE each step (h0, h_1, ..., h_{T-1}), off by one: hs[t] is the state after "
             "step t, so hs[0] = a[0] * h0 + b[0]"),
            (hillis_steele(a, b, np.zeros_like(h0)), "h0 is missing: the states are h_t = A_t * h0 + B_t"),
            (hillis_steele(a, b, h0, swapped=True),
             "your operator takes its arguments in the wrong order: with the earlier element first, (a1, b1) . "
             "(a2, b2) = (a2 a1, a2 b1 + b2), so the new B is A[t] * B[t - shift] + B[t]"),
            (hillis_steele(a, b, h0, in_place=True),
             "a round reads values it has already updated: your new B uses the A of the same round; compute both "
             "new arrays from the previous round's values (e.g. in one tuple assignment) before you overwrite either")]


def scan_cause(case, got: np.ndarray, want: np.ndarray, same: Callable[[np.ndarray, np.ndarray], bool]) -> str | None:
    """The cause of wrong states ``got`` (T, B, H) (the solution's are ``want``; ``same`` says when they agree)."""
    for predicted, cause in scan_hypotheses(case):
        if same(got, predicted) and not same(predicted, want):
            return cause
    return None
