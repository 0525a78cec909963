"""rnnlib.scratch.ctc against torch.nn.CTCLoss (float64), brute-force sums over alignments, centred differences."""

import itertools

import numpy as np
import pytest
import torch

from rnnlib.gradcheck import gradient_errors, rel_error
from rnnlib.scratch.ctc import ctc_backward, ctc_forward, ctc_posteriors, extend_labels
from rnnlib.scratch.ctc_decoding import ctc_collapse


def log_softmax(z):
    z = z - z.max(axis=-1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=-1, keepdims=True))


def make_batch(rng, T, B, V, S, blank=0, repeats=False):
    """Logits (T, B, V), targets (B, S) without blank, input lengths in [ceil(T/2), T], target lengths."""
    logits = rng.standard_normal((T, B, V))
    labels = [k for k in range(V) if k != blank]
    targets = rng.choice(labels, size=(B, S))
    if repeats and S > 1:
        targets[:, 1] = targets[:, 0]
    input_lengths = rng.integers((T + 1) // 2, T + 1, size=B)
    input_lengths[0] = T
    target_lengths = rng.integers(0, S + 1, size=B)
    target_lengths[0] = S
    return logits, targets, input_lengths, target_lengths


def torch_ctc(logits, targets, input_lengths, target_lengths, dlosses, blank=0, zero_infinity=False):
    """torch's per-sequence losses and the gradient of sum(dlosses * losses) with respect to the logits."""
    z = torch.tensor(logits, requires_grad=True)
    loss_fn = torch.nn.CTCLoss(blank=blank, reduction="none", zero_infinity=zero_infinity)
    losses = loss_fn(torch.log_softmax(z, dim=2), torch.tensor(targets), torch.tensor(input_lengths),
                     torch.tensor(target_lengths))
    (losses * torch.tensor(dlosses)).sum().backward()
    return losses.detach().numpy(), z.grad.numpy()


def logits_grad(dlog_probs, logits):
    """Chain a gradient with respect to log_softmax(logits) back to the logits."""
    return dlog_probs - np.exp(log_softmax(logits)) * dlog_probs.sum(axis=-1, keepdims=True)


# (T, B, V, S)
SHAPES = [(1, 1, 2, 1), (4, 1, 3, 2), (6, 3, 5, 3), (12, 4, 4, 5), (30, 2, 6, 8)]


@pytest.mark.parametrize("repeats", [False, True])
@pytest.mark.parametrize("blank_last", [False, True])
@pytest.mark.parametrize("T, B, V, S", SHAPES)
def test_loss_and_gradient_match_torch(rng, T, B, V, S, blank_last, repeats):
    blank = V - 1 if blank_last else 0
    logits, targets, in_len, tg_len = make_batch(rng, T, B, V, S, blank, repeats)
    dlosses = rng.standard_normal(B)
    lp = log_softmax(logits)
    losses, cache = ctc_forward(lp, targets, in_len, tg_len, blank=blank, zero_infinity=True)
    grads = ctc_backward(dlosses, cache)
    t_losses, t_grad = torch_ctc(logits, targets, in_len, tg_len, dlosses, blank, zero_infinity=True)
    assert losses.shape == (B,)
    assert np.allclose(losses, t_losses, rtol=1e-10, atol=1e-12)
    assert rel_error(logits_grad(grads["log_probs"], logits), t_grad) < 1e-9


def test_loss_is_minus_log_of_brute_force_sum(rng):
    # Every one of V**T paths, collapsed: the probability of the target is the sum over those that read it.
    T, V, blank = 6, 3, 0
    lp = log_softmax(rng.standard_normal((T, 1, V)))
    for target in ([1], [1, 2], [1, 1], [2, 1, 2], [1, 1, 1]):
        total = sum(np.exp(lp[np.arange(T), 0, list(path)].sum())
                    for path in itertools.product(range(V), repeat=T) if ctc_collapse(path, blank) == target)
        losses, _ = ctc_forward(lp, np.array([target]), np.array([T]), np.array([len(target)]))
        assert abs(losses[0] + np.log(total)) < 1e-10, target


def test_repeated_labels_need_a_blank():
    # "1 1" needs three frames (1, blank, 1): in two frames it is impossible, "1 2" is not.
    lp = np.log(np.full((2, 1, 3), 1 / 3))
    loss_rep, _ = ctc_forward(lp, np.array([[1, 1]]), np.array([2]), np.array([2]))
    loss_diff, _ = ctc_forward(lp, np.array([[1, 2]]), np.array([2]), np.array([2]))
    assert np.isinf(loss_rep[0])
    assert abs(loss_diff[0] - 2 * np.log(3)) < 1e-12


@pytest.mark.parametrize("T, target", [(2, [1, 1]), (2, [1, 2, 1]), (3, [1, 1, 1]), (1, [2, 2])])
def test_impossible_alignments_match_torch(rng, T, target):
    logits = rng.standard_normal((T, 2, 3))
    targets = np.array([target, [1] + [2] * (len(target) - 1)])  # the second one is possible when T allows
    in_len, tg_len = np.array([T, T]), np.array([len(target), 1])
    lp = log_softmax(logits)
    dl = np.array([0.5, 1.5])
    for zero_infinity in (False, True):
        losses, cache = ctc_forward(lp, targets, in_len, tg_len, zero_infinity=zero_infinity)
        t_losses, t_grad = torch_ctc(logits, targets, in_len, tg_len, dl, zero_infinity=zero_infinity)
        assert losses[0] == t_losses[0] == (0.0 if zero_infinity else np.inf)
        assert abs(losses[1] - t_losses[1]) < 1e-10
        grads = ctc_backward(dl, cache)["log_probs"]
        assert rel_error(logits_grad(grads[:, 1:], logits[:, 1:]), t_grad[:, 1:]) < 1e-10
        if zero_infinity:
            assert np.all(grads[:, 0] == 0) and np.all(t_grad[:, 0] == 0)
        else:
            assert np.all(np.isnan(grads[:, 0]))


def test_long_sequence_does_not_underflow(rng):
    # 2000 frames of probabilities near 1/20 multiply to 1e-2600, far below float64's 1e-308.
    T, V = 2000, 20
    logits = 0.1 * rng.standard_normal((T, 1, V))
    targets = rng.integers(1, V, size=(1, 40))
    losses, _ = ctc_forward(log_softmax(logits), targets, np.array([T]), np.array([40]))
    t_losses, _ = torch_ctc(logits, targets, np.array([T]), np.array([40]), np.ones(1))
    assert np.isfinite(losses[0]) and losses[0] > 2000
    assert abs(losses[0] - t_losses[0]) < 1e-8 * losses[0]


@pytest.mark.parametrize("T, B, V, S", [(1, 1, 2, 1), (5, 2, 4, 2), (7, 3, 3, 3)])
def test_gradcheck(rng, T, B, V, S):
    # Unnormalised log-probabilities on purpose: the derivative -gamma holds for any scores.
    _, targets, in_len, tg_len = make_batch(rng, T, B, V, S, repeats=True)
    arrays = {"log_probs": rng.standard_normal((T, B, V))}
    dlosses = rng.standard_normal(B)
    _, cache = ctc_forward(arrays["log_probs"], targets, in_len, tg_len, zero_infinity=True)
    analytic = ctc_backward(dlosses, cache)

    def objective():
        return np.sum(ctc_forward(arrays["log_probs"], targets, in_len, tg_len, zero_infinity=True)[0] * dlosses)

    errors = gradient_errors(objective, arrays, analytic)
    assert max(errors.values()) < 1e-7, errors


def test_posteriors_sum_to_one_and_vanish_after_the_input(rng):
    logits, targets, in_len, tg_len = make_batch(rng, 9, 4, 5, 3)
    _, cache = ctc_forward(log_softmax(logits), targets, in_len, tg_len)
    gamma = ctc_posteriors(cache)
    for b in range(4):
        assert np.allclose(gamma[: in_len[b], b].sum(axis=1), 1.0, atol=1e-12)
        assert np.all(gamma[in_len[b]:, b] == 0)


def test_extend_labels():
    assert extend_labels([3, 3, 1]).tolist() == [0, 3, 0, 3, 0, 1, 0]
    assert extend_labels([], blank=4).tolist() == [4]


def test_bad_inputs(rng):
    lp = log_softmax(rng.standard_normal((4, 2, 3)))
    tg, il, tl = np.array([[1, 2], [2, 1]]), np.array([4, 4]), np.array([2, 2])
    with pytest.raises(ValueError, match=r"log_probs must have shape \(T, B, V\)"):
        ctc_forward(lp[0], tg, il, tl)
    with pytest.raises(ValueError, match="differ from blank=0"):
        ctc_forward(lp, np.array([[1, 0], [2, 1]]), il, tl)
    with pytest.raises(ValueError, match=r"lie in \[0, V\)"):
        ctc_forward(lp, np.array([[1, 3], [2, 1]]), il, tl)
    with pytest.raises(ValueError, match=r"input_lengths must lie in \[1, 4\]"):
        ctc_forward(lp, tg, np.array([5, 4]), tl)
    with pytest.raises(ValueError, match=r"target_lengths must lie in \[0, 2\]"):
        ctc_forward(lp, tg, il, np.array([3, 1]))
    with pytest.raises(ValueError, match=r"targets must be an integer array of shape \(B, U\)"):
        ctc_forward(lp, tg.astype(float), il, tl)
    with pytest.raises(ValueError, match=r"input_lengths must be an integer array of shape \(B,\)"):
        ctc_forward(lp, tg, np.array([4]), tl)
    with pytest.raises(ValueError, match="blank must lie"):
        ctc_forward(lp, tg, il, tl, blank=3)
    _, cache = ctc_forward(lp, tg, il, tl)
    with pytest.raises(ValueError, match=r"dlosses must have shape \(B,\)"):
        ctc_backward(np.ones(3), cache)
    with pytest.raises(ValueError, match="CTCCache returned by ctc_forward"):
        ctc_backward(np.ones(2), (1, 2))


def test_torch_log_probs_gradient_is_probs_minus_gamma(rng):
    # The module docstring's claim: torch returns y - gamma for the log-probabilities (0 past the input),
    # where the true derivative, ours, is -gamma.
    logits, targets, in_len, tg_len = make_batch(rng, 7, 3, 5, 2, repeats=True)
    lp = log_softmax(logits)
    t_lp = torch.tensor(lp, requires_grad=True)
    torch.nn.functional.ctc_loss(t_lp, torch.tensor(targets), torch.tensor(in_len), torch.tensor(tg_len),
                                 reduction="sum", zero_infinity=True).backward()
    _, cache = ctc_forward(lp, targets, in_len, tg_len, zero_infinity=True)
    inside = (np.arange(7)[:, None] < in_len)[..., None]  # (T, B, 1)
    expected = np.exp(lp) * inside + ctc_backward(np.ones(3), cache)["log_probs"]
    assert np.abs(t_lp.grad.numpy() - expected).max() < 1e-12
