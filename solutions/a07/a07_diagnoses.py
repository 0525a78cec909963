"""The instructor's diagnoses of assignment 7 (decoding and attention): what each realistic mistake gives.

The checks (a07_checks.py) compare a student's record with the solution's and say what differs and where. To name
the cause they call the functions here, which compute greedy decoding, beam search and additive attention from
their definitions, right and with one mistake switched on (eos's log-probability left out, the winner ranked
before length normalisation, a beam that does not shrink, the softmax over the batch axis, ...), and name a mistake
only if the student's numbers are exactly what it gives. That makes this module a working answer to the exercises,
so it is never released: nbgrader_config.py keeps ``*_diagnoses.py`` out of exercises/, and the students' copy of
the checker module, finding no diagnoses beside it, stops at what is wrong and where. The grader loads
solutions/a07/a07_checks.py, which finds this file beside it, so the graded feedback names the cause.

The checker loads this file by path under another name, so it imports nothing from the checker: the decoders'
functions take ``model``, the checker's ``model(spec, prefixes=None)`` that builds next_log_probs(prefix) -> (V,)
from the plain-data spec a case names its model by.
"""

from __future__ import annotations

import numpy as np

TOL = 1e-10  # log-probabilities and scores are sums of a few float64 logs: equal to rounding


def _near(a, b) -> bool:
    return abs(a - b) <= TOL


# ------------------------------------------------------------------------------------ Part 1: greedy_decode

def greedy(model, case, keep_eos_lp=True):
    """Greedy decoding from the definition: (tokens, log-probability); optionally without eos's log-probability."""
    f, bos, eos, tokens, total = model(case["model_spec"]), case["bos"], case["eos"], [], 0.0
    while len(tokens) < case["max_len"] and (not tokens or tokens[-1] != eos):
        log_probs = f([bos, *tokens])
        tokens.append(int(np.argmax(log_probs)))
        total += float(log_probs[tokens[-1]]) * (keep_eos_lp or tokens[-1] != eos)
    return tokens, total


def greedy_token_cause(case, tokens, model):
    """The first token of ``tokens`` that is not the model's most likely one after its prefix, as a cause, or None."""
    f, bos = model(case["model_spec"]), case["bos"]
    for t, token in enumerate(tokens):
        log_probs = f([bos] + tokens[:t])
        if token != int(np.argmax(log_probs)):
            return (f"token {t} is {token}, but after the prefix {[bos] + tokens[:t]} the most likely token is "
                    f"{int(np.argmax(log_probs))}")
    return None


def greedy_log_prob_cause(case, tokens, log_prob, model):
    """Why greedy_decode's right ``tokens`` came with the wrong ``log_prob``, if a known mistake gives it; or None."""
    f, bos, eos = model(case["model_spec"]), case["bos"], case["eos"]
    if tokens and tokens[-1] == eos and _near(log_prob, greedy(model, case, keep_eos_lp=False)[1]):
        return "that leaves out eos's log-probability; eos is a token the model chose, add its log-probability too"
    probs = [float(np.exp(f([bos] + tokens[:t])[y])) for t, y in enumerate(tokens)]
    if _near(log_prob, float(np.prod(probs))) or _near(log_prob, float(np.sum(probs))):
        return "sum the LOG-probabilities the model returns, do not exponentiate them"
    return None


# ------------------------------------------------------------------------------------ Part 2: beam_search

# Greedy's result is named only when no other mistake gives the same result (on a small beam several do).
MISTAKES = {
    "score_raw": "return the normalised score, log-probability / L**alpha, not the log-probability",
    "rank_raw": "you rank the finished hypotheses by their log-probability; rank them by the length-normalised "
                "score, log-probability / L**alpha",
    "L_without_eos": "your L leaves out eos: L counts every written token, eos included ('a <eos>' has L = 2)",
    "L_with_bos": "your L counts bos too: L counts the written tokens y_1, ..., y_L (eos included), never bos",
    "eos_lp": "your finished hypotheses leave out eos's log-probability; a hypothesis ending in eos has log p(h) + "
              "log p(eos | h)",
    "cut_compete": "the hypotheses still live at max_len compete with the finished ones; return one of them only "
                   "if no hypothesis finished",
    "no_shrink": "your beam does not shrink: decrease k by one for each finished hypothesis",
    "per_hypothesis": "you keep the k best extensions of each live hypothesis; keep the k best candidates over ALL "
                      "live hypotheses together",
    "no_prune": "you keep every candidate: keep only the k best candidates of each step",
    "greedy": "that is greedy's output; keep the beam_width best candidates over ALL live hypotheses at every step",
}
_TOO_MANY = 20000  # live hypotheses past which a mistake's search is not worth simulating


def beam(model, case, mistake=None, prefixes=None):
    """The shrinking beam from the definition: (tokens, score), or None if ``mistake`` makes it too large.

    ``mistake`` (a key of MISTAKES) switches on one realistic mistake; ``prefixes`` collects the prefixes asked.
    """
    f = model(case["model_spec"], prefixes)
    bos, eos, beam_width, alpha = case["bos"], case["eos"], case["beam_width"], case["alpha"]
    k, live, finished = beam_width, [([], 0.0)], []
    for _ in range(case["max_len"]):
        if (k == 0 and mistake != "no_prune") or not live:
            break
        if len(live) > _TOO_MANY:
            return None
        candidates = []  # (tokens, log-probability, what is stored if it finishes)
        for tokens, log_prob in live:
            log_probs = f([bos] + tokens)  # (V,)
            ys = range(len(log_probs)) if mistake != "per_hypothesis" else np.argsort(-log_probs)[:k]
            candidates += [(tokens + [int(y)], log_prob + float(log_probs[y]),
                            log_prob if mistake == "eos_lp" else log_prob + float(log_probs[y])) for y in ys]
        candidates.sort(key=lambda c: -c[1])
        kept = candidates if mistake in ("no_prune", "per_hypothesis") else candidates[:k]
        if mistake == "greedy":
            kept = candidates[:1]
        finished += [(c[0], c[2]) for c in kept if c[0][-1] == eos]
        live = [c[:2] for c in kept if c[0][-1] != eos]
        k = beam_width if mistake == "no_shrink" else beam_width - len(finished)
    length = {"L_without_eos": lambda h: len(h[0]) - (h[0][-1] == eos),
              "L_with_bos": lambda h: len(h[0]) + 1}.get(mistake, lambda h: len(h[0]))

    def score(h):
        L = length(h)
        return h[1] / L ** alpha if L > 0 else -np.inf

    pool = finished + live if mistake == "cut_compete" else finished or live
    best = max(pool, key=(lambda h: h[1]) if mistake == "rank_raw" else score)
    return best[0], (best[1] if mistake == "score_raw" else score(best))


def exhaustive(model, case):
    """The best finished output of up to max_len tokens by score, every one enumerated: (tokens, score)."""
    f, bos, eos, alpha = model(case["model_spec"]), case["bos"], case["eos"], case["alpha"]
    best, stack = None, [((), 0.0)]
    while stack:
        seq, lp = stack.pop()
        if seq and seq[-1] == eos:
            score = lp / len(seq) ** alpha
            if best is None or score > best[1]:
                best = (list(seq), score)
        elif len(seq) < case["max_len"]:
            step = f([bos, *seq])
            stack += [(seq + (y,), lp + float(step[y])) for y in range(len(step))]
    return best


def beam_cause(case, got, want, asked, model):
    """The cause of a wrong (tokens, score) ``got``, if the mistakes of MISTAKES that give exactly it say; or None.

    ``asked``, the prefixes the record says were asked, only chooses between mistakes that give the same result.
    """
    causes = {}
    for mistake, cause in MISTAKES.items():
        if mistake == "greedy" and (case["beam_width"] == 1 or causes):
            continue
        prefixes = []
        predicted = beam(model, case, mistake=mistake, prefixes=prefixes)
        if predicted is not None and predicted[0] == got[0] and _near(predicted[1], got[1]) and not (
                predicted[0] == want[0] and _near(predicted[1], want[1])):
            causes[cause] = {tuple(p) for p in prefixes}
    if len(causes) > 1 and isinstance(asked, list):
        same = [cause for cause, prefixes in causes.items() if prefixes == {tuple(p) for p in asked
                                                                           if isinstance(p, list)}]
        causes = {cause: causes[cause] for cause in same} or causes
    causes = list(causes)
    if len(causes) == 1:
        return causes[0]
    if causes:  # on this case several mistakes give the same result: each is possible, name them all
        return "that is what each of these mistakes gives here: " + "; or ".join(causes)
    return None


# ------------------------------------------------------------------------------------ Part 3: additive_attention

def attention(query, keys, values, mask, W_query, W_key, v, mistake=None, **_):
    """additive_attention in numpy: (context (B, Hv), weights (S, B)); ``mistake`` switches on one: the softmax over
    the batch axis, the mask applied after the softmax, multiplied into the scores, or ignored, the tanh left out."""
    pre = keys @ W_key.T + (query @ W_query.T)[None]  # (S, B, A)
    scores = (pre if mistake == "no_tanh" else np.tanh(pre)) @ v  # (S, B)
    if mistake == "mask_times":
        scores = scores * mask
    elif mistake not in ("mask_after", "no_mask"):
        scores = np.where(mask, scores, -np.inf)
    axis = 1 if mistake == "batch_softmax" else 0
    with np.errstate(invalid="ignore", over="ignore"):
        e = np.exp(scores - scores.max(axis=axis, keepdims=True))
        weights = e / e.sum(axis=axis, keepdims=True)  # (S, B)
    if mistake == "mask_after":
        weights = weights * mask
    return np.einsum("sb,sbh->bh", weights, values), weights


ATTENTION_MISTAKES = {
    "batch_softmax": "your softmax runs over the batch axis (axis 1); it runs over the source positions S, axis 0, so "
                     "that each column of the weights (S, B) sums to 1",
    "mask_after": "you zero the padding after the softmax, so the real positions no longer share all of the weight: "
                  "mask the scores BEFORE the softmax (-inf at padding)",
    "mask_times": "you multiply the scores by the mask: a padded position gets the score 0, and exp(0 - max) > 0; set "
                  "the scores of padded positions to -inf before the softmax",
    "no_mask": "your weights ignore the mask: set the scores of padded positions to -inf before the softmax",
    "no_tanh": "your scores leave out the tanh: e = v . tanh(W_query q + W_key k)",
}


def _same_outputs(got, want) -> bool:
    return all(np.allclose(g, w, rtol=1e-10, atol=1e-12) for g, w in zip(got, want))


def attention_cause(case, got):
    """The mistake whose outputs (context, weights) are exactly ``got`` (and differ from the right ones), or None."""
    right = attention(**case)
    for mistake, cause in ATTENTION_MISTAKES.items():
        predicted = attention(**case, mistake=mistake)
        if _same_outputs(got, predicted) and not _same_outputs(predicted, right):
            return cause
    return None
