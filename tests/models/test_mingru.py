"""minGRU: the parallel scan equals the loop, the step equals the equations, gradients agree."""

import numpy as np
import pytest
import torch

from rnnlib.models.mingru import MinGRU, parallel_scan
from rnnlib.scratch.scan import linear_scan_forward


def make(D, H, L=1, seed=0):
    return MinGRU(D, H, L, generator=torch.Generator().manual_seed(seed)).double()


@pytest.mark.parametrize("T", [1, 2, 3, 7, 8, 33])
def test_parallel_scan_equals_the_numpy_reference(rng, T):
    a, b, h0 = rng.uniform(-1, 1, (T, 2, 3)), rng.standard_normal((T, 2, 3)), rng.standard_normal((2, 3))
    out = parallel_scan(*(torch.from_numpy(v) for v in (a, b, h0)))
    np.testing.assert_allclose(out.numpy(), linear_scan_forward(a, b, h0, "loop")[0], rtol=1e-12, atol=1e-12)
    out0 = parallel_scan(torch.from_numpy(a), torch.from_numpy(b))
    np.testing.assert_allclose(out0.numpy(), linear_scan_forward(a, b, None, "loop")[0], rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("T, B, D, H, L", [(1, 1, 1, 1, 1), (5, 3, 2, 4, 1), (17, 2, 3, 5, 2), (8, 1, 4, 2, 3)])
def test_parallel_equals_sequential_values_and_gradients(T, B, D, H, L):
    model = make(D, H, L)
    g = torch.Generator().manual_seed(1)
    x = torch.randn(T, B, D, generator=g, dtype=torch.float64)
    h0 = torch.randn(L, B, H, generator=g, dtype=torch.float64)
    dout = torch.randn(T, B, H, generator=g, dtype=torch.float64)
    results = []
    for parallel in (True, False):
        model.zero_grad()
        xt = x.clone().requires_grad_()
        out, h_n = model(xt, h0, parallel=parallel)
        (out * dout).sum().backward()
        results.append((out.detach(), h_n.detach(), xt.grad, [p.grad.clone() for p in model.parameters()]))
    (o1, n1, gx1, gp1), (o2, n2, gx2, gp2) = results
    assert o1.shape == (T, B, H) and n1.shape == (L, B, H)
    torch.testing.assert_close(o1, o2, rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(n1, n2, rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(n1[-1], o1[-1], rtol=0, atol=0)
    torch.testing.assert_close(gx1, gx2, rtol=1e-10, atol=1e-12)
    for p1, p2 in zip(gp1, gp2):
        torch.testing.assert_close(p1, p2, rtol=1e-10, atol=1e-12)


def test_step_follows_the_equations():
    model = make(3, 4)
    g = torch.Generator().manual_seed(2)
    x, h = torch.randn(2, 3, generator=g, dtype=torch.float64), torch.randn(1, 2, 4, generator=g, dtype=torch.float64)
    out, h_new = model.step(x, h)
    z = torch.sigmoid(x @ model.linear_z[0].weight.T + model.linear_z[0].bias)
    h_tilde = x @ model.linear_h[0].weight.T + model.linear_h[0].bias
    torch.testing.assert_close(out, (1 - z) * h[0] + z * h_tilde, rtol=1e-14, atol=1e-14)
    torch.testing.assert_close(h_new[0], out, rtol=0, atol=0)


def test_same_generator_seed_gives_same_weights():
    a, b = make(3, 4, 2, seed=5), make(3, 4, 2, seed=5)
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters()))
    assert not torch.equal(make(3, 4, 2, seed=6).linear_z[0].weight, a.linear_z[0].weight)


def test_bad_input_is_named():
    model = make(3, 4, 2)
    with pytest.raises(ValueError, match=r"x must have shape \(T, B, D\) with D=3"):
        model(torch.zeros(5, 2, 4, dtype=torch.float64))
    with pytest.raises(ValueError, match=r"h0 must have shape \(M, B, H\) with M=2, B=2, H=4"):
        model(torch.zeros(5, 2, 3, dtype=torch.float64), torch.zeros(1, 2, 4, dtype=torch.float64))
    with pytest.raises(ValueError, match="at least one time step"):
        model(torch.zeros(0, 2, 3, dtype=torch.float64))
    with pytest.raises(ValueError, match=r"x must have shape \(B, D\)"):
        model.step(torch.zeros(5, 2, 3, dtype=torch.float64))
    with pytest.raises(ValueError, match="num_layers must be at least 1"):
        MinGRU(3, 4, 0)
    with pytest.raises(ValueError, match="a and b must have one shape"):
        parallel_scan(torch.zeros(3, 2), torch.zeros(3, 1))
