"""rnnlib.plot.attention_on_image (kept apart from test_plot.py so that branches adding plots merge cleanly)."""

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from rnnlib import plot  # noqa: E402


def test_one_panel_per_word_with_the_grid_stretched_over_the_image(rng, tmp_path):
    image = rng.random((36, 36))
    weights = torch.tensor(rng.dirichlet(np.ones(81), size=3).reshape(3, 9, 9))  # (T_out, h, w)
    fig = plot.attention_on_image(image, weights, ["seven", "above", "two"])
    assert len(fig.axes) == 3
    assert [ax.get_title() for ax in fig.axes] == ["seven", "above", "two"]
    for t, ax in enumerate(fig.axes):
        base, overlay = ax.images
        np.testing.assert_array_equal(base.get_array(), image)
        np.testing.assert_allclose(overlay.get_array(), weights[t].numpy())
        assert overlay.get_extent() == [-0.5, 35.5, 35.5, -0.5]
        assert overlay.get_clim() == (0.0, pytest.approx(weights.max().item()))  # one scale for all panels
    fig.savefig(tmp_path / "a.png")
    assert (tmp_path / "a.png").stat().st_size > 0


def test_a_single_map_and_given_axes():
    fig = Figure()
    axes = fig.subplots(1, 2)
    out = plot.attention_on_image(np.zeros((8, 8)), np.ones((2, 2, 2)) / 4, axes=axes)
    assert out is fig and all(len(ax.images) == 2 for ax in axes)
    assert len(plot.attention_on_image(np.zeros((8, 8)), np.ones((2, 2)) / 4).axes) == 1


def test_bad_input_is_refused():
    with pytest.raises(ValueError, match="image must have rank 2"):
        plot.attention_on_image(np.zeros((1, 8, 8)), np.ones((2, 2)))
    with pytest.raises(ValueError, match="words has 1 titles for 2"):
        plot.attention_on_image(np.zeros((8, 8)), np.ones((2, 2, 2)), ["a"])
    with pytest.raises(ValueError, match="axes has 1 axes for 2"):
        plot.attention_on_image(np.zeros((8, 8)), np.ones((2, 2, 2)), axes=[Figure().subplots()])
