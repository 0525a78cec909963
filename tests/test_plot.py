"""Tests for rnnlib.plot: every helper returns a Figure holding what it promises, saves to PNG, rejects bad shapes."""

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from rnnlib import plot  # noqa: E402
from rnnlib.train import History  # noqa: E402


def saves(fig, tmp_path):
    path = tmp_path / "figure.png"
    fig.savefig(path)
    return path.stat().st_size > 0


def tick_texts(labels):
    return [t.get_text() for t in labels]


def history():
    return History(train_loss=[3.0, 2.0, 1.0], val_loss=[3.5, 2.5, 2.8], metrics={"accuracy": [0.2, 0.5, 0.4]},
                   grad_norm=[1.0, 1.0, 1.0], epoch_seconds=[0.1, 0.1, 0.1], best_epoch=1)


def test_training_curves_draws_one_line_per_key_and_the_best_epoch(tmp_path):
    fig = plot.training_curves(history(), logy=True)
    assert isinstance(fig, Figure) and len(fig.axes) == 1
    ax = fig.axes[0]
    curves = [line for line in ax.get_lines() if not line.get_label() == "best epoch"]
    assert [line.get_label() for line in curves] == ["train_loss", "val_loss"]
    np.testing.assert_array_equal(curves[1].get_xdata(), [1, 2, 3])
    np.testing.assert_array_equal(curves[1].get_ydata(), [3.5, 2.5, 2.8])
    assert [line.get_xdata()[0] for line in ax.get_lines() if line.get_label() == "best epoch"] == [2]
    assert ax.get_yscale() == "log" and ax.get_xlabel() == "epoch"
    assert saves(fig, tmp_path)


def test_training_curves_reads_dicts_metrics_and_skips_empty_series():
    record = history().as_dict()
    record["val_loss"], record["best_epoch"] = [], None
    ax = plot.training_curves(record, keys=("train_loss", "val_loss", "accuracy")).axes[0]
    assert [line.get_label() for line in ax.get_lines()] == ["train_loss", "accuracy"]
    assert ax.get_ylabel() == "value"
    with pytest.raises(ValueError, match="no series 'bleu'"):
        plot.training_curves(record, keys=("bleu",))
    with pytest.raises(ValueError, match="none of the series"):
        plot.training_curves(record, keys=("val_loss",))
    with pytest.raises(ValueError, match="History"):
        plot.training_curves([1.0, 2.0])


def test_helpers_draw_into_a_given_axes():
    fig = Figure()
    left, right = fig.subplots(1, 2)
    assert plot.training_curves(history(), ax=left) is fig
    assert plot.grad_norm_vs_lag(np.ones(3), ax=right) is fig
    assert len(left.get_lines()) == 3 and len(right.get_lines()) == 1


@pytest.mark.parametrize("shape", [(5, 3), (5, 2, 3)])
def test_hidden_state_heatmap_shows_one_sequence_with_token_ticks(rng, tmp_path, shape):
    hs = rng.normal(size=shape)
    fig = plot.hidden_state_heatmap(torch.tensor(hs), batch_index=1 if len(shape) == 3 else 0, tokens="hello")
    assert len(fig.axes) == 2  # the heatmap and its colour bar
    ax = fig.axes[0]
    shown = hs[:, 1] if len(shape) == 3 else hs
    np.testing.assert_array_equal(ax.images[0].get_array(), shown.T)  # units on rows, time on columns
    assert tick_texts(ax.get_xticklabels()) == list("hello")
    vmin, vmax = ax.images[0].get_clim()
    assert vmin == -vmax == -np.abs(shown).max()
    assert saves(fig, tmp_path)


def test_hidden_state_heatmap_rejects_bad_input(rng):
    with pytest.raises(ValueError, match="rank 2 or 3"):
        plot.hidden_state_heatmap(rng.normal(size=5))
    with pytest.raises(ValueError, match="batch_index"):
        plot.hidden_state_heatmap(rng.normal(size=(5, 2, 3)), batch_index=2)
    with pytest.raises(ValueError, match="tokens has 3 labels for an axis of 5"):
        plot.hidden_state_heatmap(rng.normal(size=(5, 3)), tokens="abc")


def test_grad_norm_vs_lag_puts_the_last_step_at_lag_zero(tmp_path):
    norms = {"rho = 0.5": 0.5 ** np.arange(4)[::-1], "rho = 1": np.ones(6)}
    fig = plot.grad_norm_vs_lag(norms)
    ax = fig.axes[0]
    first, second = ax.get_lines()
    np.testing.assert_array_equal(first.get_xdata(), [0, 1, 2, 3])
    np.testing.assert_array_equal(first.get_ydata(), [1, 0.5, 0.25, 0.125])
    assert len(second.get_xdata()) == 6
    assert ax.get_yscale() == "log"
    assert ax.get_ylabel() == plot.GRAD_NORM_LABEL and "T-1-t" in ax.get_xlabel()
    assert tick_texts(ax.get_legend().get_texts()) == list(norms)
    assert saves(fig, tmp_path)
    assert plot.grad_norm_vs_lag(np.ones(3)).axes[0].get_legend() is None


@pytest.mark.parametrize("norms", [np.ones((2, 3)), np.array([]), np.array([1.0, -1.0]), np.array([1.0, np.nan]),
                                   {}])
def test_grad_norm_vs_lag_rejects_bad_norms(norms):
    with pytest.raises(ValueError):
        plot.grad_norm_vs_lag(norms)


def test_attention_heatmap_labels_the_axes_with_tokens(rng, tmp_path):
    weights = rng.dirichlet(np.ones(4), size=3)  # (T_out, S), rows sum to 1
    src, tgt = ["le", "chat", "dort", "<eos>"], ["the", "cat", "sleeps"]
    fig = plot.attention_heatmap(weights, src, tgt)
    assert len(fig.axes) == 2
    ax = fig.axes[0]
    np.testing.assert_array_equal(ax.images[0].get_array(), weights)
    assert tick_texts(ax.get_xticklabels()) == src and tick_texts(ax.get_yticklabels()) == tgt
    assert ax.images[0].get_clim() == (0.0, 1.0)
    assert saves(fig, tmp_path)


def test_attention_heatmap_rejects_bad_shapes(rng):
    with pytest.raises(ValueError, match="rank 2"):
        plot.attention_heatmap(rng.random(4))
    with pytest.raises(ValueError, match="src_tokens has 3 labels for an axis of 4"):
        plot.attention_heatmap(rng.random((2, 4)), ["a", "b", "c"], ["x", "y"])
    with pytest.raises(ValueError, match="tgt_tokens"):
        plot.attention_heatmap(rng.random((2, 4)), list("abcd"), ["x"])


def test_forecast_places_truth_and_prediction_after_the_split(tmp_path):
    fig = plot.forecast(np.arange(10.0), [10.0, 11.0, 12.0], [9.5, 11.5, 12.0], split_index=10)
    ax = fig.axes[0]
    lines = {line.get_label(): line for line in ax.get_lines()}
    assert set(lines) == {"observed", "truth", "prediction"}
    np.testing.assert_array_equal(lines["truth"].get_xdata(), [10, 11, 12])
    np.testing.assert_array_equal(lines["prediction"].get_ydata(), [9.5, 11.5, 12.0])
    (shaded,) = ax.patches
    assert shaded.get_label() == "held out"
    xmin, xmax = shaded.get_x(), shaded.get_x() + shaded.get_width()
    assert (xmin, xmax) == (9.5, 12.5)
    assert saves(fig, tmp_path)
    default = plot.forecast(np.arange(10.0), [10.0], [9.0]).axes[0]
    assert [line.get_xdata()[0] for line in default.get_lines()][1:] == [10, 10]


def test_forecast_rejects_bad_input():
    with pytest.raises(ValueError, match="one shape"):
        plot.forecast(np.arange(5.0), [1.0, 2.0], [1.0])
    with pytest.raises(ValueError, match="split_index"):
        plot.forecast(np.arange(5.0), [1.0], [1.0], split_index=6)
    with pytest.raises(ValueError, match="history_series must have rank 1"):
        plot.forecast(np.ones((5, 1)), [1.0], [1.0])


@pytest.mark.parametrize("normalize, expected", [
    (True, ["0.50", "0.50", "0.00", "0.00", "1.00", "0.00", "0.33", "0.00", "0.67"]),
    (False, ["1", "1", "0", "0", "1", "0", "1", "0", "2"]),
])
def test_confusion_matrix_annotates_every_cell(tmp_path, normalize, expected):
    y_true, y_pred = [0, 0, 1, 2, 2, 2], [0, 1, 1, 2, 0, 2]
    fig = plot.confusion_matrix(y_true, y_pred, ["noun", "verb", "adj"], normalize=normalize)
    assert len(fig.axes) == 2
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.texts] == expected  # row by row
    assert tick_texts(ax.get_xticklabels()) == ["noun", "verb", "adj"] == tick_texts(ax.get_yticklabels())
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("predicted", "true")
    assert saves(fig, tmp_path)


def test_confusion_matrix_gives_absent_classes_a_zero_row():
    ax = plot.confusion_matrix([0, 0], [0, 1], ["a", "b"]).axes[0]
    np.testing.assert_array_equal(ax.images[0].get_array(), [[0.5, 0.5], [0.0, 0.0]])


def test_plotting_leaves_pyplot_and_rcparams_alone():
    import matplotlib.pyplot as plt

    before = dict(matplotlib.rcParams)
    plot.training_curves(history())
    plot.unrolled_graph()
    assert plt.get_fignums() == [] and dict(matplotlib.rcParams) == before


def test_piano_roll_draws_one_bar_per_note_in_its_voice_colour():
    grid = np.array([[72, 64, 55, 48], [-72, 65, -55, 0], [74, -65, -55, 43]], dtype=np.int8)
    fig = plot.piano_roll(grid, title="three chords")
    ax = fig.axes[0]
    bars = [c for c in ax.collections]
    assert len(bars) == 7  # S: 72, 74; A: 64, 65; T: 55; B: 48, 43
    spans = sorted((round(b.get_paths()[0].vertices[:, 0].min(), 2), round(b.get_paths()[0].vertices[:, 1].min(), 1))
                   for b in bars)
    assert (0.0, 71.6) in spans and (0.0, 47.6) in spans and (2.0, 42.6) in spans
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["soprano", "alto", "tenor", "bass"]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["C3", "C4", "C5"]
    assert ax.get_title() == "three chords" and "eighth" in ax.get_xlabel()
    assert "(s)" in plot.piano_roll(grid, seconds_per_step=0.3).axes[0].get_xlabel()
    with pytest.raises(ValueError, match=r"\(T, 4\)"):
        plot.piano_roll(np.zeros((3, 2), dtype=int))


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


def test_every_plot_function_returns_a_figure():
    import inspect

    public = [f for name, f in inspect.getmembers(plot, inspect.isfunction)
              if not name.startswith("_") and f.__module__ == plot.__name__]
    assert len(public) >= 8
    assert {f.__name__: inspect.signature(f).return_annotation for f in public} == {
        f.__name__: "Figure" for f in public}
