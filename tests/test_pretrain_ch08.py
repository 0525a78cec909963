"""book/pretrain/ch08_gru_lstm_seeds.py still runs, is seeded, and wrote the results file Chapter 8 loads."""

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "book" / "pretrain" / "ch08_gru_lstm_seeds.py"
RESULTS = ROOT / "book" / "checkpoints" / "ch08_gru_lstm_seeds.json"


def load_script():
    spec = importlib.util.spec_from_file_location("ch08_gru_lstm_seeds", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def quick_run(out):
    subprocess.run([sys.executable, str(SCRIPT), "--quick", "--out", str(out)], check=True, cwd=ROOT,
                   capture_output=True, text=True, timeout=300)
    return json.loads((out / RESULTS.name).read_text())


def check_complete(record, cfg):
    for task, key in (("adding", "adding_val_mse"), ("lm", "lm_val_nats")):
        settings = cfg[task]
        assert set(record[key]) == set(settings["H"])
        for curves in record[key].values():
            assert len(curves) == len(cfg["seeds"])
            assert all(len(c) == settings["updates"] // settings["eval_every"] for c in curves)


@pytest.mark.slow
def test_quick_run_is_complete_and_repeatable(tmp_path):
    script = load_script()
    first, second = quick_run(tmp_path / "a"), quick_run(tmp_path / "b")
    assert first["config"] == json.loads(json.dumps(script.QUICK))
    check_complete(first, script.QUICK)
    assert first == second, "the same seeds gave other numbers"
    # Different seeds are different runs (otherwise the spread would be meaningless).
    assert first["lm_val_nats"]["gru"][0] != first["lm_val_nats"]["gru"][1]


def test_committed_results_come_from_the_script_as_it_is():
    script = load_script()
    record = json.loads(RESULTS.read_text())
    assert record["config"] == json.loads(json.dumps(script.CONFIG)), (
        "the committed results were made with other settings: re-run python book/pretrain/ch08_gru_lstm_seeds.py")
    check_complete(record, script.CONFIG)
