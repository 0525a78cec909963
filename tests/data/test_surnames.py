import unicodedata
from collections import Counter

import numpy as np
import pytest

from rnnlib.data.surnames import LANGUAGE_LOCALES, load_surnames, surnames_by_language


@pytest.fixture(scope="module")
def surnames():
    return load_surnames(seed=0)


def _label_of(surnames, name):
    for split in (surnames.train, surnames.val, surnames.test):
        if name in split.names:
            return surnames.languages[split.labels[split.names.index(name)]]
    return None


def test_languages_and_sizes(surnames):
    assert surnames.languages == list(LANGUAGE_LOCALES)
    pools = surnames_by_language()
    assert all(len(pools[lang]) >= 50 for lang in surnames.languages)
    total = sum(len(s.names) for s in (surnames.train, surnames.val, surnames.test))
    assert total == sum(len(names) for names in pools.values())


def test_splits_have_matching_labels_and_do_not_overlap(surnames):
    splits = (surnames.train, surnames.val, surnames.test)
    for split in splits:
        assert split.labels.shape == (len(split.names),) and split.labels.dtype == np.int64
        assert len(set(split.names)) == len(split.names)
    train, val, test = (set(s.names) for s in splits)
    assert not train & val and not train & test and not val & test


@pytest.mark.parametrize("name, language", [
    ("Abbott", "English"), ("Achleitner", "German"), ("Abatantuono", "Italian"), ("Aaltonen", "Finnish"),
    ("Abičić", "Croatian"), ("Bednář", "Czech"), ("Abascal", "Spanish"), ("Aarden", "Dutch"),
])
def test_hand_checked_labels(surnames, name, language):
    assert _label_of(surnames, name) == language


@pytest.mark.parametrize("name", ["Adams", "Novák", "Horváth"])
def test_names_of_two_languages_are_removed(surnames, name):
    # Adams is both English and Dutch in Faker; Novák and Horváth both Czech and Hungarian.
    assert _label_of(surnames, name) is None
    owners = Counter(n.casefold() for names in surnames_by_language().values() for n in names)
    assert max(owners.values()) == 1


def test_names_are_latin_script(surnames):
    for name in surnames.train.names + surnames.val.names + surnames.test.names:
        for ch in name:
            assert not ch.isalpha() or "LATIN" in unicodedata.name(ch), (name, ch)


def test_split_is_stratified(surnames):
    splits = (surnames.train, surnames.val, surnames.test)
    C = len(surnames.languages)
    counts = np.stack([np.bincount(s.labels, minlength=C) for s in splits])  # (3, C)
    total = counts.sum(axis=0)
    for row, f in zip(counts, (0.8, 0.1, 0.1)):
        assert np.all(np.abs(row - f * total) <= 1)


def test_determinism(surnames):
    again, other = load_surnames(seed=0), load_surnames(seed=1)
    assert again.test.names == surnames.test.names
    np.testing.assert_array_equal(again.test.labels, surnames.test.labels)
    assert set(other.test.names) != set(surnames.test.names)


def test_min_per_language_drops_small_languages():
    s = load_surnames(seed=0, min_per_language=200)
    assert "Portuguese" not in s.languages and "Hungarian" not in s.languages and "Czech" not in s.languages
    assert "English" in s.languages
    assert s.train.labels.max() == len(s.languages) - 1


def test_bad_arguments():
    with pytest.raises(ValueError, match="at least 2"):
        load_surnames(min_per_language=10**6)
    with pytest.raises(ValueError, match="fractions"):
        load_surnames(split=(0.8, 0.2))
    with pytest.raises(ValueError, match="seed"):
        load_surnames(seed=None)


def test_case_variants_within_a_language_are_merged(surnames):
    # en_GB spells McCarthy, en_US Mccarthy; two entries would be near-duplicates that could straddle splits.
    assert _label_of(surnames, "McCarthy") == "English"
    assert _label_of(surnames, "Mccarthy") is None
