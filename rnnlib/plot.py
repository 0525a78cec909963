r"""The course's figures: training curves, state and attention heatmaps, gradients by lag, forecasts, confusion
matrices and piano rolls; the diagram of an RNN unrolled in time comes from :mod:`rnnlib.diagrams` and is
re-exported here.

Shapes are time-major. Symbols: T time steps, B batch, H hidden units, S source length, C classes.

Every function returns a :class:`matplotlib.figure.Figure` and never calls ``plt.show()``. Figures are built
with ``Figure()`` rather than ``pyplot``, so a notebook cell that ends in one shows it exactly once and pyplot's
registry of open figures does not grow. Pass ``ax`` to draw into an existing axes instead (one panel of a
grid); the figure returned is then the one that holds ``ax``. Nothing changes matplotlib's global rcParams.

Array arguments may be numpy arrays, nested lists or torch tensors (detached and copied to the CPU).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

# Re-exported so that chapters draw diagrams and plots through one module.
from rnnlib.diagrams import HIDDEN_COLOR, INPUT_COLOR, OUTPUT_COLOR, unrolled_graph
from rnnlib.train import confusion

GRAD_NORM_LABEL = r"$\|\partial L / \partial h_t\|$"


def training_curves(history, keys: Sequence[str] = ("train_loss", "val_loss"), logy: bool = False,
                    ax: Axes | None = None) -> Figure:
    """Per-epoch curves from a :class:`rnnlib.train.History` (or its ``as_dict()``), epochs numbered from 1.

    Parameters
    ----------
    history : History or dict
        Keys map to per-epoch lists; a key not found at the top level is looked up in ``history["metrics"]``.
    keys : sequence of str
        Series to draw; empty ones (``val_loss`` when training had no validation set) are skipped.
    logy : bool
        Logarithmic y axis.
    ax : matplotlib.axes.Axes, optional
        Draw here instead of in a new figure.

    Returns
    -------
    matplotlib.figure.Figure
        A dotted vertical line marks ``best_epoch`` when the history has one.
    """
    record = history.as_dict() if hasattr(history, "as_dict") else history
    if not isinstance(record, Mapping):
        raise ValueError(f"history must be a History or a dict of per-epoch lists, got {type(history).__name__}")
    keys = (keys,) if isinstance(keys, str) else tuple(keys)
    fig, ax = _axes(ax, (6, 4))
    drawn = 0
    for key in keys:
        values = _array(key, _series(record, key), (1,))
        if values.size:
            epochs = np.arange(1, values.size + 1)
            ax.plot(epochs, values, marker="o" if values.size <= 30 else None, markersize=3, label=key)
            drawn += 1
    if not drawn:
        raise ValueError(f"none of the series {list(keys)} has any values to plot")
    if record.get("best_epoch") is not None:
        ax.axvline(record["best_epoch"] + 1, color="0.5", linestyle=":", label="best epoch")
    ax.set_xlabel("epoch")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_ylabel("loss" if all(k.endswith("loss") for k in keys) else "value")
    if logy:
        ax.set_yscale("log")
    ax.legend()
    _tidy(ax)
    return fig


def hidden_state_heatmap(hs, batch_index: int = 0, tokens: Sequence[str] | None = None,
                         ax: Axes | None = None) -> Figure:
    """Hidden units (rows) against time (columns), coloured on a scale symmetric about 0.

    Parameters
    ----------
    hs : array, shape (T, H) or (T, B, H)
        Hidden states of one sequence, or of a batch from which ``batch_index`` is shown.
    batch_index : int
        Which sequence of a (T, B, H) batch to show.
    tokens : sequence of str, optional
        T labels for the time axis, such as the characters read at each step.
    ax : matplotlib.axes.Axes, optional
        Draw here instead of in a new figure.

    Returns
    -------
    matplotlib.figure.Figure
        With the heatmap and its colour bar.
    """
    hs = _array("hs", hs, (2, 3))
    if hs.ndim == 3:
        if not -hs.shape[1] <= batch_index < hs.shape[1]:
            raise ValueError(f"batch_index {batch_index} is out of range for a batch of {hs.shape[1]}")
        hs = hs[:, batch_index]  # (T, H)
    T, H = hs.shape
    fig, ax = _axes(ax, (max(4.0, 0.3 * T + 2), max(2.5, 0.2 * H + 1.5)))
    # Symmetric limits keep 0 white, so the sign of every unit reads at a glance.
    limit = float(np.abs(hs).max()) or 1.0
    image = ax.imshow(hs.T, aspect="auto", cmap="RdBu_r", vmin=-limit, vmax=limit, interpolation="nearest")
    _label_ticks(ax.set_xticks, T, tokens, "tokens", rotation=90 if tokens is not None and T > 20 else 0)
    ax.set_xlabel("time step $t$")
    ax.set_ylabel("hidden unit")
    fig.colorbar(image, ax=ax, label="$h_t$")
    return fig


def grad_norm_vs_lag(norms, label: str | None = None, ax: Axes | None = None) -> Figure:
    r"""Gradient norms from :func:`rnnlib.train.hidden_grad_norms` against the time lag :math:`T-1-t`, log y.

    Parameters
    ----------
    norms : array, shape (T,), or dict
        :math:`\|\partial L / \partial h_t\|` for t = 0, ..., T-1, or a dict from a legend label to such an
        array (one curve each; their T may differ).
    label : str, optional
        Legend label for a single array.
    ax : matplotlib.axes.Axes, optional
        Draw here instead of in a new figure.

    Returns
    -------
    matplotlib.figure.Figure
    """
    curves = dict(norms) if isinstance(norms, Mapping) else {label: norms}
    if not curves:
        raise ValueError("norms is an empty dict: there is nothing to plot")
    fig, ax = _axes(ax, (6, 4))
    for name, values in curves.items():
        values = _array(f"norms[{name!r}]" if name is not None else "norms", values, (1,))
        if values.size == 0 or not np.all(np.isfinite(values)) or np.any(values < 0):
            raise ValueError(f"gradient norms must be a non-empty array of finite values >= 0, got {values}")
        # norms[t] belongs to lag T-1-t, so reversing the array puts lag 0 first.
        ax.plot(np.arange(values.size), values[::-1], marker="o", markersize=3, label=name)
    ax.set_yscale("log")
    ax.set_xlabel("time lag $T-1-t$")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_ylabel(GRAD_NORM_LABEL)
    if any(name is not None for name in curves):
        ax.legend()
    _tidy(ax)
    return fig


def attention_heatmap(weights, src_tokens: Sequence[str] | None = None, tgt_tokens: Sequence[str] | None = None,
                      ax: Axes | None = None) -> Figure:
    """Attention weights, one row per output step and one column per source position.

    Parameters
    ----------
    weights : array, shape (T_out, S)
        Row ``i`` holds the weights output step ``i`` put on the S source positions.
    src_tokens : sequence of str, optional
        S labels for the columns (x axis).
    tgt_tokens : sequence of str, optional
        T_out labels for the rows (y axis).
    ax : matplotlib.axes.Axes, optional
        Draw here instead of in a new figure.

    Returns
    -------
    matplotlib.figure.Figure
        With the heatmap and its colour bar.
    """
    weights = _array("weights", weights, (2,))
    T_out, S = weights.shape
    fig, ax = _axes(ax, (max(4.0, 0.35 * S + 2), max(3.0, 0.35 * T_out + 1.5)))
    # Softmax weights live in [0, 1]; a fixed scale lets heatmaps from different models be compared.
    vmin, vmax = min(0.0, float(weights.min())), max(1.0, float(weights.max()))
    image = ax.imshow(weights, cmap="viridis", vmin=vmin, vmax=vmax, aspect="auto", interpolation="nearest")
    _label_ticks(ax.set_xticks, S, src_tokens, "src_tokens", rotation=90)
    _label_ticks(ax.set_yticks, T_out, tgt_tokens, "tgt_tokens")
    ax.set_xlabel("source")
    ax.set_ylabel("output")
    fig.colorbar(image, ax=ax, label="attention weight")
    return fig


def attention_on_image(image, weights, words: Sequence[str] | None = None, axes: Sequence[Axes] | None = None
                       ) -> Figure:
    """Where a captioning model looked: attention over a grid of h x w locations, drawn over the image.

    Each location's weight is spread over the block of pixels it stands for (the image is divided into h x w
    equal blocks), so a bright block is a part of the image the decoder read when it wrote the word.

    Parameters
    ----------
    image : array, shape (P_h, P_w)
        A greyscale image.
    weights : array, shape (h, w) or (T_out, h, w)
        Attention over the grid locations, for one word or for each of T_out words (one panel each). The
        colour scale runs from 0 to the largest weight of all panels, so panels can be compared.
    words : sequence of str, optional
        T_out panel titles (one for a single map).
    axes : sequence of matplotlib.axes.Axes, optional
        T_out axes to draw into instead of a new figure with one row of panels.

    Returns
    -------
    matplotlib.figure.Figure
    """
    image = _array("image", image, (2,))
    weights = _array("weights", weights, (2, 3))
    maps = weights[None] if weights.ndim == 2 else weights  # (T_out, h, w)
    T_out = maps.shape[0]
    if words is not None and len(words) != T_out:
        raise ValueError(f"words has {len(words)} titles for {T_out} attention maps")
    if axes is None:
        fig = Figure(figsize=(1.7 * T_out + 0.3, 2.0), layout="constrained")
        axes = np.atleast_1d(fig.subplots(1, T_out))
    elif len(axes) != T_out:
        raise ValueError(f"axes has {len(axes)} axes for {T_out} attention maps")
    fig = axes[0].get_figure(root=True)
    P_h, P_w = image.shape
    vmax = max(float(maps.max()), 1e-12)
    for t, ax in enumerate(axes):
        ax.imshow(image, cmap="gray", interpolation="nearest")
        # extent stretches the h x w grid over the whole image, one block of pixels per location.
        ax.imshow(maps[t], cmap="inferno", alpha=0.6, vmin=0.0, vmax=vmax, interpolation="nearest",
                  extent=(-0.5, P_w - 0.5, P_h - 0.5, -0.5))
        ax.set_xticks([])
        ax.set_yticks([])
        if words is not None:
            ax.set_title(str(words[t]), fontsize=9)
    return fig


def forecast(history_series, truth, prediction, split_index: int | None = None, ax: Axes | None = None) -> Figure:
    """A series, its held-out continuation and a model's prediction of it, the held-out region shaded.

    Parameters
    ----------
    history_series : array, shape (N,)
        Observed values at times 0, ..., N-1.
    truth : array, shape (J,)
        True values at times ``split_index``, ..., ``split_index + J - 1``.
    prediction : array, shape (J,)
        Predicted values at the same times.
    split_index : int, optional
        First held-out time step, between 0 and N; default N (the held-out part follows the history).
    ax : matplotlib.axes.Axes, optional
        Draw here instead of in a new figure.

    Returns
    -------
    matplotlib.figure.Figure
    """
    series = _array("history_series", history_series, (1,))
    truth = _array("truth", truth, (1,))
    prediction = _array("prediction", prediction, (1,))
    if truth.shape != prediction.shape or truth.size == 0:
        raise ValueError(f"truth and prediction must be non-empty and of one shape (J,), got {truth.shape} and "
                         f"{prediction.shape}")
    split = series.size if split_index is None else split_index
    if not 0 <= split <= series.size:
        raise ValueError(f"split_index must lie between 0 and len(history_series) = {series.size}, got {split}")
    held_out = split + np.arange(truth.size)
    fig, ax = _axes(ax, (8, 3.5))
    ax.axvspan(split - 0.5, held_out[-1] + 0.5, color="0.9", label="held out")
    ax.plot(np.arange(series.size), series, color="0.3", label="observed")
    ax.plot(held_out, truth, color="tab:blue", label="truth")
    ax.plot(held_out, prediction, color="tab:orange", linestyle="--", label="prediction")
    ax.set_xlabel("time step")
    ax.set_ylabel("value")
    ax.legend()
    _tidy(ax)
    return fig


def confusion_matrix(y_true, y_pred, labels: Sequence[str], normalize: bool = True,
                     ax: Axes | None = None) -> Figure:
    """Heatmap of :func:`rnnlib.train.confusion` with every cell annotated.

    Parameters
    ----------
    y_true : array of int, shape (N,)
        True class indices.
    y_pred : array of int, shape (N,)
        Predicted class indices.
    labels : sequence of str
        The C class names, in index order.
    normalize : bool
        Divide each row by its total, so a cell is the share of a true class given that prediction (a class
        absent from ``y_true`` gets a row of zeros); otherwise show counts.
    ax : matplotlib.axes.Axes, optional
        Draw here instead of in a new figure.

    Returns
    -------
    matplotlib.figure.Figure
        With the heatmap, one text per cell and a colour bar.
    """
    C = len(labels)
    counts = confusion(y_true, y_pred, C)  # (C, C)
    totals = counts.sum(axis=1, keepdims=True)  # (C, 1)
    shown = np.divide(counts, totals, out=np.zeros((C, C)), where=totals > 0) if normalize else counts
    vmax = 1.0 if normalize else max(int(counts.max()), 1)
    fig, ax = _axes(ax, (max(4.0, 0.5 * C + 2), max(3.5, 0.5 * C + 1.5)))
    image = ax.imshow(shown, cmap="Blues", vmin=0, vmax=vmax, interpolation="nearest")
    for i in range(C):
        for j in range(C):
            value = shown[i, j]
            ax.text(j, i, f"{value:.2f}" if normalize else f"{value:d}", ha="center", va="center",
                    fontsize=8 if C > 8 else 10, color="white" if value > vmax / 2 else "black")
    _label_ticks(ax.set_xticks, C, labels, "labels", rotation=90 if C > 8 else 0)
    _label_ticks(ax.set_yticks, C, labels, "labels")
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    fig.colorbar(image, ax=ax, label="share of true class" if normalize else "count")
    return fig


def piano_roll(grid, seconds_per_step: float | None = None, title: str | None = None,
               ax: Axes | None = None) -> Figure:
    """The notes of a four-voice grid (:mod:`rnnlib.data.chorales`) as bars, one colour per voice.

    Parameters
    ----------
    grid : array of int, shape (T, 4)
        ``+p`` starts MIDI pitch p, ``-p`` holds it, 0 rests; voices soprano, alto, tenor, bass.
    seconds_per_step : float, optional
        Label the time axis in seconds instead of grid steps.
    title : str, optional
    ax : matplotlib.axes.Axes, optional
        Draw here instead of in a new figure.

    Returns
    -------
    matplotlib.figure.Figure
        Each note a bar from its start to its end at the height of its pitch, with a gap before the next note;
        the y ticks name every C.
    """
    from rnnlib.music import notes

    g = np.asarray(grid)
    if g.ndim != 2 or g.shape[1] != 4 or not np.issubdtype(g.dtype, np.integer):
        raise ValueError(f"grid must be an integer array of shape (T, 4), got shape {g.shape}")
    scale = 1.0 if seconds_per_step is None else seconds_per_step
    fig, ax = _axes(ax, (9, 3.2))
    colors = ("tab:red", "tab:orange", "tab:green", "tab:blue")
    for v, name in enumerate(("soprano", "alto", "tenor", "bass")):
        bars = [(start * scale, (length - 0.15) * scale) for voice, start, length, _ in notes(g) if voice == v]
        heights = [midi for voice, _, _, midi in notes(g) if voice == v]
        for (x, w), y in zip(bars, heights):
            ax.broken_barh([(x, w)], (y - 0.4, 0.8), color=colors[v], label=name if (x, w) == bars[0] else None)
    sounding = np.abs(g[g != 0]) if (g != 0).any() else np.array([60])
    lo, hi = int(sounding.min()) - 2, int(sounding.max()) + 2
    ax.set_ylim(lo, hi)
    ax.set_xlim(0, len(g) * scale)
    cs = [c for c in range(lo, hi + 1) if c % 12 == 0]
    ax.set_yticks(cs, [f"C{c // 12 - 1}" for c in cs])
    ax.set_xlabel("time (s)" if seconds_per_step is not None else "time step (eighth notes)")
    ax.set_ylabel("pitch")
    if title:
        ax.set_title(title, fontsize=10)
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=7, frameon=False)  # beside the notes
    _tidy(ax)
    return fig


def _axes(ax, figsize):
    if ax is not None:
        return ax.get_figure(root=True), ax
    fig = Figure(figsize=figsize, layout="constrained")
    return fig, fig.add_subplot()


def _tidy(ax):
    ax.spines[["top", "right"]].set_visible(False)
    ax.grid(alpha=0.3)


def _array(name, a, ndims) -> np.ndarray:
    """``a`` as a float64 array after checking its rank is one of ``ndims``."""
    if hasattr(a, "detach"):
        a = a.detach().cpu().numpy()
    try:
        arr = np.asarray(a, dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise ValueError(f"{name} must be a numeric array: {err}") from None
    if arr.ndim not in ndims:
        ranks = " or ".join(str(n) for n in ndims)
        raise ValueError(f"{name} must have rank {ranks}, got shape {arr.shape}")
    return arr


def _series(record, key):
    if key in record:
        return record[key]
    extra = record.get("metrics") or {}
    if key in extra:
        return extra[key]
    raise ValueError(f"history has no series {key!r}; it has {sorted(set(record) | set(extra))}")


def _label_ticks(set_ticks, n, tokens, name, rotation=0):
    """Put ``tokens`` (n of them) on the ticks at 0, ..., n-1, or leave matplotlib's numbering when None."""
    if tokens is None:
        return
    tokens = [str(t) for t in tokens]
    if len(tokens) != n:
        raise ValueError(f"{name} has {len(tokens)} labels for an axis of {n} positions")
    set_ticks(range(n), tokens, rotation=rotation)
