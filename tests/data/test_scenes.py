import numpy as np
import pytest
import torch
from sklearn.datasets import load_digits

from rnnlib.data.scenes import (
    CAPTION_WORDS,
    DigitPool,
    caption_for,
    collate_scenes,
    decode_caption,
    digit_pools,
    encode_caption,
    make_scenes,
)
from rnnlib.data.vocab import EOS_ID, PAD_ID


@pytest.fixture(scope="module")
def pools():
    return digit_pools(seed=0, split=(0.8, 0.2))


def test_pools_split_every_image_once_and_keep_the_classes(pools):
    train, test = pools
    digits = load_digits()
    assert len(train.labels) + len(test.labels) == 1797
    assert not set(train.index.tolist()) & set(test.index.tolist())
    np.testing.assert_array_equal(np.sort(np.concatenate([train.index, test.index])), np.arange(1797))
    np.testing.assert_array_equal(train.images, digits.images[train.index] / 16.0)
    np.testing.assert_array_equal(test.labels, digits.target[test.index])
    assert set(test.labels.tolist()) == set(range(10))  # stratified: every digit in the small pool


def test_held_out_scenes_use_only_held_out_images(pools):
    train, test = pools
    s_train = make_scenes(train, 300, seed=1)
    s_test = make_scenes(test, 300, seed=2)
    used_train = set(s_train.sources[s_train.sources >= 0].tolist())
    used_test = set(s_test.sources[s_test.sources >= 0].tolist())
    assert used_train <= set(train.index.tolist()) and used_test <= set(test.index.tolist())
    assert not used_train & used_test


def test_each_digit_image_is_where_the_layout_says(pools):
    train, _ = pools
    G, cell = 3, 12
    scenes = make_scenes(train, 50, seed=3, grid=G, n_digits=(1, 2, 3), cell=cell)
    row_of = {int(i): k for k, i in enumerate(train.index)}
    assert scenes.images.shape == (50, 1, G * cell, G * cell) and scenes.images.dtype == np.float32
    for img, cells, digits, sources in zip(scenes.images, scenes.cells, scenes.digits, scenes.sources):
        K = int((cells >= 0).sum())
        assert (cells[K:] == -1).all() and list(cells[:K]) == sorted(cells[:K])
        total = 0.0
        for c, d, src in zip(cells[:K], digits[:K], sources[:K]):
            block = img[0, (c // G) * cell:(c // G + 1) * cell, (c % G) * cell:(c % G + 1) * cell]
            digit = train.images[row_of[int(src)]]
            assert train.labels[row_of[int(src)]] == d
            # The 8x8 image sits somewhere inside its cell, untouched.
            hits = [(i, j) for i in range(cell - 7) for j in range(cell - 7)
                    if np.array_equal(block[i:i + 8, j:j + 8], digit)]
            assert hits
            total += digit.sum()
        assert img.sum() == pytest.approx(total, rel=1e-5)  # nothing else is drawn


def test_captions_match_the_layouts(pools):
    train, _ = pools
    scenes = make_scenes(train, 100, seed=4, grid=4, n_digits=(2, 3, 4))
    for caption, cells, digits in zip(scenes.captions, scenes.cells, scenes.digits):
        K = int((cells >= 0).sum())
        assert caption == caption_for(cells[:K].tolist(), digits[:K].tolist(), 4)
        words = caption.split()
        assert [w for w in words if w not in ("left", "of", "above")] == [CAPTION_WORDS[4 + d] for d in digits[:K]]


@pytest.mark.parametrize("cells, digits, grid, expected", [
    ([1, 3, 5], [7, 2, 5], 3, "seven above two left of five"),
    ([5, 3, 1], [5, 2, 7], 3, "seven above two left of five"),   # any order in, reading order out
    ([0, 2], [3, 9], 3, "three left of nine"),
    ([2, 6], [0, 1], 3, "zero above one"),                        # a lower row, even if further left
    ([4], [8], 3, "eight"),
    ([0, 1, 4, 5], [1, 2, 3, 4], 4, "one left of two above three left of four"),
])
def test_caption_for_hand_worked_layouts(cells, digits, grid, expected):
    assert caption_for(cells, digits, grid) == expected


def test_scenes_are_reproducible_and_respect_allowed_cells(pools):
    train, _ = pools
    a = make_scenes(train, 20, seed=5, allowed_cells=[0, 1, 2, 3])
    b = make_scenes(train, 20, seed=np.random.default_rng(5), allowed_cells=[0, 1, 2, 3])
    np.testing.assert_array_equal(a.images, b.images)
    assert a.captions == b.captions
    assert set(a.cells[a.cells >= 0].tolist()) <= {0, 1, 2, 3}
    assert make_scenes(train, 20, seed=6).captions != a.captions


def test_encode_decode_round_trip_and_batch():
    ids = encode_caption("seven above two left of five")
    assert ids[-1] == EOS_ID and decode_caption(ids) == "seven above two left of five"
    assert decode_caption(ids + [PAD_ID, PAD_ID]) == "seven above two left of five"
    imgs = np.random.default_rng(0).random((2, 1, 12, 12))
    images, tokens, lengths, mask = collate_scenes(list(zip(imgs, ["one", "two left of three"])))
    assert images.shape == (2, 1, 12, 12) and images.dtype == torch.float32
    np.testing.assert_allclose(images.numpy(), imgs, rtol=1e-6)
    assert tokens.shape == (5, 2) and lengths.tolist() == [2, 5]
    assert tokens[1, 0] == EOS_ID and tokens[2, 0] == PAD_ID and mask.sum() == 7
    with pytest.raises(ValueError, match="empty"):
        collate_scenes([])


def test_bad_input_is_refused(pools):
    train, _ = pools
    with pytest.raises(ValueError, match="not in the caption vocabulary"):
        encode_caption("seven below two")
    with pytest.raises(ValueError, match="not in the caption vocabulary"):
        encode_caption("<eos>")
    with pytest.raises(ValueError, match="token id 99"):
        decode_caption([5, 99])
    with pytest.raises(ValueError, match="n_digits"):
        make_scenes(train, 5, seed=0, grid=2, n_digits=(5,))
    with pytest.raises(ValueError, match="n_digits"):
        make_scenes(train, 5, seed=0, n_digits=(2, 3), allowed_cells=[0, 1])
    with pytest.raises(ValueError, match="allowed_cells"):
        make_scenes(train, 5, seed=0, allowed_cells=[9])
    with pytest.raises(ValueError, match="cell must be an int >= 8"):
        make_scenes(train, 5, seed=0, cell=6)
    with pytest.raises(ValueError, match="pool"):
        make_scenes(DigitPool(np.zeros((0, 8, 8)), np.zeros(0), np.zeros(0)), 5, seed=0)
    with pytest.raises(ValueError, match="seed"):
        make_scenes(train, 5, seed=None)
    with pytest.raises(ValueError, match="distinct"):
        caption_for([1, 1], [2, 3], 3)
    with pytest.raises(ValueError, match="fractions"):
        digit_pools(0, split=(0.5, 0.6))
