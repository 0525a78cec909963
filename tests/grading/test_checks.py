"""Every assignment judged outside the student's process, checked as the trusted judge grades it, without nbgrader.

For each assignment with a checker module (solutions/<a>/<a>_checks.py) and its case file (cases/<a>.py): the
solution's notebook runs in this process (setup and answer cells, notebook_run.py), and so does each made-up
student's; every check call of the instructor's test cells produces its records from the student's functions, and
grading/judge/trusted_judge.py's ``judge_cell`` judges them against the solution's records, cell by cell, as it
does while grading. So the hint tests below assert what a student would read in the feedback.

What each assignment must show: its test cells are check calls only, each naming a check its module defines (and
each visible one a released reference for Validate); the solution and the alternative pass every cell; every WRONG
mutant fails exactly the cells of its FAILURES entry, each with a message naming the cause; Validate with the
students' copy fails no other cell, and for the mistakes of VALIDATE says where, not why; records are plain data
that survive JSON; the released references are the solution's records; a missing or unreadable record fails; the
students' copy holds no working answer: no diagnoses module, and no function of its checker module passes the
checks of a function students write. What is particular to one assignment lives in test_<a>_checks.py.
"""

from __future__ import annotations

import ast
import functools
import inspect
import json

import nbformat
import numpy as np
import pytest

import harness
import notebook_run
import references
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
            for part in ("cases", "produce", "judge"):
                assert callable(getattr(checker, f"{part}_{name}", None)), f"{case.checker_path.name}: {part}_{name}"
            if seed is None:
                assert trusted_judge.key(name, seed) in harness.released_references(assignment), \
                    f"{assignment}: no released reference for {name}: run `make exercises`"
            else:
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
    # Validate, in the student's kernel with the students' copy of the checker module (no diagnoses), judges the
    # visible checks against the released references: it may pass a cell the grader fails (a hidden test), never
    # fail one the grader passes.
    in_kernel = {cell: m for cell, m in notebook_run.verdicts(case, case.wrong[mutant], release(assignment)).items()
                 if m is not None}
    assert set(in_kernel) <= set(failing), in_kernel
    for cell, message in in_kernel.items():
        assert message.startswith("AssertionError: ") and len(message) > 30, f"{cell}: {message}"


def each_validate_case():
    for assignment in ASSIGNMENTS:
        for mutant in harness.load_case(assignment).validate:
            yield pytest.param(assignment, mutant, id=f"{assignment}-{harness.slug(mutant)}")


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_the_case_file_shows_what_validate_says(assignment):
    assert len(ported(assignment)[0].validate) >= 3, f"cases/{assignment}.py: VALIDATE needs three mistakes or more"


@pytest.mark.parametrize("assignment,mutant", list(each_validate_case()))
def test_validate_says_where_and_the_feedback_why(assignment, mutant):
    """Validate with the students' copy (exercises/<a>/, no diagnoses beside its checker module) says where the
    numbers are wrong and names no cause; the grader, with the instructor's copy, names the cause (FAILURES, asserted
    by test_each_mistake_is_named_by_its_cause)."""
    case = ported(assignment)[0]
    in_kernel = notebook_run.verdicts(case, case.wrong[mutant], release(assignment))
    for cell, where in case.validate[mutant].items():
        message, cause = in_kernel[cell], case.failures[mutant][cell]
        assert message is not None and where in message and cause not in message, f"{cell}: {message}"


def release(assignment: str):
    return harness.ROOT / "exercises" / assignment


def each_call():
    for assignment in ASSIGNMENTS:
        for _, calls in cells_of(assignment):
            for name, seed, fn in calls:
                yield pytest.param(assignment, name, seed, fn, id=f"{assignment}-{name}-{seed}")


@pytest.mark.parametrize("assignment,name,seed,fn", [c for c in each_call() if c.values[2] is None])
def test_the_released_references_are_the_solutions_records(assignment, name, seed, fn):
    """Validate judges against the released references, the grader against the solution's records: the same (to
    rounding, which may differ on another machine), except for what no visible judge reads (NOT_RELEASED)."""
    _, checker, _, _ = ported(assignment)
    released = harness.released_references(assignment)[trusted_judge.key(name, seed)]
    solution = solution_references(assignment)[trusted_judge.key(name, seed)]
    harness.assert_same_data(released, references.released(solution, checker), f"{assignment}_references.json, {name}",
                             **harness.reference_tolerance(assignment))
    for case_, record, reference in zip(cases_of(checker, name, seed), solution, released):
        getattr(checker, f"judge_{name}")(case_, record, reference)


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


@functools.cache
def released_checker(assignment: str):
    return trusted_judge.load_checker(release(assignment) / f"{assignment}_checks.py")


def candidates(module) -> dict[str, object]:
    """Every function the module defines, at its top level or inside its top-level dicts, lists and tuples."""
    found = {}
    for name, value in vars(module).items():
        values = value.values() if isinstance(value, dict) else value if isinstance(value, (list, tuple)) else [value]
        for v in values:
            if inspect.isfunction(v) and v.__module__ == module.__name__:
                found.setdefault(v.__name__ if v.__name__ != "<lambda>" else f"{name}[lambda]", v)
    return found


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_the_students_copy_holds_no_working_answer(assignment):
    """What students get beside the notebook is the checker module and the visible references: no diagnoses
    module, and no function of the checker module passes all the checks of a function students write, except
    what the notebook itself imports from it to give students (the forward pass they differentiate, torch's CTC
    to compare with)."""
    assert not list(release(assignment).glob("*_diagnoses.py"))
    assert not list(release(assignment).glob("*.pyc"))
    checker = released_checker(assignment)
    assert getattr(checker, "DIAGNOSES", None) is None, "the students' copy found diagnoses beside it"
    diagnosis = getattr(ported(assignment)[1], "DIAGNOSES", None)
    if diagnosis is not None:
        shared = {n for n, v in vars(diagnosis).items() if inspect.isfunction(v) and v.__module__ == diagnosis.__name__}
        assert not shared & set(candidates(checker)), f"defined in both the checker and its diagnoses: {shared}"
    calls_by_function = {}
    for _, calls in cells_of(assignment):
        for name, seed, fn in calls:
            calls_by_function.setdefault(fn, []).append((name, seed))
    refs = solution_references(assignment)
    given = given_names(assignment)
    passing = []
    for fn, calls in calls_by_function.items():
        for label, candidate in candidates(checker).items():
            if label in given:
                continue
            if all(_passes(checker, name, seed, candidate, refs[trusted_judge.key(name, seed)])
                   for name, seed in calls):
                passing.append(f"{label} passes every check of {fn}")
    assert not passing, passing


def given_names(assignment: str) -> set[str]:
    """What the released notebook imports from its checker module on purpose (e.g. torch's CTC, to compare with)."""
    names = set()
    for cell in nbformat.read(next(release(assignment).glob("*.ipynb")), as_version=4).cells:
        if cell.cell_type == "code":
            try:
                tree = ast.parse(cell.source)
            except SyntaxError:
                continue
            names |= {a.name for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
                      and node.module == f"{assignment}_checks" for a in node.names}
    return names


def _passes(checker, name, seed, fn, reference) -> bool:
    try:
        for case_, record, ref in zip(cases_of(checker, name, seed), records(checker, name, seed, fn), reference):
            getattr(checker, f"judge_{name}")(case_, record, ref)
    except Exception:  # a candidate called with arguments it was not written for fails however it fails
        return False
    return True
