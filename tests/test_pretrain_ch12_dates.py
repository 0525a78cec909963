"""book/pretrain/ch12_dates_seeds.py: it still runs, deterministically, and its run 0 is the chapter's run."""

import importlib.util
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "book" / "pretrain" / "ch12_dates_seeds.py"


@pytest.fixture(scope="module")
def script():
    spec = importlib.util.spec_from_file_location("ch12_dates_seeds", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_the_script_reproduces_itself_at_reduced_size(script, tmp_path):
    args = ["--seeds", "2", "--pairs", "300"]
    script.main(args + ["--out", str(tmp_path / "a.json")])
    script.main(args + ["--out", str(tmp_path / "b.json")])
    a, b = (json.loads((tmp_path / f).read_text()) for f in ("a.json", "b.json"))
    strip = [{k: v for k, v in r.items() if k != "cpu_seconds"} for r in a["runs"]]
    assert strip == [{k: v for k, v in r.items() if k != "cpu_seconds"} for r in b["runs"]]
    assert [(r["model"], r["run"]) for r in a["runs"]] == [(m, k) for k in range(2) for m in script.MODELS]


def test_the_committed_record_holds_the_chapters_run():
    """Run 0 is the chapter's own training: its held-out exact matches are the ones the chapter prints."""
    import nbformat

    record = json.loads((ROOT / "book" / "checkpoints" / "ch12_dates_seeds.json").read_text())
    nb = nbformat.read(ROOT / "book" / "ch12_attention.ipynb", as_version=4)
    printed = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []))
    for r in record["runs"]:
        if r["run"] == 0:
            assert f"{r['model']:18s}: held-out exact match {r['exact']:.1%}" in printed, r["model"]
