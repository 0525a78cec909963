"""What is specific to a05's checks (solutions/a05/a05_checks.py): a trained model is judged from its weights.

The generic tests (test_checks.py, test_tampering.py) run the case file's mutants and the tamperings. Here: the
held-out loss is the judge's own measurement of the recorded weights, not a number the student's kernel reported;
weights that cannot be read fail; every record of a graded notebook fits the sandbox's budget for records; the
distribution checks are not vacuous; a tensor where a float is due, or anything but a tensor where ids are due, fails;
the students' copy (exercises/a05/, no diagnoses) says where a mistake is and names no cause, where the instructor's
copy names it.
"""

import base64
import copy
import json

import nbformat
import numpy as np
import pytest

import harness
from rnnlib.checking import MIME

import trusted_judge

CASE = harness.load_case("a05")


@pytest.fixture(scope="module")
def heldout(checks, solution):
    """(case, the solution's record) of the visible held-out check."""
    case = checks.cases_train_heldout(np.random.default_rng(0))[0]
    return case, json.loads(json.dumps(checks.produce_train_heldout(solution["train_char_lm"], case)))


def _calls():
    """(name, seed, function) of every check call of the source notebook's test cells, hidden ones included."""
    nb = nbformat.read(CASE.source_path, as_version=4)
    return [call for c in nb.cells if harness.is_test_cell(c) for call in trusted_judge.check_calls(c.source)]


def test_the_judge_measures_the_held_out_loss_from_the_weights(checks, heldout):
    case, record = heldout
    checks.judge_train_heldout(case, record, None)
    # The kernel's numbers say the model trained well, but the weights are those of the untrained model.
    from rnnlib.models import CharLM

    untrained = CharLM(len(checks.corpus()[0]), 32, 128, cell="gru", generator=checks._gen(0))
    forged = copy.deepcopy(record)
    forged["weights"] = {name: {"shape": list(p.shape), "float32": base64.b64encode(p.numpy().tobytes()).decode()}
                         for name, p in untrained.state_dict().items()}
    with pytest.raises(AssertionError, match=r"^loss 4\.\d+ nats per character on the held-out text"):
        checks.judge_train_heldout(case, forged, None)


def test_the_recorded_weights_are_the_trained_model_exactly(checks, solution, heldout):
    case, record = heldout
    model, _ = checks.trained_lm(solution["train_char_lm"])
    val_data = checks.corpus()[2]
    assert checks.heldout_loss(checks._model_from(record["weights"]), val_data) == checks.heldout_loss(model, val_data)
    assert checks.heldout_loss(model, val_data) < 2.3


@pytest.mark.parametrize("damage", ["a tensor left out", "a wrong shape", "not base64", "too few bytes", "no weights"])
def test_unreadable_weights_fail(checks, heldout, damage):
    case, record = heldout
    record = copy.deepcopy(record)
    weights = record["weights"]
    if damage == "a tensor left out":
        del weights["head.bias"]
    elif damage == "a wrong shape":
        weights["head.weight"]["shape"] = weights["head.weight"]["shape"][::-1]
    elif damage == "not base64":
        weights["head.bias"]["float32"] = "not base64!"
    elif damage == "too few bytes":
        weights["head.bias"]["float32"] = weights["head.bias"]["float32"][:-8]
    else:
        del record["weights"]
    with pytest.raises(AssertionError, match="train_char_lm: (the trained model's .* not readable|no trained model)"):
        checks.judge_train_heldout(case, record, None)


def test_every_record_fits_the_sandbox_budget(checks, solution):
    """All the records of one graded notebook (visible and hidden checks) as the kernel displays them, with room to
    spare under the sandbox's budget for records (rnn_sandbox.SandboxedExecute.max_output_bytes, 2,000,000 bytes)."""
    total = 0
    for name, seed, fn in _calls():
        cases = getattr(checks, f"cases_{name}")(np.random.default_rng(0 if seed is None else seed))
        records = [getattr(checks, f"produce_{name}")(solution[fn], case) for case in cases]
        content = {"data": {MIME: {"name": name, "seed": seed, "records": json.dumps(records)}}}
        total += len(json.dumps(content))
    assert total < 1_500_000, total


def _roundtrip(record):
    return json.loads(json.dumps(record))


def test_the_distribution_checks_are_not_vacuous(checks, solution):
    """Draws of another temperature fail every distribution case: the two-sample chi-square test tells them from
    the solution's draws. Draws from another generator state, of the right temperature, pass."""
    sample = solution["sample_with_temperature"]
    for seed in (0, 5002, 5003):
        for case in checks.cases_sample_temperature(np.random.default_rng(seed)) + checks.cases_sample_distribution(
                np.random.default_rng(seed)):
            if case["expect"] != "counts":
                continue
            reference = _roundtrip(checks.produce_sample_with_temperature(sample, case))
            other_seed = _roundtrip(checks.produce_sample_with_temperature(sample, {**case, "seed": case["seed"] + 1}))
            checks.judge_sample_with_temperature(case, other_seed, reference)
            wrong = {**case, "temperature": case["temperature"] * 1.6}
            with pytest.raises(AssertionError, match="do not follow"):
                checks.judge_sample_with_temperature(
                    case, _roundtrip(checks.produce_sample_with_temperature(sample, wrong)), reference)


def test_a_tensor_where_a_float_is_due_and_a_list_where_ids_are_due_fail(solution):
    check = solution["check"]
    with pytest.raises(AssertionError, match=r"return a Python float \(float\(...\)\), got a torch tensor"):
        check("perplexity_torch", lambda *args: __import__("torch").tensor(solution["perplexity"](*args)))
    with pytest.raises(AssertionError, match="return a torch tensor, got list"):
        check("sample_greedy", lambda *args: solution["sample_with_temperature"](*args).tolist())
    with pytest.raises(AssertionError, match="the losses should be numbers"):
        check("train_chunks", lambda *args: [np.array(v) for v in solution["train_char_lm"](*args)])
