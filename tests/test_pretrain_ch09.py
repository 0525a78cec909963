"""book/pretrain/ch09_depth.py still runs, is seeded, and wrote the checkpoint Chapter 9 loads."""

import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest
import torch

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "book" / "pretrain" / "ch09_depth.py"


@pytest.fixture(scope="module")
def script():
    spec = importlib.util.spec_from_file_location("ch09_depth", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_agreement_task_tags_the_sign_of_the_running_count(script):
    x, y, count = script.agreement_task(50, 12, seed=3)
    assert x.shape == (12, 50, 2) and y.shape == count.shape == (12, 50)
    agree = (x[..., 0] == x[..., 1]).numpy()
    assert np.array_equal(count, np.cumsum(np.where(agree, 1, -1), axis=0))
    assert np.all((y.numpy() == 1) == (count > 0)) and np.all((y.numpy() == -100) == (count == 0))


def test_the_script_reproduces_itself_at_reduced_size(script, tmp_path):
    args = ["--seeds", "2", "--epochs", "2", "--n-train", "100", "--quiet"]
    dtype = torch.get_default_dtype()
    first = script.main(args + ["--out", str(tmp_path / "a.json")])
    second = script.main(args + ["--out", str(tmp_path / "b.json")])
    assert torch.get_default_dtype() == dtype, "the script must leave the caller's default dtype alone"
    assert json.loads((tmp_path / "a.json").read_text())["config"] == first["config"]
    assert set(first["models"]) == set(script.MODELS)
    for name, model in first["models"].items():
        assert np.array(model["curves"]).shape == (2, 2)
        assert model["curves"] == second["models"][name]["curves"], name


def test_the_committed_checkpoint_is_complete_and_parameter_matched(script):
    record = json.loads(script.CHECKPOINT.read_text())
    assert record["config"]["seeds"] == 12 and record["config"]["epochs"] == 20, (
        "the committed checkpoint was made with other settings: re-run python book/pretrain/ch09_depth.py")
    assert record["config"]["n_train"] == 2000
    counts = [m["parameters"] for m in record["models"].values()]
    assert max(counts) / min(counts) < 1.03
    for model in record["models"].values():
        curves = np.array(model["curves"])
        assert curves.shape == (12, 20) and np.all((curves >= 0) & (curves <= 1))
