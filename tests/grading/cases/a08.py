"""Wrong and alternative submissions for a08, used by the grader proofs.

Every WRONG entry is the solution with one realistic mistake, written as a small edit of the solution's answer
(``harness.edit`` checks that the edited text occurs exactly once, so the mutant cannot drift from the solution).
"""

import functools

import harness

NOTEBOOK = "a08_forecasting.ipynb"  # file name inside solutions/a08/
AUTOGRADED_POINTS = 22  # total points of the grade: true code test cells
MANUAL_POINTS = 4  # total points of the manually graded cells

edit = functools.partial(harness.edit, "a08")  # edit(grade_id, (old, new), ...)

WINDOWS = """starts = np.arange(n_train - T - J + 1)  # training windows: targets end at most at z[n_train - 1]
    origins = np.arange(n_train, len(series) - J + 1)  # test origins
    x_train = z[starts[None, :] + np.arange(T)[:, None]]  # (T, N_train)
    y_train = z[starts[:, None] + T + np.arange(J)[None, :]]  # (N_train, J)
    x_test = z[origins[None, :] + np.arange(-T, 0)[:, None]]  # (T, N_test)
    y_test = z[origins[:, None] + np.arange(J)[None, :]]  # (N_test, J)
    return x_train, y_train, x_test, y_test, mean, std"""
SEASONAL_SCALE = "scale = np.mean(np.abs(y_train[m:] - y_train[:-m]))"
SLIDE = "current = np.append(current[1:], predictions[j])  # drop the oldest, append the newest"

# Realistic wrong submissions: each maps grade_id of an autograded answer cell -> the solution's answer with one
# small edit. All other answer cells keep the correct solution, so each mutant has ONE realistic mistake.
WRONG = {
    # The classic leak: mean and std of the whole series, test years included.
    "windows: scaling fitted on the whole series": edit("split-scale-window", (
        "mean, std = float(series[:n_train].mean()), float(series[:n_train].std())",
        "mean, std = float(series.mean()), float(series.std())")),
    # Off by one: each window's targets start at its own last input.
    "windows: targets start one step early": edit("split-scale-window", (
        "z[starts[:, None] + T + np.arange(J)[None, :]]", "z[starts[:, None] + T - 1 + np.arange(J)[None, :]]")),
    # Windows cut from the whole series, then split by origin: the last training targets lie in the test part.
    "windows: windowed before splitting": edit("split-scale-window", (
        WINDOWS,
        "xs, ys, origins = [], [], []\n"
        "    for i in range(len(z) - T - J + 1):\n"
        "        xs.append(z[i:i + T])\n"
        "        ys.append(z[i + T:i + T + J])\n"
        "        origins.append(i + T)\n"
        "    xs, ys, origins = np.array(xs), np.array(ys), np.array(origins)\n"
        "    train = origins < n_train\n"
        "    return xs[train].T, ys[train], xs[~train].T, ys[~train], mean, std")),
    # The test windows' inputs kept inside the test part: the first T test origins are lost.
    "windows: test inputs kept inside the test part": edit("split-scale-window", (
        "origins = np.arange(n_train, len(series) - J + 1)", "origins = np.arange(n_train + T, len(series) - J + 1)")),
    "seasonal naive: the last value repeated": edit("seasonal-naive", (
        "last_season = history[len(history) - m:]  # (m,)\n    return last_season[np.arange(J) % m]",
        "return np.full(J, history[-1])")),
    # The last season sliced to J values: right for J <= m, too short for J > m.
    "seasonal naive: the season not repeated when J > m": edit("seasonal-naive", (
        "return last_season[np.arange(J) % m]", "return last_season[:J]")),
    # The wrong naive in the denominator: one step back instead of one season.
    "mase: scaled by the one-step naive": edit("mase", (SEASONAL_SCALE, "scale = np.mean(np.abs(np.diff(y_train)))")),
    # The scale computed on the held-out values instead of the training series.
    "mase: scale from the test values": edit("mase", (
        SEASONAL_SCALE,
        "reference = np.concatenate([y_train[-m:], np.asarray(y_true, dtype=float).ravel()])\n"
        "    scale = np.mean(np.abs(reference[m:] - reference[:-m]))")),
    # Every step predicted from the observed window: the predictions are never fed back.
    "recursive: predictions not fed back": edit("recursive-forecast", ("        " + SLIDE + "\n", "")),
    # The prediction goes in at the front and the newest value is dropped.
    "recursive: window slid the wrong way": edit("recursive-forecast", (
        SLIDE, "current = np.concatenate([[predictions[j]], current[:-1]])")),
    # Correct forecasts, but the caller's window is overwritten in place.
    "recursive: caller's window modified": edit(
        "recursive-forecast",
        ("current = np.array(window, dtype=float)  # a copy: the caller's array stays as it was", "current = window"),
        (SLIDE, "current[:-1] = current[1:]\n        current[-1] = predictions[j]")),
    # Issue 18: more mistakes students make, each named by its cause.
    "windows: sample std (ddof=1)": edit("split-scale-window", (
        "float(series[:n_train].std())", "float(series[:n_train].std(ddof=1))")),
    # Windows stacked batch-first, (N, T), as in most tutorials: the book's arrays are time-major.
    "windows: inputs batch-first": edit(
        "split-scale-window",
        ("z[starts[None, :] + np.arange(T)[:, None]]", "z[starts[:, None] + np.arange(T)[None, :]]"),
        ("z[origins[None, :] + np.arange(-T, 0)[:, None]]", "z[origins[:, None] + np.arange(-T, 0)[None, :]]")),
    "seasonal naive: the season one step early": edit("seasonal-naive", (
        "history[len(history) - m:]", "history[len(history) - m - 1:-1]")),
    # The scale's sum divided by every training value, not by the n - m differences.
    "mase: scale averaged over n": edit("mase", (
        SEASONAL_SCALE, "scale = np.sum(np.abs(y_train[m:] - y_train[:-m])) / len(y_train)")),
    # The prediction appended but the oldest value never dropped: the model gets T + 1 values at the second step.
    "recursive: window grows": edit("recursive-forecast", (
        SLIDE, "current = np.append(current, predictions[j])")),
}

# A correct solution written differently, for EVERY answer cell, which must score full marks.
ALTERNATIVE = {
    # Loops over windows with lists, batch-first arrays transposed at the end, statistics by hand.
    "split-scale-window": '''
def split_scale_window(series, n_train, T, J):
    values = [float(v) for v in series]
    train = values[:n_train]
    mean = sum(train) / len(train)
    std = (sum((v - mean) ** 2 for v in train) / len(train)) ** 0.5
    z = [(v - mean) / std for v in values]
    x_train, y_train, x_test, y_test = [], [], [], []
    i = 0
    while i + T + J <= n_train:
        x_train.append(z[i:i + T])
        y_train.append(z[i + T:i + T + J])
        i += 1
    for o in range(n_train, len(z) - J + 1):
        x_test.append(z[o - T:o])
        y_test.append(z[o:o + J])
    return (np.array(x_train).reshape(-1, T).T, np.array(y_train).reshape(-1, J),
            np.array(x_test).reshape(-1, T).T, np.array(y_test).reshape(-1, J), mean, std)
''',
    # np.tile of the last season, cut to J.
    "seasonal-naive": '''
def seasonal_naive(history, J, m):
    season = np.asarray(history, dtype=float)[-m:]
    return np.tile(season, J // m + 1)[:J]
''',
    # A loop for the scale, flatten for the error.
    "mase": '''
def mase(y_true, y_pred, y_train, m):
    diffs = [abs(y_train[t] - y_train[t - m]) for t in range(m, len(y_train))]
    errors = np.abs(np.ravel(y_true) - np.ravel(y_pred))
    return float(errors.sum() / errors.size / (sum(diffs) / len(diffs)))
''',
    # A list that grows; the model always reads its last T entries.
    "recursive-forecast": '''
def recursive_forecast(next_value, window, J):
    T = len(window)
    values = list(np.asarray(window, dtype=float))
    for _ in range(J):
        values.append(next_value(np.array(values[-T:])))
    return np.array(values[T:])
''',
}

# For each WRONG entry: test cell -> what its message must say (every failing cell is listed, and only those).
# The windows' values are judged in the series' units (z * std + mean with the returned mean and std), so a scaling
# mistake costs the leakage cell alone, and a wrong window the cells that read it.
WHOLE_SERIES = "those of the whole series, test part included"
BEYOND_TRAINING = "a training window's J targets must all lie in series[:n_train]"
TIME_MAJOR = "it is transposed; the inputs are time-major, (T, N)"
FAILURES = {
    "windows: scaling fitted on the whole series": {"test-windows-leakage": WHOLE_SERIES},
    "windows: targets start one step early": {"test-windows-hand": "yours start at z[i + T - 1]"},
    "windows: windowed before splitting": {"test-windows-hand": BEYOND_TRAINING,
                                           "test-windows-leakage": BEYOND_TRAINING},
    "windows: test inputs kept inside the test part": {
        "test-windows-test-origins": "the first test origin is n_train = 96 itself"},
    "seasonal naive: the last value repeated": {"test-seasonal-naive": "that is the naive forecast (m = 1)"},
    "seasonal naive: the season not repeated when J > m": {
        "test-seasonal-naive": "repeat the last season of 3 values until there are J = 5"},
    "mase: scaled by the one-step naive": {
        cell: "scaled by the one-step naive forecast (lag 1)" for cell in ("test-mase-hand", "test-mase-scale")},
    "mase: scale from the test values": {
        cell: "your scale reads y_true" for cell in ("test-mase-hand", "test-mase-scale")},
    "recursive: predictions not fed back": {
        cell: "every step is predicted from the same observed window" for cell in
        ("test-recursive-line", "test-recursive-ar")},
    "recursive: window slid the wrong way": {
        cell: "without its OLDEST value" for cell in ("test-recursive-line", "test-recursive-ar")},
    "recursive: caller's window modified": {
        cell: "recursive_forecast modified its input window: do not modify your inputs" for cell in
        ("test-recursive-line", "test-recursive-ar")},
    "windows: sample std (ddof=1)": {"test-windows-leakage": "your std is the sample one (ddof=1)"},
    "windows: inputs batch-first": {
        cell: TIME_MAJOR for cell in ("test-windows-hand", "test-windows-leakage", "test-windows-test-origins")},
    "seasonal naive: the season one step early": {"test-seasonal-naive": "off by one, the last season is history[-3:]"},
    "mase: scale averaged over n": {
        cell: "divide their sum by n - m" for cell in ("test-mase-hand", "test-mase-scale")},
    "recursive: window grows": {
        cell: "your window grew to T + 1 values; drop its oldest value" for cell in ("test-recursive-line", "test-recursive-ar")},
}

# Graded alone and with every tampering of tests/grading/tampering.py (one mutant keeps CI short; RNN_TAMPERING=all
# grades every WRONG mutant so).
TAMPERING_MUTANTS = ["windows: scaling fitted on the whole series"]

# What Validate says, with the students' copy of the checker module (no diagnoses beside it), in a test cell each of
# these mistakes fails: where the numbers are wrong, never the cause of FAILURES, which only the graded feedback
# gives (tests/grading/test_checks.py).
VALIDATE = {
    "windows: targets start one step early": {
        "test-windows-hand": "row 0 of y_train should be the window that predicts series[3:5] = [3. 4.]",
    },
    "windows: scaling fitted on the whole series": {
        "test-windows-leakage":
            "mean and std should be those of the training part, 14.8087 and 3.3991; got 15.9906 and 3.9509",
    },
    "seasonal naive: the last value repeated": {
        "test-seasonal-naive": "expected [5. 6. 7. 5. 6.], got [7. 7. 7. 7. 7.]",
    },
    "mase: scaled by the one-step naive": {
        "test-mase-hand": "expected MASE 1.0000",
    },
    "recursive: predictions not fed back": {
        "test-recursive-line": "step 1: expected 4.0000",
    },
}
