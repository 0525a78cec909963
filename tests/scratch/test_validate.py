"""rnnlib.scratch._validate: the one place the numpy reference checks its inputs."""

import numpy as np
import pytest

from rnnlib.scratch import _validate as v
from rnnlib.scratch.rnn import RNNCache


def test_as_array_records_symbols_and_names_the_known_sizes():
    dims = {}
    assert v.as_array("x", np.zeros((2, 3), dtype=np.int64), ("B", "D"), dims).dtype == np.float64
    assert dims == {"B": 2, "D": 3}
    with pytest.raises(ValueError, match=r"h must have shape \(B, H\) with B=2, D=3, got shape \(4, 5\)"):
        v.as_array("h", np.zeros((4, 5)), ("B", "H"), dims)
    with pytest.raises(ValueError, match="NaN"):
        v.as_array("x", [np.nan], ("B",))
    with pytest.raises(ValueError, match="real numeric"):
        v.as_array("x", ["a"], ("B",))


def test_sizes_from_params_reads_D_and_H_from_weights_that_fit_the_cell():
    params = {"weight_ih": np.zeros((12, 5)), "weight_hh": np.zeros((12, 4))}
    assert v.sizes_from_params(params, 3) == {"D": 5, "H": 4}
    assert v.sizes_from_params(params, 4) == {}  # 12 rows = 3 * 4 are a GRU's, not an LSTM's 16
    assert v.sizes_from_params({}, 1) == {}


def test_mask_choice_and_cache_checks():
    assert v.as_mask("mask", None, (2, 3), "(T, B)").all()
    with pytest.raises(ValueError, match=r"mask must have shape \(T, B\) = \(2, 3\), got shape \(3, 2\)"):
        v.as_mask("mask", np.ones((3, 2), dtype=bool), (2, 3), "(T, B)")
    with pytest.raises(ValueError, match="bool"):
        v.as_mask("mask", np.ones((2, 3)), (2, 3), "(T, B)")
    with pytest.raises(ValueError, match="unknown method 'fast'"):
        v.check_choice("method", "fast", ["blelloch"])
    with pytest.raises(ValueError, match="cache must be the RNNCache returned by rnn_forward, got tuple"):
        v.check_cache((1, 2), RNNCache, "rnn_forward")
