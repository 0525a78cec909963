"""Grader proofs: every assignment with a case file grades its made-up students as it should.

Each assignment found by ``harness.assignments()`` (solutions/<aNN>/ plus tests/grading/cases/<aNN>.py) is graded
once, in a background job: validate the solution, generate the release, and grade every made-up student (the
solution, the untouched release, each WRONG mutant, the ALTERNATIVE, two students who tampered with the test
cells and, for the first assignment, one whose notebook never ends) in ONE ``nbgrader autograde`` call, in a
temporary course root. The tests below read the scores of that batch from its gradebook.

pytest-xdist's ``--dist loadfile`` keeps this file on one worker, so the batches of different assignments run
GRADING_JOBS at a time (default 2) inside it: while the tests of a01 check their scores, a02 is being graded.
"""

from concurrent.futures import ThreadPoolExecutor

import nbformat
import pytest
from traitlets.config.loader import PyFileConfigLoader

import harness

ASSIGNMENTS = harness.assignments()
CASES, CASE_ERRORS = {}, {}
for _assignment in ASSIGNMENTS:
    try:
        CASES[_assignment] = harness.load_case(_assignment)
    except Exception as error:  # a broken case file fails its own tests, not the other assignments'
        CASE_ERRORS[_assignment] = error
GRADED = sorted(CASES)
WRONG = [(a, name) for a in GRADED for name in CASES[a].wrong]
# Every assignment grades a student whose notebook never ends. The first is stopped by a timeout lowered to
# 20 s, which keeps the suite quick; the others by the course's real timeout, proving the configured value.
QUICK_LOOP_TIMEOUT = {a: 20 for a in GRADED[:1]}


@pytest.fixture(scope="module")
def batches(request, tmp_path_factory):
    """Start grading every assignment this session's tests need; yield assignment -> future Batch."""
    needed = sorted({item.callspec.params["assignment"] for item in request.session.items
                     # nbval's notebook cells in the same session have no module.
                     if getattr(item, "module", None) is request.module and hasattr(item, "callspec")
                     and item.callspec.params.get("assignment") in CASES})
    pool = ThreadPoolExecutor(max_workers=harness.jobs())
    futures = {a: pool.submit(harness.grade_batch, tmp_path_factory.mktemp(f"course-{a}"), CASES[a],
                              with_loop=True, loop_timeout=QUICK_LOOP_TIMEOUT.get(a)) for a in needed}
    yield futures
    pool.shutdown(wait=True, cancel_futures=True)


@pytest.fixture
def batch(batches, assignment):
    return batches[assignment].result()


def score_table(batch) -> str:
    return "\n".join(f"  {s:40s} {sc.code:5g} / {sc.max_code:g}" for s, sc in sorted(batch.scores.items()))


# ------------------------------------------------------------------------------------- static checks, no grading

def test_every_assignment_has_a_case_file():
    sources = sorted(p.name for p in (harness.ROOT / "solutions").glob("a[0-9][0-9]") if p.is_dir())
    missing = [a for a in sources if not (harness.CASES / f"{a}.py").is_file()]
    assert not missing, f"write tests/grading/cases/<aNN>.py for {missing} (format: the shared exercise spec)"


def test_real_config_stops_a_cell_within_a_minute():
    config = PyFileConfigLoader("nbgrader_config.py", path=str(harness.ROOT)).load_config()
    assert 0 < harness.course_timeout() <= 60, "nbgrader_config.py must set c.Execute.timeout to at most 60 s"
    assert config.Execute.interrupt_on_timeout is True, "a timed-out cell must be interrupted, not kill the kernel"


def test_real_config_puts_deleted_test_cells_back():
    config = PyFileConfigLoader("nbgrader_config.py", path=str(harness.ROOT)).load_config()
    assert config.OverwriteCells.add_missing_cells is True, (
        "nbgrader_config.py must set c.OverwriteCells.add_missing_cells = True: without it nbgrader 0.9 gives a "
        "deleted test cell 0 points and leaves it 'needs manual grading' forever")


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_case_file_describes_the_notebook(assignment):
    assert assignment not in CASE_ERRORS, f"cases/{assignment}.py does not load: {CASE_ERRORS.get(assignment)!r}"
    case = CASES[assignment]
    assert case.source_path.is_file(), f"NOTEBOOK = {case.notebook!r} is not in solutions/{assignment}/"
    nb = nbformat.read(case.source_path, as_version=4)
    meta = [harness.nbgrader_meta(c) for c in nb.cells]
    code_answers = {m["grade_id"] for c, m in zip(nb.cells, meta) if harness.is_code_answer(c)}
    test_points = sum(m.get("points", 0) for c, m in zip(nb.cells, meta) if harness.is_test_cell(c))
    manual_points = sum(m.get("points", 0) for c, m in zip(nb.cells, meta)
                        if (m.get("grade") and m.get("solution")) or m.get("task"))
    assert case.autograded_points == test_points, f"the test cells hold {test_points} points"
    assert case.manual_points == manual_points, f"the manually graded cells hold {manual_points} points"
    assert len(case.wrong) >= 3, "write at least three realistic WRONG submissions"
    assert len({harness.slug(name) for name in case.wrong}) == len(case.wrong), "two WRONG names give one id"
    solved = harness.answers(case)
    for name, replacement in case.wrong.items():
        assert replacement and set(replacement) <= code_answers, f"WRONG[{name!r}] names no code answer cell"
        assert any(src.strip() != solved[g].strip() for g, src in replacement.items()), f"{name!r} is the solution"
    assert set(case.alternative) == code_answers, "ALTERNATIVE must rewrite every code answer cell"


@pytest.mark.parametrize("assignment", GRADED)
def test_deleted_graded_cells_can_be_put_back(assignment):
    blockers = harness.restore_blockers(nbformat.read(CASES[assignment].source_path, as_version=4))
    assert not blockers, (
        "nbgrader cannot restore these graded cells if a student deletes them (the student's notebook then fails "
        f"to grade): {blockers}. Make the cell before each of them an answer or test cell, or an ordinary cell "
        "without nbgrader metadata.")


# ----------------------------------------------------------------------------------------- the graded batch

@pytest.mark.parametrize("assignment", GRADED)
def test_solution_passes_nbgrader_validate(batch):
    assert "Success! Your notebook passes all the tests." in batch.validate.stdout, batch.log(batch.validate)


@pytest.mark.parametrize("assignment", GRADED)
def test_autograde_grades_every_submission(batch):
    assert batch.generate.returncode == 0, batch.log(batch.generate)
    assert batch.autograde.returncode == 0, batch.log()
    missing = sorted(set(batch.students) - set(batch.scores))
    assert not missing, f"no grade for {missing}\n{batch.log()}"
    for student, score in batch.scores.items():
        assert score.max_code == batch.case.autograded_points, f"{student}: {score}"
        assert score.max_written == batch.case.manual_points, f"{student}: {score}"


@pytest.mark.parametrize("assignment", GRADED)
def test_released_notebook_scores_zero(batch):
    assert batch.scores["release"].code == 0, "a test cell passes on the stub:\n" + score_table(batch)


@pytest.mark.parametrize("assignment", GRADED)
def test_solution_scores_full_marks(batch):
    assert batch.scores["solution"].code == batch.case.autograded_points, score_table(batch)


@pytest.mark.parametrize("assignment, mutant", WRONG)
def test_wrong_submission_gets_partial_credit(batch, mutant):
    score = batch.scores[harness.slug(mutant)].code
    assert 0 < score < batch.case.autograded_points, f"{mutant!r} scores {score}\n" + score_table(batch)


@pytest.mark.parametrize("assignment", GRADED)
def test_alternative_solution_scores_full_marks(batch):
    assert batch.scores["alternative"].code == batch.case.autograded_points, score_table(batch)


@pytest.mark.parametrize("assignment", GRADED)
def test_deleted_test_cells_are_put_back_and_run(batch):
    assert batch.scores["tests-deleted"].code == batch.scores["solution"].code, score_table(batch)


@pytest.mark.parametrize("assignment", GRADED)
def test_test_cells_edited_to_assert_true_are_graded_by_the_originals(batch):
    mutant = harness.slug(next(iter(batch.case.wrong)))
    assert batch.scores["tests-neutered"].code == batch.scores[mutant].code, score_table(batch)


@pytest.mark.parametrize("assignment", GRADED)
def test_infinite_loop_is_stopped_by_the_cell_timeout(batch):
    loop = batch.scores["infinite-loop"]
    assert loop.code < batch.case.autograded_points, score_table(batch)
    # The loop cost one cell timeout, not the batch: the students graded after it have their scores.
    assert batch.seconds["infinite-loop"] < batch.timeout + 60, batch.seconds
    assert set(batch.scores) == set(batch.students)
    graded = nbformat.read(batch.root / "autograded" / "infinite-loop" / batch.case.assignment / batch.case.notebook,
                           as_version=4)
    errors = [o.get("ename") for c in graded.cells if c.cell_type == "code" for o in c.get("outputs", [])
              if o.get("output_type") == "error"]
    assert "KeyboardInterrupt" in errors or "CellTimeoutError" in errors, errors


@pytest.mark.parametrize("assignment", GRADED)
def test_no_submission_takes_minutes_to_grade(batch, record_property):
    """Graded notebooks aim at 20 s and must stay under 60 s on a 2-core machine. The limit here is twice that,
    because the batches share the machine with each other and with the rest of the test suite."""
    times = {s: round(t, 1) for s, t in batch.seconds.items()}
    record_property("autograde_seconds", times)
    print(f"\n{batch.case.assignment}: batch {batch.wall:.0f} s, autograde seconds per student {times}")
    slow = {s: t for s, t in times.items() if t > 120 and s != "infinite-loop"}
    assert not slow, f"over 120 s per notebook: {slow}"
