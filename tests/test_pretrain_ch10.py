"""book/pretrain/ch10_scheduled_sampling.py still runs, is seeded, and wrote the scores Chapter 10 loads."""

import importlib.util
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "book" / "pretrain" / "ch10_scheduled_sampling.py"


@pytest.fixture(scope="module")
def script():
    spec = importlib.util.spec_from_file_location("ch10_scheduled_sampling", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def without_timings(result):
    return {name: [{k: v for k, v in run.items() if k != "cpu_seconds"} for run in runs]
            for name, runs in result["runs"].items()}


def test_the_schedules_end_where_they_should(script):
    s = script.SCHEDULES
    assert s["teacher forcing"](0.7) == 1.0 and s["free running"](0.7) == 0.0 and s["mixed"](0.7) == 0.5
    assert s["scheduled"](0.0) == 1.0 and s["scheduled"](0.25) == 0.75


@pytest.mark.slow
def test_the_script_reproduces_itself_at_reduced_size(script, tmp_path):
    args = ["--seeds", "1", "--epochs", "1", "--max-pairs", "128", "--quiet"]
    first = script.main(args + ["--out", str(tmp_path / "a.json")])
    second = script.main(args + ["--out", str(tmp_path / "b.json")])
    assert json.loads((tmp_path / "a.json").read_text())["config"]["max_pairs"] == 128
    assert set(first["runs"]) == set(script.SCHEDULES)
    assert without_timings(first) == without_timings(second)
    for runs in first["runs"].values():
        assert len(runs) == 1 and len(runs[0]["val_exact"]) == 1 and len(runs[0]["slip"]) == len(script.SLIP_STEPS)


def test_the_committed_checkpoint_is_complete(script):
    record = json.loads(script.CHECKPOINT.read_text())
    config = record["config"]
    assert {k: config[k] for k in script.CONFIG} == script.CONFIG, (
        "the committed checkpoint was made with other settings: re-run python book/pretrain/ch10_scheduled_sampling.py")
    assert config["epochs"] == 7 and config["seeds"] == 5 and config["max_pairs"] is None
    assert set(record["runs"]) == set(script.SCHEDULES)
    for runs in record["runs"].values():
        assert [r["seed"] for r in runs] == list(range(5))
        for r in runs:
            assert len(r["val_exact"]) == 7 and 0 <= r["test_exact"] <= 1 and 0 <= r["slip_mean"] <= 1
