"""Bach's chorales: the derived file equals a fresh parse of music21's corpus, and the token encoding is exact.

These tests run with the network cut (tests/data/conftest.py): music21 parses its own corpus files.
"""

from pathlib import Path

import numpy as np
import pytest

from rnnlib.data import chorales as bach


@pytest.fixture(scope="module")
def chorales():
    return bach.load_chorales()


def test_the_corpus_ships_inside_the_music21_package():
    import music21
    from music21 import corpus

    paths = corpus.getComposer("bach")
    root = Path(music21.__file__).parent / "corpus" / "bach"
    assert len(paths) > 400 and all(Path(p).is_file() and root in Path(p).parents for p in paths)


@pytest.mark.parametrize("name", ["bach/bwv269", "bach/bwv347", "bach/bwv8.6", "bach/bwv281"])
def test_the_stored_grids_are_what_music21_parses(chorales, name):
    # bwv8.6 has a continuo part besides the voices, bwv281 is a Humdrum file with four unnamed parts.
    stored = {c.name: c for c in chorales}[name]
    (fresh,) = bach.derive_chorales([name])
    assert fresh.number == stored.number
    np.testing.assert_array_equal(fresh.grid, stored.grid)


def test_first_chorale_by_hand(chorales):
    # BWV 269 opens with a quarter-note pickup G4 in the soprano, then a half note G4, a quarter D5, a dotted
    # quarter B4 (3 eighths) and an eighth A4; the bass's first note is G2.
    first = chorales[0]
    assert (first.name, first.number) == ("bach/bwv269", 1)
    assert first.grid[:12, 0].tolist() == [67, -67, 67, -67, -67, -67, 74, -74, 71, -71, -71, 69]
    assert first.grid[0].tolist() == [67, 62, 59, 43]


def test_the_data_set(chorales):
    assert len(chorales) > 340
    assert len({c.number for c in chorales}) == len(chorales)
    grids = np.concatenate([c.grid for c in chorales]).astype(int)
    sounding = np.abs(grids)
    means = [sounding[:, v][sounding[:, v] > 0].mean() for v in range(4)]
    assert means == sorted(means, reverse=True), "voices must run from soprano down to bass"
    # Every voice of every chorale fits the token range in all 12 transpositions used in the book.
    assert sounding[sounding > 0].min() - 5 >= bach.LOWEST and sounding.max() + 6 <= bach.HIGHEST
    # A held note always continues the pitch before it.
    for c in chorales:
        g = c.grid.astype(int)
        held = g[1:] < 0
        assert (np.abs(g[1:][held]) == np.abs(g[:-1][held])).all(), c.name


def test_encode_decode_round_trip(chorales):
    for c in chorales[:20]:
        for shift in (-5, 0, 6):
            grid = bach.transpose(c.grid, shift)
            tokens = bach.encode(grid)
            assert tokens.shape == (4 * len(grid) + 2,) and tokens[0] == bach.BOS and tokens[-1] == bach.EOS
            assert tokens.min() >= 0 and tokens.max() < bach.VOCAB_SIZE
            np.testing.assert_array_equal(bach.decode(tokens), grid)


def test_tokens_name_their_voice():
    grid = np.array([[67, 62, -59, 0]], dtype=np.int8)
    tokens = bach.encode(grid)
    assert [bach.token_name(t) for t in tokens] == ["<bos>", "S:G4", "A:D4", "T:hold", "B:rest", "<eos>"]


def test_decode_stops_at_a_token_of_the_wrong_voice():
    tokens = bach.encode(np.array([[67, 62, 59, 43], [-67, -62, -59, -43]], dtype=np.int8))
    broken = np.concatenate([tokens[:5], tokens[6:7], tokens[6:]])  # step 2 starts with an alto token
    assert bach.decode(broken).tolist() == [[67, 62, 59, 43]]
    assert bach.decode(tokens[:8]).shape == (1, 4)  # an incomplete last step is dropped


def test_transpose_keeps_rests_and_holds():
    grid = np.array([[60, -55, 0, 48]], dtype=np.int8)
    assert bach.transpose(grid, 2).tolist() == [[62, -57, 0, 50]]
    with pytest.raises(ValueError, match="MIDI range"):
        bach.transpose(grid, 100)


def test_split_keeps_every_tune_in_one_part(chorales):
    parts = bach.split_chorales(chorales, (0.8, 0.1, 0.1), seed=0)
    assert sum(len(p) for p in parts) == len(chorales)
    tunes = [{bach.tune_of(c.grid) for c in p} for p in parts]
    assert not (tunes[0] & tunes[1]) and not (tunes[0] & tunes[2]) and not (tunes[1] & tunes[2])
    again = bach.split_chorales(chorales, (0.8, 0.1, 0.1), seed=0)
    assert [[c.name for c in p] for p in parts] == [[c.name for c in p] for p in again]


def test_errors_name_the_problem(tmp_path):
    with pytest.raises(FileNotFoundError, match="python -m rnnlib.data.chorales"):
        bach.load_chorales(tmp_path / "missing.npz")
    with pytest.raises(ValueError, match=r"shape \(T, 4\)"):
        bach.encode(np.zeros((3, 3), dtype=np.int8))
    with pytest.raises(ValueError, match="transpose"):
        bach.encode(np.array([[100, 60, 50, 40]], dtype=np.int8))
    with pytest.raises(ValueError, match="Riemenschneider"):
        bach.derive_chorales(["bach/nonexistent"])


def test_every_encoded_chorale_obeys_the_grammar(chorales):
    for c in chorales[:30]:
        tokens = bach.encode(c.grid)
        mask = bach.legal_mask(len(tokens))
        assert mask[np.arange(len(tokens)), tokens].all(), c.name
    mask = bach.legal_mask(6)
    assert mask[0].sum() == 1 and mask[1, bach.EOS] and not mask[2, bach.EOS]
    assert [bach.token_name(t)[0] for t in np.flatnonzero(mask[3])] == ["T"] * (bach.N_PITCHES + 2)
