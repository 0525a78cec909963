import numpy as np
import pytest

from rnnlib.data import seattle_weather


def test_seattle_weather_daily_2012_to_2015():
    dates, temp_max = seattle_weather()
    assert dates.shape == temp_max.shape == (1461,)
    assert dates[0] == np.datetime64("2012-01-01") and dates[-1] == np.datetime64("2015-12-31")
    assert (np.diff(dates) == np.timedelta64(1, "D")).all()
    # The first rows of the file: 2012-01-01 has temp_max 12.8, precipitation 0.0; 2012-01-02 10.6 and 10.9.
    np.testing.assert_array_equal(temp_max[:2], [12.8, 10.6])
    np.testing.assert_array_equal(seattle_weather("precipitation").values[:2], [0.0, 10.9])
    assert np.isfinite(temp_max).all() and -10 < temp_max.min() and temp_max.max() < 40


def test_seattle_weather_columns_are_checked():
    with pytest.raises(ValueError, match="temp_max"):
        seattle_weather("weather")
