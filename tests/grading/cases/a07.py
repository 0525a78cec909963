"""Wrong and alternative submissions for a07, used by the grader proofs.

Every WRONG entry is the solution with one realistic mistake, written as a small edit of the solution's answer
(``harness.edit`` checks that the edited text occurs exactly once, so the mutant cannot drift from the solution).
"""

import functools

import harness

NOTEBOOK = "a07_decoding_attention.ipynb"  # file name inside solutions/a07/
AUTOGRADED_POINTS = 25  # total points of the grade: true code test cells
MANUAL_POINTS = 6  # total points of the manually graded cells

edit = functools.partial(harness.edit, "a07")  # edit(grade_id, (old, new), ...)

EXTEND = "candidates += [(tokens + [y], log_prob + float(lp)) for y, lp in enumerate(log_probs)]"
PRUNE = "for tokens, log_prob in candidates[:k]:"
KEEP = PRUNE + "\n            (finished if tokens[-1] == eos else live).append((tokens, log_prob))"
SHRINK = "        k = beam_width - len(finished)  # each finished hypothesis takes one place of the beam away\n"
WINNER = "best = max(finished or live, key=score)"
MASK = "scores = np.where(mask, scores, -np.inf)"

# Realistic wrong submissions: each maps grade_id of an autograded answer cell -> the solution's answer with one
# small edit. All other answer cells keep the correct solution, so each mutant has ONE realistic mistake.
WRONG = {
    # The eos step is treated as "stop", not as a token the model chose: its log-probability is never added.
    "greedy: eos log-probability not added": edit("greedy-decode", (
        "        log_prob += float(log_probs[token])\n        if token == eos:\n            break",
        "        if token == eos:\n            break\n        log_prob += float(log_probs[token])")),
    # Hypotheses stored with bos in front, and normalised by the length of that list: L + 1 instead of L.
    "beam: length counts bos": edit(
        "beam-search", ("live = [([], 0.0)]", "live = [([bos], 0.0)]"),
        ("next_log_probs([bos] + tokens)", "next_log_probs(tokens)"),
        ("return best[0], score(best)", "return best[0][1:], score(best)")),
    # The finished hypotheses are ranked by raw log-probability; only the returned score is normalised.
    "beam: winner chosen before length normalisation": edit(
        "beam-search", (WINNER, "best = max(finished or live, key=lambda h: h[1])")),
    # Every candidate is kept, so the beam width (and its shrinking) no longer matters.
    "beam: candidates not pruned to the beam width": edit(
        "beam-search", (PRUNE, "for tokens, log_prob in candidates:"), (SHRINK, "")),
    # Each live hypothesis keeps its own k best extensions: up to k * k hypotheses stay live.
    "beam: the k best extensions of each hypothesis": edit(
        "beam-search",
        (EXTEND, "candidates += [(tokens + [int(y)], log_prob + float(log_probs[y]))\n"
                 "                           for y in np.argsort(-log_probs)[:k]]"),
        (PRUNE, "for tokens, log_prob in candidates:")),
    # Finished hypotheses leave the beam, but the beam keeps k = beam_width candidates at every step.
    "beam: the beam does not shrink": edit("beam-search", (SHRINK, "")),
    # A hypothesis that ends in eos is set aside with its parent's log-probability.
    "beam: eos log-probability not added": edit(
        "beam-search", (EXTEND, EXTEND.replace("log_prob + float(lp))", "log_prob + float(lp), log_prob)")),
        (KEEP, "for tokens, log_prob, parent_log_prob in candidates[:k]:\n"
               "            if tokens[-1] == eos:\n"
               "                finished.append((tokens, parent_log_prob))\n"
               "            else:\n"
               "                live.append((tokens, log_prob))")),
    # The hypotheses still live at max_len compete with the finished ones, instead of only replacing them.
    "beam: cut hypotheses compete with finished ones": edit(
        "beam-search", (WINNER, "best = max(finished + live, key=score)")),
    # eos ends the loop before it is appended: the output stops one token short.
    "greedy: eos not kept in the output": edit("greedy-decode", (
        "        tokens.append(token)\n        log_prob += float(log_probs[token])\n        if token == eos:\n"
        "            break",
        "        if token == eos:\n            break\n        tokens.append(token)\n"
        "        log_prob += float(log_probs[token])")),
    # The probabilities of the tokens multiplied, instead of their log-probabilities added.
    "greedy: probabilities multiplied": edit(
        "greedy-decode", ("tokens, log_prob = [], 0.0", "tokens, log_prob = [], 1.0"),
        ("log_prob += float(log_probs[token])", "log_prob *= float(np.exp(log_probs[token]))")),
    # L taken as the number of tokens before eos.
    "beam: length leaves out eos": edit(
        "beam-search", ("return log_prob / len(tokens) ** alpha",
                        "return log_prob / max(len(tokens) - (tokens[-1] == eos), 1) ** alpha")),
    # The right hypothesis, but its raw log-probability returned as the score.
    "beam: score returned without normalisation": edit(
        "beam-search", ("return best[0], score(best)", "return best[0], best[1]")),
    "attention: softmax over the batch axis": edit(
        "additive-attention", ("scores.max(axis=0)", "scores.max(axis=1, keepdims=True)"),
        ("e.sum(axis=0)", "e.sum(axis=1, keepdims=True)")),
    # Padding is zeroed after the softmax, so the real positions no longer share all of the weight.
    "attention: mask applied after the softmax": edit(
        "additive-attention", ("    " + MASK + "  # exp(-inf) = 0: padding gets a weight of exactly 0\n", ""),
        ("weights = e / e.sum(axis=0)", "weights = e / e.sum(axis=0) * mask")),
    # The hidden layer without its nonlinearity: the score becomes linear in the query and the keys.
    "attention: tanh left out": edit(
        "additive-attention", ('np.tanh(keys @ params["W_key"].T + projected_query[None])',
                               'keys @ params["W_key"].T + projected_query[None]')),
    # The mask multiplies the scores: padded positions get a score of 0, hence a weight exp(0 - max) > 0.
    "attention: scores multiplied by the mask": edit("additive-attention", (MASK, "scores = scores * mask")),
    # The mask ignored: padding takes part in the softmax like a real position.
    "attention: mask ignored": edit(
        "additive-attention", ("    " + MASK + "  # exp(-inf) = 0: padding gets a weight of exactly 0\n", "")),
    # The padding "cleaned" by zeroing the caller's values in place.
    "attention: values zeroed at padding in place": edit(
        "additive-attention", ('    context = np.einsum("sb,sbh->bh", weights, values)',
                               '    values[~mask] = 0.0\n    context = np.einsum("sb,sbh->bh", weights, values)')),
    # The weights returned batch-first, (B, S).
    "attention: weights returned as (B, S)": edit(
        "additive-attention", ("return context, weights", "return context, weights.T")),
}

# A correct solution written differently (e.g. a loop instead of vectorised, einsum instead of @), for EVERY
# answer cell, which must score full marks.
ALTERNATIVE = {
    # A while loop over a growing prefix that starts with bos; max over ids instead of np.argmax.
    "greedy-decode": '''
def greedy_decode(next_log_probs, bos, eos, max_len):
    prefix, total = [bos], 0.0
    while len(prefix) <= max_len and (len(prefix) == 1 or prefix[-1] != eos):
        step = next_log_probs(prefix)
        best = max(range(len(step)), key=lambda y: (step[y], -y))
        prefix = prefix + [best]
        total = total + step[best]
    return prefix[1:], float(total)
''',
    # Vectorised: the live hypotheses as rows of an int array, the candidates as a (K, V) table, a flat argsort.
    "beam-search": '''
def beam_search(next_log_probs, bos, eos, beam_width, max_len, alpha):
    seqs = np.zeros((1, 0), dtype=int)  # (K, t) live hypotheses
    sums = np.zeros(1)  # (K,) their log-probabilities
    done_seqs, done_sums = [], []
    t = 0
    while t < max_len and len(seqs) and beam_width - len(done_seqs) > 0:
        t += 1
        table = np.stack([np.asarray(next_log_probs([bos, *row])) for row in seqs.tolist()])  # (K, V)
        total = sums[:, None] + table  # (K, V)
        order = np.argsort(-total, axis=None, kind="stable")[:beam_width - len(done_seqs)]
        rows, cols = np.unravel_index(order, total.shape)
        new_seqs = np.concatenate([seqs[rows], cols[:, None]], axis=1)  # (k, t)
        new_sums = total[rows, cols]
        ends = cols == eos
        done_seqs += new_seqs[ends].tolist()
        done_sums += new_sums[ends].tolist()
        seqs, sums = new_seqs[~ends], new_sums[~ends]
    pool_seqs, pool_sums = (done_seqs, np.array(done_sums)) if done_seqs else (seqs.tolist(), sums)
    scores = pool_sums / np.array([len(s) for s in pool_seqs], dtype=float) ** alpha
    best = int(np.argmax(scores))
    return pool_seqs[best], float(scores[best])
''',
    # One sequence at a time, only over its real positions (boolean indexing), einsum for the projections.
    "additive-attention": '''
def additive_attention(query, keys, values, params, mask):
    S, B, _ = keys.shape
    weights = np.zeros((S, B))
    context = np.zeros((B, values.shape[2]))
    for j in range(B):
        real = np.flatnonzero(mask[:, j])
        pre = (np.einsum("ak,sk->sa", params["W_key"], keys[real, j])
               + np.einsum("aq,q->a", params["W_query"], query[j]))  # (n, A)
        s = np.tanh(pre) @ params["v"]  # (n,)
        w = np.exp(s - s.max())
        weights[real, j] = w / w.sum()
        context[j] = weights[real, j] @ values[real, j]
    return context, weights
''',
}

_GREEDY = ("test-greedy-toy", "test-greedy-random")
_BEAM = ("test-beam-toy", "test-beam-length-normalisation", "test-beam-exhaustive", "test-beam-pruning-max-len")
_ATTENTION = ("test-attention-shapes", "test-attention-mask", "test-attention-values")
# Every failing test cell of every WRONG mutant, with what its message must contain: the cause. Where two mistakes
# give the same result on the first failing case (and the prefixes asked do not tell them apart), the message names
# both.
FAILURES = {
    "greedy: eos log-probability not added": {cell: "that leaves out eos's log-probability" for cell in _GREEDY},
    "beam: length counts bos": {cell: "your L counts bos too" for cell in _BEAM},
    "beam: winner chosen before length normalisation": {
        cell: "you rank the finished hypotheses by their log-probability" for cell in _BEAM[1:]},
    "beam: candidates not pruned to the beam width": {
        cell: "you keep every candidate: keep only the k best candidates of each step"
        for cell in ("test-beam-toy", "test-beam-length-normalisation", "test-beam-pruning-max-len")},
    "beam: the k best extensions of each hypothesis": {
        "test-beam-pruning-max-len": "you keep the k best extensions of each live hypothesis"},
    "beam: the beam does not shrink": {cell: "your beam does not shrink: decrease k by one for each finished "
                                             "hypothesis" for cell in _BEAM[1::2]},
    "beam: eos log-probability not added": {cell: "your finished hypotheses leave out eos's log-probability"
                                            for cell in _BEAM},
    "beam: cut hypotheses compete with finished ones": {
        cell: "the hypotheses still live at max_len compete with the finished ones"
        for cell in ("test-beam-exhaustive", "test-beam-pruning-max-len")},
    "greedy: eos not kept in the output": {cell: "keep eos as the last token of the output" for cell in _GREEDY},
    "greedy: probabilities multiplied": {cell: "sum the LOG-probabilities" for cell in _GREEDY},
    "beam: length leaves out eos": {cell: "your L leaves out eos" for cell in _BEAM},
    "beam: score returned without normalisation": {cell: "return the normalised score" for cell in _BEAM},
    "attention: softmax over the batch axis": {cell: "your softmax runs over the batch axis" for cell in _ATTENTION},
    "attention: mask applied after the softmax": {cell: "you zero the padding after the softmax"
                                                  for cell in _ATTENTION},
    "attention: tanh left out": {cell: "your scores leave out the tanh" for cell in _ATTENTION[1:]},
    "attention: scores multiplied by the mask": {cell: "you multiply the scores by the mask" for cell in _ATTENTION},
    "attention: mask ignored": {cell: "your weights ignore the mask" for cell in _ATTENTION},
    "attention: values zeroed at padding in place": {
        cell: "additive_attention modified its input values: do not modify your inputs" for cell in _ATTENTION},
    "attention: weights returned as (B, S)": {cell: "the weights are time-major, (S, B), not (B, S)"
                                              for cell in _ATTENTION},
}

# Graded alone and with every tampering of tests/grading/tampering.py (one mutant keeps CI short; RNN_TAMPERING=all
# grades every WRONG mutant so).
TAMPERING_MUTANTS = ["beam: the beam does not shrink"]
TAMPERING = {
    # The record of the prefixes asked forged: the model the checker builds records nothing. A beam that does not
    # shrink is caught by what it returns (cases_beam_pruning), so an empty record buys nothing.
    "prefixes forged": '''
import sys as _sys
_checks = _sys.modules["{checks}"]
_orig_model = _checks.model
_checks.model = lambda spec, prefixes=None: _orig_model(spec)
''',
}

# What Validate says, with the students' copy of the checker module (no diagnoses beside it), in a test cell each of
# these mistakes fails: where the numbers are wrong, never the cause of FAILURES, which only the graded feedback
# gives (tests/grading/test_checks.py).
VALIDATE = {
    "greedy: eos log-probability not added": {
        "test-greedy-toy":
            "the log-probability of 'a <eos>' should be the sum of its tokens' log-probabilities, -1.609438; got "
            "-0.693147",
    },
    "beam: length counts bos": {
        "test-beam-length-normalisation":
            "beam_search (beam_width=4, max_len=10, alpha=1.0) returned 'b <eos>' with score -0.475705: expected "
            "'a a <eos>' with score -0.655371",
    },
    "attention: mask applied after the softmax": {
        "test-attention-shapes": "each column of the weights (S, B) should be >= 0 and sum to 1 over S; the sums are",
    },
}
