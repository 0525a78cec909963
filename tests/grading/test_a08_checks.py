"""What is specific to a08's checks (solutions/a08/a08_checks.py, its diagnoses a08_diagnoses.py); test_checks.py
and test_tampering.py test every assignment's checker the same way.

The diagnoses are not vacuous: on the inputs of every seed the notebook uses, each mistake the judge can name gives
other numbers than the right answer. The checker's series is the notebook's, a forecast that calls the model too
often or returns a tensor fails with its own message, and what a function writes into its inputs is reported and
never reaches the reference. The students' copy (exercises/a08/) says what is wrong and where, and leaves the cause
to the graded feedback, whose messages name it.
"""

import json

import numpy as np
import pytest

import harness

CASE = harness.load_case("a08")
SEEDS = (None, 1101, 1201, 1301, 2101, 3101, 3201, 4101, 4201)  # the visible ones and every hidden seed


def _cases(checks, name):
    for seed in SEEDS:
        yield from getattr(checks, f"cases_{name}")(np.random.default_rng(0 if seed is None else seed))


def _differs(a, b):
    return np.shape(a) != np.shape(b) or not np.allclose(a, b)


@pytest.mark.parametrize("mistake", [dict(whole=True), dict(ddof=1), dict(target_shift=-1)])
def test_every_window_mistake_changes_the_windows_in_every_case(checks, diagnoses, mistake):
    for name in ("windows_hand", "windows_leakage", "windows_test_origins"):
        for case in _cases(checks, name):
            args = (case["series"], case["n_train"], case["T"], case["J"])
            right, wrong = diagnoses._split_numpy(*args), diagnoses._split_numpy(*args, **mistake)
            assert any(_differs(r, w) for r, w in zip(right, wrong)), (name, mistake, args[1:])


def test_every_windows_check_has_a_horizon_above_one_first(checks):
    """With J = 1 a window per origin before n_train is right: the first case of every check has J > 1."""
    for name in ("windows_hand", "windows_leakage", "windows_test_origins"):
        for seed in SEEDS:
            assert getattr(checks, f"cases_{name}")(np.random.default_rng(0 if seed is None else seed))[0]["J"] > 1


def test_the_leakage_cases_change_the_future_only(checks):
    for case in _cases(checks, "windows_leakage"):
        n = case["n_train"]
        assert np.array_equal(case["series"][:n], case["changed"][:n])
        assert np.all(case["series"][n:] != case["changed"][n:])


def test_the_seasonal_naive_cases_tell_the_mistakes_apart(checks, diagnoses):
    cases = list(_cases(checks, "seasonal_naive"))
    assert all(any(c["J"] > c["m"] > 1 for c in cases[i:i + 8]) for i in range(0, len(cases), 8))
    for case in cases[:3]:  # the visible ones: the naive, off-by-one and first-season forecasts all differ
        h, J, m = case["history"], case["J"], case["m"]
        right = diagnoses._seasonal_numpy(h, J, m)
        if m > 1:
            assert _differs(right, np.full(J, h[-1])) and _differs(right, diagnoses._seasonal_numpy(h, J, m, shift=1))


@pytest.mark.parametrize("mistake", [dict(lag=1), dict(squared=True), dict(over_n=True), dict(scale_from_test=True)])
def test_every_mase_mistake_changes_the_first_cases(checks, diagnoses, mistake):
    for name in ("mase_hand", "mase_scale"):
        cases = [c for c in _cases(checks, name) if c["m"] > 1 or "lag" not in mistake]
        assert any(_differs(diagnoses._mase_numpy(**c), diagnoses._mase_numpy(**c, **mistake)) for c in cases[:2]), name


@pytest.mark.parametrize("mistake", [dict(feed_back=False), dict(front=True)])
def test_every_recursive_mistake_changes_the_forecasts(checks, diagnoses, mistake):
    def forecast(case, **change):
        model = checks._model(case["kind"], case["coefficients"], case["intercept"])
        return diagnoses._recursive_numpy(model, case["window"], case["J"], **change)

    for name in ("recursive_line", "recursive_ar"):
        cases = [c for c in _cases(checks, name) if c["J"] > 1 and len(c["window"]) > 1]
        assert all(_differs(forecast(c), forecast(c, **mistake)) for c in cases)


def test_the_checker_series_is_the_notebooks(checks, solution):
    assert np.array_equal(checks.monthly_series(0), solution["y"])


def test_a_model_called_too_often_or_a_tensor_fails_with_its_own_message(checks, solution):
    import torch

    check = solution["check"]

    def one_call_too_many(next_value, window, J):
        forecast = solution["recursive_forecast"](next_value, window, J)
        next_value(window)
        return forecast

    with pytest.raises(AssertionError, match="the model was called 5 times for J = 4 steps"):
        check("recursive_line", one_call_too_many)
    with pytest.raises(AssertionError, match=r"should be a numpy array, got <torch\.Tensor>"):
        check("recursive_line", lambda *args: torch.from_numpy(solution["recursive_forecast"](*args)))
    with pytest.raises(AssertionError, match="mean should be a float"):
        check("windows_leakage", lambda *args: solution["split_scale_window"](*args)[:4] + ("0.0", 1.0))


def test_what_a_function_writes_into_its_inputs_is_reported_and_not_judged_from(checks, solution):
    def scribbles(series, n_train, T, J):
        out = solution["split_scale_window"](series, n_train, T, J)
        series[n_train:] = 0.0
        return out

    case = checks.cases_windows_leakage(np.random.default_rng(0))[0]
    before = {k: np.copy(v) for k, v in case.items()}
    record = json.loads(json.dumps(checks.produce_windows_leakage(scribbles, case)))
    assert all(np.array_equal(case[k], before[k]) for k in case)
    assert record["series"]["modified"] == ["series"] and record["changed"]["modified"] == ["changed"]
    reference = json.loads(json.dumps(checks.produce_windows_leakage(solution["split_scale_window"], case)))
    with pytest.raises(AssertionError, match="modified its input series: do not modify your inputs"):
        checks.judge_windows_leakage(case, record, reference)


@pytest.mark.parametrize("record", [None, {"series": None}, {"series": {}, "changed": {}}])
def test_an_unreadable_leakage_record_fails(checks, solution, record):
    case = checks.cases_windows_leakage(np.random.default_rng(0))[0]
    reference = json.loads(json.dumps(checks.produce_windows_leakage(solution["split_scale_window"], case)))
    with pytest.raises(AssertionError, match="record"):
        checks.judge_windows_leakage(case, record, reference)
