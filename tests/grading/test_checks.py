"""Every assignment judged outside the student's process, checked as the trusted judge grades it, without nbgrader.

For each assignment with a checker module (solutions/<a>/<a>_checks.py) and its case file (cases/<a>.py): the
solution's notebook runs in this process (setup and answer cells, notebook_run.py), and so does each made-up
student's; every check call of the instructor's test cells produces its records from the student's functions, and
grading/judge/trusted_judge.py's ``judge_cell`` judges them against the solution's records, cell by cell, as it
does while grading. So the hint tests below assert what a student would read in the feedback.

What each assignment must show: its test cells are check calls only, each naming a check its module defines (and
each visible one a reference for Validate); the solution and the alternative pass every cell; every WRONG mutant
fails exactly the cells of its FAILURES entry, each with a message naming the cause; records are plain data that
survive JSON; the references computed in the student's kernel agree with the solution's records; a missing or
unreadable record fails. What is particular to one assignment lives in test_<a>_checks.py.
"""

from __future__ import annotations

import functools
import json

import nbformat
import numpy as np
import pytest

import harness
import notebook_run
import trusted_judge
from rnnlib.checking import MIME

ASSIGNMENTS = [a for a in harness.assignments() if harness.load_case(a).checker_path.is_file()]


@functools.cache
def cells_of(assignment: str) -> list[tuple[str, list[tuple[str, int | None, str]]]]:
    """[(test cell grade_id, its check calls (name, seed, function name))], read from the instructor's notebook."""
    source = nbformat.read(harness.load_case(assignment).source_path, as_version=4)
    return [(c.metadata.nbgrader["grade_id"], trusted_judge.check_calls(c.source))
            for c in source.cells if trusted_judge.is_test_cell(c)]


@functools.cache
def ported(assignment: str):
    """(case, checker module, cells_of, the solution's namespace: setup and answer cells run)."""
    case = harness.load_case(assignment)
    namespace, _ = notebook_run.run(case, tests=False)
    return case, trusted_judge.load_checker(case.checker_path), cells_of(assignment), namespace


def cases_of(checker, name: str, seed: int | None) -> list[dict]:
    return getattr(checker, f"cases_{name}")(np.random.default_rng(0 if seed is None else seed))


def records(checker, name: str, seed: int | None, fn) -> list[dict]:
    """What the student's kernel displays for one check call, through JSON as nbgrader stores it."""
    produce = getattr(checker, f"produce_{name}")
    return json.loads(json.dumps([produce(fn, case) for case in cases_of(checker, name, seed)]))


@functools.cache
def solution_references(assignment: str) -> dict[str, list]:
    """The grader's references: the solution's records of every check call (references.py, in this process)."""
    case, checker, cells, solution = ported(assignment)
    return {trusted_judge.key(name, seed): records(checker, name, seed, solution[fn])
            for _, calls in cells for name, seed, fn in calls}


def verdicts(assignment: str, replacements: dict[str, str]) -> dict[str, str | None]:
    """Test cell grade_id -> None if the judge passes it, else the message it writes into the feedback."""
    case, checker, cells, _ = ported(assignment)
    namespace, _ = notebook_run.run(case, replacements, tests=False)
    refs = solution_references(assignment)
    results = {}
    for grade_id, calls in cells:
        outputs = []
        for name, seed, fn in calls:
            outputs.append({"output_type": "display_data", "data": {MIME: {
                "name": name, "seed": seed, "records": json.dumps(records(checker, name, seed, namespace[fn]))}}})
        _, failure, _ = trusted_judge.judge_cell(nbformat.from_dict({"outputs": outputs}), calls, checker, refs)
        results[grade_id] = failure
    return results


def points(case: harness.Case, results: dict[str, str | None]) -> float:
    return notebook_run.points(case, results)


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_every_test_cell_is_check_calls_only(assignment):
    case, checker, cells, _ = ported(assignment)
    source = nbformat.read(case.source_path, as_version=4)
    hidden_seeds = []
    for cell in (c for c in source.cells if trusted_judge.is_test_cell(c)):
        code = [line.strip() for line in cell.source.splitlines() if line.strip() and not line.strip().startswith("#")]
        calls = trusted_judge.check_calls(cell.source)
        assert calls and len(code) == len(calls), f"{cell.metadata.nbgrader['grade_id']}: {cell.source}"
        for name, seed, _ in calls:
            for part in ("cases", "produce", "judge") + (("reference",) if seed is None else ()):
                assert callable(getattr(checker, f"{part}_{name}", None)), f"{case.checker_path.name}: {part}_{name}"
            if seed is not None:
                hidden_seeds.append(seed)
    assert len(hidden_seeds) == len(set(hidden_seeds)), f"{assignment}: hidden tests share a seed"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_solution_and_alternative_pass_every_cell(assignment):
    case = ported(assignment)[0]
    for replacements in ({}, case.alternative):
        results = verdicts(assignment, replacements)
        assert results and all(v is None for v in results.values()), results


def each_mutant():
    for assignment in ASSIGNMENTS:
        for mutant in harness.load_case(assignment).wrong:
            yield pytest.param(assignment, mutant, id=f"{assignment}-{harness.slug(mutant)}")


@pytest.mark.parametrize("assignment,mutant", list(each_mutant()))
def test_each_mistake_is_named_by_its_cause(assignment, mutant):
    case = ported(assignment)[0]
    assert mutant in case.failures, f"cases/{assignment}.py: FAILURES has no entry for {mutant!r}"
    results = verdicts(assignment, case.wrong[mutant])
    failing = {cell: message for cell, message in results.items() if message is not None}
    assert set(failing) == set(case.failures[mutant]), failing
    for cell, expected in case.failures[mutant].items():
        assert expected in failing[cell], f"{cell}: {failing[cell]}"
    assert 0 < points(case, results) < case.autograded_points
    # Validate, in the student's kernel, judges the visible checks (and hidden ones with in-kernel references)
    # against its own references: it may pass a cell the grader fails, never fail one for another reason.
    in_kernel = {cell: m for cell, m in notebook_run.verdicts(case, case.wrong[mutant]).items() if m is not None}
    assert set(in_kernel) <= set(failing), in_kernel
    for cell, message in in_kernel.items():
        assert message.startswith("AssertionError: ") and case.failures[mutant][cell] in message, f"{cell}: {message}"


def each_call():
    for assignment in ASSIGNMENTS:
        for _, calls in cells_of(assignment):
            for name, seed, fn in calls:
                yield pytest.param(assignment, name, seed, fn, id=f"{assignment}-{name}-{seed}")


@pytest.mark.parametrize("assignment,name,seed,fn", list(each_call()))
def test_the_kernels_references_agree_with_the_solutions_records(assignment, name, seed, fn):
    """Validate (no grader present) judges against references computed in the kernel; the grader against the
    solution's records. Both must agree, for the visible checks (which have in-kernel references)."""
    case, checker, _, solution = ported(assignment)
    reference = getattr(checker, f"reference_{name}", None)
    judge = getattr(checker, f"judge_{name}")
    for case_, record in zip(cases_of(checker, name, seed), records(checker, name, seed, solution[fn])):
        judge(case_, record, record)
        if reference is not None:
            judge(case_, record, json.loads(json.dumps(reference(case_))))


UNREADABLE = [None, [], {"returned": None}, {"returned": {"t": "array", "v": "x"}, "error": None, "modified": []},
              {"returned": {"t": "object", "type": "torch.Tensor"}, "error": None, "modified": []}]


@pytest.mark.parametrize("assignment,name,seed,fn", list(each_call()))
def test_a_missing_or_unreadable_record_fails(assignment, name, seed, fn):
    _, checker, _, _ = ported(assignment)
    first = cases_of(checker, name, seed)[0]
    reference = solution_references(assignment)[trusted_judge.key(name, seed)][0]
    for record in UNREADABLE:
        with pytest.raises(AssertionError):
            getattr(checker, f"judge_{name}")(first, record, reference)
