"""Wrong and alternative submissions for a08, used by the grader proofs."""

NOTEBOOK = "a08_forecasting.ipynb"  # file name inside solutions/a08/
AUTOGRADED_POINTS = 22  # total points of the grade: true code test cells
MANUAL_POINTS = 4  # total points of the manually graded cells

# Realistic wrong submissions: each maps grade_id of an autograded answer cell -> the full replacement source of
# that cell. All other answer cells keep the correct solution, so each mutant has ONE realistic mistake.
WRONG = {
    # The classic leak: mean and std of the whole series, test years included.
    "windows: scaling fitted on the whole series": {"split-scale-window": '''
def split_scale_window(series, n_train, T, K):
    series = np.asarray(series, dtype=float)
    mean, std = float(series.mean()), float(series.std())
    z = (series - mean) / std
    starts = np.arange(n_train - T - K + 1)
    origins = np.arange(n_train, len(series) - K + 1)
    x_train = z[starts[None, :] + np.arange(T)[:, None]]
    y_train = z[starts[:, None] + T + np.arange(K)[None, :]]
    x_test = z[origins[None, :] + np.arange(-T, 0)[:, None]]
    y_test = z[origins[:, None] + np.arange(K)[None, :]]
    return x_train, y_train, x_test, y_test, mean, std
'''},
    # Off by one: each window's targets start at its own last input.
    "windows: targets start one step early": {"split-scale-window": '''
def split_scale_window(series, n_train, T, K):
    series = np.asarray(series, dtype=float)
    mean, std = float(series[:n_train].mean()), float(series[:n_train].std())
    z = (series - mean) / std
    starts = np.arange(n_train - T - K + 1)
    origins = np.arange(n_train, len(series) - K + 1)
    x_train = z[starts[None, :] + np.arange(T)[:, None]]
    y_train = z[starts[:, None] + T - 1 + np.arange(K)[None, :]]
    x_test = z[origins[None, :] + np.arange(-T, 0)[:, None]]
    y_test = z[origins[:, None] + np.arange(K)[None, :]]
    return x_train, y_train, x_test, y_test, mean, std
'''},
    # Windows cut from the whole series, then split by origin: the last training targets lie in the test part.
    "windows: windowed before splitting": {"split-scale-window": '''
def split_scale_window(series, n_train, T, K):
    series = np.asarray(series, dtype=float)
    mean, std = float(series[:n_train].mean()), float(series[:n_train].std())
    z = (series - mean) / std
    xs, ys, origins = [], [], []
    for i in range(len(z) - T - K + 1):
        xs.append(z[i:i + T])
        ys.append(z[i + T:i + T + K])
        origins.append(i + T)
    xs, ys, origins = np.array(xs), np.array(ys), np.array(origins)
    train = origins < n_train
    return xs[train].T, ys[train], xs[~train].T, ys[~train], mean, std
'''},
    # The test windows' inputs kept inside the test part: the first T test origins are lost.
    "windows: test inputs kept inside the test part": {"split-scale-window": '''
def split_scale_window(series, n_train, T, K):
    series = np.asarray(series, dtype=float)
    mean, std = float(series[:n_train].mean()), float(series[:n_train].std())
    z = (series - mean) / std
    starts = np.arange(n_train - T - K + 1)
    origins = np.arange(n_train + T, len(series) - K + 1)
    x_train = z[starts[None, :] + np.arange(T)[:, None]]
    y_train = z[starts[:, None] + T + np.arange(K)[None, :]]
    x_test = z[origins[None, :] + np.arange(-T, 0)[:, None]]
    y_test = z[origins[:, None] + np.arange(K)[None, :]]
    return x_train, y_train, x_test, y_test, mean, std
'''},
    "seasonal naive: the last value repeated": {"seasonal-naive": '''
def seasonal_naive(history, K, m):
    history = np.asarray(history, dtype=float)
    return np.full(K, history[-1])
'''},
    # The last season sliced to K values: right for K <= m, too short for K > m.
    "seasonal naive: the season not repeated when K > m": {"seasonal-naive": '''
def seasonal_naive(history, K, m):
    history = np.asarray(history, dtype=float)
    return history[-m:][:K]
'''},
    # The wrong naive in the denominator: one step back instead of one season.
    "mase: scaled by the one-step naive": {"mase": '''
def mase(y_true, y_pred, y_train, m):
    y_train = np.asarray(y_train, dtype=float)
    error = np.mean(np.abs(np.asarray(y_true) - np.asarray(y_pred)))
    scale = np.mean(np.abs(np.diff(y_train)))
    return float(error / scale)
'''},
    # The scale computed on the held-out values instead of the training series.
    "mase: scale from the test values": {"mase": '''
def mase(y_true, y_pred, y_train, m):
    y_true = np.asarray(y_true, dtype=float).ravel()
    error = np.mean(np.abs(y_true - np.asarray(y_pred, dtype=float).ravel()))
    reference = np.concatenate([np.asarray(y_train, dtype=float)[-m:], y_true])
    scale = np.mean(np.abs(reference[m:] - reference[:-m]))
    return float(error / scale)
'''},
    # Every step predicted from the observed window: the predictions are never fed back.
    "recursive: predictions not fed back": {"recursive-forecast": '''
def recursive_forecast(next_value, window, K):
    window = np.asarray(window, dtype=float)
    return np.array([next_value(window) for _ in range(K)])
'''},
    # The prediction goes in at the front and the newest value is dropped.
    "recursive: window slid the wrong way": {"recursive-forecast": '''
def recursive_forecast(next_value, window, K):
    current = np.array(window, dtype=float)
    out = []
    for _ in range(K):
        out.append(next_value(current))
        current = np.concatenate([[out[-1]], current[:-1]])
    return np.array(out)
'''},
    # Correct forecasts, but the caller's window is overwritten in place.
    "recursive: caller's window modified": {"recursive-forecast": '''
def recursive_forecast(next_value, window, K):
    out = np.zeros(K)
    for k in range(K):
        out[k] = next_value(window)
        window[:-1] = window[1:]
        window[-1] = out[k]
    return out
'''},
}

# A correct solution written differently, for EVERY answer cell, which must score full marks.
ALTERNATIVE = {
    # Loops over windows with lists, batch-first arrays transposed at the end, statistics by hand.
    "split-scale-window": '''
def split_scale_window(series, n_train, T, K):
    values = [float(v) for v in series]
    train = values[:n_train]
    mean = sum(train) / len(train)
    std = (sum((v - mean) ** 2 for v in train) / len(train)) ** 0.5
    z = [(v - mean) / std for v in values]
    x_train, y_train, x_test, y_test = [], [], [], []
    i = 0
    while i + T + K <= n_train:
        x_train.append(z[i:i + T])
        y_train.append(z[i + T:i + T + K])
        i += 1
    for o in range(n_train, len(z) - K + 1):
        x_test.append(z[o - T:o])
        y_test.append(z[o:o + K])
    return (np.array(x_train).reshape(-1, T).T, np.array(y_train).reshape(-1, K),
            np.array(x_test).reshape(-1, T).T, np.array(y_test).reshape(-1, K), mean, std)
''',
    # np.tile of the last season, cut to K.
    "seasonal-naive": '''
def seasonal_naive(history, K, m):
    season = np.asarray(history, dtype=float)[-m:]
    return np.tile(season, K // m + 1)[:K]
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
def recursive_forecast(next_value, window, K):
    T = len(window)
    values = list(np.asarray(window, dtype=float))
    for _ in range(K):
        values.append(next_value(np.array(values[-T:])))
    return np.array(values[T:])
''',
}
