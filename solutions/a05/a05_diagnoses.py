"""The instructor's diagnoses for assignment 5 (a character-level language model): each names a mistake by
re-computing what it would give (draws of a mistaken softmax from the same generator state, per-character losses,
the untrained model's loss when it reads the targets) and comparing that with what the student's function returned.

a05_checks.py calls these only when they are present (``DIAGNOSES = diagnoses(__file__)``): in the trusted judge,
which loads solutions/a05/a05_checks.py, so graded feedback names the cause. This file is never released
(nbgrader_config.py ignores ``*_diagnoses.py``): what it re-computes is one edit away from the answers (a softmax
with a temperature and a draw from it, the per-character cross-entropy), so the students' copy of the checks says
what is wrong and where, and leaves the cause to the graded feedback.

Each ``*_cause`` returns the cause as a sentence (the checker puts it after its own message), or None.
Self-contained: numpy, torch and rnnlib only, never the checker module (it loads this file by path under another
name); the checker passes the case dicts and the arrays it read from the records.
"""

from __future__ import annotations

import numpy as np

TEMPERATURE_1 = ("Dividing the probabilities by tau after the softmax does nothing once they are normalised again; "
                 "divide the logits, then take the softmax")


# ------------------------------------------------------------------------------------ Part 1: sampling

def _softmax(logits, temperature):
    """softmax(logits / temperature) over the last axis in float32, as torch computes it: (B, V)."""
    import torch

    return torch.softmax(torch.from_numpy(np.asarray(logits, dtype=np.float32)) / temperature, dim=-1)


def _multinomial(probs, seed: int) -> np.ndarray:
    """torch.multinomial's draw of one id per row of ``probs`` (B, V) from a generator seeded with ``seed``: (B,)."""
    import torch

    return torch.multinomial(probs, 1, generator=torch.Generator().manual_seed(seed))[:, 0].numpy()


def draw_cause(case: dict, ids: np.ndarray) -> str | None:
    """Why the ids (B,) drawn from the case's generator state are not the right ones: they are exactly the draws of
    temperature 1 (tau applied after the softmax), or of softmax(logits * tau)."""
    logits, tau, seed = case["logits"], case["temperature"], case["seed"]
    if tau == 1.0:
        return None
    if np.array_equal(ids, _multinomial(_softmax(logits, 1.0), seed)):
        return "these are the draws of temperature 1. " + TEMPERATURE_1
    if np.array_equal(ids, _multinomial(_softmax(logits * tau, 1.0), seed)):
        return "these are the draws of softmax(logits * tau); DIVIDE the logits by tau"
    return None


def _chi_square(counts, probs) -> float:
    """Pearson's chi-square of ``counts`` (V,) against ``probs`` (V,): about V - 1 when they follow them."""
    expected = counts.sum() * np.asarray(probs, dtype=np.float64)
    return float(((counts - expected) ** 2 / expected).sum())


def distribution_cause(counts: np.ndarray, row: np.ndarray, temperature: float) -> str | None:
    """Why the counts (V,) of draws from ``row`` (V,) at ``temperature`` do not follow softmax(row / tau): they
    follow softmax(row), temperature 1."""
    if temperature == 1.0:
        return None
    V = len(row)
    if _chi_square(counts, _softmax(row[None], 1.0)[0].double().numpy()) < 3 * (V - 1) + 30:
        return "they follow softmax(logits), the distribution of temperature 1. " + TEMPERATURE_1
    return None


# ------------------------------------------------------------------------------------ Part 2: perplexity

def _nll(logits, targets) -> np.ndarray:
    """-log softmax(logits)[target] in float64: logits (T, B, V), targets (T, B) -> (T, B)."""
    z = np.asarray(logits, dtype=np.float64)
    z = z - z.max(axis=-1, keepdims=True)
    log_probs = z - np.log(np.exp(z).sum(axis=-1, keepdims=True))
    return -np.take_along_axis(log_probs, targets[..., None], axis=-1)[..., 0]


def perplexity_cause(case: dict, ppl: float) -> str | None:
    """Why ``ppl`` is not exp of the mean cross-entropy: it is the mean of exp(loss) over steps or characters."""
    nll = _nll(case["logits"], case["targets"])  # (T, B)
    if nll.size < 2:
        return None
    for value in (float(np.exp(nll.mean(axis=1)).mean()), float(np.exp(nll).mean())):
        if np.isfinite(value) and abs(ppl - value) < 1e-4 * max(abs(value), 1.0):
            return ("you averaged exp(loss) over steps or characters. Perplexity is exp of the MEAN loss, which is "
                    "smaller whenever the losses differ (exp is convex)")
    return None


# ------------------------------------------------------------------------------------ Part 3: train_char_lm

def first_loss_cause(case: dict, first: float, V: int) -> str | None:
    """Why the graded run's first loss is wrong: it is the untrained model's loss when it reads the targets."""
    import torch
    import torch.nn.functional as F

    from rnnlib.models import CharLM

    model = CharLM(V, case["E"], case["H"], cell="gru", generator=torch.Generator().manual_seed(case["model_seed"]))
    data, t = torch.from_numpy(case["data"]), case["seq_len"]
    with torch.no_grad():
        logits, _ = model(data[1:t + 1])  # (t, B, V): fed the targets
    fed_targets = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), data[1:t + 1].reshape(-1)).item()
    if abs(first - fed_targets) < 1e-4 * fed_targets:
        return ("it is the untrained model's loss when it reads the TARGETS. The model then sees the character it "
                "has to predict and learns to copy it; feed the inputs and score against the targets")
    return None
