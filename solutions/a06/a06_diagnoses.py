"""The instructor's diagnoses of assignment 6 (LSTM and GRU cells): what a mistake would give, and its name.

The judges of a06_checks.py compare a student's record with the solution's and say what differs and where (which
output, which gradient, which gate's rows). To name the CAUSE they call this module: each ``*_cause`` function
re-computes the student's function in numpy with one mistake switched on (another gate order, tanh for a gate, a
missing bias, a path to c left out, ...) and returns the cause of the first mistake whose outputs match the
student's, or None. A cause is named only once the numbers establish it.

Those re-computations are working answers (switch every mistake off and they are the solution), so this module is
never released: nbgrader_config.py ignores ``*_diagnoses.py``, and the students' copy of the checker module finds
no diagnoses beside it (``diagnoses(__file__)`` is None there). Graded feedback, judged with the instructor's
copy, names the cause. The checker module loads this one by path; it imports numpy, rnnlib and the stdlib only,
and gets what it needs (the case, the arrays, the checker's tolerance ``agree(a, b)``) as arguments.
"""

from __future__ import annotations

import itertools

import numpy as np

from rnnlib.scratch.activations import sigmoid

LSTM_GATES = "ifgo"
GRU_GATES = "rzn"
# The same names as a06_checks.GATE_NAMES (tests/grading/test_a06_checks.py checks that they agree).
GATE_NAMES = {"i": "input gate i", "f": "forget gate f", "g": "candidate g", "o": "output gate o",
              "r": "reset gate r", "z": "update gate z", "n": "new state n"}
ACTIVATIONS = {"sigmoid": sigmoid, "tanh": np.tanh}


def _first_match(hypotheses, got, want, agree):
    """The cause of the first hypothesis whose outputs all match ``got`` (and not all ``want``), else None.

    ``got``, ``want`` and each prediction are indexed alike: tuples of outputs, or dicts of gradients restricted
    to the keys of ``got``."""
    keys = got.keys() if isinstance(got, dict) else range(len(got))
    for predicted, cause in hypotheses:
        if all(agree(got[k], predicted[k]) for k in keys) and not all(agree(predicted[k], want[k]) for k in keys):
            return cause
    return None


def _order_cause(blocks, gates, H):
    moved = [f"the {GATE_NAMES[g]} from rows {b * H}:{(b + 1) * H} (the {GATE_NAMES[gates[b]]}'s)"
             for g, b in zip(gates, blocks) if gates[b] != g]
    return f"your code reads {', '.join(moved)}: the row blocks are in the order {', '.join(gates)}"


# ------------------------------------------------------------------------------------ Part 1: lstm_step

def lstm_numpy(x, h_prev, c_prev, weight_ih, weight_hh, bias_ih, bias_hh, blocks=(0, 1, 2, 3),
               acts=("sigmoid", "sigmoid", "tanh", "sigmoid"), biases=("ih", "hh"), squash_c=True):
    """lstm_step in numpy, (h, c) each (B, H); the keywords switch on a mistake: the row block each gate reads
    (``blocks``), each gate's activation, the biases used, and whether h squashes c."""
    a = x @ weight_ih.T + h_prev @ weight_hh.T + ("ih" in biases) * bias_ih + ("hh" in biases) * bias_hh  # (B, 4H)
    parts = np.split(a, 4, axis=1)
    i, f, g, o = (ACTIVATIONS[act](parts[b]) for b, act in zip(blocks, acts))
    c = f * c_prev + i * g
    return o * (np.tanh(c) if squash_c else c), c


def _lstm_hypotheses(case):
    """(outputs, cause) for every single mistake of lstm_step that can be named."""
    hyps = [(lstm_numpy(**case, biases=("ih",)), "your gates ignore bias_hh: torch adds both biases, bias_ih and "
                                                  "bias_hh, to every pre-activation"),
            (lstm_numpy(**case, biases=("hh",)), "your gates ignore bias_ih: torch adds both biases, bias_ih and "
                                                  "bias_hh, to every pre-activation"),
            (lstm_numpy(**case, squash_c=False), "your h is o * c; the LSTM squashes the cell state first, "
                                                 "h = o * tanh(c)")]
    standard = ("sigmoid", "sigmoid", "tanh", "sigmoid")
    for acts in itertools.product(("sigmoid", "tanh"), repeat=4):
        if acts != standard:
            wrong = [f"the {GATE_NAMES[g]} uses {a}" for g, a, s in zip(LSTM_GATES, acts, standard) if a != s]
            hyps.append((lstm_numpy(**case, acts=acts), f"{' and '.join(wrong)}: i, f and o use sigmoid, only the "
                                                         "candidate g uses tanh"))
    for blocks in itertools.permutations(range(4)):
        if blocks != (0, 1, 2, 3):
            hyps.append((lstm_numpy(**case, blocks=blocks), _order_cause(blocks, LSTM_GATES, case["h_prev"].shape[1])))
    return hyps


def lstm_step_cause(case, got, want, agree):
    """The mistake that gives lstm_step's outputs ``got`` = (h, c) on ``case`` (``want``: the solution's), or
    None."""
    return _first_match(_lstm_hypotheses(case), got, want, agree)


# ------------------------------------------------------------------------------------ Part 2: gru_step

def gru_numpy(x, h_prev, weight_ih, weight_hh, bias_ih, bias_hh, blocks=(0, 1, 2), reset_after=True,
              z_keeps_h=True, biases=("ih", "hh")):
    """gru_step in numpy, h (B, H); the keywords switch on a mistake (blocks, Cho et al.'s reset, z and 1 - z
    swapped, a missing bias)."""
    H = h_prev.shape[1]
    b_ih, b_hh = ("ih" in biases) * bias_ih, ("hh" in biases) * bias_hh
    rows = [slice(b * H, (b + 1) * H) for b in blocks]  # the rows read as r, z, n
    gi = [x @ weight_ih[s].T + b_ih[s] for s in rows]  # 3 x (B, H)
    gh = [h_prev @ weight_hh[s].T + b_hh[s] for s in rows]  # 3 x (B, H)
    r, z = sigmoid(gi[0] + gh[0]), sigmoid(gi[1] + gh[1])
    n_rows = rows[2]
    n = np.tanh(gi[2] + (r * gh[2] if reset_after else (r * h_prev) @ weight_hh[n_rows].T + b_hh[n_rows]))
    return (1 - z) * n + z * h_prev if z_keeps_h else z * n + (1 - z) * h_prev


def _gru_hypotheses(case):
    hyps = [((gru_numpy(**case, z_keeps_h=False),),
             "you swapped z and 1 - z; in torch z is the share of the PREVIOUS state that is kept, "
             "h' = (1 - z) * n + z * h_prev"),
            ((gru_numpy(**case, reset_after=False),),
             "your reset gate acts before the product, W_hn (r * h) + b_hn, as in Cho et al.; torch resets the whole "
             "projected state, r * (h @ W_hn.T + b_hn)"),
            ((gru_numpy(**case, biases=("ih",)),), "your gates ignore bias_hh: torch adds both biases, bias_ih and "
                                                    "bias_hh (the n block's inside the reset)"),
            ((gru_numpy(**case, biases=("hh",)),), "your gates ignore bias_ih: torch adds both biases, bias_ih and "
                                                    "bias_hh")]
    for blocks in itertools.permutations(range(3)):
        if blocks != (0, 1, 2):
            hyps.append(((gru_numpy(**case, blocks=blocks),), _order_cause(blocks, GRU_GATES, case["h_prev"].shape[1])))
    return hyps


def gru_step_cause(case, got, want, agree):
    """The mistake that gives gru_step's output ``got`` = (h,) on ``case``, or None."""
    return _first_match(_gru_hypotheses(case), got, want, agree)


# ------------------------------------------------------------------------------------ Part 3: lstm_step_backward

def lstm_backward_numpy(dh, dc, x, h_prev, c_prev, weight_ih, weight_hh, bias_ih, bias_hh, via_h=True, via_dc=True,
                        forget_to_c_prev=True, biases=("ih", "hh")):
    """lstm_step_backward in numpy, the gradients by name; the keywords switch on a mistake: a path to c left out,
    dc_prev without f, a bias left out of the recomputed forward pass."""
    a = x @ weight_ih.T + h_prev @ weight_hh.T + ("ih" in biases) * bias_ih + ("hh" in biases) * bias_hh  # (B, 4H)
    a_i, a_f, a_g, a_o = np.split(a, 4, axis=1)
    i, f, g, o = sigmoid(a_i), sigmoid(a_f), np.tanh(a_g), sigmoid(a_o)
    tanh_c = np.tanh(f * c_prev + i * g)
    dc_total = via_dc * dc + via_h * dh * o * (1 - tanh_c ** 2)  # (B, H)
    da = np.concatenate([dc_total * g * i * (1 - i), dc_total * c_prev * f * (1 - f), dc_total * i * (1 - g ** 2),
                         dh * tanh_c * o * (1 - o)], axis=1)  # (B, 4H)
    return {"x": da @ weight_ih, "h_prev": da @ weight_hh, "c_prev": dc_total * (f if forget_to_c_prev else 1.0),
            "weight_ih": da.T @ x, "weight_hh": da.T @ h_prev, "bias_ih": da.sum(axis=0), "bias_hh": da.sum(axis=0)}


def _backward_hypotheses(case):
    total = "the total gradient on c is dc + dh * o * (1 - tanh(c)**2)"
    return [(lstm_backward_numpy(**case, via_h=False),
             f"c reaches the loss through dc AND through h = o * tanh(c), and your gradient on c misses the path "
             f"through h: {total}"),
            (lstm_backward_numpy(**case, via_dc=False),
             f"your gradient on c misses dc, the gradient that reaches c directly: {total}"),
            (lstm_backward_numpy(**case, forget_to_c_prev=False),
             "dc_prev should be the total gradient on c times f, since c = f * c_prev + i * g"),
            (lstm_backward_numpy(**case, biases=("ih",)),
             "your backward recomputes the gates without bias_hh: torch adds both biases to every pre-activation")]


def lstm_backward_cause(case, got, want, agree):
    """The mistake that gives lstm_step_backward's gradients ``got`` (a dict of the wrong ones) on ``case``, or
    None. A gate's block with the wrong sign needs no re-computation: the checker names it from the records."""
    return _first_match(_backward_hypotheses(case), got, want, agree)
