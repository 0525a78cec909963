"""Input checks shared by the numpy reference: every failure is a ValueError naming the argument."""

from __future__ import annotations

import numbers
from collections.abc import Mapping, Sequence

import numpy as np

PARAM_NAMES = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")


def as_array(name: str, a, shape: Sequence[str | int], dims: Mapping[str, int] | None = None) -> np.ndarray:
    """Return ``a`` as float64 after checking its rank and shape.

    ``shape`` lists one entry per axis: an int is a fixed size, a string is a symbol (``"T"``, ``"B"``, ...)
    whose size is looked up in ``dims`` or, if absent, recorded there, so later arguments must agree with it.
    """
    dims = {} if dims is None else dims
    arr = np.asarray(a)
    if not np.issubdtype(arr.dtype, np.number) or np.issubdtype(arr.dtype, np.complexfloating):
        raise ValueError(f"{name} must be a real numeric array, got dtype {arr.dtype}")
    expected = "(" + ", ".join(str(s) for s in shape) + ("," if len(shape) == 1 else "") + ")"
    if arr.ndim != len(shape):
        raise ValueError(f"{name} must have shape {expected} (rank {len(shape)}), got shape {arr.shape}")
    for axis, (symbol, size) in enumerate(zip(shape, arr.shape)):
        want = symbol if isinstance(symbol, int) else dims.get(symbol)
        if want is None:
            dims[symbol] = size
        elif size != want:
            known = ", ".join(f"{k}={v}" for k, v in dims.items() if isinstance(k, str))
            raise ValueError(f"{name} must have shape {expected} with {known}, got shape {arr.shape} "
                             f"(axis {axis} is {size}, expected {want})")
    if arr.size and not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or infinity")
    return arr.astype(np.float64, copy=False)


def as_params(params: Mapping, gates: int, dims: dict, names: Sequence[str] = PARAM_NAMES,
              suffix: str = "") -> dict[str, np.ndarray]:
    """Check a torch-layout parameter dict: ``weight_ih (G*H, D)``, ``weight_hh (G*H, H)``, biases ``(G*H,)``.

    ``dims`` must already hold ``D`` and ``H``; ``gates`` is G (1 for RNN, 4 for LSTM, 3 for GRU).
    """
    if not isinstance(params, Mapping):
        raise ValueError(f"params must be a dict of arrays, got {type(params).__name__}")
    missing = [n + suffix for n in names if n + suffix not in params]
    if missing:
        raise ValueError(f"params is missing {missing}; expected keys {[n + suffix for n in names]}")
    G, D, H = gates, dims["D"], dims["H"]
    shapes = {"weight_ih": (G * H, D), "weight_hh": (G * H, H), "bias_ih": (G * H,), "bias_hh": (G * H,)}
    out = {}
    for n in names:
        key = n + suffix
        arr = np.asarray(params[key])
        if arr.shape != shapes[n]:
            sym = {"weight_ih": "(G*H, D)", "weight_hh": "(G*H, H)"}.get(n, "(G*H,)")
            raise ValueError(f"params[{key!r}] must have shape {sym} = {shapes[n]} for G={G}, D={D}, H={H}, "
                             f"got {arr.shape}")
        out[n] = as_array(f"params[{key!r}]", arr, shapes[n])
    return out


def check_int(name: str, value, minimum: int) -> int:
    """Return ``value`` as an int after checking it is an integer (not a bool) >= ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ValueError(f"{name} must be an int >= {minimum}, got {value!r}")
    return int(value)


def check_choice(name: str, value, choices: Sequence[str]) -> str:
    """Raise a ValueError unless ``value`` is one of ``choices``."""
    if value not in choices:
        raise ValueError(f"unknown {name} {value!r}; expected one of {list(choices)}")
    return value


def sizes_from_params(params, gates: int) -> dict[str, int]:
    """D and H as the weights imply them, so that an input or state of the wrong size is named, not params.

    Weights that do not fit G (or no weights at all) give {}, leaving the full check and its message to
    :func:`as_params`.
    """
    try:
        (gh_ih, D), (gh_hh, H) = np.shape(params["weight_ih"]), np.shape(params["weight_hh"])
    except (TypeError, KeyError, IndexError, ValueError):
        return {}
    return {"D": D, "H": H} if gh_ih == gh_hh == gates * H else {}


def as_mask(name: str, mask, shape: tuple[int, ...], expected: str) -> np.ndarray:
    """Return ``mask`` as a bool array of ``shape`` (``expected`` names it symbolically), all True when None."""
    if mask is None:
        return np.ones(shape, dtype=bool)
    m = np.asarray(mask)
    if m.dtype != np.bool_:
        raise ValueError(f"{name} must be a bool array of shape {expected}, got dtype {m.dtype}")
    if m.shape != tuple(shape):
        raise ValueError(f"{name} must have shape {expected} = {tuple(shape)}, got shape {m.shape}")
    return m


def check_cache(cache, cls: type, producer: str) -> None:
    """Raise a ValueError unless ``cache`` is the cache type that ``producer`` returns."""
    if not isinstance(cache, cls):
        raise ValueError(f"cache must be the {cls.__name__} returned by {producer}, got {type(cache).__name__}")
