"""Wrong and alternative submissions for a05, used by the grader proofs.

Every WRONG entry is the solution with one realistic mistake, written as a small edit of the solution's answer
(``harness.edit`` checks that the edited text occurs exactly once, so the mutant cannot drift from the solution).
FAILURES says, for each, which test cells fail and what the message of each must name: its cause, not a guess.
"""

import functools

import harness

NOTEBOOK = "a05_char_lm.ipynb"  # file name inside solutions/a05/
AUTOGRADED_POINTS = 24  # total points of the grade: true code test cells
MANUAL_POINTS = 6  # total points of the manually graded cells

edit = functools.partial(harness.edit, "a05")  # edit(grade_id, (old, new), ...)

SOFTMAX = "probs = torch.softmax(logits / temperature, dim=-1)"
DRAW = SOFTMAX + """  # (B, V), every row sums to 1
    return torch.multinomial(probs, num_samples=1, generator=generator)[:, 0]  # (B,)"""
MEAN_LOSS = """loss = F.cross_entropy(logits.reshape(T * B, V), targets.reshape(T * B))  # mean nats per character
    return float(torch.exp(loss))"""

# Realistic wrong submissions: each maps grade_id of an autograded answer cell -> the solution's answer with one
# small edit. All other answer cells keep the correct solution, so each mutant has ONE realistic mistake.
WRONG = {
    # Right at temperature 1; at any other temperature the renormalisation inside multinomial undoes the division.
    "temperature applied after the softmax": edit(
        "sample-temperature", (SOFTMAX, "probs = torch.softmax(logits, dim=-1) / temperature")),
    "logits multiplied by the temperature": edit(
        "sample-temperature", (SOFTMAX, "probs = torch.softmax(logits * temperature, dim=-1)")),
    # Passes the small-temperature limit, nothing that needs randomness.
    "greedy decoding instead of sampling": edit(
        "sample-temperature", (DRAW, "return (logits / temperature).argmax(dim=-1)")),
    "perplexity as the mean of per-step exp(loss)": edit("perplexity", (
        MEAN_LOSS,
        "step_ppl = [torch.exp(F.cross_entropy(logits[t], targets[t])) for t in range(T)]  # one per step\n"
        "    return float(torch.stack(step_ppl).mean())")),
    "2 ** cross-entropy in nats": edit("perplexity", ("return float(torch.exp(loss))", "return float(2 ** loss)")),
    # Gradients accumulate over the whole run: the training loss explodes (about 13 nats per character).
    "optimizer.zero_grad forgotten": edit("train-char-lm", ("            optimizer.zero_grad()\n", "")),
    # Off by one: the model reads the character it must predict, copies it (training loss near 0) and fails on
    # held-out next-character prediction.
    "targets fed as inputs": edit("train-char-lm", ("model(inputs, state)", "model(targets, state)")),
    # Trains nearly as well (the chunks are long), but it is not truncated BPTT: every chunk starts from zeros.
    "state not carried between chunks": edit(
        "train-char-lm",
        ("        state = None  # every pass starts at the top of the streams\n", ""),
        ("logits, state = model(inputs, state)  # (t, B, V), (L, B, H)", "logits, _ = model(inputs)  # (t, B, V)"),
        ("            state = state.detach()  # keep the values, cut the graph: the next backward stops here\n", "")),
    # Issue 18: the realistic mistakes of each function, each named by its cause.
    # A softmax written out by hand: exp(logits / 1e-3) overflows to inf in float32, and inf / inf is nan.
    "softmax by hand overflows": edit("sample-temperature", (
        SOFTMAX, "weights = torch.exp(logits / temperature)  # (B, V)\n"
                 "    probs = weights / weights.sum(dim=-1, keepdim=True)")),
    "temperature not checked": edit("sample-temperature", (
        "    if not temperature > 0:  # also rejects NaN\n"
        "        raise ValueError(f\"temperature must be > 0, got {temperature}\")\n", "")),
    "ids of shape (B, 1)": edit("sample-temperature", (
        "return torch.multinomial(probs, num_samples=1, generator=generator)[:, 0]",
        "return torch.multinomial(probs, num_samples=1, generator=generator)")),
    "perplexity as exp of the summed loss": edit("perplexity", (
        "targets.reshape(T * B))  # mean nats per character",
        "targets.reshape(T * B), reduction=\"sum\")  # nats")),
    "perplexity returned as a tensor": edit("perplexity", ("return float(torch.exp(loss))", "return torch.exp(loss)")),
    # The state is carried over with its graph: the second backward runs into the first chunk's freed graph.
    "state not detached": edit("train-char-lm", (
        "            state = state.detach()  # keep the values, cut the graph: the next backward stops here\n", "")),
    # Right for one pass; the second pass starts from the end of the streams instead of from zeros.
    "state not reset at a new pass": edit(
        "train-char-lm",
        ("    while len(losses) < n_updates:\n        state = None  # every pass starts at the top of the streams\n",
         "    state = None\n    while len(losses) < n_updates:\n")),
    # Adam does not mind the scale of the loss, so this trains as well; the losses it returns are not per character.
    "training loss summed over the chunk": edit(
        "train-char-lm", ("loss = F.cross_entropy(logits.reshape(-1, V), targets.reshape(-1))",
                          "loss = F.cross_entropy(logits.reshape(-1, V), targets.reshape(-1), reduction=\"sum\")")),
}

_SAMPLING = ("test-sample-greedy", "test-sample-distribution", "test-sample-temperature")
_PERPLEXITY = ("test-perplexity-hand", "test-perplexity-uniform", "test-perplexity-torch")
_TRAINING = ("test-train-chunks", "test-train-loss", "test-train-heldout")
DETACH = "The state you carry over still holds that graph: pass it on detached"
# For each mutant, every test cell that fails and what its message must contain: the cause, not a guess.
FAILURES = {
    "temperature applied after the softmax": {
        cell: "these are the draws of temperature 1. Dividing the probabilities by tau after the softmax does nothing"
        for cell in ("test-sample-greedy", "test-sample-temperature")},
    "logits multiplied by the temperature": {
        cell: "these are the draws of softmax(logits * tau); DIVIDE the logits by tau"
        for cell in ("test-sample-greedy", "test-sample-temperature")},
    "greedy decoding instead of sampling": {
        cell: "greedy decoding; draw with torch.multinomial"
        for cell in ("test-sample-distribution", "test-sample-temperature")},
    "perplexity as the mean of per-step exp(loss)": {
        cell: "you averaged exp(loss) over steps or characters" for cell in ("test-perplexity-hand",
                                                                             "test-perplexity-torch")},
    "2 ** cross-entropy in nats": {cell: "you computed 2 ** cross-entropy" for cell in _PERPLEXITY},
    "optimizer.zero_grad forgotten": {
        "test-train-loss": "the loss went UP. Did you forget optimizer.zero_grad()?",
        "test-train-heldout": "your training losses went UP as well"},
    "targets fed as inputs": {
        "test-train-chunks": "you passed the TARGETS as inputs",
        "test-train-loss": "it is the untrained model's loss when it reads the TARGETS",
        "test-train-heldout": "the model predicts the character it reads"},
    "state not carried between chunks": {"test-train-chunks": "call 1 was given state=None; pass the state returned"},
    "softmax by hand overflows": {
        cell: "overflows to inf in float32 (inf / inf is nan); use torch.softmax"
        for cell in ("test-sample-greedy", "test-sample-temperature")},
    "temperature not checked": {"test-sample-greedy": "temperature=0.0 raised RuntimeError; raise ValueError"},
    "ids of shape (B, 1)": {cell: "torch.multinomial returns (B, 1); take [:, 0]" for cell in _SAMPLING},
    # exp of the sum overflows to inf once the sum passes about 89 nats.
    "perplexity as exp of the summed loss": {"test-perplexity-hand": "you summed the losses",
                                             "test-perplexity-uniform": "exp of the losses' SUM",
                                             "test-perplexity-torch": "exp of the losses' SUM"},
    "perplexity returned as a tensor": {cell: "return a Python float (float(...)), got a torch tensor"
                                        for cell in _PERPLEXITY},
    "state not detached": {cell: DETACH for cell in _TRAINING},
    "state not reset at a new pass": {"test-train-chunks": "starts a pass over the data, so its state should be None"},
    "training loss summed over the chunk": {
        cell: "that is the SUM over the chunk's characters; take the mean" for cell in ("test-train-chunks",
                                                                                        "test-train-loss")},
}
# Graded alone and with every tampering of tests/grading/tampering.py (one mutant keeps CI short; RNN_TAMPERING=all
# grades every WRONG mutant so).
TAMPERING_MUTANTS = ["optimizer.zero_grad forgotten"]
# Tampering written for a05: the graded run's losses, which the student's kernel reports, forged to those of a
# correct loop (the right first loss, then falling to 1.5); the judge measures the trained model itself.
TAMPERING = {
    "graded run's losses forged": '''
import sys as _sys
_checks = _sys.modules["{checks}"]
_real_run = _checks.graded_run
def _forged_run(fn):
    model, record = _real_run(fn)
    first = _checks.decode(record["returned"])[0]  # right: the mistake shows from the second update on
    return model, {**record, "returned": _checks.encode([first] + [1.5] * 119), "error": None, "modified": []}
_checks.graded_run = _forged_run
''',
}

# A correct solution written differently (e.g. a loop instead of vectorised, einsum instead of @), for EVERY
# answer cell, which must score full marks.
ALTERNATIVE = {
    "sample-temperature": '''
def sample_with_temperature(logits, temperature, generator=None):
    if not (temperature > 0):
        raise ValueError("the temperature must be positive")
    scaled = logits / temperature  # (B, V)
    weights = torch.exp(scaled - scaled.max(dim=1, keepdim=True).values)  # (B, V), largest entry 1: no overflow
    probs = weights / weights.sum(dim=1, keepdim=True)  # (B, V)
    return torch.multinomial(probs, 1, replacement=True, generator=generator).view(-1)  # (B,)
''',
    "perplexity": '''
def perplexity(logits, targets):
    log_probs = torch.log_softmax(logits.double(), dim=-1)  # (T, B, V)
    nll = -log_probs.gather(-1, targets.unsqueeze(-1)).squeeze(-1)  # (T, B)
    return math.exp(nll.mean().item())
''',
    "train-char-lm": '''
def train_char_lm(model, data, seq_len, n_updates, optimizer):
    # Index the chunks by hand instead of bptt_chunks, and detach an LSTM's (h, c) pair as well as a GRU's h.
    model.train()
    T_total = data.shape[0]
    losses, state, i = [], None, 0
    for _ in range(n_updates):
        if i >= T_total - 1:  # the pass is over: back to the top, from a fresh state
            i, state = 0, None
        t = min(seq_len, T_total - 1 - i)
        inputs, targets = data[i:i + t], data[i + 1:i + 1 + t]  # (t, B) each
        optimizer.zero_grad(set_to_none=True)
        logits, state = model(inputs, state)  # (t, B, V)
        loss = F.nll_loss(torch.log_softmax(logits, dim=-1).flatten(0, 1), targets.flatten())
        loss.backward()
        optimizer.step()
        state = tuple(s.detach() for s in state) if isinstance(state, tuple) else state.detach()
        losses.append(float(loss))
        i += t
    return losses
''',
}

# What Validate says, with the students' copy of the checker module (no diagnoses beside it), in a test cell each of
# these mistakes fails: where the numbers are wrong, never the cause of FAILURES, which only the graded feedback
# gives (tests/grading/test_checks.py).
VALIDATE = {
    "temperature applied after the softmax": {
        "test-sample-temperature": "ids differ from the solution's draws",
    },
    "logits multiplied by the temperature": {
        "test-sample-greedy": "expected the argmax of each row",
    },
    "perplexity as the mean of per-step exp(loss)": {
        "test-perplexity-torch": "perplexity = ",
    },
}
