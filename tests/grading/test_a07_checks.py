"""What is particular to a07's checks (solutions/a07/a07_checks.py): models named by plain data, prefixes recorded.

The decoders take a function, next_log_probs, which a record cannot hold: a case names its model by a small dict
and the checker builds it on both sides. So the notebook's own models must be the checker's, the solution (whose
records are the references) must give what the definitions give (a07_diagnoses.py, an exhaustive enumeration,
torch), every case must be able to tell the mistakes it is there for apart from the right answer, the record of
the prefixes asked must be read with care, and the students' copy, without the diagnoses, must still say what is
wrong and where. The generic tests (test_checks.py, test_tampering.py) cover the rest.
"""

import json

import numpy as np
import pytest
import torch

import harness
from rnnlib.checking import encode

CASE = harness.load_case("a07")
SEEDS = {"greedy_toy": 7101, "greedy_random": 7102, "beam_toy": 7201, "beam_length": 7202, "beam_exhaustive": 7203,
         "beam_pruning": 7204, "attention_shapes": 7301, "attention_mask": 7302, "attention_values": 7303}
FUNCTION = {"greedy": "greedy_decode", "beam": "beam_search", "attention": "additive_attention"}


def test_the_notebooks_models_are_the_checkers(checks, solution):
    """The setup cell's toy and random models, which the student tries things on, are those the checks build."""
    toy, mine = solution["toy_next_log_probs"], checks.model(checks.toy())
    for prefix in ([3], [3, 1], [3, 2], [3, 1, 1], [3, 2, 1, 2], [3, 1, 2, 1, 1]):
        assert np.array_equal(toy(prefix), mine(prefix))
    theirs = solution["random_model"](4, 5, 5, 1, eos_bias=-2.0)
    mine = checks.model(checks.random_spec(4, 5, 5, 1, -2.0))
    for prefix in ([5], [5, 0], [5, 3, 2, 4]):
        assert np.array_equal(theirs(prefix), mine(prefix))
    with pytest.raises(ValueError, match="continues after eos"):
        mine([5, 1, 2])


def torch_attention(case, keys="keys", values="values"):
    """additive_attention's equations in torch, float64: (context (B, Hv), weights (S, B))."""
    q, k, val = (torch.from_numpy(np.ascontiguousarray(case[n])) for n in ("query", keys, values))
    W_query, W_key, v = (torch.from_numpy(case[n]) for n in ("W_query", "W_key", "v"))
    e = torch.tanh(torch.nn.functional.linear(k, W_key) + torch.nn.functional.linear(q, W_query)) @ v  # (S, B)
    w = torch.softmax(e.masked_fill(~torch.from_numpy(case["mask"]), float("-inf")), dim=0)  # (S, B)
    return torch.einsum("sb,sbh->bh", w, val).numpy(), w.numpy()


def by_definition(checks, diagnoses, name, case):
    """The record the definitions give on ``case``: greedy and beam from a07_diagnoses, the exhaustive beam by
    enumeration, attention in torch."""
    record = {"error": None, "modified": []}
    if name.startswith("greedy"):
        record["returned"] = encode(diagnoses.greedy(checks.model, case))
    elif name == "beam_exhaustive":
        record["returned"] = encode(tuple(diagnoses.exhaustive(checks.model, case)))
    elif name.startswith("beam"):
        prefixes = []
        record["returned"] = encode(diagnoses.beam(checks.model, case, prefixes=prefixes))
        record["prefixes"] = [list(p) for p in sorted({tuple(p) for p in prefixes})]
    else:
        record["returned"] = encode(torch_attention(case))
        if "keys_padded" in case:
            record["padded"] = {"error": None, "modified": [],
                                "returned": encode(torch_attention(case, "keys_padded", "values_padded"))}
    return json.loads(json.dumps(record))


@pytest.mark.parametrize("name", list(SEEDS))
def test_the_solutions_records_are_what_the_definitions_give(checks, diagnoses, solution, name):
    """The solution's records are the references (released for Validate, computed by the grader): each passes
    its judge against the definitions' record, and the definitions' record against it."""
    fn = solution[FUNCTION[name.split("_")[0]]]
    judge = getattr(checks, f"judge_{name}")
    for seed in (0, SEEDS[name]):
        for case in getattr(checks, f"cases_{name}")(np.random.default_rng(seed)):
            json.dumps(case, default=lambda a: a.tolist())  # cases are plain data too
            record = json.loads(json.dumps(getattr(checks, f"produce_{name}")(fn, case)))
            definition = by_definition(checks, diagnoses, name, case)
            judge(case, record, definition)
            judge(case, definition, record)
            if name.startswith("beam") and name != "beam_exhaustive":
                assert record["prefixes"] == definition["prefixes"]


def test_the_diagnoses_attention_is_torchs(checks, diagnoses):
    for case in checks.cases_attention_values(np.random.default_rng(SEEDS["attention_values"])):
        for mine, torchs in zip(diagnoses.attention(**case), torch_attention(case)):
            np.testing.assert_allclose(mine, torchs, rtol=1e-12, atol=1e-14)


def test_the_beam_cases_tell_the_mistakes_apart(checks, diagnoses):
    """Every beam mistake the judge can name changes the result of at least one case of the hidden seeds."""
    seen = set()
    for name in ("beam_toy", "beam_length", "beam_exhaustive", "beam_pruning"):
        for case in getattr(checks, f"cases_{name}")(np.random.default_rng(SEEDS[name])):
            right = diagnoses.beam(checks.model, case)
            for mistake in diagnoses.MISTAKES:
                if diagnoses.beam(checks.model, case, mistake=mistake) != right:
                    seen.add(mistake)
    assert seen == set(diagnoses.MISTAKES)


def test_the_shrinking_case_asks_four_prefixes(checks, solution):
    case = next(c for c in checks.cases_beam_pruning(np.random.default_rng(0)) if c.get("exact_calls"))
    assert checks.produce_beam_pruning(solution["beam_search"], case)["prefixes"] == [[3], [3, 1], [3, 1, 1], [3, 2]]


def test_the_exhaustive_beams_are_wide_enough(checks):
    for case in checks.cases_beam_exhaustive(np.random.default_rng(SEEDS["beam_exhaustive"])):
        V = 3 if case["model_spec"]["kind"] == "toy" else case["model_spec"]["V"]
        assert case["beam_width"] > sum(V ** t for t in range(1, case["max_len"] + 1))


def test_outputs_of_another_form(checks, solution):
    greedy = solution["greedy_decode"]
    case = checks.cases_greedy_toy(np.random.default_rng(0))[0]
    reference = json.loads(json.dumps(checks.produce_greedy_toy(greedy, case)))

    def as_array(*args):
        tokens, lp = greedy(*args)
        return np.array(tokens), np.float64(lp)

    checks.judge_greedy_toy(case, checks.produce_greedy_toy(as_array, case), reference)
    with pytest.raises(AssertionError, match="greedy_decode's tokens should be a list of token ids"):
        checks.judge_greedy_toy(case, checks.produce_greedy_toy(lambda *a: ("a <eos>", 0.0), case), reference)
    with pytest.raises(AssertionError, match="should return 2 values"):
        checks.judge_greedy_toy(case, checks.produce_greedy_toy(lambda *a: greedy(*a)[0], case), reference)


def test_extending_a_finished_hypothesis_is_reported_by_the_model(checks, solution):
    def past_eos(next_log_probs, bos, eos, max_len):
        tokens, lp = solution["greedy_decode"](next_log_probs, bos, eos, max_len)
        next_log_probs([bos, *tokens])
        return tokens, lp

    case = checks.cases_greedy_toy(np.random.default_rng(0))[0]
    with pytest.raises(AssertionError, match="raised ValueError: the prefix .* continues after eos = 0"):
        checks.judge_greedy_toy(case, checks.produce_greedy_toy(past_eos, case),
                                checks.produce_greedy_toy(solution["greedy_decode"], case))


@pytest.mark.parametrize("prefixes", [None, "x", [[3, "a"]], [3]])
def test_an_unreadable_record_of_the_prefixes_fails(checks, solution, prefixes):
    case = checks.cases_beam_pruning(np.random.default_rng(0))[0]
    reference = checks.produce_beam_pruning(solution["beam_search"], case)
    record = {**reference, "prefixes": prefixes}
    with pytest.raises(AssertionError, match="unreadable record of the prefixes"):
        checks.judge_beam_pruning(case, json.loads(json.dumps(record)), reference)


def test_a_visible_check_prints_one_line(check, solution, capsys):
    check("beam_pruning", solution["beam_search"])
    assert capsys.readouterr().out == ("beam_search: the beam is pruned to beam_width, shrinks as hypotheses finish, "
                                       "and respects max_len\n")
    check("beam_pruning", solution["beam_search"], seed=SEEDS["beam_pruning"])  # a hidden test: no reference here
    assert capsys.readouterr().out == "beam_pruning: recorded; it is judged when your work is graded\n"
