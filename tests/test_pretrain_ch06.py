"""book/pretrain/ch06_char_lm.py: it still trains, deterministically, and the committed checkpoint is its output."""

import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest
import torch

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "book" / "pretrain" / "ch06_char_lm.py"
LARGE = ROOT / "book" / "pretrain" / "ch06_char_lm_large.py"


@pytest.fixture(scope="module")
def script():
    spec = importlib.util.spec_from_file_location("ch06_char_lm", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def heldout(script):
    from rnnlib.data import batchify

    vocab, train_text, val_text = script.corpus()
    return vocab, train_text, batchify(vocab.encode(val_text), script.VAL_B)


@pytest.mark.slow
def test_the_script_reproduces_itself_at_reduced_size(script, tmp_path):
    args = ["--cells", "gru", "lstm", "--seeds", "0", "1", "--updates", "6", "--eval-every", "3", "--bptt", "20",
            "--hidden", '{"gru": 16, "lstm": 12}', "--quiet"]
    script.main(args + ["--out", str(tmp_path / "a")])
    script.main(args + ["--out", str(tmp_path / "b")])
    a, b = (torch.load(tmp_path / f"{f}.pt", weights_only=True) for f in "ab")
    assert list(a) == ["gru", "lstm"] and a["lstm"]["config"]["hidden_size"] == 12
    for cell in a:
        for k in a[cell]["state_dict"]:
            assert torch.equal(a[cell]["state_dict"][k], b[cell]["state_dict"][k]), (cell, k)
    runs = json.loads((tmp_path / "a.json").read_text())["runs"]
    assert [(r["cell"], r["seed"]) for r in runs] == [("gru", 0), ("gru", 1), ("lstm", 0), ("lstm", 1)]
    assert [u for u, _ in runs[0]["curve"]] == [3, 6]
    assert runs[0]["heldout_loss"] != runs[1]["heldout_loss"], "the seed must change the run"
    models, meta = script.load_models(tmp_path / "a")
    assert not models["lstm"].training and models["lstm"].head.weight.dtype == torch.float64


@pytest.mark.slow
def test_the_larger_model_script_passes_its_arguments_on(tmp_path):
    spec = importlib.util.spec_from_file_location("ch06_char_lm_large", LARGE)
    large = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(large)
    large.main(["--updates", "2", "--eval-every", "1", "--bptt", "10", "--hidden", '{"lstm": 8}', "--quiet",
                "--out", str(tmp_path / "large")])
    runs = json.loads((tmp_path / "large.json").read_text())["runs"]
    assert [(r["cell"], r["seed"], r["hidden"]) for r in runs] == [("lstm", 0, 8)]


@pytest.mark.parametrize("name, cells", [("ch06_char_lm", {"rnn", "gru", "lstm"}), ("ch06_char_lm_large", {"lstm"})])
def test_the_committed_checkpoint_scores_what_its_record_says(script, heldout, name, cells):
    """Re-score the held-out text with the stored (float16) weights: the loss the script recorded for seed 0 of
    every cell comes back, so the checkpoint is the output of the script on this data."""
    _, _, val_data = heldout
    models, meta = script.load_models(script.CHECKPOINT.with_name(name))
    recorded = {r["cell"]: r["heldout_loss"] for r in meta["runs"] if r["seed"] == 0}
    assert set(models) == set(recorded) == cells
    for cell, model in models.items():
        assert script.heldout_loss(model, val_data) == pytest.approx(recorded[cell], abs=2e-3), cell


def test_the_committed_models_beat_the_best_ngram_on_the_same_positions(script, heldout):
    """The claims of chapter 6: every seed of the GRU, and the larger LSTM, score the held-out text better than
    every Witten-Bell n-gram model of order 1 to 7 on the same positions (each held-out column read from its
    top), no seed of the equally large LSTM does, and the plain RNN straddles it."""
    from rnnlib.ngram import NGramLM

    vocab, train_text, val_data = heldout
    ids = np.array(vocab.encode(train_text))
    columns = val_data.numpy().T  # (B, T_val)
    best_ngram = min(-np.concatenate([NGramLM(n, len(vocab)).fit([ids]).log_prob(c)[1:] for c in columns]).mean()
                     for n in range(1, 8))
    runs = json.loads(script.CHECKPOINT.with_suffix(".json").read_text())["runs"]
    loss = {cell: [r["heldout_loss"] for r in runs if r["cell"] == cell] for cell in ("rnn", "gru", "lstm")}
    assert all(len(v) == 3 for v in loss.values())
    assert max(loss["gru"]) < best_ngram < min(loss["lstm"])
    assert min(loss["rnn"]) < best_ngram < max(loss["rnn"]), "the chapter says the plain RNN straddles the n-gram"
    (large,) = json.loads(script.CHECKPOINT.with_name("ch06_char_lm_large.json").read_text())["runs"]
    assert large["heldout_loss"] < best_ngram
