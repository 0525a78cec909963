import numpy as np
import pytest

from rnnlib.gradcheck import gradient_errors, numerical_gradient, rel_error


def test_rel_error_is_scale_free_and_zero_for_equal_arrays():
    a = np.array([1.0, -2.0, 3.0])
    assert rel_error(a, a) == 0.0
    assert rel_error(np.zeros(3), np.zeros(3)) == 0.0
    assert rel_error(a, 1.01 * a) == pytest.approx(rel_error(1e6 * a, 1.01e6 * a))
    assert rel_error(a, -a) == pytest.approx(1.0)


def test_rel_error_rejects_mismatched_shapes():
    with pytest.raises(ValueError, match="one shape"):
        rel_error(np.zeros(3), np.zeros((3, 1)))


def test_numerical_gradient_of_a_known_function(rng):
    x = rng.standard_normal((3, 4))
    A = rng.standard_normal((4, 4))
    x_before = x.copy()
    grad = numerical_gradient(lambda: np.sum(np.sin(x @ A)), x)
    exact = np.cos(x @ A) @ A.T
    assert rel_error(grad, exact) < 1e-9
    assert np.array_equal(x, x_before), "x must be restored after perturbation"


def test_numerical_gradient_requires_float64_array():
    with pytest.raises(ValueError, match="float64"):
        numerical_gradient(lambda: 0.0, np.zeros(3, dtype=np.float32))


def test_gradient_errors_flags_a_wrong_gradient(rng):
    w = rng.standard_normal(5)
    b = rng.standard_normal(5)
    loss = lambda: float(np.sum(w**2 * b))
    good = gradient_errors(loss, {"w": w, "b": b}, {"w": 2 * w * b, "b": w**2})
    bad = gradient_errors(loss, {"w": w}, {"w": w * b})
    assert max(good.values()) < 1e-9
    assert bad["w"] > 0.1


def test_gradient_errors_needs_an_array_for_every_gradient(rng):
    with pytest.raises(ValueError, match="no array to perturb"):
        gradient_errors(lambda: 0.0, {}, {"w": np.zeros(2)})
