import hashlib
from collections import Counter
from importlib import resources

import numpy as np
import pytest

from rnnlib.data.reviews import SOURCES, load_reviews, review_sentences

CHECKSUMS = {"amazon": "2da981b461fd7420ab04260feec64c01", "imdb": "c6167fabe12ba17a1ebafed3a1a9f1a4",
             "yelp": "4138ec566b0b8b335a851323eb4e6cd9"}


@pytest.mark.parametrize("source", SOURCES)
def test_vendored_files_are_the_documented_ones(source):
    folder = resources.files("rnnlib.data").joinpath("sentiment")
    assert hashlib.md5(folder.joinpath(f"{source}.json").read_bytes()).hexdigest() == CHECKSUMS[source]
    readme = folder.joinpath("README.md").read_text(encoding="utf-8")
    assert "CC BY 4.0" in readme and "Kotzias" in readme and CHECKSUMS[source] in readme


def test_all_sentences_without_dedupe_are_balanced_thousands():
    every = review_sentences(dedupe=False)
    assert len(every) == 3000
    for source in SOURCES:
        labels = every.labels[every.sources == source]
        assert Counter(labels.tolist()) == {0: 500, 1: 500}
    assert every.texts[1] == "Good case, Excellent value." and every.labels[1] == 1
    assert all(t == t.strip() and t for t in every.texts)


def test_dedupe_keeps_first_copies_and_repeats_never_disagree():
    every, unique = review_sentences(dedupe=False), review_sentences()
    assert len(unique) == 2982 == len(set(every.texts))
    label_of = {}
    for text, label in zip(every.texts, every.labels):
        assert label_of.setdefault(text, label) == label


def test_one_source():
    yelp = review_sentences("yelp", dedupe=False)
    assert len(yelp) == 1000 and set(yelp.sources) == {"yelp"}
    assert yelp.texts[0] == "Wow... Loved this place."
    with pytest.raises(ValueError, match="sources"):
        review_sentences(("twitter",))
    with pytest.raises(ValueError, match="sources"):
        review_sentences(())


def test_load_reviews_splits_are_disjoint_stratified_and_reproducible():
    reviews = load_reviews(seed=0)
    parts = (reviews.train, reviews.val, reviews.test)
    assert [len(p) for p in parts] == [2088, 297, 597]
    assert sum(len(p) for p in parts) == 2982
    texts = [set(p.texts) for p in parts]
    assert not texts[0] & texts[1] and not texts[0] & texts[2] and not texts[1] & texts[2]
    for p in parts:
        assert p.labels.dtype == np.int64 and p.labels.shape == (len(p),) and p.sources.shape == (len(p),)
        assert abs(p.labels.mean() - 0.5) < 0.01
        share = Counter(p.sources.tolist())
        assert all(abs(share[s] / len(p) - 1 / 3) < 0.01 for s in SOURCES)
    again = load_reviews(seed=0)
    assert again.test.texts == reviews.test.texts
    assert load_reviews(seed=1).test.texts != reviews.test.texts


def test_subset_keeps_texts_labels_and_sources_together():
    every = review_sentences()
    part = every.subset([5, 2])
    assert part.texts == [every.texts[5], every.texts[2]]
    assert part.labels.tolist() == [every.labels[5], every.labels[2]]
    assert part.sources.tolist() == [every.sources[5], every.sources[2]]
