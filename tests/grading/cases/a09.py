"""Wrong and alternative submissions for a09, used by the grader proofs.

Every WRONG entry but one is the solution with one realistic mistake, written as a small edit of the solution's
answer (``harness.edit`` checks that the edited text occurs exactly once, so the mutant cannot drift from the
solution). The sequential loop is a different program, so it stays a whole answer. FAILURES says, for each, which
test cells fail and what the message of each must name: its cause, not a guess (tests/grading/test_a09_checks.py
runs them in-process; test_assignments.py grades them with nbgrader).
"""

import functools

import harness

NOTEBOOK = "a09_ctc_scan.ipynb"  # file name inside solutions/a09/
AUTOGRADED_POINTS = 22  # total points of the grade: true code test cells
MANUAL_POINTS = 4  # total points of the manually graded cells

edit = functools.partial(harness.edit, "a09")  # edit(grade_id, (old, new), ...)

SKIP = "skip[2:] = (ext[2:] != blank) & (ext[2:] != ext[:-2])"
LOG_LIKELIHOOD = "return float(np.logaddexp(alpha[-1], alpha[-2]))"
ROUND = "A[shift:], B[shift:] = A[shift:] * A[:-shift], A[shift:] * B[:-shift] + B[shift:]"

# Realistic wrong submissions: each maps grade_id of an autograded answer cell -> the solution's answer with one
# small edit. All other answer cells keep the correct solution, so each mutant has ONE realistic mistake.
WRONG = {
    # The blank written as the id 0 instead of the argument: right whenever the blank happens to be 0.
    "ctc: blank assumed to be 0": edit(
        "ctc-forward", ("ext = np.full(2 * len(target) + 1, blank)", "ext = np.zeros(2 * len(target) + 1, dtype=int)"),
        (SKIP, SKIP.replace("!= blank", "!= 0"))),
    # The skip over a blank allowed at every label, also between two equal labels (which then merge).
    "ctc: skip allowed between equal labels": edit("ctc-forward", (SKIP, "skip[2:] = ext[2:] != blank")),
    # The recursion on probabilities, logarithm taken at the end: alpha underflows to 0 on long utterances.
    "ctc: probabilities multiplied in linear space": edit(
        "ctc-forward",
        ("alpha = np.full(S, -np.inf)\n    alpha[:2] = log_probs[0, ext[:2]]",
         "probs = np.exp(log_probs)\n    alpha = np.zeros(S)\n    alpha[:2] = probs[0, ext[:2]]"),
        ("stay_or_step = np.logaddexp(alpha, np.concatenate([[-np.inf], alpha[:-1]]))",
         "stay_or_step = alpha + np.concatenate([[0.0], alpha[:-1]])"),
        ("jump = np.where(skip, np.concatenate([[-np.inf, -np.inf], alpha[:-2]]), -np.inf)",
         "jump = np.where(skip, np.concatenate([[0.0, 0.0], alpha[:-2]]), 0.0)"),
        ("alpha = np.logaddexp(stay_or_step, jump) + log_probs[t, ext]",
         "alpha = (stay_or_step + jump) * probs[t, ext]"),
        (LOG_LIKELIHOOD, "return float(np.log(alpha[-1] + alpha[-2]))")),
    # Only paths that end in the final blank are counted, not those that end in the last label.
    "ctc: only the final blank ends a path": edit("ctc-forward", (LOG_LIKELIHOOD, "return float(alpha[-1])")),
    # Blanks removed before repeats are merged: two equal labels separated by a blank collapse into one.
    "greedy: repeats collapsed across a blank": edit("ctc-greedy", (
        "keep = np.ones(len(best), dtype=bool)",
        "best = best[best != blank]  # blanks dropped first\n    keep = np.ones(len(best), dtype=bool)")),
    # The states before each step: h0, h_1, ..., h_{T-1} instead of h_1, ..., h_T (an exclusive scan).
    "scan: off by one, states before each step": edit("linear-scan", (
        "return A * h0 + B, rounds",
        "hs = A * h0 + B\n    return np.concatenate([h0[None], hs[:-1]]), rounds")),
    # A updated first, then B computed from the already updated A: a round mixes two levels.
    "scan: a round reads values it has already updated": edit("linear-scan", (
        ROUND, "A[shift:] = A[shift:] * A[:-shift]\n        B[shift:] = A[shift:] * B[:-shift] + B[shift:]")),
    # The operator applied in the wrong order: the later step's input scaled by the earlier step's coefficient.
    "scan: operator order swapped": edit("linear-scan", (
        "A[shift:] * B[:-shift] + B[shift:]", "A[:-shift] * B[shift:] + B[:-shift]")),
    # Issue 18: more mistakes a student of this assignment makes, each named by its cause.
    # The loss returned instead of the log-likelihood (CTCLoss's sign).
    "ctc: returns the loss -log p": edit(
        "ctc-forward", (LOG_LIKELIHOOD, "return float(-np.logaddexp(alpha[-1], alpha[-2]))")),
    # alpha_0 set in the first blank only: paths that start with the first label are lost.
    "ctc: paths start only in the blank": edit(
        "ctc-forward", ("alpha[:2] = log_probs[0, ext[:2]]", "alpha[0] = log_probs[0, blank]")),
    # The blank written as 0 in the decoder.
    "greedy: blank assumed to be 0": edit(
        "ctc-greedy", ("return [int(s) for s in best[keep] if s != blank]",
                       "return [int(s) for s in best[keep] if s != 0]")),
    # The scan run on a and b themselves: the rounds overwrite the caller's arrays.
    "scan: works in place on a and b": edit(
        "linear-scan", ("A, B = np.array(a, dtype=float), np.array(b, dtype=float)", "A, B = a, b")),
    # h0 left out of the result: the states of a recurrence that starts from 0.
    "scan: h0 left out": edit("linear-scan", ("return A * h0 + B, rounds", "return B, rounds")),
    # A correct loop, reported honestly: T rounds, not a parallel scan.
    "scan: a sequential loop": {"linear-scan": '''
def linear_scan(a, b, h0):
    hs = np.empty(np.shape(a))
    h = h0
    for t in range(len(a)):
        h = a[t] * h + b[t]
        hs[t] = h
    return hs, len(a)
'''},
}

_CTC = ("test-ctc-hand", "test-ctc-torch", "test-ctc-long")
_GREEDY = ("test-greedy-hand", "test-greedy-random")
_SCAN = ("test-scan-hand", "test-scan-random", "test-scan-rounds")
# Mutant -> {failing test cell: what its message must say}: every failing cell, each named by its cause.
FAILURES = {
    "ctc: blank assumed to be 0": {cell: "you use the id 0 as the blank" for cell in _CTC},
    "ctc: skip allowed between equal labels": {
        cell: "you also count paths that skip the blank between two equal labels" for cell in _CTC},
    "ctc: probabilities multiplied in linear space": {
        "test-ctc-long": "probabilities multiplied in linear space underflow to 0"},
    "ctc: only the final blank ends a path": {
        cell: "a path may end in the final blank OR in the last label" for cell in _CTC},
    "greedy: repeats collapsed across a blank": {
        cell: "you remove the blanks before merging repeats" for cell in _GREEDY},
    "scan: off by one, states before each step": {cell: "these are the states BEFORE each step" for cell in _SCAN},
    "scan: a round reads values it has already updated": {
        cell: "a round reads values it has already updated" for cell in _SCAN},
    "scan: operator order swapped": {
        cell: "your operator takes its arguments in the wrong order" for cell in _SCAN[:2]},
    "ctc: returns the loss -log p": {cell: "that is minus the answer, the loss -log p" for cell in _CTC},
    "ctc: paths start only in the blank": {cell: "a path may also start in the first label" for cell in _CTC},
    "greedy: blank assumed to be 0": {cell: "you use the id 0 as the blank" for cell in _GREEDY},
    "scan: works in place on a and b": {
        cell: "linear_scan modified its input a, b: do not modify your inputs" for cell in _SCAN},
    "scan: h0 left out": {cell: "h0 is missing" for cell in _SCAN[:2]},
    "scan: a sequential loop": {"test-scan-rounds": "a loop over the T steps, which is not a scan"},
}

# Graded alone and with every tampering of tests/grading/tampering.py (one mutant keeps CI short; RNN_TAMPERING=all
# grades every WRONG mutant so).
TAMPERING_MUTANTS = ["ctc: skip allowed between equal labels"]

# A correct solution written differently (e.g. a loop instead of vectorised, einsum instead of @), for EVERY
# answer cell, which must score full marks.
ALTERNATIVE = {
    # A loop over the extended label with a hand-written log-sum-exp, and a dict for the previous frame.
    "ctc-forward": '''
def _logsumexp(values):
    m = max(values)
    if m == -math.inf:
        return -math.inf
    return m + math.log(sum(math.exp(v - m) for v in values))


def ctc_log_likelihood(log_probs, target, blank):
    ext = [blank]
    for label in target:
        ext += [int(label), blank]
    prev = {0: log_probs[0][blank], 1: log_probs[0][ext[1]]}
    for t in range(1, len(log_probs)):
        cur = {}
        for s, symbol in enumerate(ext):
            terms = [prev.get(s, -math.inf), prev.get(s - 1, -math.inf)]
            if s >= 2 and symbol != blank and symbol != ext[s - 2]:
                terms.append(prev.get(s - 2, -math.inf))
            cur[s] = _logsumexp(terms) + log_probs[t][symbol]
        prev = cur
    return _logsumexp([prev[len(ext) - 1], prev[len(ext) - 2]])
''',
    # itertools.groupby merges the runs.
    "ctc-greedy": '''
import itertools


def ctc_greedy_decode(log_probs, blank):
    path = np.asarray(log_probs).argmax(axis=-1).tolist()
    return [symbol for symbol, _ in itertools.groupby(path) if symbol != blank]
''',
    # Blelloch's work-efficient scan: up-sweep, down-sweep, a final round; identity padding to a power of two.
    "linear-scan": '''
def linear_scan(a, b, h0):
    T = len(a)
    n = 1
    while n < T:
        n *= 2
    A = np.concatenate([np.asarray(a, dtype=float), np.ones((n - T,) + np.shape(a)[1:])])
    B = np.concatenate([np.asarray(b, dtype=float), np.zeros((n - T,) + np.shape(b)[1:])])
    rounds, width = 0, 2
    while width <= n:
        hi = np.arange(width - 1, n, width)
        lo = hi - width // 2
        A[hi], B[hi] = A[lo] * A[hi], A[hi] * B[lo] + B[hi]
        rounds, width = rounds + 1, width * 2
    A[-1], B[-1] = 1.0, 0.0
    width = n
    while width >= 2:
        hi = np.arange(width - 1, n, width)
        lo = hi - width // 2
        left_a, left_b = A[lo].copy(), B[lo].copy()
        A[lo], B[lo] = A[hi], B[hi]
        A[hi], B[hi] = left_a * A[hi], left_a * B[hi] + left_b
        rounds, width = rounds + 1, width // 2
    A_incl = np.asarray(a) * A[:T]
    B_incl = np.asarray(a) * B[:T] + np.asarray(b)
    return A_incl * h0 + B_incl, rounds + 1
''',
}

# What Validate says, with the students' copy of the checker module (no diagnoses beside it), in a test cell each of
# these mistakes fails: where the numbers are wrong, never the cause of FAILURES, which only the graded feedback
# gives (tests/grading/test_checks.py).
VALIDATE = {
    "ctc: skip allowed between equal labels": {
        "test-ctc-hand": "T=3, C=3, target=[1, 1], blank=0: log p should be -1.560648",
    },
    "greedy: repeats collapsed across a blank": {
        "test-greedy-hand": "should decode to [1, 1, 2, 3], you return",
    },
    "scan: a round reads values it has already updated": {
        "test-scan-hand": "differ from the loop's (scan_loop) at steps [1]; first hs[1, 0, 0] = 4, should be 5",
    },
}
