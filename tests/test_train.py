"""Tests for rnnlib.train: the loop's bookkeeping, clipping, stopping rules, and the gradient-by-lag measure."""

import math
import time

import numpy as np
import pytest
import torch

from rnnlib.gradcheck import numerical_gradient, rel_error
from rnnlib.models import init_like_torch
from rnnlib.train import History, confusion, count_parameters, evaluate, fit, global_rng_from, hidden_grad_norms


def regression_batches(rng, n_batches=4, B=8, D=3, scale=1.0):
    """Batches (x (B, D), y (B, 1)) of the linear target y = scale * x @ [1, -2, 0.5, ...]."""
    w = np.array([1.0, -2.0, 0.5, 3.0][:D]) * scale
    batches = []
    for _ in range(n_batches):
        x = rng.normal(size=(B, D))
        batches.append((torch.tensor(x), torch.tensor(x @ w)[:, None]))
    return batches


def mse(model, batch):
    x, y = batch
    return torch.nn.functional.mse_loss(model(x), y), len(x)


def linear(D=3, seed=0):
    torch.manual_seed(seed)
    return torch.nn.Linear(D, 1).double()


def total_norm(grads):
    return math.sqrt(sum(float((g ** 2).sum()) for g in grads))


def test_fit_lowers_loss_of_a_gru_summing_a_sequence():
    # The target is the sum of a (T, B, 1) sequence: the GRU has to carry a running total in its state.
    g = torch.Generator().manual_seed(0)
    batches = [torch.randn(5, 16, 1, generator=g) for _ in range(4)]
    torch.manual_seed(0)
    model = torch.nn.ModuleDict({"rnn": torch.nn.GRU(1, 16), "head": torch.nn.Linear(16, 1)})

    def loss_fn(model, x):
        hs, _ = model["rnn"](x)  # (T, B, H)
        return torch.nn.functional.mse_loss(model["head"](hs[-1]), x.sum(0)), x.shape[1]

    history = fit(model, batches, loss_fn, torch.optim.Adam(model.parameters(), lr=1e-2), epochs=30,
                  val_loader=batches[:1], quiet=True)
    assert history.train_loss[-1] < 0.1 * history.train_loss[0]
    assert history.val_loss[-1] < 0.1 * history.val_loss[0]
    assert len(history.grad_norm) == len(history.epoch_seconds) == 30
    assert history.stop_reason == "epochs"
    assert history.best_epoch == int(np.argmin(history.val_loss))


def test_epoch_loss_is_the_item_weighted_mean(rng):
    batches = regression_batches(rng, n_batches=1, B=6) + regression_batches(rng, n_batches=1, B=2)
    model = linear()
    expected = sum(mse(model, b)[0].item() * len(b[0]) for b in batches) / 8
    history = fit(model, batches, mse, torch.optim.SGD(model.parameters(), lr=0.0), epochs=1, quiet=True)
    assert history.train_loss[0] == pytest.approx(expected, rel=1e-12)
    # A bare loss tensor weighs every batch the same.
    history = fit(model, batches, lambda m, b: mse(m, b)[0], torch.optim.SGD(model.parameters(), lr=0.0),
                  epochs=1, quiet=True)
    assert history.train_loss[0] == pytest.approx(sum(mse(model, b)[0].item() for b in batches) / 2, rel=1e-12)


def test_recorded_grad_norm_is_the_mean_pre_clip_norm(rng):
    batches = regression_batches(rng, scale=10.0)
    model = linear()
    manual = []
    for batch in batches:
        model.zero_grad()
        mse(model, batch)[0].backward()
        manual.append(total_norm(p.grad for p in model.parameters()))
    # lr = 0 keeps the weights where the manual norms were taken; clipping must not change what is recorded.
    history = fit(model, batches, mse, torch.optim.SGD(model.parameters(), lr=0.0), epochs=1, clip_norm=1e-3,
                  quiet=True)
    assert min(manual) > 1e-3
    assert history.grad_norm[0] == pytest.approx(np.mean(manual), rel=1e-10)


@pytest.mark.parametrize("clip", [{"clip_norm": 0.5}, {"clip_value": 0.05}])
def test_clipping_bounds_the_gradients_the_optimizer_sees(rng, clip):
    batches = regression_batches(rng, scale=10.0)
    model = linear()
    optimizer = torch.optim.SGD(model.parameters(), lr=1e-3)
    seen = []
    optimizer.register_step_pre_hook(lambda opt, args, kwargs: seen.append([p.grad.clone() for p in
                                                                              model.parameters()]))
    history = fit(model, batches, mse, optimizer, epochs=2, quiet=True, **clip)
    assert len(seen) == 8
    assert min(history.grad_norm) > 1.0  # the raw gradients are far above the bound, so clipping acted
    for grads in seen:
        if "clip_norm" in clip:
            assert total_norm(grads) <= clip["clip_norm"] + 1e-6
        else:
            assert max(float(g.abs().max()) for g in grads) <= clip["clip_value"] + 1e-12


def test_early_stopping_stops_and_restores_the_best_weights(rng):
    # Training pulls the weights towards w, validation wants w / 2: the validation loss falls, then rises.
    train = regression_batches(rng)
    val = [(x, y / 2) for x, y in regression_batches(rng)]
    model = linear()
    history = fit(model, train, mse, torch.optim.SGD(model.parameters(), lr=0.05), epochs=200, val_loader=val,
                  early_stopping=3, quiet=True)
    best = history.best_epoch
    assert best == int(np.argmin(history.val_loss)) and best > 0
    assert history.stop_reason == "early_stopping"
    assert len(history.val_loss) == best + 3 + 1 < 200
    assert evaluate(model, val, mse)["loss"] == pytest.approx(history.val_loss[best], rel=1e-12)


def test_max_seconds_stops_after_the_epoch_that_exceeds_the_budget(rng):
    batches = regression_batches(rng, n_batches=1)
    model = linear()

    def slow_mse(model, batch):
        time.sleep(0.02)
        return mse(model, batch)

    history = fit(model, batches, slow_mse, torch.optim.SGD(model.parameters(), lr=0.01), epochs=1000,
                  max_seconds=0.1, quiet=True)
    assert history.stop_reason == "max_seconds"
    assert sum(history.epoch_seconds[:-1]) < 0.1 <= sum(history.epoch_seconds)
    assert len(history.train_loss) <= 5  # every epoch sleeps 0.02 s


def test_progress_bar_only_when_not_quiet(rng, capsys):
    batches = regression_batches(rng, n_batches=1)
    model = linear()
    fit(model, batches, mse, torch.optim.SGD(model.parameters(), lr=0.01), epochs=2, val_loader=batches, quiet=True)
    assert capsys.readouterr() == ("", "")
    fit(model, batches, mse, torch.optim.SGD(model.parameters(), lr=0.01), epochs=2, val_loader=batches)
    out, err = capsys.readouterr()
    assert out == ""
    assert "2/2" in err and "loss=" in err and "val_loss=" in err


def test_metrics_scheduler_and_history_dict(rng):
    batches = regression_batches(rng)
    model = linear()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.5)

    def abs_error(model, batch):
        x, y = batch
        return (model(x) - y).abs().sum(), y.numel()

    history = fit(model, batches, mse, optimizer, epochs=3, val_loader=batches, metrics={"mae": abs_error},
                  scheduler=scheduler, quiet=True)
    assert optimizer.param_groups[0]["lr"] == pytest.approx(0.1 * 0.5 ** 3)
    assert len(history.metrics["mae"]) == 3
    expected = sum(abs_error(model, b)[0].item() for b in batches) / sum(len(b[1]) for b in batches)
    assert history.metrics["mae"][-1] == pytest.approx(expected, rel=1e-12)
    record = history.as_dict()
    assert set(record) == {f.name for f in History.__dataclass_fields__.values()}
    assert record["metrics"]["mae"] == history.metrics["mae"] and record["metrics"] is not history.metrics


def test_reduce_lr_on_plateau_receives_the_val_loss(rng):
    batches = regression_batches(rng)
    model = linear()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.0)
    scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, patience=0)
    fit(model, batches, mse, optimizer, epochs=3, val_loader=batches, scheduler=scheduler, quiet=True)
    assert scheduler.best == pytest.approx(evaluate(model, batches, mse)["loss"], rel=1e-12)


def test_evaluate_restores_the_mode_and_uses_eval_mode(rng):
    batches = regression_batches(rng)
    model = torch.nn.Sequential(torch.nn.Dropout(0.5), linear())
    modes = []

    def loss_fn(model, batch):
        modes.append((model.training, torch.is_grad_enabled()))
        return mse(model, batch)

    model.train()
    first = evaluate(model, batches, loss_fn)
    assert model.training and set(modes) == {(False, False)}
    assert evaluate(model, batches, loss_fn) == first  # dropout is off, so two passes agree exactly
    model.eval()
    evaluate(model, batches, loss_fn)
    assert not model.training


def test_fit_restores_the_callers_mode(rng):
    model = linear()
    model.eval()
    fit(model, regression_batches(rng), mse, torch.optim.SGD(model.parameters(), lr=0.0), epochs=1, quiet=True)
    assert not model.training


def dropout_run(rng, generator, global_seed=None):
    """Train a dropout network from fixed weights (the masks are its only randomness).

    Returns its final weights and whether torch's global RNG state is the same after :func:`fit` as before it.
    """
    model = torch.nn.Sequential(torch.nn.Linear(3, 16), torch.nn.Dropout(0.5), torch.nn.Linear(16, 1)).double()
    init_like_torch(model, torch.Generator().manual_seed(0))
    if global_seed is not None:
        torch.manual_seed(global_seed)
    before = torch.get_rng_state()
    fit(model, regression_batches(rng), mse, torch.optim.SGD(model.parameters(), lr=0.05), epochs=3, quiet=True,
        generator=generator)
    return torch.cat([p.detach().flatten() for p in model.parameters()]), torch.equal(torch.get_rng_state(), before)


def test_fit_with_a_generator_is_reproducible_and_leaves_the_global_rng_alone():
    a, untouched = dropout_run(np.random.default_rng(0), torch.Generator().manual_seed(4))
    assert untouched
    b, untouched = dropout_run(np.random.default_rng(0), torch.Generator().manual_seed(4))
    assert untouched and torch.equal(a, b)
    # A different generator gives different masks, so the equality above is not vacuous.
    assert not torch.equal(a, dropout_run(np.random.default_rng(0), torch.Generator().manual_seed(5))[0])


def test_fit_with_a_generator_draws_what_a_global_seed_would_and_advances_it():
    g = torch.Generator().manual_seed(4)
    a, _ = dropout_run(np.random.default_rng(0), g)
    assert not torch.equal(g.get_state(), torch.Generator().manual_seed(4).get_state())
    b, untouched = dropout_run(np.random.default_rng(0), None, global_seed=4)
    assert torch.equal(a, b) and not untouched


def test_global_rng_from_restores_the_global_state_even_on_error():
    torch.manual_seed(1)
    before = torch.get_rng_state()
    g = torch.Generator().manual_seed(9)
    with global_rng_from(g) as same:
        assert same is g
        mask = torch.nn.functional.dropout(torch.ones(100), 0.5)
    assert torch.equal(torch.get_rng_state(), before)
    assert not torch.equal(g.get_state(), torch.Generator().manual_seed(9).get_state())
    with pytest.raises(RuntimeError, match="boom"), global_rng_from(torch.Generator().manual_seed(9)):
        # A fresh generator with the same seed gives the same mask.
        assert torch.equal(torch.nn.functional.dropout(torch.ones(100), 0.5), mask)
        raise RuntimeError("boom")
    assert torch.equal(torch.get_rng_state(), before)
    with pytest.raises(ValueError, match="torch.Generator"):
        with global_rng_from(0):
            pass


@pytest.mark.parametrize("kwargs, message", [
    ({"clip_norm": 1.0, "clip_value": 1.0}, "mutually exclusive"),
    ({"epochs": 0}, "epochs"),
    ({"clip_norm": -1.0}, "clip_norm"),
    ({"early_stopping": 2}, "val_loader"),
    ({"early_stopping": 0, "val_loader": []}, "patience"),
    ({"metrics": {"m": None}}, "val_loader"),
    ({"max_seconds": 0}, "max_seconds"),
])
def test_fit_rejects_bad_arguments(rng, kwargs, message):
    model = linear()
    args = {"epochs": 1, **kwargs}
    with pytest.raises(ValueError, match=message):
        fit(model, regression_batches(rng), mse, torch.optim.SGD(model.parameters(), lr=0.1), quiet=True, **args)


def test_empty_loaders_and_bad_losses_raise(rng):
    model = linear()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(ValueError, match="train_loader yielded no batches"):
        fit(model, [], mse, optimizer, epochs=1, quiet=True)
    with pytest.raises(ValueError, match="no batches"):
        fit(model, regression_batches(rng), mse, optimizer, epochs=1, val_loader=[], quiet=True)
    with pytest.raises(ValueError, match="scalar"):
        fit(model, regression_batches(rng), lambda m, b: m(b[0]), optimizer, epochs=1, quiet=True)
    with pytest.raises(ValueError, match="'loss'"):
        evaluate(model, regression_batches(rng), mse, metrics={"loss": mse})


def test_batch_fn_is_applied_to_training_and_validation_batches(rng):
    batches = regression_batches(rng)
    model = linear()
    calls = []

    def batch_fn(batch):
        calls.append(len(batch[0]))
        return batch

    fit(model, batches, mse, torch.optim.SGD(model.parameters(), lr=0.0), epochs=2, val_loader=batches[:1],
        batch_fn=batch_fn, quiet=True)
    assert len(calls) == 2 * (4 + 1)


def rnn_cell(H, D, scale, nonlinearity="tanh", seed=0):
    torch.manual_seed(seed)
    cell = torch.nn.RNNCell(D, H, nonlinearity=nonlinearity).double()
    with torch.no_grad():
        cell.weight_hh.copy_(scale * torch.nn.init.orthogonal_(torch.empty(H, H, dtype=torch.float64)))
        cell.bias_ih.zero_()
        cell.bias_hh.zero_()
    return cell


@pytest.mark.parametrize("scale", [0.1, 1.5])
def test_grad_norms_shrink_or_grow_by_the_scale_of_w_hh_per_step(scale):
    # With tiny inputs tanh stays linear, and an orthogonal W_hh scales every gradient by exactly `scale` per step.
    T, B, D, H = 6, 3, 2, 5
    x = 1e-6 * torch.randn(T, B, D, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    norms = hidden_grad_norms(rnn_cell(H, D, scale), x)
    assert norms.shape == (T,) and norms.dtype == np.float64
    assert norms[-1] == pytest.approx(math.sqrt(H))  # dL/dh_{T-1} is all ones for L = sum(h_{T-1})
    np.testing.assert_allclose(norms[:-1] / norms[1:], scale, rtol=1e-6)


def test_grad_norms_match_a_hand_unrolled_backward(rng):
    T, B, D, H = 4, 2, 3, 5
    cell = rnn_cell(H, D, 1.0)
    x = rng.normal(size=(T, B, D))
    W_ih, W_hh = cell.weight_ih.detach().numpy(), cell.weight_hh.detach().numpy()
    hs, h = [], np.zeros((B, H))
    for t in range(T):
        h = np.tanh(x[t] @ W_ih.T + h @ W_hh.T)  # biases are zero
        hs.append(h)
    dh, expected = 2 * hs[-1], [None] * T  # L = sum(h_{T-1}^2)
    for t in reversed(range(T)):
        expected[t] = np.linalg.norm(dh, axis=1).mean()
        dh = (dh * (1 - hs[t] ** 2)) @ W_hh
    norms = hidden_grad_norms(cell, x, loss_fn=lambda h: (h ** 2).sum())
    assert rel_error(norms, np.array(expected)) < 1e-12


def test_grad_norms_of_an_lstm_match_finite_differences(rng):
    # For t < T-1, perturb h_t with c_t held fixed and rerun the remaining steps: dL/dh_t by centred differences.
    T, B, D, H = 4, 2, 3, 3
    torch.manual_seed(0)
    cell = torch.nn.LSTMCell(D, H).double()
    x = torch.tensor(rng.normal(size=(T, B, D)))
    state0 = (torch.tensor(rng.normal(size=(B, H))), torch.tensor(rng.normal(size=(B, H))))
    with torch.no_grad():
        states, state = [], state0
        for t in range(T):
            state = cell(x[t], state)
            states.append(state)
    expected = []
    for t in range(T):
        h = states[t][0].numpy().copy()

        def loss():
            state = (torch.from_numpy(h), states[t][1])
            with torch.no_grad():
                for s in range(t + 1, T):
                    state = cell(x[s], state)
            return float(state[0].sum())

        expected.append(np.linalg.norm(numerical_gradient(loss, h), axis=1).mean())
    grads_before = [p.grad for p in cell.parameters()]
    norms = hidden_grad_norms(cell, x, state=state0)
    assert rel_error(norms, np.array(expected)) < 1e-8
    assert all(g is None for g in grads_before) and all(p.grad is None for p in cell.parameters())


def test_grad_norms_leave_existing_parameter_gradients_alone():
    cell = rnn_cell(4, 2, 0.5)
    for p in cell.parameters():
        p.grad = torch.full_like(p, 7.0)
    hidden_grad_norms(cell, torch.ones(3, 2, 2, dtype=torch.float64), loss_fn=lambda h: h.pow(2).mean())
    assert all(torch.equal(p.grad, torch.full_like(p, 7.0)) for p in cell.parameters())


@pytest.mark.parametrize("T", [1, 3])
def test_grad_norms_work_for_gru_frozen_cells_and_under_no_grad(T):
    torch.manual_seed(0)
    cell = torch.nn.GRUCell(2, 3).requires_grad_(False)
    with torch.no_grad():
        norms = hidden_grad_norms(cell, np.ones((T, 1, 2)))
    assert norms.shape == (T,) and np.all(norms > 0)


def test_grad_norms_reject_bad_input():
    cell = rnn_cell(3, 2, 1.0)
    with pytest.raises(ValueError, match=r"\(T, B, D\)"):
        hidden_grad_norms(cell, torch.ones(4, 2))
    with pytest.raises(ValueError, match="T >= 1"):
        hidden_grad_norms(cell, torch.ones(0, 1, 2))
    with pytest.raises(ValueError, match="scalar"):
        hidden_grad_norms(cell, torch.ones(2, 1, 2), loss_fn=lambda h: h)


def test_count_parameters_counts_trainable_ones_once():
    lstm = torch.nn.LSTM(3, 4)  # 4 gates: 4H(D + H) weights and two 4H biases
    assert count_parameters(lstm) == 16 * (3 + 4) + 2 * 16
    shared = torch.nn.Linear(2, 2)
    model = torch.nn.Sequential(shared, shared, torch.nn.Linear(2, 1).requires_grad_(False))
    assert count_parameters(model) == 6


def test_confusion_counts_pairs():
    y_true = np.array([0, 0, 1, 2, 2, 2])
    y_pred = np.array([0, 1, 1, 2, 0, 2])
    np.testing.assert_array_equal(confusion(y_true, y_pred, 4), [[1, 1, 0, 0], [0, 1, 0, 0],
                                                                      [1, 0, 2, 0], [0, 0, 0, 0]])
    assert confusion(torch.tensor(y_true), torch.tensor(y_pred), 3).sum() == 6
    assert confusion([], [], 2).tolist() == [[0, 0], [0, 0]]


@pytest.mark.parametrize("args, message", [
    (([0, 1], [0, 3], 3), r"outside \[0, 3\)"),
    (([0, -1], [0, 1], 3), "y_true holds classes outside"),
    (([0.0, 1.0], [0, 1], 2), "integer class indices"),
    (([0, 1], [0, 1, 1], 2), "one shape"),
    (([[0, 1]], [[0, 1]], 2), "1-D"),
    (([0], [0], 0), "n_classes"),
])
def test_confusion_rejects_bad_input(args, message):
    with pytest.raises(ValueError, match=message):
        confusion(*args)
