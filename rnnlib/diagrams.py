r"""Diagrams drawn with matplotlib patches: the unrolled recurrent network of the early chapters.

Like :mod:`rnnlib.plot`, every function returns a matplotlib Figure and never calls ``plt.show()``.
"""

from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

# One colour per role, shared by the diagram and the plots: inputs, hidden states, outputs.
INPUT_COLOR, HIDDEN_COLOR, OUTPUT_COLOR = "#cfe2f3", "#fce5cd", "#d9ead3"


def unrolled_graph(T: int = 4, outputs: str = "all", t0: int = 1, ax: Axes | None = None) -> Figure:
    r"""Diagram of an RNN unrolled over T steps, drawn with matplotlib patches.

    Boxes :math:`x_t \to h_t \to y_t` for every step and arrows :math:`h_{t-1} \to h_t` from an initial state,
    each arrow labelled with its weight matrix, :math:`W_{ih}`, :math:`W_{hh}` or :math:`W_{hy}`: the same three
    matrices at every step.

    Parameters
    ----------
    T : int
        Number of steps drawn.
    outputs : {"all", "last", "none"}
        An output at every step (taggers, language models), only at the last (sequence classifiers), or none.
    t0 : int
        Index of the first step in the labels; the initial state is :math:`h_{t_0 - 1}`.
    ax : matplotlib.axes.Axes, optional
        Draw here instead of in a new figure.

    Returns
    -------
    matplotlib.figure.Figure
        Its axes holds 2T + 1 boxes plus one per output, and 2T arrows plus one per output.
    """
    if isinstance(T, bool) or not isinstance(T, (int, np.integer)) or T < 1:
        raise ValueError(f"T must be a positive integer, got {T!r}")
    if outputs not in ("all", "last", "none"):
        raise ValueError(f"outputs must be 'all', 'last' or 'none', got {outputs!r}")
    if ax is None:
        fig = Figure(figsize=(1.5 * T + 1.5, 3.5 if outputs != "none" else 2.5), layout="constrained")
        ax = fig.add_subplot()
    else:
        fig = ax.get_figure(root=True)
    rows = {"x": 0.0, "h": 1.6, "y": 3.2}  # y coordinate of each kind of box
    _box(ax, 0.0, rows["h"], rf"$h_{{{t0 - 1}}}$", "white", linestyle="--")
    for k in range(T):
        cx, t = 2.0 * (k + 1), t0 + k
        _box(ax, cx, rows["x"], rf"$x_{{{t}}}$", INPUT_COLOR)
        _box(ax, cx, rows["h"], rf"$h_{{{t}}}$", HIDDEN_COLOR)
        _arrow(ax, (cx, rows["x"]), (cx, rows["h"]), r"$W_{ih}$")
        _arrow(ax, (cx - 2.0, rows["h"]), (cx, rows["h"]), r"$W_{hh}$")
        if outputs == "all" or (outputs == "last" and k == T - 1):
            _box(ax, cx, rows["y"], rf"$y_{{{t}}}$", OUTPUT_COLOR)
            _arrow(ax, (cx, rows["h"]), (cx, rows["y"]), r"$W_{hy}$")
    top = rows["y"] if outputs != "none" else rows["h"]
    ax.set_xlim(-0.7, 2.0 * T + 0.9)
    ax.set_ylim(-0.6, top + 0.6)
    ax.set_aspect("equal")
    ax.axis("off")
    ax.set_title(f"an RNN unrolled over {T} steps: the same weights at every step", fontsize=10)
    return fig


_BOX_W, _BOX_H = 0.9, 0.6  # box size in data units; arrows start and end on box edges


def _box(ax, cx, cy, text, color, linestyle="-"):
    ax.add_patch(FancyBboxPatch((cx - _BOX_W / 2, cy - _BOX_H / 2), _BOX_W, _BOX_H, boxstyle="round,pad=0.04",
                                facecolor=color, edgecolor="0.2", linestyle=linestyle))
    ax.text(cx, cy, text, ha="center", va="center", fontsize=12)


def _arrow(ax, start, end, text):
    """An arrow between the boxes centred at ``start`` and ``end`` (one row or one column apart)."""
    (x0, y0), (x1, y1) = start, end
    if y0 == y1:
        tail, head = (x0 + _BOX_W / 2, y0), (x1 - _BOX_W / 2, y1)
        ax.text((x0 + x1) / 2, y0 + 0.1, text, ha="center", va="bottom", fontsize=9)
    else:
        tail, head = (x0, y0 + _BOX_H / 2), (x1, y1 - _BOX_H / 2)
        ax.text(x0 + 0.08, (y0 + y1) / 2, text, ha="left", va="center", fontsize=9)
    ax.add_patch(FancyArrowPatch(tail, head, arrowstyle="-|>", mutation_scale=12, color="0.2",
                                 shrinkA=2, shrinkB=2))
