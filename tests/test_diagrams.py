import matplotlib

matplotlib.use("Agg")

import pytest  # noqa: E402
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch  # noqa: E402

from rnnlib import diagrams  # noqa: E402


def saves(fig, tmp_path):
    path = tmp_path / "figure.png"
    fig.savefig(path)
    return path.stat().st_size > 0


@pytest.mark.parametrize("T, outputs, n_outputs", [(1, "all", 1), (4, "all", 4), (3, "last", 1), (2, "none", 0)])
def test_unrolled_graph_draws_boxes_arrows_and_shared_weights(tmp_path, T, outputs, n_outputs):
    fig = diagrams.unrolled_graph(T, outputs=outputs)
    ax = fig.axes[0]
    boxes = [p for p in ax.patches if isinstance(p, FancyBboxPatch)]
    arrows = [p for p in ax.patches if isinstance(p, FancyArrowPatch)]
    assert len(boxes) == 2 * T + 1 + n_outputs  # x_t and h_t per step, h_0, outputs
    assert len(arrows) == 2 * T + n_outputs
    texts = [t.get_text() for t in ax.texts]
    assert texts.count(r"$W_{ih}$") == texts.count(r"$W_{hh}$") == T
    assert texts.count(r"$W_{hy}$") == n_outputs
    assert r"$h_{0}$" in texts and rf"$x_{{{T}}}$" in texts
    assert saves(fig, tmp_path)


def test_unrolled_graph_numbers_steps_from_t0_and_rejects_bad_arguments():
    texts = [t.get_text() for t in diagrams.unrolled_graph(2, t0=0).axes[0].texts]
    assert r"$h_{-1}$" in texts and r"$x_{0}$" in texts and r"$y_{1}$" in texts
    with pytest.raises(ValueError, match="T must be a positive integer"):
        diagrams.unrolled_graph(0)
    with pytest.raises(ValueError, match="outputs"):
        diagrams.unrolled_graph(3, outputs="first")
