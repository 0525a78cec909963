"""Wrong and alternative submissions for a07, used by the grader proofs."""

NOTEBOOK = "a07_decoding_attention.ipynb"  # file name inside solutions/a07/
AUTOGRADED_POINTS = 25  # total points of the grade: true code test cells
MANUAL_POINTS = 6  # total points of the manually graded cells

# Realistic wrong submissions: each maps grade_id of an autograded answer cell -> the full replacement source of
# that cell. All other answer cells keep the correct solution, so each mutant has ONE realistic mistake.
WRONG = {
    # The eos step is treated as "stop", not as a token the model chose: its log-probability is never added.
    "greedy: eos log-probability not added": {"greedy-decode": '''
def greedy_decode(next_log_probs, bos, eos, max_len):
    tokens, log_prob = [], 0.0
    for _ in range(max_len):
        log_probs = next_log_probs([bos] + tokens)
        token = int(np.argmax(log_probs))
        tokens.append(token)
        if token == eos:
            break
        log_prob += log_probs[token]
    return tokens, float(log_prob)
'''},
    # Hypotheses stored with bos in front, and normalised by the length of that list: L + 1 instead of L.
    "beam: length counts bos": {"beam-search": '''
def beam_search(next_log_probs, bos, eos, beam_width, max_len, alpha):
    k = beam_width
    live, finished = [([bos], 0.0)], []
    for _ in range(max_len):
        if k == 0 or not live:
            break
        candidates = []
        for seq, lp in live:
            step = next_log_probs(seq)
            candidates += [(seq + [y], lp + step[y]) for y in range(len(step))]
        candidates.sort(key=lambda c: -c[1])
        live = []
        for seq, lp in candidates[:k]:
            (finished if seq[-1] == eos else live).append((seq, lp))
        k = beam_width - len(finished)
    seq, lp = max(finished or live, key=lambda h: h[1] / len(h[0]) ** alpha)
    return seq[1:], float(lp / len(seq) ** alpha)
'''},
    # The finished hypotheses are ranked by raw log-probability; only the returned score is normalised.
    "beam: winner chosen before length normalisation": {"beam-search": '''
def beam_search(next_log_probs, bos, eos, beam_width, max_len, alpha):
    k = beam_width
    live, finished = [([], 0.0)], []
    for _ in range(max_len):
        if k == 0 or not live:
            break
        candidates = []
        for tokens, lp in live:
            step = next_log_probs([bos] + tokens)
            candidates += [(tokens + [y], lp + step[y]) for y in range(len(step))]
        candidates.sort(key=lambda c: -c[1])
        live = []
        for tokens, lp in candidates[:k]:
            (finished if tokens[-1] == eos else live).append((tokens, lp))
        k = beam_width - len(finished)
    tokens, lp = max(finished or live, key=lambda h: h[1])
    return tokens, float(lp / len(tokens) ** alpha)
'''},
    "beam: candidates not pruned to the beam width": {"beam-search": '''
def beam_search(next_log_probs, bos, eos, beam_width, max_len, alpha):
    live, finished = [([], 0.0)], []
    for _ in range(max_len):
        if not live:
            break
        candidates = []
        for tokens, lp in live:
            step = next_log_probs([bos] + tokens)
            candidates += [(tokens + [y], lp + step[y]) for y in range(len(step))]
        live = []
        for tokens, lp in candidates:
            (finished if tokens[-1] == eos else live).append((tokens, lp))
    tokens, lp = max(finished or live, key=lambda h: h[1] / len(h[0]) ** alpha)
    return tokens, float(lp / len(tokens) ** alpha)
'''},
    # Each live hypothesis keeps its own k best extensions: up to k * k hypotheses stay live.
    "beam: the k best extensions of each hypothesis": {"beam-search": '''
def beam_search(next_log_probs, bos, eos, beam_width, max_len, alpha):
    k = beam_width
    live, finished = [([], 0.0)], []
    for _ in range(max_len):
        if k == 0 or not live:
            break
        kept = []
        for tokens, lp in live:
            step = np.asarray(next_log_probs([bos] + tokens))
            for y in np.argsort(-step)[:k]:
                kept.append((tokens + [int(y)], lp + step[y]))
        live = []
        for tokens, lp in kept:
            (finished if tokens[-1] == eos else live).append((tokens, lp))
        k = beam_width - len(finished)
    tokens, lp = max(finished or live, key=lambda h: h[1] / len(h[0]) ** alpha)
    return tokens, float(lp / len(tokens) ** alpha)
'''},
    # Finished hypotheses leave the beam, but the beam keeps k = beam_width candidates at every step.
    "beam: the beam does not shrink": {"beam-search": '''
def beam_search(next_log_probs, bos, eos, beam_width, max_len, alpha):
    live, finished = [([], 0.0)], []
    for _ in range(max_len):
        if not live:
            break
        candidates = []
        for tokens, lp in live:
            step = next_log_probs([bos] + tokens)
            candidates += [(tokens + [y], lp + step[y]) for y in range(len(step))]
        candidates.sort(key=lambda c: -c[1])
        live = []
        for tokens, lp in candidates[:beam_width]:
            (finished if tokens[-1] == eos else live).append((tokens, lp))
    tokens, lp = max(finished or live, key=lambda h: h[1] / len(h[0]) ** alpha)
    return tokens, float(lp / len(tokens) ** alpha)
'''},
    # A hypothesis that ends in eos is set aside with its parent's log-probability.
    "beam: eos log-probability not added": {"beam-search": '''
def beam_search(next_log_probs, bos, eos, beam_width, max_len, alpha):
    k = beam_width
    live, finished = [([], 0.0)], []
    for _ in range(max_len):
        if k == 0 or not live:
            break
        candidates = []
        for tokens, lp in live:
            step = next_log_probs([bos] + tokens)
            candidates += [(tokens + [y], lp, lp + step[y]) for y in range(len(step))]
        candidates.sort(key=lambda c: -c[2])
        live = []
        for tokens, parent_lp, lp in candidates[:k]:
            if tokens[-1] == eos:
                finished.append((tokens, parent_lp))
            else:
                live.append((tokens, lp))
        k = beam_width - len(finished)
    tokens, lp = max(finished or live, key=lambda h: h[1] / len(h[0]) ** alpha)
    return tokens, float(lp / len(tokens) ** alpha)
'''},
    # The hypotheses still live at max_len compete with the finished ones, instead of only replacing them.
    "beam: cut hypotheses compete with finished ones": {"beam-search": '''
def beam_search(next_log_probs, bos, eos, beam_width, max_len, alpha):
    k = beam_width
    live, finished = [([], 0.0)], []
    for _ in range(max_len):
        if k == 0 or not live:
            break
        candidates = []
        for tokens, lp in live:
            step = next_log_probs([bos] + tokens)
            candidates += [(tokens + [y], lp + step[y]) for y in range(len(step))]
        candidates.sort(key=lambda c: -c[1])
        live = []
        for tokens, lp in candidates[:k]:
            (finished if tokens[-1] == eos else live).append((tokens, lp))
        k = beam_width - len(finished)
    tokens, lp = max(finished + live, key=lambda h: h[1] / len(h[0]) ** alpha)
    return tokens, float(lp / len(tokens) ** alpha)
'''},
    "attention: softmax over the batch axis": {"additive-attention": '''
def additive_attention(query, keys, values, params, mask):
    hidden = np.tanh(keys @ params["W_key"].T + query @ params["W_query"].T)
    scores = np.where(mask, hidden @ params["v"], -np.inf)
    e = np.exp(scores - scores.max(axis=1, keepdims=True))
    weights = e / e.sum(axis=1, keepdims=True)
    context = (weights[:, :, None] * values).sum(axis=0)
    return context, weights
'''},
    # Padding is zeroed after the softmax, so the real positions no longer share all of the weight.
    "attention: mask applied after the softmax": {"additive-attention": '''
def additive_attention(query, keys, values, params, mask):
    hidden = np.tanh(keys @ params["W_key"].T + query @ params["W_query"].T)
    scores = hidden @ params["v"]
    e = np.exp(scores - scores.max(axis=0))
    weights = e / e.sum(axis=0) * mask
    context = (weights[:, :, None] * values).sum(axis=0)
    return context, weights
'''},
    # The hidden layer without its nonlinearity: the score becomes linear in the query and the keys.
    "attention: tanh left out": {"additive-attention": '''
def additive_attention(query, keys, values, params, mask):
    hidden = keys @ params["W_key"].T + query @ params["W_query"].T
    scores = np.where(mask, hidden @ params["v"], -np.inf)
    e = np.exp(scores - scores.max(axis=0))
    weights = e / e.sum(axis=0)
    context = (weights[:, :, None] * values).sum(axis=0)
    return context, weights
'''},
    # The mask multiplies the scores: padded positions get a score of 0, hence a weight exp(0 - max) > 0.
    "attention: scores multiplied by the mask": {"additive-attention": '''
def additive_attention(query, keys, values, params, mask):
    hidden = np.tanh(keys @ params["W_key"].T + query @ params["W_query"].T)
    scores = (hidden @ params["v"]) * mask
    e = np.exp(scores - scores.max(axis=0))
    weights = e / e.sum(axis=0)
    context = (weights[:, :, None] * values).sum(axis=0)
    return context, weights
'''},
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
