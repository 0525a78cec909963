"""Seattle's daily weather, 2012-2015, read from the CSV file inside the ``vega_datasets`` wheel.

The file ``vega_datasets/_data/seattle-weather.csv`` ships with the package (vega_datasets 0.9, MIT licence;
the data are NOAA's daily observations at Seattle, as collected for the Vega examples). It is read directly with
``importlib.resources``, without going through ``vega_datasets.data``, whose remote datasets download on
first use: nothing here touches the network.
"""

from __future__ import annotations

import csv
import importlib.resources

import numpy as np

from rnnlib.data.series import Series

#: Numeric columns of the file: precipitation (mm), daily maximum and minimum temperature (deg C), wind (m/s).
COLUMNS = ("precipitation", "temp_max", "temp_min", "wind")


def seattle_weather(column: str = "temp_max") -> Series:
    """One daily column of Seattle's weather, 2012-01-01 to 2015-12-31 (1461 days, no gaps).

    Parameters
    ----------
    column : {"precipitation", "temp_max", "temp_min", "wind"}
        Which measurement.

    Returns
    -------
    series : Series
        ``time`` (1461,) datetime64[D] dates; ``values`` (1461,) float64.
    """
    if column not in COLUMNS:
        raise ValueError(f"column must be one of {COLUMNS}, got {column!r}")
    path = importlib.resources.files("vega_datasets") / "_data" / "seattle-weather.csv"
    with path.open(newline="") as f:
        rows = list(csv.DictReader(f))
    dates = np.array([r["date"].replace("/", "-") for r in rows], dtype="datetime64[D]")  # written 2012/01/01
    values = np.array([float(r[column]) for r in rows], dtype=np.float64)
    if np.any(np.diff(dates) != np.timedelta64(1, "D")):
        raise ValueError(f"{path} is not one row per consecutive day")
    return Series(dates, values)
