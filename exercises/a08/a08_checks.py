"""The checks of assignment 8 (forecasting without fooling yourself), used by its test cells, e.g.
``check("seasonal_naive", seasonal_naive)``.

For each check ``name`` (run by rnnlib.checking: ``check = Checker("a08_checks")`` in the setup cell):
``cases_<name>(rng)`` gives the inputs (plain numpy data), ``produce_<name>(fn, case)`` calls your function on
copies of them and records what it returned (plain data), ``judge_<name>(case, record, reference)`` compares that
record with the instructor's solution's record on the same case and raises an AssertionError whose first line says
what is wrong and where: which output, window, step or value, what it should be and what it is. In your notebook
the solution's records come from a08_references.json, beside this file.

This module computes no answer. Naming the mistake behind a wrong number (statistics of the whole series, targets
one step early, the one-step naive scale, predictions not fed back, ...) needs the mistake recomputed, which the
instructor's diagnoses do (a08_diagnoses.py, never released): when your work is graded, the feedback names the
cause wherever your numbers match a known mistake.

Symbols as in the notebook: L length of the series, T input window, J horizon, N windows, m seasonal period.
"""

from __future__ import annotations

import numpy as np

from rnnlib.checking import Opaque, Unreadable, call, diagnoses, returned

DIAGNOSES = diagnoses(__file__)  # None in the students' copy

PASSED = {
    "windows_hand": "split_scale_window: shapes and the windows of a hand-checked series are right",
    "windows_leakage": "split_scale_window: the training windows and the scaling do not depend on the test part",
    "windows_test_origins": "split_scale_window: the test windows start at the first test origin and end at the "
                            "series' end",
    "seasonal_naive": "seasonal_naive: the hand-checked cases are right",
    "mase_hand": "mase: the hand-checked case is right",
    "mase_scale": "mase: the scale comes from the training series, with period m",
    "recursive_line": "recursive_forecast: a straight line is continued",
    "recursive_ar": "recursive_forecast: every step is predicted from the right window",
}
RTOL = ATOL = 1e-9  # values are sums of a few hundred float64 terms at most: anything right agrees far better


def _agree(a, b) -> bool:
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return a.shape == b.shape and bool(np.allclose(a, b, rtol=RTOL, atol=ATOL))


def _array(value, what: str) -> np.ndarray:
    """``value`` (an array, or a list of plain numbers) as float64, or AssertionError naming what it was."""
    if isinstance(value, (list, tuple)) and all(type(v) in (int, float, np.float64) for v in value):
        value = np.array(value, dtype=np.float64)
    if not isinstance(value, np.ndarray):
        raise AssertionError(f"{what} should be a numpy array, got {value!r}"[:200])
    return value.astype(np.float64)


def _scalar(value, what: str) -> float:
    """A float (or a numpy scalar, or an array of one value), or AssertionError naming what it was."""
    if isinstance(value, (bool, Opaque, str, list, tuple, dict)) or value is None:
        raise AssertionError(f"{what} should be a float, got {value!r}"[:200])
    value = np.asarray(value, dtype=np.float64)
    if value.size != 1:
        raise AssertionError(f"{what} should be one number (a float), got an array of shape {value.shape}")
    return float(value.reshape(()))


def monthly_series(seed, L=120, trend=0.1, amplitude=3.0, noise=0.5):
    """The notebook's made-up monthly series (its setup cell's ``monthly_series``), shape (L,)."""
    rng = np.random.default_rng(seed)
    t = np.arange(L)
    return 10 + trend * t + amplitude * np.sin(2 * np.pi * t / 12) + noise * rng.standard_normal(L)


# ------------------------------------------------------------------------------------ Part 1: split_scale_window

OUTPUTS = ("x_train", "y_train", "x_test", "y_test", "mean", "std")


def _random_split(rng):
    """(L, n_train, T, J) with at least one training window and one test origin."""
    T, J = int(rng.integers(1, 7)), int(rng.integers(1, 6))
    n_train = T + J + int(rng.integers(0, 20))
    return n_train + J + int(rng.integers(0, 12)), n_train, T, J


def _split_case(rng, L, n_train, T, J, series=None):
    if series is None:
        series = rng.standard_normal(L).cumsum() + 5.0 * rng.standard_normal()
    return {"series": series, "n_train": n_train, "T": T, "J": J}


def cases_windows_hand(rng):
    # An easy-to-read series 0, 1, ..., 19 with a jump in its test part; T = J = 1; then random walks.
    series = np.arange(20.0)
    series[12:] += 100.0
    return [_split_case(rng, 20, 12, 3, 2, series), _split_case(rng, 15, 9, 1, 1)] + [
        _split_case(rng, *_random_split(rng)) for _ in range(2)]


def cases_windows_leakage(rng):
    # The same series twice, the second with a very different future: nothing fitted for training may change.
    cases = [_split_case(rng, 120, 96, 12, 6, monthly_series(0)), _split_case(rng, *_random_split(rng))]
    for case in cases:
        changed = case["series"].copy()
        changed[case["n_train"]:] = changed[case["n_train"]:] * 3.0 + 50.0
        case["changed"] = changed
    return cases


def cases_windows_test_origins(rng):
    return [_split_case(rng, 120, 96, 12, 6, monthly_series(0)), _split_case(rng, 15, 9, 1, 1)] + [
        _split_case(rng, *_random_split(rng)) for _ in range(2)]


def produce_split_scale_window(fn, case):
    return call(fn, case, lambda series, n_train, T, J, **_: (series, n_train, T, J))


produce_windows_hand = produce_windows_test_origins = produce_split_scale_window


def produce_windows_leakage(fn, case):
    """The records of the series and of the same series with another future."""
    return {"series": produce_split_scale_window(fn, case),
            "changed": call(fn, case, lambda changed, n_train, T, J, **_: (changed, n_train, T, J))}


def _outputs(record) -> dict:
    """split_scale_window's six results by name: four 2-D float arrays, two floats."""
    value = returned(record, "split_scale_window", n=6)
    out = {name: _array(v, name) for name, v in zip(OUTPUTS[:4], value[:4])}
    for name, v in zip(OUTPUTS[:4], value[:4]):
        if out[name].ndim != 2:
            raise AssertionError(f"{name} should be a 2-D array, got shape {out[name].shape}")
    out.update({name: _scalar(v, name) for name, v in zip(OUTPUTS[4:], value[4:])})
    return out


def _sizes(case) -> str:
    return f"with L={len(case['series'])}, n_train={case['n_train']}, T={case['T']}, J={case['J']}"


def _check_shape(case, got, want, name):
    """AssertionError naming the cause when ``got[name]`` does not have the shape of ``want[name]``."""
    g, w = got[name].shape, want[name].shape
    if g == w:
        return
    L, n_train, T, J = len(case["series"]), case["n_train"], case["T"], case["J"]
    N = w[1] if name[0] == "x" else w[0]

    def windows(n):  # the shape of ``name`` for n windows
        return (T, n) if name[0] == "x" else (n, J)

    hint = ""
    if g == w[::-1]:
        hint = (": it is transposed; the inputs are time-major, (T, N), column i being window i" if name[0] == "x"
                else ": it is transposed; the targets are (N, J), row i for window i")
    elif name.endswith("train") and J > 1 and g == windows(N + J - 1):
        hint = (f": you cut a window for every origin before n_train, but a training window's J targets must all "
                f"lie in series[:n_train], so the last one predicts z[{n_train - J}:{n_train}]")
    elif name.endswith("train") and g == windows(L - T - J + 1):
        hint = ": you cut the training windows from the whole series; cut them from series[:n_train] only"
    elif name.endswith("test") and g == windows(N - T):
        hint = (f": the first test origin is n_train = {n_train} itself; its inputs z[{n_train - T}:{n_train}] reach "
                f"back into the training part, which is known at that time")
    elif name.endswith("test") and g == windows(N - 1):
        hint = f": the last test origin is L - J = {L - J}, whose targets end at the series' end"
    raise AssertionError(f"{_sizes(case)}, {name} should have shape {w}, got {g}{hint}")


def _units(out: dict, name: str) -> np.ndarray:
    """The windows ``out[name]`` back in the series' units, with the mean and std returned beside them."""
    return out[name] * out["std"] + out["mean"]


def _judge_windows(case, record, reference, names):
    """The windows ``names`` have their shapes and read the right values of the series.

    Compared in the series' units (z * std + mean, with the std and mean returned), so that a scaling mistake is
    judged once, by windows_leakage, and these checks are about which values each window reads.
    """
    got, want = _outputs(record), _outputs(reference)
    for name in names:
        _check_shape(case, got, want, name)
    n_train, T, J = case["n_train"], case["T"], case["J"]
    wrong = [name for name in names if not _agree(_units(got, name), _units(want, name))]
    if not wrong:
        return
    cause = DIAGNOSES.raw_windows_cause(case, got, names, OUTPUTS) if DIAGNOSES else None
    if cause:
        raise AssertionError(cause)
    if all(_agree(got[name], want[name]) for name in wrong):
        raise AssertionError(f"your windows are right but the mean and std you return, {got['mean']:.4g} and "
                             f"{got['std']:.4g}, are not those they were scaled with: z = (series - mean) / std")
    cause = DIAGNOSES.late_targets_cause(case, _units(got, "y_train")) if DIAGNOSES and "y_train" in wrong else None
    if cause:
        raise AssertionError(cause)
    name = wrong[0]
    g, w = _units(got, name), _units(want, name)
    columns = name[0] == "x"  # inputs: column i is window i; targets: row i
    i = next(j for j in range(w.shape[1] if columns else w.shape[0])
             if not _agree(g[:, j] if columns else g[j], w[:, j] if columns else w[j]))
    what = "reads" if columns else "predicts"
    window = w[:, i] if columns else w[i]
    start = (i if name.endswith("train") else n_train + i - T) if columns else (
        i + T if name.endswith("train") else n_train + i)
    stop = start + (T if columns else J)
    raise AssertionError(f"{_sizes(case)}, {'column' if columns else 'row'} {i} of {name} should be the window "
                         f"that {what} series[{start}:{stop}] = {np.round(window, 3)}, standardised; in the series' "
                         f"units yours is {np.round(g[:, i] if columns else g[i], 3)}")


def judge_windows_hand(case, record, reference):
    _judge_windows(case, record, reference, ("x_train", "y_train"))


def judge_windows_test_origins(case, record, reference):
    _judge_windows(case, record, reference, ("x_test", "y_test"))


def judge_windows_leakage(case, record, reference):
    if not (isinstance(record, dict) and set(record) == {"series", "changed"}):
        raise Unreadable("split_scale_window: no readable record of this check (the check did not run to its end)")
    got, want = _outputs(record["series"]), _outputs(reference["series"])
    changed = _outputs(record["changed"])
    if not (_agree(got["mean"], want["mean"]) and _agree(got["std"], want["std"])):
        cause = DIAGNOSES.whole_series_cause(case, got["mean"], got["std"]) if DIAGNOSES else None
        if not cause and _agree(got["mean"], want["std"]) and _agree(got["std"], want["mean"]):
            cause = "they are swapped; return the mean, then the std"
        if not cause:
            cause = DIAGNOSES.sample_std_cause(case, got["std"]) if DIAGNOSES else None
        hint = f": {cause}" if cause else ""
        raise AssertionError(f"mean and std should be those of the training part, {want['mean']:.4f} and "
                             f"{want['std']:.4f}; got {got['mean']:.4f} and {got['std']:.4f}{hint}")
    if not (_agree(changed["mean"], got["mean"]) and _agree(changed["std"], got["std"])):
        raise AssertionError("the scaling changed when only the test part changed: compute the mean and std of "
                             "series[:n_train] only")
    for name in ("x_train", "y_train"):
        _check_shape(case, got, want, name)
    if not (changed["x_train"].shape == got["x_train"].shape and changed["y_train"].shape == got["y_train"].shape
            and _agree(changed["x_train"], got["x_train"]) and _agree(changed["y_train"], got["y_train"])):
        raise AssertionError("the training windows changed when only the test part changed: a training input or "
                             "target lies in the test part (cut the training windows from series[:n_train])")
    if not (_agree(got["x_train"], want["x_train"]) and _agree(got["y_train"], want["y_train"])):
        # Which values they read is windows_hand's to judge; here only that they are standardised as the data.
        if not (_agree(_units(got, "x_train"), _units(want, "x_train"))
                and _agree(_units(got, "y_train"), _units(want, "y_train"))):
            return
        raise AssertionError("the training windows are not standardised with the training part's mean and std")


# ------------------------------------------------------------------------------------ Part 2: seasonal_naive

def cases_seasonal_naive(rng):
    # By hand: [5, 6, 7, 5, 6]; the naive forecast [3, 3]; a year ahead on the monthly series; then random ones.
    cases = [{"history": np.array([1.0, 2, 3, 4, 5, 6, 7]), "J": 5, "m": 3},
             {"history": np.array([1.0, 2, 3]), "J": 2, "m": 1},
             {"history": monthly_series(0)[:108], "J": 12, "m": 12}]
    shapes = [(30, 7, 7), (12, 30, 12), (5, 1, 5), (10, 3, 1)]  # J = m, J > 2m, n = m, the naive forecast
    m = int(rng.integers(2, 8))
    shapes.append((m + int(rng.integers(0, 10)), m + int(rng.integers(1, 2 * m)), m))
    return cases + [{"history": rng.standard_normal(n), "J": J, "m": m} for n, J, m in shapes]


def produce_seasonal_naive(fn, case):
    return call(fn, case)


def judge_seasonal_naive(case, record, reference):
    history, J, m = case["history"], case["J"], case["m"]
    got = _array(returned(record, "seasonal_naive"), "the forecast")
    want = _array(returned(reference, "the reference"), "the reference")
    example = f"with len(history) = {len(history)}, J = {J} and m = {m}"
    if got.shape != want.shape:
        hint = ""
        if got.shape == (min(J, m),) and J > m:
            hint = f": repeat the last season of {m} values until there are J = {J}"
        raise AssertionError(f"{example} the forecast must have J = {J} values, shape {want.shape}; got shape "
                             f"{got.shape}{hint}")
    if _agree(got, want):
        return
    cause = DIAGNOSES.seasonal_cause(case, got) if DIAGNOSES else None
    hint = f": {cause}" if cause else ""
    raise AssertionError(f"{example} expected {np.round(want, 3)}, got {np.round(got, 3)}{hint}"[:600])


# ------------------------------------------------------------------------------------ Part 3: mase

def _mase_case(rng, n, shape, m):
    return {"y_true": rng.standard_normal(shape), "y_pred": rng.standard_normal(shape),
            "y_train": rng.standard_normal(n).cumsum(), "m": m}


def cases_mase_hand(rng):
    # |y_t - y_(t-2)| of 1, 3, 2, 6 are 1 and 3: the scale is 2, the MAE 2, so the MASE is 1. Then a scale of 0.5
    # with m = 2 (10 on average with m = 1), and a random case.
    return [{"y_true": np.array([5.0, 7.0]), "y_pred": np.array([6.0, 4.0]), "y_train": np.array([1.0, 3, 2, 6]),
             "m": 2},
            {"y_true": np.zeros(3), "y_pred": np.ones(3), "y_train": np.array([0.0, 10, 0, 10, 1, 11]), "m": 2},
            _mase_case(rng, 9, (4,), 3)]


def cases_mase_scale(rng):
    y = monthly_series(0)
    train, test = y[:96], y[96:108]
    pred = train[-12:]  # the seasonal naive forecast a year ahead
    return [{"y_true": train[12:], "y_pred": train[:-12], "y_train": train, "m": 12},  # exactly 1
            {"y_true": test, "y_pred": pred, "y_train": train, "m": 12},
            {"y_true": test[::-1], "y_pred": pred[::-1], "y_train": train, "m": 12},  # the same errors
            # (N, J): the mean runs over all entries
            {"y_true": np.stack([test, test + 1.0]), "y_pred": np.stack([pred, pred]), "y_train": train, "m": 12},
            ] + [_mase_case(rng, 40, (3, 5), m) for m in (int(rng.integers(2, 8)), 1, 7)]


def produce_mase(fn, case):
    return call(fn, case)


produce_mase_hand = produce_mase_scale = produce_mase


def judge_mase(case, record, reference):
    got = _scalar(returned(record, "mase"), "the MASE")
    want = _scalar(returned(reference, "the reference"), "the reference")
    if _agree(got, want):
        return
    cause = DIAGNOSES.mase_cause(case, got, want) if DIAGNOSES else None
    if cause:
        raise AssertionError(f"expected MASE {want:.4f}, got {got:.4f}: {cause}")
    if _agree(got, 1.0 / want) and not _agree(want, 1.0):
        raise AssertionError(f"expected MASE {want:.4f}, got {got:.4f}, its inverse: the forecast's MAE is the "
                             "numerator, the seasonal naive's in-sample MAE the denominator")
    parts = (DIAGNOSES.mase_parts(case) if DIAGNOSES
             else f"with m = {case['m']} and {len(case['y_train'])} training values")
    raise AssertionError(f"expected MASE {want:.4f} ({parts}), got {got:.4f}")


judge_mase_hand = judge_mase_scale = judge_mase


# ------------------------------------------------------------------------------------ Part 4: recursive_forecast

def _model(kind, coefficients, intercept):
    """The one-step model of a case: ``coefficients @ window + intercept`` (as the setup's ar_model), or, for
    ``kind == "tanh"``, ``tanh(coefficients @ window + intercept) + 0.1 * window[-1]``; both read exactly T values."""
    T = len(coefficients)

    def next_value(window):
        window = np.asarray(window, dtype=float)
        if window.shape != (T,):
            raise ValueError(f"next_value reads a window of exactly T = {T} values, oldest first; got shape "
                             f"{window.shape}")
        a = float(coefficients @ window + intercept)
        return float(np.tanh(a) + 0.1 * window[-1]) if kind == "tanh" else a

    return next_value


def _recursive_case(kind, coefficients, intercept, window, J):
    return {"kind": kind, "coefficients": np.asarray(coefficients, dtype=float), "intercept": float(intercept),
            "window": np.asarray(window, dtype=float), "J": J}


def cases_recursive_line(rng):
    return [_recursive_case("ar", [-1.0, 2.0], 0.0, [1.0, 2.0], 4),  # next = 2 * last - previous: 3, 4, 5, 6
            _recursive_case("ar", [0.0, 0.0, 0.5], 1.0, [9.0, 9.0, 4.0], 3),  # 3, 2.5, 2.25
            _recursive_case("ar", [-1.0, 2.0], float(rng.standard_normal()), rng.standard_normal(2), 5)]


def cases_recursive_ar(rng):
    # A model that weighs every value of its window differently, on the monthly series; then nonlinear models.
    return [_recursive_case("ar", np.linspace(-0.2, 0.5, 12) / 2.0, 3.0, monthly_series(0)[84:96], 6)] + [
        _recursive_case("tanh", rng.standard_normal(T) / T, rng.standard_normal(), rng.standard_normal(T), J)
        for T, J in ((1, 5), (5, 1), (7, 20), (int(rng.integers(2, 9)), int(rng.integers(2, 9))))]


def produce_recursive_forecast(fn, case):
    """The record of ``fn(model, window, J)`` and how many times it called the model."""
    model = _model(case["kind"], case["coefficients"].copy(), case["intercept"])
    calls = []

    def counted(window):
        calls.append(None)
        return model(window)

    record = call(fn, case, lambda window, J, **_: (counted, window, J))
    record["calls"] = len(calls)
    return record


produce_recursive_line = produce_recursive_ar = produce_recursive_forecast


def judge_recursive_forecast(case, record, reference):
    J, T = case["J"], len(case["window"])
    error = record.get("error") if isinstance(record, dict) else None
    if isinstance(error, dict) and str(error.get("message", "")).endswith(f"got shape ({T + 1},)"):
        raise AssertionError(f"recursive_forecast raised {error.get('type')}: {error.get('message')}: your window "
                             "grew to T + 1 values; drop its oldest value when you append a prediction")
    got = _array(returned(record, "recursive_forecast", hint="work on a copy of the window"), "the forecast")
    want = _array(returned(reference, "the reference"), "the reference")
    if got.shape != want.shape:
        raise AssertionError(f"expected the {J} forecasts as an array of shape {want.shape}, got shape {got.shape}")
    if not _agree(got, want):
        model = _model(case["kind"], case["coefficients"], case["intercept"])
        cause = DIAGNOSES.recursive_cause(model, case["window"], J, got, want) if DIAGNOSES else None
        if cause:
            raise AssertionError(f"expected {np.round(want, 4)}, got {np.round(got, 4)}: {cause}"[:600])
        j = next(i for i in range(J) if not _agree(got[i], want[i]))
        raise AssertionError(f"step {j}: expected {want[j]:.4f} from the window of the last T = {T} values (observed "
                             f"and predicted, oldest first), got {got[j]:.4f}")
    calls = record.get("calls")
    if type(calls) is not int:
        raise Unreadable("recursive_forecast: unreadable record (the number of the model's calls)")
    if calls != J:
        raise AssertionError(f"the forecasts are right, but the model was called {calls} times for J = {J} steps: "
                             "call it exactly once per step")


judge_recursive_line = judge_recursive_ar = judge_recursive_forecast
