"""What the tests of the numpy reference share: the shapes they try, torch's parameter names, and a float64
torch layer holding given numpy weights (the layer every scratch function is checked against).

Importable by name from any test (pyproject.toml puts tests/support on pytest's ``pythonpath``).
"""

from __future__ import annotations

import numpy as np
import torch

#: (T, B, D, H) for every forward/backward test: T = 1 and B = 1 edge cases, D != H, D < H and D > H.
SHAPES = [(1, 1, 1, 1), (1, 3, 2, 4), (5, 3, 4, 6), (7, 2, 5, 3)]
#: torch.nn.RNN's parameter names without the layer suffix ``_l0``.
PARAM_NAMES = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
#: G, the gates stacked in every weight: (G*H, D) and (G*H, H).
GATES = {"rnn": 1, "lstm": 4, "gru": 3}
TORCH_LAYERS = {"rnn": torch.nn.RNN, "lstm": torch.nn.LSTM, "gru": torch.nn.GRU}


def random_params(rng: np.random.Generator, cell: str, D: int, H: int, suffixes=("",)) -> dict[str, np.ndarray]:
    """Weights in torch's layout for ``cell``, drawn from U(-1, 1) with ``rng`` so every test is repeatable."""
    G = GATES[cell]
    shapes = {"weight_ih": (G * H, D), "weight_hh": (G * H, H), "bias_ih": (G * H,), "bias_hh": (G * H,)}
    return {name + s: rng.uniform(-1, 1, size=shape) for s in suffixes for name, shape in shapes.items()}


def torch_layer(params: dict, cell: str, nonlinearity: str = "tanh", bidirectional: bool = False):
    """A float64 ``torch.nn.RNN``/``LSTM``/``GRU`` holding a copy of ``params`` (names without ``_l0``; the
    backward direction's end in ``_reverse``)."""
    GH, D = np.shape(params["weight_ih"])
    H = GH // GATES[cell]
    kwargs = {"nonlinearity": nonlinearity} if cell == "rnn" else {}
    layer = TORCH_LAYERS[cell](D, H, bidirectional=bidirectional, **kwargs).double()
    with torch.no_grad():
        for name, p in layer.named_parameters():
            p.copy_(torch.from_numpy(np.asarray(params[name.replace("_l0", "")])))
    return layer


def params_of(layer) -> dict[str, np.ndarray]:
    """The parameters of a torch layer as numpy copies, under the scratch names (``_l0`` dropped)."""
    return {k.replace("_l0", ""): v.detach().numpy().copy() for k, v in layer.named_parameters()}
