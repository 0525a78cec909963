"""rnnlib.scratch.activations: the logistic function without overflow."""

import warnings

import numpy as np

from rnnlib.scratch.activations import sigmoid


def test_sigmoid_equals_the_textbook_form_and_never_overflows():
    a = np.linspace(-30, 30, 61)
    np.testing.assert_allclose(sigmoid(a), 1.0 / (1.0 + np.exp(-a)), rtol=1e-12, atol=1e-15)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        extreme = sigmoid(np.array([-1e4, 0.0, 1e4]))
    assert extreme.tolist() == [0.0, 0.5, 1.0]
