"""book/pretrain/ch12_reversal.py: it still trains, deterministically, and the committed checkpoint is its output."""

import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest
import torch

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "book" / "pretrain" / "ch12_reversal.py"


@pytest.fixture(scope="module")
def script():
    spec = importlib.util.spec_from_file_location("ch12_reversal", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_test_strings_are_reversed_targets_and_never_trained_on(script):
    tests = script.test_strings(max_len=10, per_length=3)
    assert [len(s) for s in tests] == [L for L in range(script.MIN_LEN, 11) for _ in range(3)]
    batches = script.train_batches(np.random.default_rng(0), 50, 16, 10, exclude=set(tests[:3]))
    batch = batches[0]
    source = script.VOCAB.decode(batch.src[:, 0])
    assert script.VOCAB.decode(batch.tgt[:, 0], strip_special=True) == source[::-1]
    trained = {script.VOCAB.decode(b.src[:, i])[:int(b.src_lengths[i])] for b in batches
               for i in range(b.src.shape[1])}
    assert not trained & set(tests[:3])


def test_score_counts_characters_and_exact_matches(script):
    class Echo(torch.nn.Module):
        """Writes the reversed source, except a "t" (in no test string) as the first character: one error each."""

        def generate(self, src, max_len, temperature=1.0, lengths=None):
            assert temperature == 0, "scoring decodes greedily"
            out = torch.full((max_len, src.shape[1]), script.EOS_ID)
            for b, L in enumerate(lengths.tolist()):
                out[:L, b] = src[:L, b].flip(0)
                out[0, b] = script.VOCAB.stoi["t"]
            return out

    strings = ["abcd", "abcde"]
    exact, chars = script.score(Echo(), strings)
    assert exact.tolist() == [False, False] and chars.tolist() == [3, 4]


@pytest.mark.slow
def test_the_script_reproduces_itself_at_reduced_size(script, tmp_path):
    args = ["--updates", "6", "--seeds", "2", "--max-len", "9", "--per-length", "3", "--batch-size", "8"]
    script.main(args + ["--out", str(tmp_path / "a")])
    script.main(args + ["--out", str(tmp_path / "b")])
    a, b = (json.loads((tmp_path / f"{n}.json").read_text()) for n in "ab")
    def results(record):  # everything but the CPU time, which varies from run to run
        return [{k: v for k, v in r.items() if k != "cpu_seconds"} for r in record["runs"]]

    assert results(a) == results(b) and len(a["runs"]) == 2 * len(script.MODELS)
    assert len(a["runs"][0]["exact"]) == len(a["test_lengths"]) == 3 * (9 - script.MIN_LEN + 1)
    wa, wb = (torch.load(tmp_path / f"{n}.pt", weights_only=True) for n in "ab")
    for name in script.MODELS:
        for k in wa[name]:
            assert torch.equal(wa[name][k], wb[name][k]), (name, k)


def test_the_committed_checkpoint_scores_what_its_record_says(script):
    """Re-score a sample of the test strings with the stored seed-0 weights: the recorded per-string results come
    back exactly, so the chapter's numbers are this script's output."""
    record = json.loads(script.CHECKPOINT.with_suffix(".json").read_text())
    args = record["args"]
    tests = script.test_strings(int(args["max_len"]), int(args["per_length"]))
    sample = np.arange(0, len(tests), 17)
    for name in script.MODELS:
        run = next(r for r in record["runs"] if r["model"] == name and r["seed"] == 0)
        exact, chars = script.score(script.load_model(name), [tests[i] for i in sample])
        assert exact.astype(int).tolist() == [run["exact"][i] for i in sample], name
        assert chars.tolist() == [run["chars"][i] for i in sample], name
