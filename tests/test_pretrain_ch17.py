"""book/pretrain/ch17_captioning.py still runs at reduced size, and the committed checkpoint is what it writes."""

import importlib.util
import subprocess
import sys
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "book" / "pretrain" / "ch17_captioning.py"


def load_script():
    spec = importlib.util.spec_from_file_location("ch17_captioning", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_quick_run_writes_a_checkpoint_of_the_same_form(tmp_path):
    out = tmp_path / "ch17_captioning.pt"
    subprocess.run([sys.executable, str(SCRIPT), "--quick", "--out", str(out)], check=True, cwd=ROOT,
                   capture_output=True, timeout=600)
    ckpt = torch.load(out, weights_only=False)
    assert [(r["seed"], r["model"]) for r in ckpt["results"]] == [(0, "attention"), (0, "one vector")]
    for r in ckpt["results"]:
        assert 0.0 <= r["exact"] <= 1.0 and 0.0 <= r["bleu4"] <= r["bleu1"] + 1e-12 <= 1.0 + 1e-12
    assert set(ckpt["state_dicts"]) == {"attention", "one vector"}


def test_the_committed_checkpoint_comes_from_the_full_configuration():
    script = load_script()
    ckpt = torch.load(script.OUT, weights_only=False)
    assert ckpt["config"] == script.FULL
    seeds = script.FULL["seeds"]
    assert sorted((r["seed"], r["model"]) for r in ckpt["results"]) == sorted(
        (s, m) for s in seeds for m in ("attention", "one vector"))
    assert all(len(r["train_loss"]) == script.FULL["epochs"] for r in ckpt["results"])
