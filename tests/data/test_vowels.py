import hashlib
from collections import Counter
from importlib import resources

import numpy as np
import pytest

from rnnlib.data.vowels import D, SPLITS, japanese_vowels, parse_ts

CHECKSUMS = {"train": "9165e3eec783ac6342d658685c864d19", "test": "14d15214e3ab6ac39ab2d48901d3e2a3"}
TEST_PER_SPEAKER = [31, 35, 88, 44, 29, 24, 40, 50, 29]  # UCI's size_ae.test


@pytest.mark.parametrize("split", SPLITS)
def test_vendored_files_are_the_documented_ones(split):
    folder = resources.files("rnnlib.data").joinpath("japanese_vowels")
    assert hashlib.md5(folder.joinpath(SPLITS[split]).read_bytes()).hexdigest() == CHECKSUMS[split]
    readme = folder.joinpath("README.md").read_text(encoding="utf-8")
    assert "CC BY 4.0" in readme and "Kudo" in readme and "aeon-1.6.0" in readme and CHECKSUMS[split] in readme


def test_official_split_sizes_speakers_and_lengths():
    train, test = japanese_vowels("train"), japanese_vowels("test")
    assert len(train) == 270 and len(test) == 370
    assert Counter(train.speakers.tolist()) == {s: 30 for s in range(9)}
    assert [Counter(test.speakers.tolist())[s] for s in range(9)] == TEST_PER_SPEAKER
    for part in (train, test):
        assert part.speakers.dtype == np.int64 and np.all(np.diff(part.speakers) >= 0)  # grouped by speaker
        assert all(x.ndim == 2 and x.shape[1] == D == 12 and x.dtype == np.float64 for x in part.frames)
    assert (train.lengths.min(), train.lengths.max()) == (7, 26)
    assert (test.lengths.min(), test.lengths.max()) == (7, 29)


def test_first_utterance_is_time_major_with_the_values_of_uci_ae_train():
    first = japanese_vowels("train").frames[0]
    # The first frame of ae.train, read by hand: the file stores each coefficient's series, so frame 0 is the
    # first value of each of the 12 ':'-separated series.
    frame0 = [1.860936, -0.207383, 0.261557, -0.214562, -0.171253, -0.118167,
              -0.277557, 0.025668, 0.126701, -0.306756, -0.213076, 0.088728]
    assert first.shape == (20, 12)
    np.testing.assert_array_equal(first[0], frame0)
    np.testing.assert_array_equal(first[1:4, 0], [1.891651, 1.939205, 1.717517])  # coefficient 1 over time


def test_padded_is_time_major_and_zero_after_each_end():
    part = japanese_vowels("test")
    x = part.padded()
    assert x.shape == (29, 370, 12)
    for i in (0, 100, 369):
        T = part.lengths[i]
        np.testing.assert_array_equal(x[:T, i], part.frames[i])
        assert not x[T:, i].any()


def test_bad_split_name_is_refused():
    with pytest.raises(ValueError, match="unknown split 'validation'"):
        japanese_vowels("validation")


def test_parse_ts_reads_a_small_file_and_refuses_ragged_dimensions():
    text = "# comment\n@problemName toy\n@data\n1,2,3:4,5,6:a\n\n7:8:b\n"
    series, labels = parse_ts(text)
    np.testing.assert_array_equal(series[0], [[1, 4], [2, 5], [3, 6]])
    np.testing.assert_array_equal(series[1], [[7, 8]])
    assert labels.tolist() == ["a", "b"]
    with pytest.raises(ValueError, match="line 4: dimensions of different lengths"):
        parse_ts("@a\n@b\n@data\n1,2:3:a\n")
    with pytest.raises(ValueError, match="no @data line"):
        parse_ts("1,2:3,4:a\n", "x.ts")
