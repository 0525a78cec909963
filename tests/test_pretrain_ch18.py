"""book/pretrain/ch18_mingru_adding.py still runs, is seeded, and wrote the checkpoint Chapter 18 loads."""

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "book" / "pretrain" / "ch18_mingru_adding.py"
CHECKPOINTS = ROOT / "book" / "checkpoints"


def load_script():
    spec = importlib.util.spec_from_file_location("ch18_mingru_adding", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def quick_run(out):
    subprocess.run([sys.executable, str(SCRIPT), "--quick", "--out", str(out)], check=True, cwd=ROOT,
                   capture_output=True, text=True, timeout=300)
    return json.loads((out / "ch18_mingru_adding.json").read_text())


def test_quick_run_is_complete_and_repeatable(tmp_path):
    script = load_script()
    first, second = quick_run(tmp_path / "a"), quick_run(tmp_path / "b")
    cfg = script.QUICK
    assert first["config"] == json.loads(json.dumps(cfg))
    keys = {(r["model"], r["T"], r["seed"]) for r in first["runs"]}
    assert keys == {(m, T, s) for m in ("minGRU", "GRU") for T in cfg["T"] for s in cfg["seeds"]}
    for run in first["runs"]:
        assert len(run["val_mse"]) == len(run["seconds"]) == cfg["epochs"]
    # Same seeds, same numbers: only the timings may differ between two runs.
    assert [r["val_mse"] for r in first["runs"]] == [r["val_mse"] for r in second["runs"]]
    state = torch.load(tmp_path / "a" / "ch18_mingru_adding.pt")
    model = script.AddingReader("minGRU", cfg["H"], cfg["layers"]["minGRU"], seed=0)
    model.load_state_dict(state)


def test_committed_checkpoint_comes_from_the_script_as_it_is():
    script = load_script()
    record = json.loads((CHECKPOINTS / "ch18_mingru_adding.json").read_text())
    assert record["config"] == json.loads(json.dumps(script.CONFIG)), (
        "the committed checkpoint was made with other settings: re-run python book/pretrain/ch18_mingru_adding.py")
    cfg = script.CONFIG
    assert len(record["runs"]) == 2 * len(cfg["T"]) * len(cfg["seeds"])
    model = script.AddingReader("minGRU", cfg["H"], cfg["layers"]["minGRU"], seed=0)
    model.load_state_dict(torch.load(CHECKPOINTS / "ch18_mingru_adding.pt"))
