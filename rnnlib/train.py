r"""One training loop for every model in the course, its evaluation, and the gradient-by-lag measurement.

Shapes are time-major. Symbols: T time steps, B batch, D input features, H hidden units.

The loop never looks inside a batch. A batch is whatever the loader yields (a tuple ``(x, y)``, a dict, padded
sequences with their lengths), and the caller's ``loss_fn(model, batch)`` runs the model on it and returns the
loss. That one contract lets classifiers, taggers, regressors, language models and seq2seq models share
:func:`fit`. ``loss_fn`` returns either

* ``(loss, n_items)``: ``loss`` is a scalar tensor, the mean over the ``n_items`` items in the batch (sequences,
  tokens, time steps). Epoch figures weight each batch by ``n_items``, so they are true per-item means even
  when batches differ in size (a short last batch, or padded language-model batches with varying token
  counts); or
* ``loss`` alone, a scalar tensor: every batch then weighs the same.

Metrics follow the same idea: ``fn(model, batch) -> (value_sum, count)``, summed over the validation loader and
reported as ``sum(value_sum) / sum(count)`` (for accuracy: correct predictions and predictions made).

Randomness is explicit: a ``DataLoader`` shuffles with its own ``generator=``, and draws that torch offers no
generator argument for (dropout masks) come from the generator given to :func:`fit` or to
:func:`global_rng_from`, never from a global seed the caller has to set.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np
import torch
from tqdm.auto import trange

LossFn = Callable[[torch.nn.Module, object], "torch.Tensor | tuple[torch.Tensor, float]"]
MetricFn = Callable[[torch.nn.Module, object], tuple[float, float]]


@dataclass
class History:
    """What :func:`fit` recorded, one list entry per completed epoch; epochs are counted from 0."""

    #: Per-item mean training loss, accumulated while the weights were still moving during the epoch.
    train_loss: list[float] = field(default_factory=list)
    #: Per-item mean validation loss after the epoch; empty without a validation loader.
    val_loss: list[float] = field(default_factory=list)
    #: One list per metric name, computed on the validation loader after each epoch.
    metrics: dict[str, list[float]] = field(default_factory=dict)
    #: Mean over the epoch's batches of the global L2 norm of all gradients, measured before clipping.
    grad_norm: list[float] = field(default_factory=list)
    #: Wall-clock time of each epoch: training, validation and the scheduler step.
    epoch_seconds: list[float] = field(default_factory=list)
    #: Epoch with the lowest validation loss (training loss without a validation loader); None if every
    #: monitored loss was NaN.
    best_epoch: int | None = None
    #: Why training ended: ``"epochs"``, ``"early_stopping"`` or ``"max_seconds"``.
    stop_reason: str = ""

    def as_dict(self) -> dict:
        """The history as plain lists, numbers and strings (copies), ready for JSON or :mod:`rnnlib.plot`."""
        return dataclasses.asdict(self)


def fit(model: torch.nn.Module, train_loader: Iterable, loss_fn: LossFn, optimizer: torch.optim.Optimizer,
        epochs: int, val_loader: Iterable | None = None, metrics: Mapping[str, MetricFn] | None = None,
        clip_norm: float | None = None, clip_value: float | None = None, scheduler=None,
        early_stopping: int | None = None, quiet: bool = False, batch_fn: Callable | None = None,
        max_seconds: float | None = None, generator: torch.Generator | None = None) -> History:
    """Train ``model`` for up to ``epochs`` passes over ``train_loader``, validating after each.

    Parameters
    ----------
    model : torch.nn.Module
        Put in training mode for each epoch; its original mode is restored at the end.
    train_loader : iterable
        Re-iterated every epoch, so a ``DataLoader`` or a list of batches, not a one-shot generator.
    loss_fn : callable
        ``loss_fn(model, batch)`` returns ``(loss, n_items)`` or a scalar ``loss`` (see the module docstring).
    optimizer : torch.optim.Optimizer
        Stepped once per batch.
    epochs : int
        Maximum number of epochs.
    val_loader : iterable, optional
        Evaluated with :func:`evaluate` after every epoch.
    metrics : dict, optional
        Name to ``fn(model, batch) -> (value_sum, count)``, computed on ``val_loader``.
    clip_norm : float, optional
        Rescale the gradients so their global L2 norm is at most this (``torch.nn.utils.clip_grad_norm_``).
    clip_value : float, optional
        Clamp every gradient entry to ``[-clip_value, clip_value]`` (``torch.nn.utils.clip_grad_value_``).
        Exclusive with ``clip_norm``.
    scheduler : torch.optim.lr_scheduler.LRScheduler or ReduceLROnPlateau, optional
        Stepped once per epoch, after validation; ``ReduceLROnPlateau`` receives the validation loss (the
        training loss without a validation loader).
    early_stopping : int, optional
        Patience: stop once the validation loss has not improved for this many epochs. When training ends,
        for whatever reason, the model gets back the weights of ``History.best_epoch``.
    quiet : bool
        Hide the progress bar.
    batch_fn : callable, optional
        Applied to every batch, training and validation, before ``loss_fn`` and the metrics (for example, to
        move tensors to a device or transpose a batch-first ``DataLoader`` batch to time-major).
    max_seconds : float, optional
        Time budget: stop after the first epoch at which the summed ``History.epoch_seconds`` reaches it.
    generator : torch.Generator, optional
        Source of the draws made during training that take no generator argument, such as dropout masks: the
        loop runs under :func:`global_rng_from`, so two calls with equal generators train identically and the
        caller's global RNG is left as it was. Without it those draws come from torch's global RNG.

    Returns
    -------
    History
    """
    if generator is not None:
        with global_rng_from(generator):
            return fit(model, train_loader, loss_fn, optimizer, epochs, val_loader, metrics, clip_norm, clip_value,
                       scheduler, early_stopping, quiet, batch_fn, max_seconds)
    _check_fit_args(epochs, val_loader, metrics, clip_norm, clip_value, early_stopping, max_seconds)
    metrics = dict(metrics or {})
    history = History(metrics={name: [] for name in metrics})
    params = [p for p in model.parameters() if p.requires_grad]
    was_training = model.training
    best_loss, best_state, since_best = math.inf, None, 0
    bar = trange(epochs, desc="fit", unit="epoch", disable=quiet)
    history.stop_reason = "epochs"
    try:
        for epoch in bar:
            start = time.perf_counter()
            train_loss, grad_norm = _train_epoch(model, train_loader, loss_fn, optimizer, params, clip_norm,
                                                 clip_value, batch_fn)
            history.train_loss.append(train_loss)
            history.grad_norm.append(grad_norm)
            monitored = train_loss
            postfix = {"loss": f"{train_loss:.4g}"}
            if val_loader is not None:
                scores = evaluate(model, val_loader, loss_fn, metrics, batch_fn)
                monitored = scores.pop("loss")
                history.val_loss.append(monitored)
                postfix["val_loss"] = f"{monitored:.4g}"
                for name, value in scores.items():
                    history.metrics[name].append(value)
            if scheduler is not None:
                _step_scheduler(scheduler, monitored)
            history.epoch_seconds.append(time.perf_counter() - start)
            bar.set_postfix(postfix)

            # A NaN loss compares False, so a diverged epoch never becomes the best one.
            if monitored < best_loss:
                best_loss, since_best, history.best_epoch = monitored, 0, epoch
                if early_stopping is not None:
                    best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
            else:
                since_best += 1
            if early_stopping is not None and since_best >= early_stopping:
                history.stop_reason = "early_stopping"
                break
            if max_seconds is not None and sum(history.epoch_seconds) >= max_seconds:
                history.stop_reason = "max_seconds"
                break
    finally:
        bar.close()
        model.train(was_training)
    if best_state is not None:
        model.load_state_dict(best_state)
    return history


@contextmanager
def global_rng_from(generator: torch.Generator) -> Iterator[torch.Generator]:
    """Make torch's global CPU RNG draw from ``generator`` inside the block, and leave it untouched outside.

    The one way in rnnlib to make random draws that torch gives no ``generator`` argument reproducible, such as
    the dropout masks of ``nn.Dropout`` and of ``nn.GRU(..., dropout=p)``: inside the block the global RNG
    continues from ``generator``'s state; on leaving, ``generator`` keeps the state the draws reached (as if the
    draws had taken it as their argument) and the global RNG gets back the state it had before the block.
    Since ``torch.Generator().manual_seed(s)`` starts where ``torch.manual_seed(s)`` would, a block run with it
    draws the numbers a global ``torch.manual_seed(s)`` would have.

    Parameters
    ----------
    generator : torch.Generator
        A CPU generator; advanced by what the block draws.

    Yields
    ------
    torch.Generator
        ``generator`` itself.
    """
    if not isinstance(generator, torch.Generator) or generator.device.type != "cpu":
        raise ValueError(f"generator must be a CPU torch.Generator, got {generator!r}")
    saved = torch.get_rng_state()
    torch.set_rng_state(generator.get_state())
    try:
        yield generator
    finally:
        generator.set_state(torch.get_rng_state())
        torch.set_rng_state(saved)


def evaluate(model: torch.nn.Module, loader: Iterable, loss_fn: LossFn, metrics: Mapping[str, MetricFn] | None = None,
             batch_fn: Callable | None = None) -> dict[str, float]:
    """Mean loss and metrics of ``model`` over ``loader``, in eval mode and without gradients.

    Parameters
    ----------
    model : torch.nn.Module
        Switched to eval mode (dropout off) for the pass; its previous mode is restored afterwards.
    loader : iterable
        Batches, as for :func:`fit`.
    loss_fn : callable
        ``loss_fn(model, batch)`` returns ``(loss, n_items)`` or a scalar ``loss``.
    metrics : dict, optional
        Name to ``fn(model, batch) -> (value_sum, count)``; a metric whose counts sum to 0 is NaN.
    batch_fn : callable, optional
        Applied to every batch first.

    Returns
    -------
    dict
        ``"loss"`` and one entry per metric name, all floats.
    """
    metrics = dict(metrics or {})
    if "loss" in metrics:
        raise ValueError("metrics may not be named 'loss': that key holds the loss itself")
    sums = dict.fromkeys(["loss", *metrics], 0.0)
    counts = dict.fromkeys(sums, 0.0)
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            for batch in loader:
                if batch_fn is not None:
                    batch = batch_fn(batch)
                loss, n = _loss_and_count(loss_fn(model, batch))
                sums["loss"] += loss.item() * n
                counts["loss"] += n
                for name, fn in metrics.items():
                    value_sum, count = fn(model, batch)
                    sums[name] += float(value_sum)
                    counts[name] += float(count)
    finally:
        model.train(was_training)
    if counts["loss"] <= 0:
        raise ValueError("the loader yielded no batches (or loss_fn reported 0 items), so there is no mean loss")
    return {name: sums[name] / counts[name] if counts[name] > 0 else math.nan for name in sums}


def hidden_grad_norms(cell: torch.nn.Module, x, state=None, loss_fn: Callable | None = None) -> np.ndarray:
    r"""How strongly a loss on the last hidden state reaches back to each earlier hidden state.

    Unrolls ``cell`` over ``x`` one step at a time, computes a loss :math:`L` from the last hidden state
    :math:`h_{T-1}` only, and returns the batch mean of the gradient norm at every step (steps counted from 0),

    .. math:: g_t = \frac{1}{B} \sum_{b=1}^{B} \left\| \frac{\partial L}{\partial h_t^{(b)}} \right\|_2,
        \qquad t = 0, \dots, T-1.

    Because :math:`L` reads :math:`h_{T-1}` alone, :math:`g_t` measures the gradient that has travelled back
    across a time lag of :math:`T-1-t` steps; the vanishing-gradient and LSTM chapters plot it against that lag
    (:func:`rnnlib.plot.grad_norm_vs_lag`). For an LSTM, :math:`g_t` is the gradient with respect to the hidden
    output :math:`h_t`; the gradient reaching the cell state :math:`c_t` is not part of it.

    Gradients come from ``torch.autograd.grad``, so the cell's parameters' ``.grad`` are left untouched.

    Parameters
    ----------
    cell : torch.nn.Module
        ``torch.nn.RNNCell``, ``LSTMCell``, ``GRUCell`` or any module called as ``cell(x_t, state)`` with
        ``x_t`` of shape (B, D) that returns ``h`` (B, H) or a tuple ``(h, c)`` whose first entry is ``h``,
        and accepts ``state=None`` for a zero state.
    x : torch.Tensor or ndarray, shape (T, B, D)
        Input sequence; converted to the dtype of the cell's parameters.
    state : torch.Tensor or tuple of torch.Tensor, optional
        Initial state, ``h`` (B, H) or ``(h, c)`` each (B, H); None for the cell's zero state.
    loss_fn : callable, optional
        Maps ``h_{T-1}`` (B, H) to a scalar tensor; default ``h_{T-1}.sum()``.

    Returns
    -------
    ndarray, shape (T,)
        :math:`g_t` for t = 0, ..., T-1, float64; entry ``T-1-k`` belongs to lag ``k``.
    """
    param = next(cell.parameters(), None)
    dtype = param.dtype if param is not None else torch.get_default_dtype()
    x = torch.as_tensor(x).to(dtype)
    if x.ndim != 3 or x.shape[0] == 0:
        raise ValueError(f"x must have shape (T, B, D) with T >= 1, got shape {tuple(x.shape)}")
    # Making x require a gradient keeps a graph even when the cell's parameters are frozen.
    x = x.detach().requires_grad_()
    hs = []
    with torch.enable_grad():
        for t in range(x.shape[0]):
            state = cell(x[t], state)
            hs.append(state[0] if isinstance(state, (tuple, list)) else state)  # (B, H)
        loss = hs[-1].sum() if loss_fn is None else loss_fn(hs[-1])
        if not isinstance(loss, torch.Tensor) or loss.numel() != 1:
            raise ValueError("loss_fn must return a scalar tensor computed from the last hidden state")
        grads = torch.autograd.grad(loss.reshape(()), hs, allow_unused=True)
    # A cell that ignores its state leaves earlier steps out of the graph: their gradient is zero.
    return np.array([0.0 if g is None else g.detach().flatten(1).norm(dim=1).mean().item() for g in grads],
                    dtype=np.float64)


def count_parameters(model: torch.nn.Module) -> int:
    """Number of trainable scalars in ``model`` (parameters with ``requires_grad``; shared ones counted once)."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def confusion(y_true, y_pred, n_classes: int) -> np.ndarray:
    """Count matrix of classifications: entry ``[i, j]`` counts items of true class i predicted as class j.

    Parameters
    ----------
    y_true : array of int, shape (N,)
        True class indices in ``[0, n_classes)``.
    y_pred : array of int, shape (N,)
        Predicted class indices in ``[0, n_classes)``.
    n_classes : int
        C, the number of classes.

    Returns
    -------
    ndarray of int64, shape (C, C)
        Rows are true classes, columns predicted ones.
    """
    if isinstance(n_classes, bool) or not isinstance(n_classes, (int, np.integer)) or n_classes < 1:
        raise ValueError(f"n_classes must be a positive integer, got {n_classes!r}")
    y_true, y_pred = _classes("y_true", y_true, n_classes), _classes("y_pred", y_pred, n_classes)
    if y_true.shape != y_pred.shape:
        raise ValueError(f"y_true and y_pred must have one shape (N,), got {y_true.shape} and {y_pred.shape}")
    # Each (true, predicted) pair becomes one flat index into the C * C cells.
    return np.bincount(y_true * n_classes + y_pred, minlength=n_classes * n_classes).reshape(n_classes, n_classes)


def _check_fit_args(epochs, val_loader, metrics, clip_norm, clip_value, early_stopping, max_seconds):
    if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 1:
        raise ValueError(f"epochs must be a positive integer, got {epochs!r}")
    if clip_norm is not None and clip_value is not None:
        raise ValueError("clip_norm and clip_value are mutually exclusive: pass one of them")
    for name, value in (("clip_norm", clip_norm), ("clip_value", clip_value), ("max_seconds", max_seconds)):
        if value is not None and not value > 0:
            raise ValueError(f"{name} must be positive, got {value!r}")
    if early_stopping is not None:
        if isinstance(early_stopping, bool) or not isinstance(early_stopping, int) or early_stopping < 1:
            raise ValueError(f"early_stopping is a patience in epochs, a positive integer; got {early_stopping!r}")
        if val_loader is None:
            raise ValueError("early_stopping monitors the validation loss, so it needs a val_loader")
    if metrics and val_loader is None:
        raise ValueError("metrics are computed on the validation set, so they need a val_loader")


def _loss_and_count(out) -> tuple[torch.Tensor, float]:
    loss, n = out if isinstance(out, tuple) and len(out) == 2 else (out, 1.0)
    if not isinstance(loss, torch.Tensor) or loss.numel() != 1:
        raise ValueError("loss_fn must return a scalar loss tensor or a tuple (loss, n_items)")
    return loss, float(n)


def _train_epoch(model, loader, loss_fn, optimizer, params, clip_norm, clip_value, batch_fn):
    """One pass over ``loader``; returns the per-item mean loss and the mean pre-clipping gradient norm."""
    model.train()
    loss_sum, items, norms = 0.0, 0.0, []
    for batch in loader:
        if batch_fn is not None:
            batch = batch_fn(batch)
        loss, n = _loss_and_count(loss_fn(model, batch))
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        if clip_norm is not None:
            norm = torch.nn.utils.clip_grad_norm_(params, clip_norm)  # returns the norm before clipping
        else:
            norm = torch.nn.utils.get_total_norm([p.grad for p in params if p.grad is not None])
            if clip_value is not None:
                torch.nn.utils.clip_grad_value_(params, clip_value)
        optimizer.step()
        loss_sum += loss.item() * n
        items += n
        norms.append(norm.item())
    if not norms:
        raise ValueError("train_loader yielded no batches (a one-shot generator is empty after the first epoch)")
    if items <= 0:
        raise ValueError("loss_fn reported 0 items over the whole epoch, so there is no mean loss")
    return loss_sum / items, float(np.mean(norms))


def _step_scheduler(scheduler, monitored: float):
    if isinstance(scheduler, torch.optim.lr_scheduler.ReduceLROnPlateau):
        scheduler.step(monitored)
    else:
        scheduler.step()


def _classes(name, y, n_classes) -> np.ndarray:
    if hasattr(y, "detach"):
        y = y.detach().cpu().numpy()
    y = np.asarray(y)
    # An empty list arrives as float64; it holds no class index to be wrong.
    if y.ndim != 1 or not (np.issubdtype(y.dtype, np.integer) or y.size == 0):
        raise ValueError(f"{name} must be a 1-D array of integer class indices, got shape {y.shape}, dtype "
                         f"{y.dtype}")
    if y.size and (y.min() < 0 or y.max() >= n_classes):
        raise ValueError(f"{name} holds classes outside [0, {n_classes}): min {y.min()}, max {y.max()}")
    return y.astype(np.int64)
