r"""Forecasting with a recurrent network: the next J values after a window, or the next value at every step.

Shapes are time-major. Symbols: T time steps, B batch, D input features, H hidden units, J forecast horizon.
"""

from __future__ import annotations

import torch
from torch import nn

from rnnlib.models._validate import DEFAULT_CELL, check_int, check_shape
from rnnlib.models.cells import init_like_torch
from rnnlib.models.sequence import make_rnn


class SequenceRegressor(nn.Module):
    """Forecast real values: the next J values after a window, or the next value at every step.

    Always reads forwards only: a backward direction would see the very values it is asked to predict.

    Parameters
    ----------
    input_size : int
        D, features per step.
    hidden_size : int
        H, hidden units.
    out_features : int
        Features per predicted step (1 for a univariate series).
    horizon : int
        J, steps predicted from the last state by :meth:`forward`. Must be 1 with ``per_step``.
    cell : {"rnn", "lstm", "gru"}
        Recurrent layer.
    num_layers : int
        M, stacked layers.
    dropout : float
        Dropout between stacked layers and on the states before the output layer.
    per_step : bool
        Make :meth:`forward` predict the next value at every step, (T, B, out_features), instead of the
        next J values after the last step, (B, J, out_features).
    nonlinearity : {"tanh", "relu"}
        For ``cell="rnn"`` only.
    generator : torch.Generator, optional
        Source of the initial weights.
    """

    def __init__(self, input_size: int, hidden_size: int, out_features: int = 1, horizon: int = 1,
                 cell: str = DEFAULT_CELL, num_layers: int = 1, dropout: float = 0.0, per_step: bool = False,
                 nonlinearity: str = "tanh", generator: torch.Generator | None = None):
        super().__init__()
        if horizon < 1:
            raise ValueError(f"horizon must be at least 1, got {horizon}")
        if per_step and horizon != 1:
            raise ValueError(f"per_step=True predicts one step ahead at every step, so horizon must be 1, "
                             f"got horizon={horizon}")
        self.input_size, self.out_features = input_size, out_features
        self.horizon, self.per_step = horizon, per_step
        self.rnn = make_rnn(cell, input_size, hidden_size, num_layers, False, dropout, nonlinearity)
        self.dropout = nn.Dropout(dropout)
        # One linear map from a state to the next J values; the first of them is the one-step-ahead prediction.
        self.head = nn.Linear(hidden_size, horizon * out_features)
        if generator is not None:
            init_like_torch(self, generator)

    def _predict(self, out: torch.Tensor) -> torch.Tensor:
        """Map states (..., H) to predictions (..., J, out_features)."""
        y = self.head(self.dropout(out))  # (..., J * out_features)
        return y.view(*out.shape[:-1], self.horizon, self.out_features)

    def _check(self, x: torch.Tensor) -> None:
        check_shape("x", x, (None, None, self.input_size), f"(T, B, D) with D={self.input_size}")
        if x.shape[0] == 0:
            raise ValueError("x must have at least one time step")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Predict from a window of the series.

        Parameters
        ----------
        x : Tensor, shape (T, B, D)
            Input window, every sequence of full length T.

        Returns
        -------
        Tensor, shape (B, J, out_features), or (T, B, out_features) with ``per_step``
            The J values following step T-1; with ``per_step``, at each step t the prediction of the value
            at t+1, made from steps 0..t only.
        """
        self._check(x)
        out, _ = self.rnn(x)  # (T, B, H)
        if self.per_step:
            return self._predict(out)[:, :, 0]  # (T, B, out_features)
        return self._predict(out[-1])  # (B, J, out_features)

    def forecast(self, x: torch.Tensor, max_len: int) -> torch.Tensor:
        """Continue the series for ``max_len`` steps, feeding each prediction back in as the next input.

        Uses the one-step-ahead prediction (the first of the J), so it needs ``D == out_features``: the model
        must predict the very features it reads. Errors compound, which is the point of comparing this with
        :meth:`forward`. Gradients flow through it; wrap the call in ``torch.no_grad()`` to only plot.

        Parameters
        ----------
        x : Tensor, shape (T, B, D)
            Observed history.
        max_len : int
            Future steps to write, at least 1 (a series has no end token, so always exactly this many).

        Returns
        -------
        Tensor, shape (max_len, B, out_features)
            Predicted values after the history.
        """
        if self.input_size != self.out_features:
            raise ValueError(f"forecast feeds predictions back as inputs, so it needs input_size D == "
                             f"out_features, got D={self.input_size} and out_features={self.out_features}")
        max_len = check_int("max_len", max_len, 1)
        self._check(x)
        out, state = self.rnn(x)  # (T, B, H)
        ys = [self._predict(out[-1])[:, 0]]  # [(B, out_features)]
        for _ in range(max_len - 1):
            out, state = self.rnn(ys[-1][None], state)  # (1, B, H)
            ys.append(self._predict(out[-1])[:, 0])
        return torch.stack(ys)  # (max_len, B, out_features)
