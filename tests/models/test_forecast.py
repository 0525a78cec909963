"""rnnlib.models.forecast: the sequence regressor's shapes, causality, free-running forecast and input checks."""

import pytest
import torch

from rnnlib.models.forecast import SequenceRegressor

CELLS = ["rnn", "lstm", "gru"]
T, B, D, H = 5, 4, 3, 6


def gen(seed=0):
    return torch.Generator().manual_seed(seed)


def features(shape, seed=1):
    return torch.randn(shape, dtype=torch.float64, generator=gen(seed))


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("num_layers", [1, 2])
def test_regressor_shapes(cell, num_layers):
    x = torch.randn(T, B, D, generator=gen(2))
    assert SequenceRegressor(D, H, 2, horizon=3, cell=cell, num_layers=num_layers)(x).shape == (B, 3, 2)
    per_step = SequenceRegressor(D, H, 2, cell=cell, num_layers=num_layers, per_step=True)
    assert per_step(x).shape == (T, B, 2)
    assert SequenceRegressor(2, H, 2, horizon=3, cell=cell)(x[..., :2]).shape == (B, 3, 2)
    assert SequenceRegressor(2, H, 2, horizon=3, cell=cell).forecast(x[..., :2], 7).shape == (7, B, 2)


@pytest.mark.parametrize("cell", CELLS)
def test_per_step_prediction_is_causal(cell):
    per_step = SequenceRegressor(D, H, 2, cell=cell, num_layers=2, per_step=True, generator=gen()).double()
    last_only = SequenceRegressor(D, H, 2, cell=cell, num_layers=2).double()
    last_only.load_state_dict(per_step.state_dict())
    x = features((T, B, D))
    ys = per_step(x)
    for t in range(T):
        torch.testing.assert_close(ys[t], last_only(x[:t + 1])[:, 0], rtol=0, atol=1e-12)


@pytest.mark.parametrize("cell", CELLS)
def test_forecast_feeds_its_predictions_back(cell):
    model = SequenceRegressor(2, H, 2, horizon=2, cell=cell, generator=gen()).double()
    x = features((T, B, 2))
    ys = model.forecast(x, 3)
    history = x
    for k in range(3):
        torch.testing.assert_close(ys[k], model(history)[:, 0], rtol=0, atol=1e-12)
        history = torch.cat([history, ys[k][None]])  # (T + k + 1, B, 2)


def test_regressor_bad_inputs_raise():
    with pytest.raises(ValueError, match="D == out_features, got D=3 and out_features=1"):
        SequenceRegressor(D, H).forecast(torch.zeros(T, B, D), 2)
    with pytest.raises(ValueError, match="horizon must be 1"):
        SequenceRegressor(D, H, horizon=2, per_step=True)
    with pytest.raises(ValueError, match=r"x must have shape \(T, B, D\)"):
        SequenceRegressor(D, H)(torch.zeros(T, D))
    with pytest.raises(ValueError, match="max_len"):
        SequenceRegressor(1, H).forecast(torch.zeros(T, B, 1), 0)
