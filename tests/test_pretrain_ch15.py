"""book/pretrain/ch15_chorales.py: it still trains, deterministically, and the committed checkpoint is its output."""

import importlib.util
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "book" / "pretrain" / "ch15_chorales.py"


@pytest.fixture(scope="module")
def script():
    spec = importlib.util.spec_from_file_location("ch15_chorales", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_the_script_reproduces_itself_at_reduced_size(script, tmp_path):
    args = ["--epochs", "1", "--max-chorales", "6", "--batch-size", "3", "--quiet"]
    script.main(args + ["--out", str(tmp_path / "a.pt")])
    script.main(args + ["--out", str(tmp_path / "b.pt")])
    a, b = (torch.load(tmp_path / f, weights_only=True) for f in ("a.pt", "b.pt"))
    assert a["config"] == script.CONFIG and len(a["history"]["val_loss"]) == 1
    for k in a["state_dict"]:
        assert torch.equal(a["state_dict"][k], b["state_dict"][k]), k
    model, _ = script.load_model(tmp_path / "a.pt")
    assert not model.training


def test_the_committed_checkpoint_scores_what_its_history_says(script):
    """Re-score the validation chorales with the stored (float16) weights: the loss the script recorded for the
    kept epoch comes back, so the checkpoint is the output of this script on this data."""
    from rnnlib.data import chorales as bach

    model, checkpoint = script.load_model()
    history = checkpoint["history"]
    _, val_part, _ = bach.split_chorales(bach.load_chorales(), (0.8, 0.1, 0.1), seed=0)
    inputs, targets = script.pad([bach.encode(c.grid) for c in val_part])
    with torch.no_grad():
        loss, _ = script.loss_fn(model, (inputs, targets))
    assert loss.item() == pytest.approx(history["val_loss"][history["best_epoch"]], abs=2e-3)
