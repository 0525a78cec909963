"""The checks of assignment 5 (a character-level language model), used by its test cells: ``check("perplexity_hand",
perplexity)``.

For each check ``name`` (see rnnlib/checking.py): ``cases_<name>(rng)`` gives the inputs (plain numpy data),
``produce_<name>`` calls your function on copies of them and records what it returned as plain data (a torch tensor
becomes a numpy array and its dtype), and ``judge_<name>`` compares that record with the instructor's solution's
record of the same inputs (a05_references.json beside this file, for the visible checks) and says what is wrong and
where: the ids that differ, the frequencies of the draws next to the solution's, the perplexity, the call of your
loop and what it was given. This file computes no answer. When your work is graded, the judging happens again
outside your notebook, with the instructor's copy of this file and its diagnoses (a05_diagnoses.py, never
released), which also name the cause: a hint is given only once it is established, by re-computing what the
suspected mistake would give and naming it only if your numbers match.

Part 3 trains a model. What the judge checks from records: the chunks, states and losses of a small run (each
input compared with the chunk it should be, each state with the one before it), the first loss of the graded run
(the same for every correct loop), and, from the trained model's weights, its loss on the last chunks it trained on
and on the held-out text, which the judge computes itself. What it cannot check: that the weights came from your
train_char_lm rather than from another correct loop in the same notebook.
"""

from __future__ import annotations

import base64
import functools
import math

import numpy as np

from rnnlib.checking import Opaque, call, decode, diagnoses, encode, returned

DIAGNOSES = diagnoses(__file__)  # None in the students' copy

PASSED = {
    "sample_greedy": "sample_with_temperature: the visible checks pass",
    "sample_distribution": "sample_with_temperature: the draws follow softmax(logits)",
    "sample_temperature": "sample_with_temperature: the draws follow softmax(logits / tau)",
    "perplexity_hand": "perplexity: the hand-checked values are right",
    "perplexity_uniform": "perplexity: a uniform model has perplexity V",
    "perplexity_torch": "perplexity matches exp(torch.nn.functional.cross_entropy)",
    "train_chunks": "train_char_lm: chunks, states and losses as expected",
    "train_loss": "train_char_lm: the graded run's training loss went down as expected",
    "train_heldout": "train_char_lm: the trained model's held-out loss is below 2.3 nats per character",
}

N_DRAWS = 20_000  # draws per row in the distribution checks
HELDOUT_LIMIT = 2.3  # nats per character on the held-out text
MORE_LIMIT = HELDOUT_LIMIT + 0.5  # on text from other files (about 2.4 for a correct loop)
TRAIN_LIMIT = 2.2  # the mean of the last 10 training losses
# The graded run (the assignment's Part 3): a GRU language model, Adam, 120 updates of 32 streams x 32 characters.
# The solution's trained weights: no visible judge reads them, so they stay out of the released references.
NOT_RELEASED = ("weights",)
GRADED_RUN = {"E": 32, "H": 128, "model_seed": 0, "seq_len": 32, "n_updates": 120, "lr": 0.01, "optimizer": "adam"}


# ------------------------------------------------------------------------------------ data and records

@functools.lru_cache(maxsize=1)
def corpus():
    """(vocab, train_data (T_total, 32), val_data (T_val, 8), more_data (T_more, 8)) as the setup cell builds them,
    as int64 numpy arrays; ``more_data`` is text of other files further along the same shuffled corpus."""
    from rnnlib.data import Vocab, batchify, stdlib_corpus, train_val_split_text

    text = stdlib_corpus(max_chars=80_000, seed=0)
    train_text, val_text = train_val_split_text(text[:60_000], val_fraction=0.1)
    vocab = Vocab.build([train_text])
    arrays = (batchify(vocab.encode(train_text), 32), batchify(vocab.encode(val_text), 8),
              batchify(vocab.encode(text[60_000:]), 8))
    return (vocab, *(a.numpy() for a in arrays))


def _plain(value):
    """What a function returned, as plain data: a torch tensor becomes {"tensor": array or None, "dtype", "shape"};
    anything else is left for rnnlib.checking.encode (which names what it cannot hold)."""
    import torch

    if type(value) is not torch.Tensor:
        return value
    try:
        array = value.detach().cpu().numpy().copy()
    except (TypeError, RuntimeError):  # e.g. bfloat16, which numpy cannot hold
        array = None
    return {"tensor": array, "dtype": str(value.dtype), "shape": list(value.shape)}


def _is_tensor(value) -> bool:
    return isinstance(value, dict) and set(value) == {"tensor", "dtype", "shape"}


def _describe(value) -> str:
    if _is_tensor(value):
        return f"a torch tensor of dtype {value['dtype']} and shape {tuple(value['shape'])}"
    if isinstance(value, Opaque):
        return f"an object of type {value.type_name}"
    return f"{type(value).__name__} {value!r}"[:120]


def _gen(seed: int):
    import torch

    return torch.Generator().manual_seed(seed)


# ------------------------------------------------------------------------------------ Part 1: sampling

def _visible(rng) -> bool:
    """Whether ``rng`` is the visible checks' (seed 0): they keep the inputs the assignment's text describes."""
    return rng.bit_generator.seed_seq.entropy == 0


def _sample_case(logits, temperature, seed, expect="exact") -> dict:
    """``expect``: "exact" (torch.multinomial's draw from the same generator state), "argmax" (a tiny tau),
    "valid" (any valid ids), "error" (a tau that is not > 0 must raise ValueError), "counts" (see _row_case)."""
    if not temperature > 0:
        expect = "error"
    return {"logits": np.asarray(logits, dtype=np.float32), "temperature": temperature, "seed": seed,
            "expect": expect}


def cases_sample_greedy(rng):
    # Shape and type; a very small temperature gives the most likely id of every row; tau <= 0 is refused.
    if _visible(rng):  # the setup cell's example batch (5, 7)
        logits = 2.0 * np.random.default_rng(0).standard_normal((5, 7))
        return [_sample_case(logits, 1.0, 0, "valid"), _sample_case(logits, 1e-3, 0, "argmax")] + [
            _sample_case(logits, t, 0) for t in (0.0, 0, -1.0)]
    cases = []
    for B, V in ((1, 2), (1, 1), (9, 3), (40, 17)):
        logits = 3.0 * rng.standard_normal((B, V))
        cases += [_sample_case(logits, 1e-4, 1, "argmax"), _sample_case(logits, 1.3, 2, "valid")]
    gap = [[100.0, -100.0, 0.0], [-50.0, 0.0, 50.0]]  # a large gap between the logits: still no overflow
    return cases + [_sample_case(gap, 0.01, 3, "argmax")] + [_sample_case(gap, t, 0) for t in (-1e-9, -3, float("nan"))]


def _row_case(rows, temperature, seed) -> dict:
    """Every row of ``rows`` (R, V) repeated N_DRAWS times, one block after the other: (R * N_DRAWS, V)."""
    case = _sample_case(np.repeat(np.asarray(rows, dtype=np.float32), N_DRAWS, axis=0), temperature, seed, "counts")
    case["blocks"] = len(rows)
    return case


ROW = [2.0, 1.0, 0.5, 0.0, -1.0, -3.0]  # (6,)


def cases_sample_distribution(rng):
    if _visible(rng):
        return [_row_case([ROW], 1.0, 1)]
    return [_row_case(1.2 * rng.standard_normal((2, V)), 1.0, 7) for V in (2, 9)]


def cases_sample_temperature(rng):
    # The exact draws first, then the distributions at tau = 2.5 (flatter) and tau = 0.4 (sharper).
    if _visible(rng):
        logits = np.random.default_rng(51).standard_normal((64, 7)) * 1.5
        return ([_sample_case(logits, t, 11) for t in (0.5, 2.0)]
                + [_row_case([ROW], t, 12) for t in (2.5, 0.4)])
    cases = []
    for B, V in ((1, 2), (1, 11), (33, 5), (200, 13)):
        logits = 2.0 * rng.standard_normal((B, V))
        cases += [_sample_case(logits, t, 21) for t in (float(0.2 + 3.0 * rng.random()), 1.0, 0.05)]
    row = 1.5 * rng.standard_normal((1, 8))
    return cases + [_row_case(row, t, 22) for t in (3.7, 0.7)]


def produce_sample_with_temperature(fn, case):
    import torch

    def draw(logits, temperature, seed, blocks):
        ids = fn(torch.from_numpy(logits), temperature, _gen(seed))
        if blocks is None or type(ids) is not torch.Tensor or ids.dtype != torch.int64 or ids.ndim != 1:
            return _plain(ids)
        # N_DRAWS draws per row: the counts of each id, block by block, are what the judge needs.
        V = logits.shape[1]
        if len(ids) != blocks * N_DRAWS or (len(ids) and not (0 <= int(ids.min()) and int(ids.max()) < V)):
            return _plain(ids)
        counts = torch.bincount(ids + V * torch.arange(blocks).repeat_interleave(N_DRAWS), minlength=blocks * V)
        return {"counts": counts.view(blocks, V).numpy().copy()}

    return call(draw, case, lambda logits, temperature, seed, blocks=None, **_: (logits, temperature, seed, blocks))


produce_sample_greedy = produce_sample_distribution = produce_sample_temperature = produce_sample_with_temperature


WHAT = "sample_with_temperature"


def _ids(record, case) -> np.ndarray:
    """The ids drawn, after the checks of their type, shape, dtype and range."""
    logits, tau = case["logits"], case["temperature"]
    B, V = logits.shape
    error = record.get("error") if isinstance(record, dict) else None
    if isinstance(error, dict) and error.get("type") == "RuntimeError" and np.max(logits / tau) > 88.7:
        raise AssertionError(
            f"temperature {tau:g} raised {error.get('type')}: {str(error.get('message'))[:120]}. logits / {tau:g} "
            f"reach {np.max(logits / tau):.0f}, and exp() of them overflows to inf in float32 (inf / inf is nan); "
            f"use torch.softmax, which subtracts the largest logit first")
    value = returned(record, WHAT)
    if isinstance(value, dict) and set(value) == {"counts"}:
        return value
    if not _is_tensor(value):
        raise AssertionError(f"{WHAT}: return a torch tensor, got {_describe(value)}")
    if tuple(value["shape"]) != (B,):
        raise AssertionError(f"the ids have shape {tuple(value['shape'])}, expected (B,) = ({B},): one id per row "
                             f"(torch.multinomial returns (B, 1); take [:, 0])")
    if value["dtype"] != "torch.int64":
        raise AssertionError(f"the ids have dtype {value['dtype']}, expected torch.int64")
    ids = value["tensor"]
    if not (isinstance(ids, np.ndarray) and ids.shape == (B,) and ids.dtype == np.int64):
        raise AssertionError(f"{WHAT}: unreadable ids")
    if B and not (ids.min() >= 0 and ids.max() < V):
        raise AssertionError(f"ids {ids.tolist()[:10]} are not all in [0, V) = [0, {V})")
    return ids


def _counts(record, case) -> np.ndarray:
    """The counts of the ids drawn from each block of N_DRAWS rows, (blocks, V)."""
    value = _ids(record, case)
    blocks, V = case["blocks"], case["logits"].shape[1]
    counts = value.get("counts") if isinstance(value, dict) else None
    if not (isinstance(counts, np.ndarray) and counts.shape == (blocks, V) and counts.dtype.kind == "i"
            and np.all(counts.sum(axis=1) == N_DRAWS)):
        raise AssertionError(f"{WHAT}: unreadable counts of the draws")
    return counts


def _judge_distribution(counts, case, what, ref_counts):
    """Each block's counts (blocks, V) were drawn from the distribution of the solution's ``ref_counts`` (blocks, V),
    by a two-sample chi-square test at about 6 standard deviations."""
    tau = case["temperature"]
    for block, ref, rows in zip(counts, ref_counts, np.split(case["logits"], case["blocks"])):
        seen = (block + ref) > 0  # the ids drawn by either: the others say nothing
        stat = float(((block - ref)[seen] ** 2 / (block + ref)[seen]).sum())
        df = max(int(seen.sum()) - 1, 1)
        if stat < df + 6 * math.sqrt(2 * df):
            continue
        hint = ""
        top = int(np.argmax(rows[0]))
        if block[top] == N_DRAWS and ref[top] < 0.99 * N_DRAWS:
            hint = ": you always return the most likely id, which is greedy decoding; draw with torch.multinomial"
        else:
            cause = DIAGNOSES.distribution_cause(block, rows[0], tau) if DIAGNOSES else None
            hint = f": {cause}" if cause else ""
        freq, ref_freq = np.round(block / N_DRAWS, 3).tolist(), np.round(ref / N_DRAWS, 3).tolist()
        raise AssertionError(f"{what}: the frequencies of your draws {freq} do not follow {where(tau)}, which the "
                             f"solution's {N_DRAWS} draws follow with frequencies {ref_freq} (two-sample chi-square "
                             f"{stat:.0f}, about {df} expected)" + hint)


def where(tau) -> str:
    return "softmax(logits)" if tau == 1.0 else f"softmax(logits / tau) at tau = {tau:g}"


def judge_sample_with_temperature(case, record, reference):
    logits, tau, expect = case["logits"], case["temperature"], case["expect"]
    if expect == "error":
        if not isinstance(record, dict) or "error" not in record:
            returned(record, WHAT)  # unreadable
        error = record["error"]
        if isinstance(error, dict) and error.get("type") == "ValueError":
            return
        if error is None:
            raise AssertionError(f"temperature={tau!r} should raise ValueError: only tau > 0 is a temperature")
        raise AssertionError(f"temperature={tau!r} raised {error.get('type')}; raise ValueError: only tau > 0 is "
                             f"a temperature")
    if expect == "counts":
        _judge_distribution(_counts(record, case), case, f"temperature {tau:g}", _counts(reference, case))
        return
    ids = _ids(record, case)
    B = logits.shape[0]
    if expect == "argmax":
        argmax = logits.argmax(-1)
        if np.array_equal(ids, argmax):
            return
        cause = DIAGNOSES.draw_cause(case, ids) if DIAGNOSES else None
        hint = f": {cause}" if cause else ""
        if np.array_equal(ids, logits.argmin(-1)):
            hint = (": you get the LEAST likely id of each row; divide the logits by tau (do not multiply, do not "
                    "negate)")
        raise AssertionError(f"at temperature {tau:g} you drew {ids.tolist()[:12]}, expected the argmax of each row "
                             f"{argmax.tolist()[:12]}: dividing the logits by a small tau makes the largest one "
                             f"dominate the softmax" + hint)
    if expect == "valid":
        return
    want = _ids(reference, case)
    if np.array_equal(ids, want):
        return
    cause = DIAGNOSES.draw_cause(case, ids) if DIAGNOSES else None
    hint = f": {cause}" if cause else ""
    if not hint and np.array_equal(ids, logits.argmax(-1)) and not np.array_equal(want, ids):
        hint = ": these are the most likely ids of each row, which is greedy decoding; draw with torch.multinomial"
    raise AssertionError(
        f"temperature {tau:g}: {int((ids != want).sum())} of {B} ids differ from the solution's draws from the same "
        f"generator state (pass the generator on to torch.multinomial, and do not draw anything else from it first)"
        + hint)


judge_sample_greedy = judge_sample_distribution = judge_sample_temperature = judge_sample_with_temperature


# ------------------------------------------------------------------------------------ Part 2: perplexity

def _ppl_case(logits, targets) -> dict:
    return {"logits": np.asarray(logits), "targets": np.asarray(targets, dtype=np.int64)}


def _log(probs):
    return np.log(np.asarray(probs, dtype=np.float32))


def cases_perplexity_hand(rng):
    if _visible(rng):
        # One character that the model gives probability 1/4: perplexity 4. Then a model (almost) certain of every
        # right character: perplexity 1.
        targets = np.array([[3, 0, 2], [1, 1, 4], [0, 2, 2], [4, 3, 1]])  # (T, B) = (4, 3), V = 5
        certain = np.full((4, 3, 5), -20.0, dtype=np.float32)
        np.put_along_axis(certain, targets[..., None], 20.0, axis=2)
        return [_ppl_case(_log([[[0.25, 0.75]]]), [[0]]), _ppl_case(certain, targets)]
    cases = [_ppl_case(_log([[[p, 1.0 - p]]]), [[0]]) for p in (0.5, 0.1, 0.9)]
    # Two characters of probabilities 1/2 and 1/8: the geometric mean of 2 and 8 is 4.
    return cases + [_ppl_case(_log([[[0.5, 0.5]], [[0.125, 0.875]]]), [[0], [0]])]


def cases_perplexity_uniform(rng):
    if _visible(rng):
        vocab, _, val_data, _ = corpus()
        V, targets = len(vocab), val_data[1:41]  # (40, 8) real characters of the held-out text
        shift = 5.0 * rng.standard_normal((40, 8, 1))  # a constant per position does not change the softmax
        return [_ppl_case(np.zeros((40, 8, V), np.float32), targets),
                _ppl_case(np.zeros((40, 8, V), np.float32) + shift.astype(np.float32), targets)]
    cases = []
    for T, B, V in ((1, 1, 2), (3, 1, 17), (1, 6, 300), (7, 5, 31)):
        targets = rng.integers(0, V, (T, B))
        cases.append(_ppl_case(np.zeros((T, B, V), np.float32) + 10.0 * rng.standard_normal((T, B, 1)).astype(
            np.float32), targets))
    return cases


def cases_perplexity_torch(rng):
    # Random scores whose confidence changes from step to step.
    if _visible(rng):
        T, B, V = 6, 4, 11
        scale = np.linspace(0.2, 6.0, T)[:, None, None]  # (T, 1, 1): from nearly uniform to very peaked
        return [_ppl_case((scale * rng.standard_normal((T, B, V))).astype(np.float32), rng.integers(0, V, (T, B)))]
    cases = []
    for T, B, V in ((1, 1, 3), (9, 2, 5), (3, 7, 40), (20, 1, 2)):
        scale = 4.0 * np.abs(rng.standard_normal((T, 1, 1)))
        cases.append(_ppl_case((scale * rng.standard_normal((T, B, V))).astype(np.float32),
                               rng.integers(0, V, (T, B))))
    # float64 scores work as well.
    return cases + [_ppl_case(3.0 * rng.standard_normal((5, 3, 6)), rng.integers(0, 6, (5, 3)))]


def produce_perplexity(fn, case):
    import torch

    return call(lambda logits, targets: _plain(fn(torch.from_numpy(logits), torch.from_numpy(targets))), case)


produce_perplexity_hand = produce_perplexity_uniform = produce_perplexity_torch = produce_perplexity


def judge_perplexity(case, record, reference):
    ppl = returned(record, "perplexity")
    want = float(returned(reference, "the reference"))
    if not isinstance(ppl, float):
        raise AssertionError(f"perplexity: return a Python float (float(...)), got {_describe(ppl)}")
    ppl = float(ppl)
    tol = 1e-9 if case["logits"].dtype == np.float64 else 1e-5
    if abs(ppl - want) <= tol * want:
        return
    # The solution's perplexity gives the mean cross-entropy, ln(want), and the sum, T * B * ln(want): what the
    # mistakes that use them give follows from it.
    T, B, V = case["logits"].shape
    mean = math.log(want)

    def near(value):
        return math.isfinite(value) and abs(ppl - value) < 1e-4 * max(abs(value), 1.0)

    cause = None
    if near(2.0 ** mean):
        cause = ("you computed 2 ** cross-entropy, but torch's cross-entropy is in nats (natural log). Nats go with "
                 "exp, bits (log2) with 2 **")
    elif near(mean):
        cause = "that is the cross-entropy itself; perplexity is its exponential"
    elif DIAGNOSES:
        cause = DIAGNOSES.perplexity_cause(case, ppl)
    if cause is None and T * B > 1:
        total = T * B * mean
        if ppl == math.inf and total > 88.8:
            cause = (f"that is exp of the losses' SUM ({total:.0f} nats), which overflows; take their mean over all "
                     f"T * B characters")
        elif near(math.exp(min(total, 700.0))):
            cause = "you summed the losses; take their mean over all T * B characters"
    raise AssertionError(f"perplexity = {ppl:.6g}, expected {want:.6g} (T = {T}, B = {B}, V = {V})"
                         + (f": {cause}" if cause else ""))


judge_perplexity_hand = judge_perplexity_uniform = judge_perplexity_torch = judge_perplexity


# ------------------------------------------------------------------------------------ Part 3: train_char_lm

def _chunk_case(data, seq_len, n_updates, V, E, H, model_seed, lr) -> dict:
    return {"data": np.asarray(data, dtype=np.int64), "seq_len": seq_len, "n_updates": n_updates, "V": V, "E": E,
            "H": H, "model_seed": model_seed, "lr": lr}


def cases_train_chunks(rng):
    if _visible(rng):
        vocab, train_data, _, _ = corpus()
        # (61, 32): chunks of 20 start at rows 0, 20 and 40.
        return [_chunk_case(train_data[:61], 20, 3, len(vocab), 8, 16, 0, 0.1)]
    # Fresh data: the last chunk of a pass is shorter, and more updates than chunks start a second and third pass.
    return [_chunk_case(rng.integers(0, 11, (T, B)), seq_len, n, 11, 4, 6, 1, 0.05)
            for T, B, seq_len, n in ((26, 3, 7, 9), (13, 1, 4, 5), (40, 5, 39, 3), (30, 2, 6, 1))]


def _schedule(T_total: int, seq_len: int, n_updates: int) -> list[int]:
    """The first row of every chunk truncated BPTT reads, pass after pass."""
    starts = []
    while len(starts) < n_updates:
        starts += list(range(0, T_total - 1, seq_len))
    return starts[:n_updates]


def _losses(value):
    """A list of losses as plain numbers: one-element tensors become floats (float(loss) in the kernel)."""
    import torch

    if type(value) is list and all(type(v) is torch.Tensor and v.numel() == 1 for v in value):
        return [float(v.detach()) for v in value]
    return _plain(value)


def _TRAIN_ARGS(data, seq_len, n_updates, **_):
    return data, seq_len, n_updates


def produce_train_chunks(fn, case):
    """Train a small CharLM that records every call with plain SGD that counts its steps."""
    import torch
    import torch.nn.functional as F

    from rnnlib.models import CharLM

    calls = []

    class RecordingCharLM(CharLM):
        def forward(self, tokens, state=None):
            logits, new_state = super().forward(tokens, state)
            calls.append({"tokens": tokens.detach().clone(),
                          "state_in": None if state is None else state.detach().clone(),
                          "state_in_grad": bool(state is not None and state.requires_grad),
                          "logits": logits.detach().clone(), "state_out": new_state.detach().clone()})
            return logits, new_state

    class CountingSGD(torch.optim.SGD):
        n_steps = 0

        def step(self, closure=None):
            self.n_steps += 1
            return super().step(closure)

    model = RecordingCharLM(case["V"], case["E"], case["H"], cell="gru", generator=_gen(case["model_seed"]))
    before = [p.detach().clone() for p in model.parameters()]
    optimizer = CountingSGD(model.parameters(), lr=case["lr"])
    record = call(lambda data, seq_len, n_updates: _losses(fn(model, torch.from_numpy(data), seq_len, n_updates,
                                                              optimizer)), case, _TRAIN_ARGS)
    data = case["data"]
    starts = _schedule(len(data), case["seq_len"], case["n_updates"])
    recorded = []
    for k, c in enumerate(calls[:case["n_updates"] + 1]):
        entry = {"tokens": c["tokens"].numpy(), "state_in": None if c["state_in"] is None else c["state_in"].numpy(),
                 "state_in_grad": c["state_in_grad"], "state_out": c["state_out"].numpy(), "nll": None}
        if k < len(starts):  # the mean cross-entropy of this call's logits against the targets of chunk k
            i = starts[k]
            targets = torch.from_numpy(data[i + 1:i + 1 + min(case["seq_len"], len(data) - 1 - i)])
            if c["logits"].shape[:2] == targets.shape:
                entry["nll"] = F.cross_entropy(c["logits"].double().reshape(-1, c["logits"].shape[-1]),
                                               targets.reshape(-1)).item()
        recorded.append(entry)
    record["calls"] = encode(recorded)
    record["n_calls"] = len(calls)
    record["n_steps"] = optimizer.n_steps
    record["weights_changed"] = any(not torch.equal(p, q) for p, q in zip(model.parameters(), before))
    return record


def _train_returned(record):
    """What train_char_lm returned; an error that says the graph of an earlier chunk was used again is named."""
    error = record.get("error") if isinstance(record, dict) else None
    if isinstance(error, dict) and "backward through the graph a second time" in str(error.get("message")):
        raise AssertionError(
            f"train_char_lm raised {error.get('type')}: the second backward pass ran into the graph of the chunk "
            f"before, which the first one had already freed. The state you carry over still holds that graph: pass it "
            f"on detached, state.detach()")
    return returned(record, "train_char_lm")


def judge_train_chunks(case, record, reference):
    what = "train_char_lm"
    losses = _train_returned(record)
    n = case["n_updates"]
    if not (isinstance(losses, list) and len(losses) == n):
        got = f"a list of length {len(losses)}" if isinstance(losses, list) else _describe(losses)
        raise AssertionError(f"return a list of {n} losses, one per update; got {got}")
    if not all(type(v) is float for v in losses):
        raise AssertionError(f"{what}: the losses should be numbers (loss.item()), got "
                             f"{_describe(next(v for v in losses if type(v) is not float))}")
    try:
        calls, n_calls, n_steps = decode(record["calls"]), record["n_calls"], record["n_steps"]
        changed = record["weights_changed"]
        first_nll = decode(reference["calls"])[0]["nll"]
    except (KeyError, TypeError, IndexError) as error:
        raise AssertionError(f"{what}: unreadable record ({type(error).__name__})") from None
    if type(n_steps) is not int or type(n_calls) is not int or not isinstance(calls, list):
        raise AssertionError(f"{what}: unreadable record")
    if n_steps != n:
        raise AssertionError(f"the optimizer took {n_steps} steps, expected n_updates = {n}")
    if n_calls != n:
        raise AssertionError(f"the model was called {n_calls} times, expected one call per update")
    data, seq_len = case["data"], case["seq_len"]
    for k, (c, i) in enumerate(zip(calls, _schedule(len(data), seq_len, n))):
        t = min(seq_len, len(data) - 1 - i)
        inputs, targets = data[i:i + t], data[i + 1:i + 1 + t]  # (t, B)
        tokens = c["tokens"]
        if not (isinstance(tokens, np.ndarray) and tokens.shape == inputs.shape and np.array_equal(tokens, inputs)):
            hint = ""
            if isinstance(tokens, np.ndarray) and tokens.shape == targets.shape and np.array_equal(tokens, targets):
                hint = (": you passed the TARGETS as inputs. The model then sees the character it has to predict and "
                        "learns to copy it; feed the inputs and score against the targets")
            raise AssertionError(f"call {k}: the model was given tokens of shape {np.shape(tokens)}, expected rows {i} "
                                 f"to {i + t - 1} of data, shape {inputs.shape}, the inputs of chunk {k}" + hint)
        if i == 0:
            if c["state_in"] is not None:
                raise AssertionError(f"call {k} starts a pass over the data, so its state should be None (got a "
                                     f"state); the end of the streams is not the right context for their beginning")
        else:
            if c["state_in"] is None:
                raise AssertionError(f"call {k} was given state=None; pass the state returned for the previous chunk "
                                     f"(detached), so the model keeps the context of the text it has read")
            previous = calls[k - 1]["state_out"]
            if not (np.shape(c["state_in"]) == np.shape(previous) and np.array_equal(c["state_in"], previous)):
                raise AssertionError(f"call {k} was given a state that is not the one the previous call returned")
            if c["state_in_grad"]:
                raise AssertionError(f"call {k} was given a state that still requires grad: detach it, or every "
                                     f"backward pass runs back through all the earlier chunks")
        want = c["nll"]
        if type(want) is not float:
            raise AssertionError(f"{what}: unreadable record of call {k}")
        if k == 0 and not abs(want - first_nll) < 1e-5 * max(1.0, first_nll):
            raise AssertionError(f"call 0: the model's loss on the first chunk is {want:.6g}, but the model given to "
                                 f"your loop scores {first_nll:.6g} there before any update")
        if not abs(losses[k] - want) < 1e-5 * max(1.0, want):
            hint = ""
            if abs(losses[k] - want * targets.size) < 1e-5 * want * targets.size:
                hint = ": that is the SUM over the chunk's characters; take the mean (F.cross_entropy's default)"
            raise AssertionError(f"losses[{k}] = {losses[k]:.6g}, but the mean cross-entropy of that chunk's logits "
                                 f"against its targets is {want:.6g}" + hint)
    if changed is not True:
        raise AssertionError("the weights did not change")


# The graded run: train once per function, use the trained model for the losses and for the held-out text.
_RUNS: dict = {}


def cases_train_loss(rng):
    _, train_data, _, _ = corpus()
    return [{"data": train_data, **GRADED_RUN}]


def cases_train_heldout(rng):
    # The visible check: the last 10% of the text, which the model never trained on. The hidden one: text from other
    # files of the standard library, further along the same shuffled corpus.
    return [{**cases_train_loss(rng)[0], "heldout": "val" if _visible(rng) else "more"}]


def graded_run(fn):
    """(model, record) of the graded run with ``fn``: a GRU language model (E = 32, H = 128) trained from fixed seeds
    with Adam, learning rate 0.01, 120 updates of 32 streams x 32 characters. Trained once per function."""
    import torch

    from rnnlib.models import CharLM

    if id(fn) in _RUNS and _RUNS[id(fn)][0] is fn:
        return _RUNS[id(fn)][1:]
    vocab, train_data, _, _ = corpus()
    case = cases_train_loss(None)[0]
    torch.manual_seed(0)
    model = CharLM(len(vocab), case["E"], case["H"], cell="gru", generator=_gen(case["model_seed"]))
    optimizer = torch.optim.Adam(model.parameters(), lr=case["lr"])
    record = call(lambda data, seq_len, n_updates: _losses(fn(model, torch.from_numpy(data), seq_len, n_updates,
                                                              optimizer)), case, _TRAIN_ARGS)
    _RUNS.clear()  # one run kept: its model is 77,000 parameters
    _RUNS[id(fn)] = (fn, model, record)
    return model, record


def trained_lm(fn):
    """The model that the graded run trained with ``fn``, and the losses ``fn`` returned."""
    model, record = graded_run(fn)
    if record["error"] is not None:
        raise RuntimeError(f"train_char_lm raised {record['error']['type']}: {record['error']['message']}")
    return model, decode(record["returned"])


def produce_graded_run(fn, case):
    """The graded run's losses and its model's weights, each tensor as base64 of its float32 bytes (exact, and a
    quarter of the size of a list of numbers)."""
    model, record = graded_run(fn)
    weights = {name: {"shape": list(p.shape), "float32": base64.b64encode(
        p.detach().float().contiguous().numpy().tobytes()).decode("ascii")} for name, p in model.state_dict().items()}
    return {**record, "weights": weights}


produce_train_loss = produce_train_heldout = produce_graded_run


def _graded_losses(record, what="train_char_lm") -> list[float]:
    losses = _train_returned(record)
    n = GRADED_RUN["n_updates"]
    if not isinstance(losses, list) or not all(type(v) is float for v in losses):
        raise AssertionError(f"{what} should return a list of floats, the losses; got {_describe(losses)}")
    if len(losses) != n:
        raise AssertionError(f"train_char_lm returned {len(losses)} losses, expected n_updates = {n}")
    return losses


def judge_train_loss(case, record, reference):
    losses = _graded_losses(record)
    first = float(returned(reference, "the reference")[0])
    V = len(corpus()[0])
    if not abs(losses[0] - first) < 1e-4 * first:
        t_B = case["seq_len"] * case["data"].shape[1]
        hint = ""
        if abs(losses[0] - first * t_B) < 1e-3 * first * t_B:
            hint = ": that is the SUM over the chunk's characters; take the mean (F.cross_entropy's default)"
        elif DIAGNOSES:  # none of the causes it knows: say what the first loss should be
            cause = DIAGNOSES.first_loss_cause(case, losses[0], V)
            hint = f": {cause}" if cause else (": is it the mean cross-entropy (F.cross_entropy with reduction='mean') "
                                               "of the logits reshaped to (t * B, V) against the targets reshaped to "
                                               "(t * B,)?")
        raise AssertionError(
            f"the first loss is {losses[0]:.4f}, but the untrained model scores {first:.4f} nats per character on the "
            f"first chunk (about ln V = {math.log(V):.2f})" + hint)
    late = float(np.mean(losses[-10:]))
    if late < TRAIN_LIMIT:
        measured = _late_loss(_model_from(_weights(record)), case)
        if measured < TRAIN_LIMIT:
            return
        raise AssertionError(
            f"your losses say the training loss fell to {late:.3f} nats per character (mean of the last 10), but the "
            f"trained model scores {measured:.3f} on those 10 chunks: the losses returned are not those of the "
            f"model that was trained")
    hint = ""
    if late > losses[0]:
        hint = (": the loss went UP. Did you forget optimizer.zero_grad()? Without it backward() adds every new "
                "gradient to all the old ones, and the steps grow out of control")
    raise AssertionError(f"after 120 updates the training loss is {late:.3f} nats per character (mean of the last 10), "
                         f"expected well below {TRAIN_LIMIT} (a correct loop reaches about 1.5)" + hint)


def _weights(record):
    if not isinstance(record, dict) or "weights" not in record:
        raise AssertionError("train_char_lm: no trained model in the record")
    return record["weights"]


def _late_loss(model, case) -> float:
    """The trained model's mean loss on the graded run's last 10 chunks, the state carried from the start of their
    pass: what the last 10 losses measured, with the final weights instead of the weights of each step."""
    import torch
    import torch.nn.functional as F

    data, seq_len, n = torch.from_numpy(case["data"]), case["seq_len"], case["n_updates"]
    starts = _schedule(len(data), seq_len, n)
    first = max(k for k, i in enumerate(starts[:n - 10 + 1]) if i == 0)  # the pass that holds the last 10 chunks
    losses, state = [], None
    with torch.no_grad():
        for k in range(first, n):
            i = starts[k]
            t = min(seq_len, len(data) - 1 - i)
            logits, state = model(data[i:i + t], state)  # (t, B, V)
            losses.append(F.cross_entropy(logits.reshape(-1, logits.shape[-1]), data[i + 1:i + 1 + t].reshape(-1)))
    return float(torch.stack(losses[-10:]).mean())


def _model_from(weights):
    """A CharLM of the graded run's size holding the recorded weights, or AssertionError if they are unreadable."""
    import torch

    from rnnlib.models import CharLM

    model = CharLM(len(corpus()[0]), GRADED_RUN["E"], GRADED_RUN["H"], cell="gru")
    expected = {name: tuple(p.shape) for name, p in model.state_dict().items()}
    if not isinstance(weights, dict) or set(weights) != set(expected):
        raise AssertionError("train_char_lm: the trained model's weights are not readable from the record")
    state = {}
    for name, shape in expected.items():
        entry = weights[name]
        try:
            array = np.frombuffer(base64.b64decode(entry["float32"], validate=True), dtype="<f4")
        except (TypeError, KeyError, ValueError):
            array = None
        if array is None or entry.get("shape") != list(shape) or array.size != math.prod(shape):
            raise AssertionError(f"train_char_lm: the trained model's {name} is not readable from the record")
        state[name] = torch.from_numpy(array.copy()).view(shape)
    model.load_state_dict(state)
    return model.eval()


def heldout_loss(model, data, seq_len=64, copy=False) -> float:
    """Mean cross-entropy (nats per character) of next-character predictions down ``data`` (T, B), the state carried
    along; with ``copy``, of predicting the character the model reads (what a model trained on targets does)."""
    import torch
    import torch.nn.functional as F

    from rnnlib.data import bptt_chunks

    state, total, count = None, 0.0, 0
    with torch.no_grad():
        for inputs, targets in bptt_chunks(torch.from_numpy(np.asarray(data)), seq_len):  # (t, B) each
            logits, state = model(targets if copy else inputs, state)  # (t, B, V)
            total += F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1),
                                     reduction="sum").item()
            count += targets.numel()
    return total / count


def judge_train_heldout(case, record, reference):
    losses = _graded_losses(record)
    model = _model_from(_weights(record))
    _, _, val_data, more_data = corpus()
    data, limit = (val_data, HELDOUT_LIMIT) if case["heldout"] == "val" else (more_data, MORE_LIMIT)
    loss = heldout_loss(model, data)
    if loss < limit:
        return
    hint = ""
    if heldout_loss(model, data, copy=True) < 0.5:
        hint = (f": the model predicts the character it reads (it scores {heldout_loss(model, data, copy=True):.3f} "
                f"at that) and your training loss fell to {min(losses):.3f}, far below what any model can reach on "
                f"real text. During training the model saw the character it was asked to predict: feed the inputs "
                f"and score against the targets, the inputs shifted one step ahead")
    elif np.mean(losses[-10:]) > losses[0]:
        hint = (f": your training losses went UP as well, from {losses[0]:.2f} to {np.mean(losses[-10:]):.2f} (the "
                f"mean of the last 10), so the updates made the model worse (see the training loss's check)")
    text = "the held-out text" if case["heldout"] == "val" else "unseen text from other files (about 2.4 expected)"
    raise AssertionError(f"loss {loss:.3f} nats per character on {text} after 120 updates, expected below {limit}"
                         + hint)
