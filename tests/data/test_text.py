import sysconfig
from pathlib import Path

import numpy as np
import pytest
import torch

from rnnlib.data.text import (
    EXCLUDED_DIRS,
    batchify,
    bptt_chunks,
    stdlib_corpus,
    stdlib_files,
    train_val_split_text,
)

STDLIB = Path(sysconfig.get_paths()["stdlib"])


@pytest.fixture(scope="module")
def files():
    return [p.relative_to(STDLIB).as_posix() for p in stdlib_files()]


def test_stdlib_files_exclude_tests_and_third_party(files):
    assert "json/decoder.py" in files and "collections/__init__.py" in files and "os.py" in files
    assert files == sorted(files)
    for f in files:
        assert not EXCLUDED_DIRS & set(f.split("/")[:-1]), f
    for prefix in ("test/", "unittest/test/", "idlelib/idle_test/", "lib2to3/tests/", "site-packages/"):
        assert not any(f.startswith(prefix) for f in files), prefix


def test_stdlib_corpus_length_and_content():
    text = stdlib_corpus(max_chars=50_000, seed=0)
    assert len(text) == 50_000
    assert "def " in text and "import " in text


def test_stdlib_corpus_is_made_of_whole_files_in_seeded_order():
    text = stdlib_corpus(max_chars=None, seed=2)
    first = np.random.default_rng(2).permutation(len(stdlib_files()))[0]
    assert text.startswith(stdlib_files()[first].read_text(encoding="utf-8"))


def test_stdlib_corpus_determinism():
    assert stdlib_corpus(max_chars=20_000, seed=1) == stdlib_corpus(max_chars=20_000, seed=1)
    assert stdlib_corpus(max_chars=20_000, seed=1) != stdlib_corpus(max_chars=20_000, seed=2)


def test_missing_sources_raise_or_fall_back(tmp_path):
    (tmp_path / "json").mkdir()
    (tmp_path / "json" / "decoder.pyc").write_bytes(b"\x00")
    (tmp_path / "test").mkdir()
    (tmp_path / "test" / "test_json.py").write_text("only a test\n")
    with pytest.raises(FileNotFoundError, match=str(tmp_path)):
        stdlib_corpus(root=tmp_path)
    text = stdlib_corpus(max_chars=None, seed=0, fallback=True, root=tmp_path)
    assert "Return the absolute value of the argument." in text
    assert stdlib_corpus(max_chars=1000, seed=0, fallback=True, root=tmp_path) == text[:1000]


def test_train_val_split_text():
    assert train_val_split_text("abcdefghij", 0.2) == ("abcdefgh", "ij")
    train, val = train_val_split_text("x" * 7 + "y" * 3, 0.3)
    assert (train, val) == ("x" * 7, "y" * 3)
    for bad in (0.0, 1.0, -0.5):
        with pytest.raises(ValueError, match="val_fraction"):
            train_val_split_text("abcdef", bad)
    with pytest.raises(ValueError, match="too short"):
        train_val_split_text("ab", 0.1)


def test_batchify_hand_checked():
    data = batchify(list(range(10)), B=3)
    assert data.shape == (3, 3) and data.dtype == torch.int64
    # Each column is a contiguous stretch of the stream; token 9 is dropped.
    assert data.tolist() == [[0, 3, 6], [1, 4, 7], [2, 5, 8]]
    np.testing.assert_array_equal(batchify(np.arange(4), B=1)[:, 0].numpy(), [0, 1, 2, 3])


def test_batchify_errors():
    with pytest.raises(ValueError, match="fewer than"):
        batchify([1, 2], B=3)
    with pytest.raises(ValueError, match="empty"):
        batchify([], B=1)
    with pytest.raises(ValueError, match="ints"):
        batchify([0.5, 1.5], B=1)
    with pytest.raises(ValueError, match="B"):
        batchify([1, 2], B=0)


@pytest.mark.parametrize("T_total, seq_len, lengths", [(7, 3, [3, 3]), (8, 3, [3, 3, 1]), (2, 5, [1])])
def test_bptt_chunks_cover_the_stream(T_total, seq_len, lengths):
    B = 2
    data = batchify(torch.arange(T_total * B), B)  # (T_total, B)
    chunks = list(bptt_chunks(data, seq_len))
    assert [x.shape[0] for x, _ in chunks] == lengths
    for x, y in chunks:
        assert x.shape == y.shape and x.shape[1] == B
        # Within a column the stream counts up by one, so the target is always the input plus one.
        assert torch.equal(y, x + 1)
    assert torch.equal(torch.cat([x for x, _ in chunks]), data[:-1])
    assert torch.equal(torch.cat([y for _, y in chunks]), data[1:])


def test_bptt_chunks_errors():
    with pytest.raises(ValueError, match="T_total >= 2"):
        list(bptt_chunks(torch.zeros(1, 3, dtype=torch.long), 2))
    with pytest.raises(ValueError, match="seq_len"):
        list(bptt_chunks(torch.zeros(4, 3, dtype=torch.long), 0))
