"""The trusted judge (grading/judge/trusted_judge.py) and the records it reads (rnnlib/checking.py), without nbgrader.

A notebook as the sandbox leaves it (test cells with the records their checks displayed) goes through
``TrustedJudge.preprocess``; the test cells' outputs must then say what the judge decided, whatever the records
claimed.
"""

from __future__ import annotations

import copy
import json

import nbformat
import numpy as np
import pytest

import harness
import trusted_judge
from rnnlib import checking

CASE = harness.load_case("a01")
SOURCE = nbformat.read(CASE.source_path, as_version=4)
CHECKER = trusted_judge.load_checker(CASE.source_path.parent / "a01_checks.py")


def solution_functions(replacements=None) -> dict:
    namespace = {"np": np}
    code = {nbgrader: src for nbgrader, src in harness.answers(CASE).items()
            if any(harness.is_code_answer(c) and harness.nbgrader_meta(c)["grade_id"] == nbgrader
                   for c in SOURCE.cells)}
    for source in {**code, **(replacements or {})}.values():
        exec(source, namespace)
    return namespace


def sandboxed(functions: dict) -> nbformat.NotebookNode:
    """The source notebook with every test cell's outputs as the student's kernel would display them."""
    nb = copy.deepcopy(SOURCE)
    for cell in nb.cells:
        if trusted_judge.is_test_cell(cell):
            cell.outputs = []
            for name, seed, fn_name in trusted_judge.check_calls(cell.source):
                cases = getattr(CHECKER, f"cases_{name}")(np.random.default_rng(0 if seed is None else seed))
                records = [getattr(CHECKER, f"produce_{name}")(functions[fn_name], c) for c in cases]
                cell.outputs.append(record_output(name, seed, records))
    return nb


def record_output(name, seed, records):
    return nbformat.v4.new_output("display_data", data={
        checking.MIME: {"name": name, "seed": seed, "records": json.dumps(records)}, "text/plain": "records"})


def judged(nb) -> dict[str, list]:
    judge = trusted_judge.TrustedJudge(solutions=str(harness.ROOT / "solutions"))
    nb, _ = judge.preprocess(nb, {"nbgrader": {"assignment": "a01", "notebook": CASE.notebook_id}})
    return {harness.nbgrader_meta(c)["grade_id"]: c.outputs for c in nb.cells if trusted_judge.is_test_cell(c)}


def errors(outputs) -> list[str]:
    return [o["evalue"] for o in outputs if o["output_type"] == "error"]


@pytest.fixture(scope="module")
def solution_nb():
    return sandboxed(solution_functions())


def test_the_solution_gets_success_lines_only(solution_nb):
    for grade_id, outputs in judged(copy.deepcopy(solution_nb)).items():
        assert [o["output_type"] for o in outputs] == ["stream"], (grade_id, outputs)
        assert "records" not in outputs[0]["text"]


def test_a_mistake_gets_the_judges_message():
    outputs = judged(sandboxed(solution_functions(CASE.wrong["bias missing"])))
    assert errors(outputs["test-neuron-step-values"])[0].startswith("h looks like tanh(w h_prev + u x)")
    assert not errors(outputs["test-neuron-forward-values"])


def test_records_claiming_more_are_not_believed(solution_nb):
    nb = copy.deepcopy(solution_nb)
    cell = next(c for c in nb.cells if harness.nbgrader_meta(c).get("grade_id") == "test-neuron-step-torch")
    cell.outputs.pop()  # the hidden check's record is missing
    cell.outputs.append(nbformat.v4.new_output("stream", name="stdout", text="neuron_step matches torch.nn.RNNCell\n"))
    assert "did not record its results" in errors(judged(nb)["test-neuron-step-torch"])[0]


@pytest.mark.parametrize("forge", ["wrong seed", "extra record", "junk json", "too few records", "opaque value",
                                   "lying type tag"])
def test_forged_records_fail(solution_nb, forge):
    nb = copy.deepcopy(solution_nb)
    cell = next(c for c in nb.cells if harness.nbgrader_meta(c).get("grade_id") == "test-neuron-step-values")
    entry = cell.outputs[0]["data"][checking.MIME]
    records = json.loads(entry["records"])
    if forge == "wrong seed":
        entry["seed"] = 1
    elif forge == "extra record":
        cell.outputs.append(copy.deepcopy(cell.outputs[0]))
    elif forge == "junk json":
        entry["records"] = "{not json"
    elif forge == "too few records":
        entry["records"] = json.dumps(records[:1])
    elif forge == "opaque value":
        records[0]["returned"] = checking.encode((object(), object()))
        entry["records"] = json.dumps(records)
    else:
        records[0]["returned"] = {"t": "tuple", "v": [{"t": "array", "dtype": "<U3", "shape": [], "v": ["a"]}] * 2}
        entry["records"] = json.dumps(records)
    assert errors(judged(nb)["test-neuron-step-values"]), forge


def test_the_sandboxs_reason_is_kept_when_a_record_is_missing(solution_nb):
    nb = copy.deepcopy(solution_nb)
    cell = next(c for c in nb.cells if harness.nbgrader_meta(c).get("grade_id") == "test-fixed-point-hard")
    cell.outputs = [nbformat.v4.new_output("error", ename="KernelDied", evalue="The kernel stopped", traceback=[])]
    assert errors(judged(nb)["test-fixed-point-hard"]) == ["The kernel stopped"]


def test_a_tampering_report_is_never_turned_into_a_pass(solution_nb):
    nb = copy.deepcopy(solution_nb)
    cell = next(c for c in nb.cells if harness.nbgrader_meta(c).get("grade_id") == "test-fixed-point-hard")
    cell.outputs.append(nbformat.v4.new_output("error", ename="GradingIntegrityError", evalue="x was replaced",
                                               traceback=[]))
    assert errors(judged(nb)["test-fixed-point-hard"]) == ["x was replaced"]


@pytest.mark.parametrize("value", [1.5, np.float64(2.0), 3, True, np.bool_(False), "s", None,
                                   np.arange(6).reshape(2, 3), np.ones((0, 2)), (1.0, np.zeros(2)), [1, 2]])
def test_records_round_trip(value):
    back = checking.decode(json.loads(json.dumps(checking.encode(value))))
    expected = bool if type(value) is np.bool_ else type(value)  # numpy's bools come back as Python's
    assert type(back) is expected or (isinstance(value, np.ndarray) and back.dtype == value.dtype)
    if isinstance(value, np.ndarray):
        assert back.shape == value.shape and np.array_equal(back, value)


def test_subclasses_are_named_not_trusted():
    class Lying(np.ndarray):
        def __eq__(self, other):
            return np.ones(self.shape, bool)

    assert isinstance(checking.decode(checking.encode(np.zeros(3).view(Lying))), checking.Opaque)


def test_dicts_of_gradients_round_trip_and_other_mappings_are_named():
    from collections import OrderedDict

    grads = {"x": np.ones((2, 3)), "bias": np.zeros(3), "scale": 2.0}
    back = checking.decode(json.loads(json.dumps(checking.encode(grads))))
    assert type(back) is dict and list(back) == list(grads)
    assert all(np.array_equal(back[k], grads[k]) for k in grads)
    for other in (OrderedDict(grads), {1: np.ones(2)}, {("x",): 1.0}):
        assert isinstance(checking.decode(checking.encode(other)), checking.Opaque)
    for forged in ({"t": "dict", "v": [["x", {"t": "none"}]]}, {"t": "dict", "v": {"x": {"t": "tensor"}}}):
        with pytest.raises(checking.Unreadable):
            checking.decode(forged)


def test_a_failed_check_shows_its_message_alone(capsys):
    """In the student's kernel a failed check is its message, wrapped to the Validate report's width."""
    message = "h looks like tanh(w h_prev + u x): the bias b is missing " * 4
    lines = checking.CheckFailed(message)._render_traceback_()
    assert lines[0].startswith("\x1b[0;31mAssertionError\x1b[0m: h looks like")
    assert all(len(line) <= checking.WIDTH for line in lines[1:]) and len(lines) > 2
    assert " ".join(line.strip() for line in lines).endswith(message.strip())
    assert trusted_judge._error(message)["traceback"] == lines  # and so is the judge's verdict


def test_check_calls_are_read_in_order():
    source = 'check("a", f)\n### BEGIN HIDDEN TESTS\ncheck("a", f, seed=7)\ncheck("b", g, seed=8)\n'
    assert trusted_judge.check_calls(source) == [("a", None, "f"), ("a", 7, "f"), ("b", 8, "g")]


def test_references_are_computed_once_and_shared_through_the_cache(tmp_path, monkeypatch):
    """Parallel graders (one process per student) read the solution's references from the cache folder."""
    source, checker = CASE.source_path, CASE.source_path.parent / "a01_checks.py"
    calls = [("neuron_step_values", None, "neuron_step")]
    monkeypatch.setattr(trusted_judge, "_MEMORY", {})
    first = trusted_judge.references(source, checker, calls, str(tmp_path), 300)
    assert len(list(tmp_path.glob("*.json"))) == 1
    monkeypatch.setattr(trusted_judge, "_MEMORY", {})
    monkeypatch.setattr(trusted_judge.subprocess, "run", lambda *a, **k: pytest.fail("computed again"))
    assert trusted_judge.references(source, checker, calls, str(tmp_path), 300) == first


def test_check_finds_the_checker_module_beside_the_notebook(monkeypatch, capsys):
    monkeypatch.chdir(CASE.source_path.parent)
    monkeypatch.syspath_prepend(str(CASE.source_path.parent))
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    checking.check("neuron_step_values", solution_functions()["neuron_step"])
    assert capsys.readouterr().out == "neuron_step: the hand-checked values are right\n"
    with pytest.raises(AssertionError, match="the bias b is missing"):
        checking.check("neuron_step_values", solution_functions(CASE.wrong["bias missing"])["neuron_step"])


@pytest.mark.parametrize("value, message", [
    (np.zeros((4, 3)), r"has shape \(4, 3\) but should be \(3, 4\): it is transposed"),
    (np.zeros((5, 3)), r"has shape \(5, 3\) but should be \(3,\): sum over the batch"),
    ([1.0, 2.0], r"should be a numpy array of shape \(3, 4\)"),
])
def test_arrays_of_the_wrong_shape_or_kind_are_named(value, message):
    shape = (3,) if np.shape(value) == (5, 3) else (3, 4)
    with pytest.raises(AssertionError, match=message):
        checking.array(value, "db", shape)
    assert checking.array(np.ones(shape, dtype=np.float32), "db", shape).dtype == np.float64
    assert checking.close(np.ones(3), np.ones(3) * (1 + 1e-9), 1e-6) and not checking.close(np.ones(3), -np.ones(3), 0.5)
