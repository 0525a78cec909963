"""book/pretrain/speech_ctc.py still runs (at reduced size), and the committed checkpoint is what it describes."""

import importlib.util
import sys
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "book" / "pretrain" / "speech_ctc.py"


def load_script():
    spec = importlib.util.spec_from_file_location("speech_ctc", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules["speech_ctc"] = module  # so that worker processes can find its functions by name
    spec.loader.exec_module(module)
    return module


def test_quick_run_trains_and_reloads(tmp_path):
    script = load_script()
    out = tmp_path / "quick.pt"
    script.main(["--quick", str(out)])
    checkpoint = torch.load(out, weights_only=False)
    models = script.load_models(checkpoint)
    assert set(models) == {f"{name}/0" for name in script.MODELS}
    x = torch.zeros(20, 1, checkpoint["n_features"])
    for model in models.values():
        lp, _ = model(x, torch.tensor([20]))
        assert lp.shape == (10, 1, script.V)


def test_committed_checkpoint_matches_the_script():
    script = load_script()
    checkpoint = torch.load(script.OUT, weights_only=False)
    assert checkpoint["configs"] == script.MODELS
    assert (checkpoint["n_train"], checkpoint["epochs"]) == (script.N_TRAIN, script.EPOCHS)
    assert set(checkpoint["models"]) == {f"{name}/{seed}" for name in script.MODELS for seed in script.SEEDS}
    assert script.OUT.stat().st_size < 3_000_000
    assert len(script.load_models(checkpoint)) == 6
