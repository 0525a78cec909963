"""The checks of assignment 7 (decoding and attention), used by its test cells: ``check("beam_toy", beam_search)``.

For each check ``name`` (run by rnnlib.checking: ``check = Checker("a07_checks")`` in the setup cell):
``cases_<name>(rng)`` gives the inputs (plain data: a next-token model is named by a small dict, ``toy()`` or
``random_spec(...)``, that ``model`` builds: the notebook's own models), ``produce_<name>(fn, case)`` calls your
function on copies of them and records what it returned and, for the decoders, every prefix it asked the model
about (plain data), and ``judge_<name>(case, record, reference)`` compares that record with the instructor's
solution's record on the same case and raises an AssertionError whose first line says what is wrong and where:
which tokens or score, which prefixes asked, which output, which positions of the weights.

This file computes no answer. The solution's records of the visible checks come with it (a07_references.json),
so that Validate works in your notebook. When your work is graded, the instructor's copy judges the same records
and also names the cause: it re-computes what each realistic mistake would give (eos's log-probability left out,
the winner ranked before length normalisation, a beam that does not shrink, the softmax over the batch axis, ...)
with the instructor's diagnoses (a07_diagnoses.py, not released) and names a mistake only if your numbers match.
"""

from __future__ import annotations

import numpy as np

from rnnlib.checking import call, diagnoses, returned

DIAGNOSES = diagnoses(__file__)  # None in the students' copy

PASSED = {
    "greedy_toy": "greedy_decode: the toy model gives 'a <eos>' with log-probability log 0.2",
    "greedy_random": "greedy_decode: each token is the most likely one after its prefix, and the log-probabilities "
                     "add up",
    "beam_toy": "beam_search: a beam of 2 finds 'b <eos>', better than greedy; a beam of 1 is greedy",
    "beam_length": "beam_search: length normalisation turns 'b <eos>' into 'a a <eos>' when alpha goes from 0 to 1",
    "beam_exhaustive": "beam_search: a wide enough beam is exhaustive search",
    "beam_pruning": "beam_search: the beam is pruned to beam_width, shrinks as hypotheses finish, and respects max_len",
    "attention_shapes": "additive_attention: shapes, columns that sum to 1, and the uniform weights of v = 0",
    "attention_mask": "additive_attention: padding gets exactly 0 and cannot change the context",
    "attention_values": "additive_attention: the hand-checked values, sequences that do not interact, and random "
                        "sizes",
}
TOL = 1e-10  # log-probabilities and scores are sums of a few float64 logs: equal to rounding

# ------------------------------------------------------------------------------------ the next-token models

# The notebook's toy model: P(next token | letters written so far) in the columns <eos>, a, b.
TOY_TABLE = {"": (0.1, 0.5, 0.4), "a": (0.4, 0.35, 0.25), "b": (0.6, 0.3, 0.1), "aa": (0.8, 0.12, 0.08),
             "any other": (0.7, 0.2, 0.1)}


def toy(eos=0, a=1, b=2, bos=3):
    """The toy model with the ids of <eos>, a and b (a permutation of 0, 1, 2) and of <bos>, as plain data."""
    return {"kind": "toy", "eos": eos, "a": a, "b": b, "bos": bos}


def random_spec(seed, V, bos, eos, eos_bias=0.0, salt=(), scale=1.5):
    """A random model over V tokens (the setup cell's random_model with ``salt=()``), as plain data."""
    return {"kind": "random", "seed": seed, "V": V, "bos": bos, "eos": eos, "eos_bias": eos_bias, "salt": list(salt),
            "scale": scale}


def model(spec: dict, prefixes: list | None = None):
    """next_log_probs(prefix) -> (V,) of the model ``spec`` names; every prefix it is called on goes to ``prefixes``.

    Like the notebook's models it refuses a prefix that does not start with bos or that continues after eos.
    """
    bos, eos = spec["bos"], spec["eos"]

    def next_log_probs(prefix):
        prefix = [int(t) for t in prefix]
        if prefixes is not None:
            prefixes.append(prefix)
        if not prefix or prefix[0] != bos:
            raise ValueError(f"a prefix must start with bos = {bos}, got {prefix}: call next_log_probs([bos] + tokens)")
        if eos in prefix[1:]:
            raise ValueError(f"the prefix {prefix} continues after eos = {eos}: a finished hypothesis must not be "
                             "extended")
        if spec["kind"] == "toy":
            names = {spec["a"]: "a", spec["b"]: "b"}
            letters = "".join(names.get(t, "?") for t in prefix[1:])
            p = dict(zip(("eos", "a", "b"), TOY_TABLE.get(letters, TOY_TABLE["any other"])))
            return np.log([p[name] for name in sorted(p, key=lambda n: spec[n])])  # (3,), in id order
        key = [spec["seed"], *spec["salt"], len(prefix), *prefix]
        logits = spec["scale"] * np.random.default_rng(key).standard_normal(spec["V"])  # (V,)
        logits[eos] += spec["eos_bias"]
        shifted = logits - logits.max()
        return shifted - np.log(np.exp(shifted).sum())  # log-softmax, (V,)

    return next_log_probs


def show(spec, tokens) -> str:
    """Tokens as the toy's letters ('a a <eos>'), or as ids for a random model."""
    if spec["kind"] == "toy":
        names = {spec["eos"]: "<eos>", spec["a"]: "a", spec["b"]: "b", spec["bos"]: "<bos>"}
        return "'" + " ".join(names.get(t, str(t)) for t in tokens) + "'"
    return str(list(tokens))


# ------------------------------------------------------------------------------------ records

def _call_decoder(fn, case):
    """The record of fn(next_log_probs, ...) on the case's model: what it returned, and the prefixes it asked."""
    prefixes = []
    record = call(fn, case, lambda model_spec, **rest: (model(model_spec, prefixes), *rest.values()))
    record["prefixes"] = [list(p) for p in sorted({tuple(p) for p in prefixes})]
    return record


def _number(value, what):
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, np.ndarray) and value.size == 1 and value.dtype.kind in "iuf":
        return float(value.ravel()[0])
    raise AssertionError(f"{what} should be a number (float), got {value!r}"[:200])


def _tokens(value, what):
    items = value.tolist() if isinstance(value, np.ndarray) and value.ndim == 1 else value
    if isinstance(items, (list, tuple)) and all(
            isinstance(t, (int, float)) and not isinstance(t, bool) and float(t) == int(t) for t in items):
        return [int(t) for t in items]
    raise AssertionError(f"{what} should be a list of token ids (int), got {value!r}"[:200])


def _pair(record, what, second):
    """(tokens, number) a decoder returned, after the checks every function shares."""
    value = returned(record, what, n=2, hint="the models here are read-only")
    return _tokens(value[0], f"{what}'s tokens"), _number(value[1], f"{what}'s {second}")


def _close(a, b, tol=TOL) -> bool:
    return a is not None and b is not None and abs(a - b) <= tol


# ------------------------------------------------------------------------------------ Part 1: greedy_decode

def _greedy_case(spec, max_len):
    return {"model_spec": spec, "bos": spec["bos"], "eos": spec["eos"], "max_len": max_len}


def _random_decoder_spec(rng, salt):
    """A random model with fresh ids for bos and eos: V in 2..6, bos one of the V ids or the next one."""
    V = int(rng.integers(2, 7))
    bos = int(rng.integers(0, V + 1))
    eos = int(rng.choice([t for t in range(V) if t != bos]))
    return random_spec(int(rng.integers(1000)), V, bos, eos, float(rng.choice([-4.0, -1.0, 0.0, 0.5, 2.0])), salt,
                       scale=2.0)


def _relabelled_toy(rng):
    eos, a, b = (int(t) for t in rng.permutation(3))
    return toy(eos, a, b, bos=int(rng.integers(3, 9)))


def cases_greedy_toy(rng):
    # The toy by hand: a (0.5), then <eos> (0.4 after a); max_len = 1 stops after a. Then the toy with other ids,
    # so that no id may be hard-coded.
    relabelled = _relabelled_toy(rng)
    return [_greedy_case(toy(), 10), _greedy_case(toy(), 1)] + [_greedy_case(relabelled, n) for n in (10, 2, 1)]


def cases_greedy_random(rng):
    # Random models over V = 5 tokens with bos = 5 and eos = 1: one that ends quickly, one that rarely ends; then
    # random models of other sizes and ids.
    cases = [_greedy_case(random_spec(1, 5, 5, 1, 1.0), 8), _greedy_case(random_spec(2, 5, 5, 1, -3.0), 6)]
    return cases + [_greedy_case(_random_decoder_spec(rng, (99,)), int(rng.integers(1, 10))) for _ in range(4)]


produce_greedy_toy = produce_greedy_random = _call_decoder


def _first_difference(tokens, want):
    return next((t for t, (a, b) in enumerate(zip(tokens, want)) if a != b), min(len(tokens), len(want)))


def _greedy_tokens_message(case, tokens, want):
    """What is wrong with greedy_decode's ``tokens`` (the reference's are ``want``), and the cause once it is known."""
    spec, bos, eos, max_len = case["model_spec"], case["bos"], case["eos"], case["max_len"]
    got = f"greedy_decode wrote {show(spec, tokens)} with max_len = {max_len}, expected {show(spec, want)}"
    if tokens == want[:-1] and want[-1] == eos:
        return f"{got}: keep eos as the last token of the output"
    if tokens[:1] == [bos] and tokens[1:] == want:
        return f"{got}: bos is fed first but is not part of the output"
    if eos in tokens[:-1]:
        return f"{got}: it went on after eos = {eos}; stop once eos is written"
    if len(tokens) > max_len:
        return f"{got}: max_len counts every written token, eos included"
    cause = DIAGNOSES.greedy_token_cause(case, tokens, model) if DIAGNOSES else None
    if cause is not None:
        return f"{got}: {cause}"
    if not tokens or (tokens[-1] != eos and len(tokens) < max_len):
        return f"{got}: it stopped before eos and before max_len"
    return f"{got}: they differ first at token {_first_difference(tokens, want)}"


def _judge_greedy(case, record, reference):
    tokens, log_prob = _pair(record, "greedy_decode", "log_prob")
    want, want_lp = _pair(reference, "the reference", "log_prob")
    if tokens != want:
        raise AssertionError(_greedy_tokens_message(case, tokens, want))
    if _close(log_prob, want_lp):
        return
    got = (f"the log-probability of {show(case['model_spec'], tokens)} should be the sum of its tokens' "
           f"log-probabilities, {want_lp:.6f}; got {log_prob:.6f}")
    cause = DIAGNOSES.greedy_log_prob_cause(case, tokens, log_prob, model) if DIAGNOSES else None
    raise AssertionError(f"{got}: {cause}" if cause else got)


judge_greedy_toy = judge_greedy_random = _judge_greedy


# ------------------------------------------------------------------------------------ Part 2: beam_search

def _beam_case(spec, width, max_len, alpha, exact_calls=False):
    case = {"model_spec": spec, "bos": spec["bos"], "eos": spec["eos"], "beam_width": width, "max_len": max_len,
            "alpha": alpha}
    if exact_calls:  # the judge checks which prefixes were asked (not an argument: produce_ leaves it out)
        case["exact_calls"] = True
    return case


def _call_beam(fn, case):
    args = {k: v for k, v in case.items() if k != "exact_calls"}
    return _call_decoder(fn, args)


def _random_beam_spec(rng):
    return _random_decoder_spec(rng, (77,))  # salted apart from the greedy checks' models


def cases_beam_toy(rng):
    # A beam of 2 on the toy finds 'b <eos>' (0.24), which greedy misses; a beam of 1 is greedy, on the toy and on
    # random models (outputs cut at max_len included).
    cases = [_beam_case(toy(), 2, 10, 0.0), _beam_case(toy(), 1, 10, 0.0), _beam_case(toy(), 1, 10, 1.0)]
    return cases + [_beam_case(_random_beam_spec(rng), 1, int(rng.integers(1, 8)), float(rng.choice([0.0, 0.7, 1.0])))
                    for _ in range(3)]


def cases_beam_length(rng):
    # A beam of 4 on the toy finishes <eos>, b <eos>, a <eos> and a a <eos>: alpha decides which one wins. Then the
    # toy with other ids and other alphas.
    relabelled = _relabelled_toy(rng)
    return [_beam_case(toy(), 4, 10, 0.0), _beam_case(toy(), 4, 10, 1.0)] + [
        _beam_case(relabelled, 4, 10, alpha) for alpha in (0.5, 0.7, 2.0)]


def cases_beam_exhaustive(rng):
    # A beam wider than the number of candidates is exhaustive search: every output of up to max_len tokens.
    cases = [_beam_case(toy(), 500, 5, 0.0), _beam_case(toy(), 500, 5, 1.0)]
    for _ in range(2):
        spec = _random_beam_spec(rng)
        max_len = int(rng.integers(2, 6 if spec["V"] <= 4 else 4))
        width = sum(spec["V"] ** t for t in range(1, max_len + 1)) + 1
        cases += [_beam_case(spec, width, max_len, alpha) for alpha in (0.0, 0.7, 1.0)]
    return cases


def cases_beam_pruning(rng):
    # Pruning: a beam of 2 with alpha = 1 drops 'a a' at step 2, so it returns 'b <eos>'. max_len: with 1 and a beam
    # of 2 nothing finishes ('a' is returned); with a beam of 3 '<eos>' finishes and wins. Shrinking: a beam of 3
    # that kept 3 places after '<eos>' finished would go on to find 'a a <eos>' (the result shows it, whatever the
    # record of the prefixes says); with a beam of 4 the toy is asked about [<bos>], a, b and a a only. Then random
    # models, beams of 2 to 5.
    cases = [_beam_case(toy(), 2, 10, 1.0), _beam_case(random_spec(3, 5, 5, 0, -2.0), 3, 6, 1.0),
             _beam_case(toy(), 2, 1, 1.0), _beam_case(toy(), 3, 1, 1.0), _beam_case(toy(), 4, 2, 1.0),
             _beam_case(toy(), 3, 10, 1.0), _beam_case(toy(), 4, 10, 1.0, exact_calls=True)]
    return cases + [_beam_case(_random_beam_spec(rng), int(rng.integers(2, 6)), int(rng.integers(2, 8)),
                               float(rng.choice([0.0, 0.5, 0.7, 1.0]))) for _ in range(3)]


produce_beam_toy = produce_beam_length = produce_beam_exhaustive = produce_beam_pruning = _call_beam


def _judge_beam(case, record, reference, calls=False):
    tokens, score = _pair(record, "beam_search", "score")
    want = _pair(reference, "the reference", "score")
    spec, width, max_len = case["model_spec"], case["beam_width"], case["max_len"]
    setting = f"beam_width={width}, max_len={max_len}, alpha={case['alpha']}"
    if tokens != want[0] or not _close(score, want[1]):
        cause = DIAGNOSES.beam_cause(case, (tokens, score), want, record.get("prefixes"), model) if DIAGNOSES else None
        if cause is None and tokens != want[0]:
            cause = f"expected {show(spec, want[0])} with score {want[1]:.6f}"
        elif cause is None:
            cause = f"the tokens are right but the score should be {want[1]:.6f}, log-probability / L**alpha"
        raise AssertionError(f"beam_search ({setting}) returned {show(spec, tokens)} with score {score:.6f}: {cause}")
    if not calls:
        return
    prefixes = record.get("prefixes")
    if not (isinstance(prefixes, list) and all(isinstance(p, list) and all(type(t) is int for t in p)
                                                for p in prefixes)):
        raise AssertionError("beam_search: unreadable record of the prefixes asked")
    per_length = {}
    for p in prefixes:
        per_length[len(p)] = per_length.get(len(p), 0) + 1
    most = max(per_length.values(), default=0)
    if most > width:
        raise AssertionError(f"next_log_probs was called on {most} different prefixes of one length with beam_width = "
                             f"{width}: keep only the k best candidates over all live hypotheses at each step")
    if max((len(p) for p in prefixes), default=0) > max_len:
        raise AssertionError(f"beam_search extended a hypothesis of max_len = {max_len} tokens: a hypothesis has at "
                             "most max_len tokens, eos included")
    allowed = {tuple(p) for p in reference.get("prefixes", [])}
    extra = [p for p in prefixes if tuple(p) not in allowed]
    if case.get("exact_calls") and extra:
        asked = [show(spec, p[1:]) if len(p) > 1 else "'<bos>'" for p in sorted(prefixes, key=len)]
        asked = ", ".join(asked[:8]) + (f" and {len(asked) - 8} more" if len(asked) > 8 else "")
        raise AssertionError(f"with a beam of {width} the toy model should be asked about [<bos>], then a and b, "
                             f"then only a a (k = 4 - 3 finished = 1), then nothing (k = 0); it was asked about "
                             f"{asked}: decrease k by one for each finished hypothesis")


judge_beam_toy = judge_beam_length = judge_beam_exhaustive = _judge_beam


def judge_beam_pruning(case, record, reference):
    _judge_beam(case, record, reference, calls=True)


# ------------------------------------------------------------------------------------ Part 3: additive_attention

def _attention_case(rng, S, B, Hq, Hk, Hv, A, mask=None, v_scale=2.0, zero_v=False, padded=False):
    """Inputs of additive_attention (params flattened into W_query, W_key, v); every column of mask has a True."""
    if mask is None:
        mask = rng.random((S, B)) < 0.6
        mask[rng.integers(S, size=B), np.arange(B)] = True
    case = {"query": rng.standard_normal((B, Hq)), "keys": rng.standard_normal((S, B, Hk)),
            "values": rng.standard_normal((S, B, Hv)), "mask": mask,
            "W_query": rng.standard_normal((A, Hq)) / np.sqrt(Hq), "W_key": rng.standard_normal((A, Hk)) / np.sqrt(Hk),
            "v": np.zeros(A) if zero_v else v_scale * rng.standard_normal(A)}
    if padded:  # the same inputs with large numbers at the padding, which must change nothing
        case["keys_padded"], case["values_padded"] = case["keys"].copy(), case["values"].copy()
        case["keys_padded"][~mask] = 1e3
        case["values_padded"][~mask] = -1e6
    return case


def _setup_mask():
    """The notebook's batch: B = 3 sequences of lengths 5, 2 and 4, padded to S = 5; (S, B)."""
    return np.arange(5)[:, None] < np.array([5, 2, 4])[None, :]


def _call_attention(fn, case, keys="keys", values="values"):
    def build(query, mask, W_query, W_key, v, **arrays):
        return query, arrays[keys], arrays[values], {"W_query": W_query, "W_key": W_key, "v": v}, mask

    return call(fn, case, build)


def produce_attention(fn, case):
    record = _call_attention(fn, case)
    if "keys_padded" in case:
        record["padded"] = _call_attention(fn, case, "keys_padded", "values_padded")
    return record


produce_attention_shapes = produce_attention_mask = produce_attention_values = produce_attention


def cases_attention_shapes(rng):
    # The notebook's sizes, every one different (S, B, Hq, Hk, Hv, A = 5, 3, 4, 6, 2, 7), so that a transposed
    # weight is a shape error; v = 0 makes every score 0: uniform weights over the real positions.
    cases = [_attention_case(rng, 5, 3, 4, 6, 2, 7, _setup_mask()), _attention_case(rng, 5, 3, 4, 6, 2, 7,
                                                                                     _setup_mask(), zero_v=True)]
    for _ in range(2):
        shape = tuple(int(n) for n in rng.integers(1, 7, size=6))
        cases += [_attention_case(rng, *shape), _attention_case(rng, *shape, zero_v=True)]
    return cases


def cases_attention_mask(rng):
    # Padding gets exactly 0 and cannot leak in (large keys and values there change nothing); one real position
    # per sequence takes all of the weight. Then padding anywhere, not only at the end.
    only = np.zeros((5, 3), dtype=bool)
    only[[1, 0, 3], np.arange(3)] = True
    cases = [_attention_case(rng, 5, 3, 4, 6, 2, 7, _setup_mask(), padded=True),
             _attention_case(rng, 5, 3, 4, 6, 2, 7, only, padded=True)]
    for _ in range(3):
        S, B, Hq, Hk, Hv, A = (int(n) for n in rng.integers(1, 8, size=6))
        cases.append(_attention_case(rng, max(S, 2), B, Hq, Hk, Hv, A, v_scale=3.0, padded=True))
    return cases


def _hand_case(mask):
    """One sequence (B = 1) of S = 3 positions, every size 1: W_query = W_key = [[1]], v = [2], and q + k_s =
    arctanh(e_s / 2) for the scores e = (0, ln 2, ln 3): weights (1, 2, 3) / 6 and, with values (1, 2, 3), the
    context 7/3; with the last position masked (1, 2, 0) / 3 and 5/3."""
    e = np.log([1.0, 2.0, 3.0])
    return {"query": np.array([[0.3]]), "keys": (np.arctanh(e / 2) - 0.3).reshape(3, 1, 1),
            "values": np.array([1.0, 2.0, 3.0]).reshape(3, 1, 1), "mask": np.array(mask).reshape(3, 1),
            "W_query": np.array([[1.0]]), "W_key": np.array([[1.0]]), "v": np.array([2.0])}


def _alone(case, b):
    """Sequence b of a batch case, attended alone (B = 1): the batch's column b is the answer."""
    return {k: (v[:, b:b + 1] if k in ("keys", "values", "mask") else v[b:b + 1] if k == "query" else v)
            for k, v in case.items()}


def cases_attention_values(rng):
    # By hand; then the sequences of a batch do not interact (each one alone gives the batch's column); then
    # random sizes.
    batch = _attention_case(rng, 5, 3, 4, 6, 2, 7, _setup_mask())
    cases = [_hand_case([True, True, True]), _hand_case([True, True, False]), batch] + [
        _alone(batch, b) for b in range(3)]
    for _ in range(3):
        cases.append(_attention_case(rng, *(int(n) for n in rng.integers(1, 8, size=6)), v_scale=2.0))
    return cases


def _attention_outputs(record, case, what="additive_attention"):
    value = returned(record, what, n=2, hint="compute new arrays (np.where, e / e.sum(...)) instead of writing into "
                                             "the arguments")
    S, B = case["mask"].shape
    Hv = case["values"].shape[2]
    out = []
    for item, name, shape in zip(value, ("context", "weights"), ((B, Hv), (S, B))):
        if not isinstance(item, (np.ndarray, float)):
            raise AssertionError(f"{what}'s {name} should be a numpy array of shape {shape}, got {item!r}"[:200])
        item = np.asarray(item, dtype=np.float64)
        if item.shape != shape:
            hint = ": the weights are time-major, (S, B), not (B, S)" if name == "weights" and item.shape == (B, S) \
                else ""
            raise AssertionError(f"{what}'s {name} has shape {item.shape}, expected {shape}{hint}")
        out.append(item)
    return tuple(out)


def _agree(got, want) -> bool:
    return all(np.allclose(g, w, rtol=1e-10, atol=1e-12) for g, w in zip(got, want))


def _sizes(case):
    S, B = case["mask"].shape
    return f"S={S}, B={B}"


def _at(index) -> str:
    return "[" + ", ".join(str(int(i)) for i in index) + "]"


def _judge_attention_basics(case, got):
    """Weights >= 0, exactly 0 at padding, columns that sum to 1 over S."""
    context, weights = got
    mask = case["mask"]
    if not np.all(weights[~mask] == 0.0):
        cause = DIAGNOSES.attention_cause(case, got) if DIAGNOSES else None
        where = ", ".join(f"weights{_at(i)} = {weights[tuple(i)]:.3g}" for i in np.argwhere(~mask & (weights != 0))[:4])
        raise AssertionError(f"padded positions should get a weight of exactly 0 ({_sizes(case)}), yours have {where}"
                             + (f": {cause}" if cause else ""))
    sums = weights.sum(axis=0)  # (B,)
    if not (np.all(weights >= 0) and np.allclose(sums, 1.0, rtol=0, atol=1e-12)):
        cause = DIAGNOSES.attention_cause(case, got) if DIAGNOSES else None
        columns = [int(b) for b in np.flatnonzero(~np.isclose(sums, 1.0, rtol=0, atol=1e-12))]
        where = f"the sums are {np.round(sums, 6)}" + (f", wrong in columns b = {columns}" if columns else "")
        if np.any(weights < 0):
            where = f"weights{_at(np.argwhere(weights < 0)[0])} is negative; " + where
        raise AssertionError(f"each column of the weights (S, B) should be >= 0 and sum to 1 over S; {where} "
                             f"({_sizes(case)})" + (f": {cause}" if cause else ""))


def _judge_attention_values(case, got, want):
    if _agree(got, want):
        return
    cause = DIAGNOSES.attention_cause(case, got) if DIAGNOSES else None
    if cause is None:
        wrong = []
        for g, w, name in zip(got, want, ("context", "weights")):
            if not np.allclose(g, w, rtol=1e-10, atol=1e-12):
                i = np.unravel_index(np.argmax(np.abs(g - w)), g.shape)
                wrong.append(f"{name} (most at {name}{_at(i)}: {g[i]:.6f}, expected {w[i]:.6f})")
        cause = f"{' and '.join(wrong)} differ from the expected values"
        if np.allclose(got[1], case["mask"] / case["mask"].sum(axis=0)) and np.any(case["v"]):
            cause = "the weights are uniform over the real positions, as if every score were the same: " + cause
    raise AssertionError(f"additive_attention ({_sizes(case)}): {cause}")


def judge_attention_shapes(case, record, reference):
    got = _attention_outputs(record, case)
    _judge_attention_basics(case, got)
    if not np.any(case["v"]):  # v = 0: every score 0, so uniform weights over the real positions, by hand
        mask = case["mask"]
        uniform = mask / mask.sum(axis=0)  # (S, B)
        if not np.allclose(got[1], uniform, rtol=0, atol=1e-12):
            raise AssertionError(f"with v = 0 every score is 0, so the weights of sequence b should be 1 / length[b] "
                                 f"at its real positions and 0 at padding, i.e.\n{np.round(uniform, 3)}\ngot\n"
                                 f"{np.round(got[1], 3)}")
        if not np.allclose(got[0], np.einsum("sb,sbh->bh", uniform, case["values"]), rtol=0, atol=1e-12):
            raise AssertionError("with v = 0 the context of each sequence should be the mean of its real values: "
                                 "context[b] = sum over s of weights[s, b] * values[s, b]")


def judge_attention_mask(case, record, reference):
    got = _attention_outputs(record, case)
    want = _attention_outputs(reference, case, "the reference")
    _judge_attention_basics(case, got)
    if case["mask"].sum(axis=0).max() == 1 and not _agree(got, want):  # one real position per sequence
        raise AssertionError("with one real position per sequence, its weight should be 1 and the context its value")
    _judge_attention_values(case, got, want)
    if "keys_padded" in case:
        if not isinstance(record.get("padded"), dict):
            raise AssertionError("additive_attention: unreadable record of the call with changed padding")
        padded = _attention_outputs(record["padded"], case)
        if not _agree(padded, want):
            raise AssertionError("changing the keys and values at padded positions changed the weights or the "
                                 f"context ({_sizes(case)}): the padding leaks in")


def judge_attention_values(case, record, reference):
    got = _attention_outputs(record, case)
    want = _attention_outputs(reference, case, "the reference")
    _judge_attention_basics(case, got)
    _judge_attention_values(case, got, want)
