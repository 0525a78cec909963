"""What is particular to a04's checker module (solutions/a04/a04_checks.py) and its diagnoses (a04_diagnoses.py);
test_checks.py holds what every ported assignment must show (each mistake of cases/a04.py named by its cause, the
references agreeing, unreadable records failing, no working answer in the students' copy).
"""

from __future__ import annotations

import nbformat
import numpy as np
import pytest

import harness
import trusted_judge

CASE = harness.load_case("a04")
CHECKER = trusted_judge.load_checker(CASE.checker_path)


def answer(grade_id: str):
    """The function that the solution's answer cell ``grade_id`` defines."""
    namespace = {"np": np}
    exec(harness.answers(CASE)[grade_id], namespace)
    return next(v for k, v in namespace.items() if callable(v) and not k.startswith("_") and k != "np")


def test_the_visible_checks_use_the_setup_cells_run():
    """The checker draws the setup cell's run itself (the judge never sees the student's setup): the same numbers."""
    source = nbformat.read(CASE.source_path, as_version=4)
    setup = next(c.source for c in source.cells if harness.nbgrader_meta(c).get("grade_id") == "setup")
    namespace = {}
    exec(setup.replace('check = Checker("a04_checks")', ""), namespace)
    run = CHECKER.setup_run()
    for key, value in (("weight_hh", namespace["params"]["weight_hh"]), ("hs", namespace["hs"]),
                       ("dh_last", namespace["dh_last"]), ("x", namespace["x"])):
        assert np.array_equal(run[key], value), key


@pytest.mark.parametrize("name", ["grad_norms_torch", "grad_norms_scalar"])
def test_the_norm_diagnoses_are_not_vacuous(name, diagnoses):
    """Every mistake the judge can name for grad_norms_by_lag changes the answer on a visible case."""
    cases = getattr(CHECKER, f"cases_{name}")(np.random.default_rng(0))
    for mistake, (kw, _) in diagnoses.NORM_CAUSES.items():
        if name == "grad_norms_scalar" and mistake == "transposed":
            continue  # with one hidden unit W_hh.T = W_hh; the torch check covers it
        assert any(not np.allclose(diagnoses._norms_numpy(c["weight_hh"], c["hs"], c["dh_last"], **kw),
                                   diagnoses._norms_numpy(c["weight_hh"], c["hs"], c["dh_last"]), rtol=1e-8)
                   for c in cases), mistake


def test_the_spectral_diagnoses_are_not_vacuous(diagnoses):
    """Each spectral_radius mistake is named alone (no other hypothesis gives the same number) on some visible case
    of the cell where it first fails."""
    spectral_radius = answer("spectral-radius")
    for name, first in (("spectral_radius_normal", ("eigvalsh", "|real part|", "not the largest ABSOLUTE")),
                        ("spectral_radius_nonnormal", ("spectral norm", "eigvalsh", "|real part|",
                                                       "not the largest ABSOLUTE"))):
        named = set()
        for case in getattr(CHECKER, f"cases_{name}")(np.random.default_rng(0)):
            want = spectral_radius(case["W"])
            hyps = diagnoses._spectral_hypotheses(case["W"])
            for predicted, cause in hyps:
                for p in np.ravel(predicted):
                    others = [c for q, c in hyps if c != cause and np.any(np.isclose(np.ravel(q), p, rtol=1e-9))]
                    if not np.isclose(p, want, rtol=1e-9) and not others:
                        named.add(cause)
        assert all(any(f in cause for cause in named) for f in first), (name, named)


def test_clipping_in_place_or_into_shared_arrays_is_caught():
    clip = answer("clip-global-norm")
    case = CHECKER.cases_clip_inputs(np.random.default_rng(0))[0]
    reference = CHECKER.produce_clip(clip, case)
    record = CHECKER.produce_clip(lambda grads, max_norm: (dict(grads), 0.0), case)
    assert record["shares"] and not record["modified"]

    def in_place(grads, max_norm):
        clipped, total = clip(grads, max_norm)
        for k in grads:
            grads[k][...] = clipped[k]
        return grads, total

    before = {k: v.copy() for k, v in case["grads"].items()}
    record = CHECKER.produce_clip(in_place, case)
    assert all(np.array_equal(case["grads"][k], before[k]) for k in before)  # the case itself is untouched
    with pytest.raises(AssertionError, match=r"modified its input grads\['weight_hh'\], grads\['bias_hh'\]"):
        CHECKER.judge_clip_inputs(case, record, reference)


def test_zero_gradients_are_judged_with_division_by_zero_raising():
    """A NaN from 0/0 in numpy would only warn; the check makes it an error and names the cause."""
    case = next(c for c in CHECKER.cases_clip_inputs(np.random.default_rng(0)) if c["strict"])
    reference = CHECKER.produce_clip(answer("clip-global-norm"), case)

    def numpy_division(grads, max_norm):
        total = np.sqrt(sum(np.sum(g ** 2) for g in grads.values()))
        return {k: g * np.minimum(1.0, max_norm / total) for k, g in grads.items()}, float(total)

    with pytest.raises(AssertionError, match="with all-zero gradients clip_by_global_norm raised FloatingPointError"):
        CHECKER.judge_clip_inputs(case, CHECKER.produce_clip(numpy_division, case), reference)


@pytest.mark.parametrize("returned, message", [
    (lambda W: complex(3.0, 0.0), "returned a complex number"),
    (lambda W: np.array(3.0), r"should return a float, got a numpy array of shape \(\)"),
    (lambda W: [3.0], "should return a float"),
    (lambda W: 1 / 0, "spectral_radius raised ZeroDivisionError"),
])
def test_results_of_the_wrong_type_fail(returned, message):
    case = CHECKER.cases_spectral_radius_normal(np.random.default_rng(0))[0]
    reference = CHECKER.produce_spectral_radius(answer("spectral-radius"), case)
    with pytest.raises(AssertionError, match=message):
        CHECKER.judge_spectral_radius(case, CHECKER.produce_spectral_radius(returned, case), reference)


def test_a_list_of_norms_is_accepted_and_a_tensor_is_not():
    import torch

    grad_norms = answer("grad-norms")
    case = CHECKER.cases_grad_norms_torch(np.random.default_rng(0))[0]
    reference = CHECKER.produce_grad_norms(grad_norms, case)
    as_list = lambda *args: [float(v) for v in grad_norms(*args)]
    CHECKER.judge_grad_norms_torch(case, CHECKER.produce_grad_norms(as_list, case), reference)
    as_tensor = lambda *args: torch.from_numpy(grad_norms(*args))
    with pytest.raises(AssertionError, match="should be a number or a numpy array, got <torch.Tensor>"):
        CHECKER.judge_grad_norms_torch(case, CHECKER.produce_grad_norms(as_tensor, case), reference)


# The seeds of the visible checks and of the hidden tests (the notebook's test cells).
SEEDS = (0, 4001, 4002, 4003, 4004, 4005, 4006, 4007, 4008)


def _torch_norms(case) -> np.ndarray:
    """torch.nn.RNNCell unrolled with the case's weights; autograd computes every dL/dh_t: the norms, (T,)."""
    import torch

    cell = torch.nn.RNNCell(case["x"].shape[2], case["h0"].shape[1]).double()
    with torch.no_grad():
        for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
            getattr(cell, name).copy_(torch.from_numpy(case[name]))
    h, states = torch.from_numpy(case["h0"]), []
    for x_t in torch.from_numpy(case["x"]):
        h = cell(x_t, h)
        h.retain_grad()
        states.append(h)
    (states[-1] * torch.from_numpy(case["dh_last"])).sum().backward()
    hs = torch.stack(states).detach().numpy()  # (T, B, H)
    assert np.allclose(hs, case["hs"], rtol=1e-12, atol=1e-14), "the case's forward pass is not torch's"
    return np.array([s.grad.norm(dim=1).mean().item() for s in states])


@pytest.mark.parametrize("seed", SEEDS)
def test_the_solution_agrees_with_torch(seed):
    """The references are the solution's records; the messages and PASSED lines name torch (torch.linalg.eigvals,
    torch.autograd through torch.nn.RNNCell, torch.nn.utils.clip_grad_norm_): the solution agrees with it on every
    case of every check, visible and hidden, and the cases' forward pass is torch's."""
    import torch

    rng = lambda: np.random.default_rng(seed)
    spectral_radius = answer("spectral-radius")
    for case in CHECKER.cases_spectral_radius_normal(rng()) + CHECKER.cases_spectral_radius_nonnormal(rng()):
        assert np.isclose(spectral_radius(case["W"]),
                          float(torch.linalg.eigvals(torch.from_numpy(case["W"])).abs().max()), rtol=1e-10)
    grad_norms = answer("grad-norms")
    for case in CHECKER.cases_grad_norms_torch(rng()):
        assert np.allclose(grad_norms(case["weight_hh"], case["hs"], case["dh_last"]), _torch_norms(case),
                           rtol=1e-10, atol=0)
    clip = answer("clip-global-norm")
    for case in CHECKER.cases_clip_below(rng()) + CHECKER.cases_clip_above(rng()) + CHECKER.cases_clip_inputs(rng()):
        tensors = []
        for g in case["grads"].values():
            p = torch.nn.Parameter(torch.zeros(np.shape(g), dtype=torch.float64))
            p.grad = torch.tensor(g, dtype=torch.float64)
            tensors.append(p)
        total = float(torch.nn.utils.clip_grad_norm_(tensors, case["max_norm"]))
        clipped, total_norm = clip(case["grads"], case["max_norm"])
        assert np.isclose(total_norm, total, rtol=1e-12)
        for k, p in zip(case["grads"], tensors):  # torch divides by total_norm + 1e-6: the judge's rtol is 1e-5
            assert np.allclose(clipped[k], p.grad.numpy(), rtol=1e-5, atol=1e-15)


@pytest.mark.parametrize("seed", SEEDS)
def test_the_clip_cases_are_below_and_above_the_threshold(seed, diagnoses):
    """The cases choose max_norm from bounds of the global norm (the checker does not compute it)."""
    rng = lambda: np.random.default_rng(seed)
    assert all(diagnoses._global_norm(c["grads"]) <= c["max_norm"] for c in CHECKER.cases_clip_below(rng()))
    assert all(diagnoses._global_norm(c["grads"]) > c["max_norm"] for c in CHECKER.cases_clip_above(rng()))
