"""Time the numpy LSTM's forward + backward against torch.nn.LSTM's, float64, in one process (`make bench`).

T=50, B=32, D=H=128 as in the foundation issue. Prints the median of several repeats for each and their ratio.
"""

import statistics
import time

import numpy as np
import torch

from rnnlib.scratch.lstm import lstm_backward, lstm_forward

T, B, D, H = 50, 32, 128, 128
REPEATS = 15


def median_seconds(fn):
    fn()  # warm-up: first calls pay for allocation and lazy initialisation
    times = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main():
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    lstm = torch.nn.LSTM(D, H).double()
    params = {k.removesuffix("_l0"): v.detach().numpy() for k, v in lstm.named_parameters()}
    x = rng.standard_normal((T, B, D))
    h0, c0 = rng.standard_normal((2, B, H))
    dhs = rng.standard_normal((T, B, H))

    def numpy_step():
        _, _, cache = lstm_forward(x, h0, c0, params)
        lstm_backward(dhs, cache)

    xt = torch.from_numpy(x).requires_grad_()
    state = (torch.from_numpy(h0)[None].requires_grad_(), torch.from_numpy(c0)[None].requires_grad_())
    dhs_t = torch.from_numpy(dhs)

    def torch_step():
        lstm.zero_grad(set_to_none=True)
        hs, _ = lstm(xt, state)
        hs.backward(dhs_t)

    print(f"LSTM forward+backward, float64, T={T} B={B} D={D} H={H}, median of {REPEATS}")
    for threads in sorted({1, torch.get_num_threads()}):
        torch.set_num_threads(threads)
        t_np, t_torch = median_seconds(numpy_step), median_seconds(torch_step)
        print(f"torch threads={threads}: numpy {1e3 * t_np:.1f} ms, torch {1e3 * t_torch:.1f} ms, "
              f"ratio numpy/torch {t_np / t_torch:.2f}")


if __name__ == "__main__":
    main()
