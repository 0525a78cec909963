"""Parallel autograding (``make autograde A=a01 JOBS=N``) gives the grades of serial autograding, cell by cell.

One class of a01 mixes every kind of submission a real class has: correct, partly correct, unanswered, tests
deleted or neutered, a loop that never ends, a kernel that exits, a student who patches numpy's checks, and a
notebook file that is not JSON at all. The same class is graded twice, in two temporary courses built from the
same release: serially (one ``nbgrader autograde`` call, what ``make autograde`` did before) and by
``safe_autograde.py --jobs 2``, during which the test kills one worker's nbgrader process with SIGKILL, as the
out-of-memory killer or an impatient admin would. Every grade, comment and error output must be the same.
The workers are long-lived (one nbgrader start-up each, then student after student): the looping student holds
up only its own worker while the other goes on, and a student still running at ``--student-timeout`` has its
worker killed and is reported failed, the others graded as usual.
A third course grades the class into PostgreSQL (tests/grading/pgcluster.py) from two processes at once,
``--shard 1/2`` and ``--shard 2/2``, as two grading machines sharing the gradebook would: the same grades again.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import nbformat
import pytest

import harness

ASSIGNMENT = "a01"
SAFE_AUTOGRADE = harness.ROOT / "grading" / "sandbox" / "safe_autograde.py"
# A cell timeout short enough for a quick proof, long enough for a01's cells on a loaded 2-core machine.
CONFIG = "c.Execute.timeout = 20\nc.SandboxedExecute.interrupt_grace = 5"
# The student whose worker is killed a few seconds after it starts: the solution, slowed down by a sleep, so that
# the kill lands while that student is being graded on a quiet machine as on a loaded one.
VICTIM = "slow-solution"
SLOW = "import time\ntime.sleep(15)\n"
CORRUPT = "not-a-notebook"
CRASH = "import os\nos._exit(1)\n"
PATCH = ("import numpy as np\nimport numpy.testing\n"
         "numpy.testing.assert_allclose = lambda *args, **kwargs: None\nnp.allclose = lambda *a, **k: True\n")


def class_of(case: harness.Case, release: nbformat.NotebookNode) -> dict[str, nbformat.NotebookNode]:
    """The mixed class: the harness's made-up students (two mutants only) plus a crash, a tamperer and a slow one."""
    subs = harness.submissions(case, release, with_loop=True)
    mutants = [s for s in subs if s.startswith("wrong-")]
    for extra in mutants[2:]:
        del subs[extra]
    solved = harness.answers(case)
    first = next(harness.nbgrader_meta(c)["grade_id"] for c in release.cells if harness.is_code_answer(c))
    subs["kernel-exits"] = harness.fill(release, {**solved, first: CRASH + solved[first]})
    subs[VICTIM] = harness.fill(release, {**solved, first: SLOW + solved[first]})
    wrong = {**solved, **next(iter(case.wrong.values()))}
    subs["patches-numpy"] = harness.fill(release, {**wrong, first: PATCH + wrong[first]})
    return subs


def make_class(root: Path, case: harness.Case) -> harness.Course:
    return make_class_with(root, case, "")


def make_class_with(root: Path, case: harness.Case, extra: str) -> harness.Course:
    course = harness.Course(root, case, CONFIG + "\n" + extra)
    generate = course.nbgrader("generate_assignment", ASSIGNMENT, "--force")
    assert generate.returncode == 0, generate.stderr[-3000:]
    release = nbformat.read(course.release_path, as_version=4)
    for student, nb in class_of(case, release).items():
        course.submit(student, nb)
    corrupt = root / "submitted" / CORRUPT / ASSIGNMENT
    corrupt.mkdir(parents=True)
    (corrupt / case.notebook).write_text("{ this is not a notebook")
    return course


def results(course: harness.Course, db_url: str | None = None) -> dict[str, dict]:
    """student -> every grade (auto, manual, needs manual grading), comment and error output, by cell."""
    from nbgrader.api import Gradebook, MissingEntry

    out = {}
    with Gradebook(db_url or course.db_url) as gb:
        for student in gb.students:
            try:
                sub = gb.find_submission(ASSIGNMENT, student.id)
            except MissingEntry:
                continue
            cells = {}
            for nb in sub.notebooks:
                for g in nb.grades:
                    cells[g.name] = (g.auto_score, g.manual_score, g.needs_manual_grade)
                for c in nb.comments:
                    cells["comment:" + c.name] = c.auto_comment
            out[student.id] = cells
    for student in out:
        path = course.autograded_path(student)
        if path.exists():
            nb = nbformat.read(path, as_version=4)
            out[student]["errors"] = [[o.get("ename") for o in cell.get("outputs", []) if o.get("ename")]
                                      for cell in nb.cells]
    return out


def run_parallel(course: harness.Course, jobs: int, *, kill: str | None = None,
                 extra: tuple[str, ...] = ()) -> tuple[int, str, str]:
    """safe_autograde.py --jobs, killing the first worker of student ``kill`` a few seconds after it starts."""
    proc = subprocess.Popen([sys.executable, str(SAFE_AUTOGRADE), ASSIGNMENT, "--force", f"--jobs={jobs}", *extra],
                            cwd=course.root, env=course.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    lines, killed = [], []
    err_chunks = []
    reader = threading.Thread(target=lambda: err_chunks.append(proc.stderr.read()), daemon=True)
    reader.start()
    for line in proc.stdout:
        lines.append(line)
        started = re.match(rf"\s+started {re.escape(kill or '')} \(worker \d+, pid (\d+)\)", line) if kill else None
        if started and not killed:
            pid = int(started.group(1))
            time.sleep(4)  # into the middle of grading: the kernel is up and cells run
            os.kill(pid, signal.SIGKILL)
            killed.append(pid)
    proc.wait(timeout=1200)
    reader.join()
    if kill:
        assert killed, "the victim's worker was never seen starting:\n" + "".join(lines)
    return proc.returncode, "".join(lines), "".join(err_chunks)


@pytest.fixture(scope="module")
def case():
    return harness.load_case(ASSIGNMENT)


@pytest.fixture(scope="module")
def serial(tmp_path_factory, case):
    course = make_class(tmp_path_factory.mktemp("serial"), case)
    proc = subprocess.run([sys.executable, str(SAFE_AUTOGRADE), ASSIGNMENT, "--force"], cwd=course.root,
                          env=course.env, capture_output=True, text=True, timeout=1800)
    return course, proc, results(course)


@pytest.fixture(scope="module")
def parallel(tmp_path_factory, case):
    course = make_class(tmp_path_factory.mktemp("parallel"), case)
    start = time.monotonic()
    status, out, err = run_parallel(course, 2, kill=VICTIM)
    return course, status, out, err, results(course), time.monotonic() - start


def test_parallel_grades_equal_serial_grades_cell_by_cell(serial, parallel):
    _, _, expected = serial
    course, status, out, err, got, _ = parallel
    assert set(got) == set(expected), out[-3000:] + err[-3000:]
    for student in sorted(expected):
        assert got[student] == expected[student], student
    # The class really mixes outcomes: full marks, partial credit, zero.
    scores = {s: sum(v[0] or 0 for k, v in cells.items() if not k.startswith(("comment:", "errors")))
              for s, cells in got.items()}
    assert scores["solution"] == case_points() and scores["release"] == 0
    assert 0 < scores["infinite-loop"] < case_points() and scores["kernel-exits"] == 0
    assert scores["patches-numpy"] == 0 and 0 < scores[next(s for s in got if s.startswith("wrong-"))]


def case_points() -> float:
    return float(harness.load_case(ASSIGNMENT).autograded_points)


def test_progress_names_every_student_and_the_failure(parallel, case):
    course, status, out, err, got, _ = parallel
    students = sorted(p.parent.name for p in (course.root / "submitted").glob(f"*/{ASSIGNMENT}"))
    total = len(students)
    assert f"[{total}/{total}]" in out, out[-3000:]
    for student in students:
        assert re.search(rf"^\[\d+/{total}\] {re.escape(student)}: ", out, re.M), student
    assert re.search(rf"^\[\d+/{total}\] {CORRUPT}: FAILED: ", out, re.M), out[-3000:]
    assert f"failed: {CORRUPT}" in out
    assert status == 1, "some student failed, the gradebook is intact: nbgrader's failure status"
    assert "gradebook backed up to" in out and "gradebook checked" in out


def test_a_killed_worker_loses_nothing(serial, parallel):
    """The victim's worker died by SIGKILL; it was retried and its student graded exactly as in the serial run."""
    course, status, out, err, got, _ = parallel
    assert re.search(rf"retrying {VICTIM}: the worker was killed by signal SIGKILL", out), out[-3000:]
    assert re.search(rf"^\[\d+/\d+\] {VICTIM}: graded in", out, re.M)
    assert got[VICTIM] == serial[2][VICTIM]


def test_serial_run_is_the_reference(serial):
    course, proc, expected = serial
    assert "gradebook checked" in proc.stdout, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert len(expected) >= 10, sorted(expected)


@pytest.fixture(scope="module")
def two_machines_on_postgres(tmp_path_factory, case):
    """The class graded by two 'machines' at once (--shard 1/2 and 2/2) sharing one PostgreSQL gradebook."""
    import pgcluster

    url = pgcluster.cluster().create_database("parallel_class")
    course = make_class_with(tmp_path_factory.mktemp("postgres"), case, f"c.CourseDirectory.db_url = {url!r}")
    procs = [subprocess.Popen([sys.executable, str(SAFE_AUTOGRADE), ASSIGNMENT, "--force", f"--shard={k}/2"],
                              cwd=course.root, env=course.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True) for k in (1, 2)]
    outputs = [p.communicate(timeout=1800) for p in procs]
    return course, [p.returncode for p in procs], outputs, results(course, url)


def test_two_grading_machines_sharing_postgres_equal_serial_sqlite(serial, two_machines_on_postgres):
    _, _, expected = serial
    course, statuses, outputs, got = two_machines_on_postgres
    logs = "\n".join(o + e for o, e in outputs)
    assert set(got) == set(expected), logs[-4000:]
    for student in sorted(expected):
        assert got[student] == expected[student], student
    assert sorted(statuses) == [0, 1], logs[-4000:]  # the shard with the corrupt notebook reports it
    for out, err in outputs:
        assert ".pgdump" in out and "gradebook checked" in out, out[-2000:] + err[-2000:]


def test_a_looping_student_holds_up_only_its_own_worker(parallel):
    """While the endless loop runs into its cell timeout, the other worker goes on grading other students."""
    course, status, out, err, got, _ = parallel
    lines = out.splitlines()
    begin = next(i for i, line in enumerate(lines) if re.match(r"\s+started infinite-loop ", line))
    end = next(i for i, line in enumerate(lines) if re.match(r"\[\d+/\d+\] infinite-loop: graded", line))
    others = [line for line in lines[begin:end] if re.match(r"\[\d+/\d+\] (?!infinite-loop)\S+: ", line)]
    assert others, "no other student was graded while the loop ran:\n" + out[-3000:]
    # One nbgrader start-up per worker, not per student: at most the two workers and the victim's replacement.
    pids = set(re.findall(r"^\s+started \S+ \(worker \d+, pid (\d+)\)", out, re.M))
    assert len(pids) <= 3, sorted(pids)


@pytest.fixture(scope="module")
def student_timeout(tmp_path_factory, case):
    """A loop that outlasts --student-timeout (its cell timeout is longer), beside three ordinary students."""
    root = tmp_path_factory.mktemp("timeout")
    course = harness.Course(root, case, "c.Execute.timeout = 600")
    generate = course.nbgrader("generate_assignment", ASSIGNMENT, "--force")
    assert generate.returncode == 0, generate.stderr[-3000:]
    release = nbformat.read(course.release_path, as_version=4)
    subs = class_of(case, release)
    for student in ("infinite-loop", "solution", "release", next(s for s in subs if s.startswith("wrong-"))):
        course.submit(student, subs[student])
    start = time.monotonic()
    status, out, err = run_parallel(course, 2, extra=(f"--student-timeout={STUDENT_TIMEOUT}",))
    seconds = time.monotonic() - start
    leftovers = [p for p in Path("/proc").glob("[0-9]*/cmdline") if str(root) in _read(p)]
    return course, status, out, err, results(course), seconds, leftovers


# Longer than an ordinary a01 student takes on a loaded 2-core machine (up to about 40 s wall at load 20).
STUDENT_TIMEOUT = 90


def _read(path: Path) -> str:
    try:
        return path.read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def test_a_student_past_the_timeout_costs_only_itself(serial, student_timeout):
    course, status, out, err, got, seconds, leftovers = student_timeout
    assert re.search(rf"^\[\d+/4\] infinite-loop: FAILED: still running after {STUDENT_TIMEOUT} s, stopped", out,
                     re.M), out[-3000:] + err[-3000:]
    assert re.search(r"failed: infinite-loop$", out, re.M) and status == 1, out[-3000:]
    for student in got:
        if student != "infinite-loop":
            assert got[student] == serial[2][student], student
    assert len([s for s in got if s != "infinite-loop"]) == 3, sorted(got)
    assert "gradebook checked" in out
    assert not leftovers, "the stopped worker left processes behind: " + ", ".join(_read(p)[:200] for p in leftovers)
    assert seconds < STUDENT_TIMEOUT + 300, seconds
