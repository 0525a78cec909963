"""The grading sandbox and the gradebook guard, proven by attacks (grading/sandbox/, nbgrader_config.py).

One temporary course, one call of the documented autograde command (``grading/sandbox/safe_autograde.py``, what
``make autograde`` runs) for honest students and attackers together. Each attacker is the correct a01 solution
with an attack put at the top of its first answer cell, written by someone who knows the course root's
absolute paths. For each attack: it fails or is contained, the attacker gets a score and a visible reason, and
the honest students' grades equal, cell by cell, those of a course graded without any attacker.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import sqlite3
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
# Short enough to keep the proof quick, long enough for a01's cells on a loaded machine.
CONFIG = "c.Execute.timeout = 20\nc.SandboxedExecute.interrupt_grace = 5"
HONEST = ("solution", "wrong")
ATTACKED_UID = 61007

ATTACKS = {
    "delete-gradebook": '''
import os, pathlib
targets = [pathlib.Path({db!r})] + [d / "gradebook.db" for d in pathlib.Path.cwd().parents]
for top in ("/etc", "/root", "/home", "/tmp", "/work", "/srv", "/var"):
    for folder, _, files in os.walk(top):
        targets += [pathlib.Path(folder, f) for f in files if f.endswith(".db")]
for t in targets:
    try:
        t.unlink()
        print("DELETED", t)
    except OSError as err:
        print("could not delete", t, type(err).__name__)
''',
    "truncate-gradebook": '''
for path in ({db!r}, "../../../gradebook.db"):
    try:
        open(path, "w").close()
        print("TRUNCATED", path)
    except OSError as err:
        print("could not truncate", path, type(err).__name__)
''',
    "rewrite-gradebook": '''
import sqlite3
try:
    con = sqlite3.connect("file:{db}?mode=rw", uri=True)
    con.execute("UPDATE grade SET manual_score = 1000")
    con.commit()
    print("REWROTE the gradebook")
except sqlite3.Error as err:
    print("could not rewrite the gradebook:", err)
''',
    "read-hidden-tests": '''
import glob
for path in [*glob.glob("*.ipynb"), {source!r}, {release!r}]:
    try:
        print(open(path).read())
    except OSError as err:
        print("could not read", path, type(err).__name__)
''',
    "read-other-student": '''
for path in ({other_submitted!r}, {other_autograded!r}):
    try:
        print(open(path).read())
    except OSError as err:
        print("could not read", path, type(err).__name__)
''',
    "write-other-student": '''
import os
for path in ({other_submitted!r}, os.path.join(os.path.dirname({other_autograded!r}), "pwned.txt")):
    try:
        with open(path, "w") as f:
            f.write("{{}}")
        print("WROTE", path)
    except OSError as err:
        print("could not write", path, type(err).__name__)
''',
    "network": '''
import socket
for address in (("127.0.0.1", {port}), ("1.1.1.1", 53)):
    try:
        socket.create_connection(address, timeout=3).close()
        print("CONNECTED", address)
    except OSError as err:
        print("no connection to", address, type(err).__name__)
''',
    "memory": '''
hoard = bytearray(32 * 2**30)
''',
    "fork-bomb": '''
import os, time
children = 0
try:
    while True:
        if os.fork() == 0:
            time.sleep(600)
            os._exit(0)
        children += 1
except OSError as err:
    print("fork refused after", children, "children:", type(err).__name__)
''',
    "flood": '''
for _ in range(1500):
    print("x" * 20_000)
''',
    "loop-ignoring-interrupts": '''
import signal
signal.signal(signal.SIGINT, signal.SIG_IGN)
while True:
    pass
''',
    "exit": '''
import os
os._exit(1)
''',
    "patch-numpy-testing": '''
import numpy as np
import numpy.testing
numpy.testing.assert_allclose = lambda *args, **kwargs: None
np.allclose = lambda *args, **kwargs: True
''',
}


class Listener:
    """A TCP server on the grader's loopback that counts the connections it accepts."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen()
        self.sock.settimeout(0.2)
        self.port, self.accepted, self.stop = self.sock.getsockname()[1], 0, False
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self):
        while not self.stop:
            try:
                self.sock.accept()[0].close()
                self.accepted += 1
            except OSError:
                pass

    def close(self):
        self.stop = True
        self.thread.join()
        self.sock.close()


def grades(db: Path, student: str) -> dict[str, tuple]:
    """grade cell name -> (auto_score, manual_score) of one student's a01 submission."""
    with sqlite3.connect(db) as con:
        rows = con.execute("""
            SELECT gc.name, g.auto_score, g.manual_score FROM grade g
            JOIN base_cell gc ON g.cell_id = gc.id
            JOIN submitted_notebook sn ON g.notebook_id = sn.id
            JOIN submitted_assignment sa ON sn.assignment_id = sa.id
            WHERE sa.student_id = ?""", (student,)).fetchall()
    return {name: (auto, manual) for name, auto, manual in rows}


def dump(db: Path) -> list[str]:
    with sqlite3.connect(db) as con:
        return list(con.iterdump())


def outputs_text(course: harness.Course, student: str) -> str:
    nb = nbformat.read(course.autograded_path(student), as_version=4)
    parts = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            parts.append(" ".join([out.get("ename", ""), out.get("evalue", ""), out.get("text", ""),
                                   json.dumps(out.get("data", {}))]))
    return "\n".join(parts)


def hidden_test_line(case: harness.Case) -> str:
    """A distinctive line of the hidden tests, which no output may contain."""
    nb = nbformat.read(case.source_path, as_version=4)
    hidden = []
    for cell in nb.cells:
        block = re.search(r"### BEGIN HIDDEN TESTS\n(.*?)### END HIDDEN TESTS", cell.source, re.S)
        if block:
            hidden += [line.strip() for line in block.group(1).splitlines() if len(line.strip()) > 25]
    assert hidden, "a01 has hidden tests"
    return max(hidden, key=len)


def sandbox_processes(uid: int) -> int:
    """Processes running as ``uid``."""
    count = 0
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            if f"\nUid:\t{uid}\t" in status.read_text():
                count += 1
        except OSError:
            pass
    return count


def make_course(root: Path, case: harness.Case, extra: str = CONFIG) -> harness.Course:
    course = harness.Course(root, case, extra)
    generate = course.nbgrader("generate_assignment", ASSIGNMENT, "--force")
    assert generate.returncode == 0, generate.stderr[-3000:]
    return course


def honest_submissions(case, release):
    solved = harness.answers(case)
    first_wrong = next(iter(case.wrong.values()))
    return {"solution": harness.fill(release, solved), "wrong": harness.fill(release, {**solved, **first_wrong})}


def safe_autograde(course: harness.Course, *args: str, **popen) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(SAFE_AUTOGRADE), ASSIGNMENT, "--force", *args], cwd=course.root,
                          env=course.env, capture_output=True, text=True, timeout=1200, **popen)


@pytest.fixture(scope="module")
def case():
    return harness.load_case(ASSIGNMENT)


@pytest.fixture(scope="module")
def baseline(tmp_path_factory, case):
    """The honest students, graded in a course without attackers."""
    course = make_course(tmp_path_factory.mktemp("baseline"), case)
    release = nbformat.read(course.release_path, as_version=4)
    for student, nb in honest_submissions(case, release).items():
        course.submit(student, nb)
    proc = safe_autograde(course)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return {s: grades(course.root / "gradebook.db", s) for s in HONEST}


@pytest.fixture(scope="module")
def attacked(tmp_path_factory, case):
    """Honest students and every attacker, graded in one call of the documented command."""
    root = tmp_path_factory.mktemp("attacked")
    course = make_course(root, case)
    # A uid of its own, so that kernels graded meanwhile by other tests do not count as left over.
    course.env["RNN_SANDBOX_UID"] = str(ATTACKED_UID)
    release = nbformat.read(course.release_path, as_version=4)
    listener = Listener()
    paths = {
        "db": str(root / "gradebook.db"), "port": listener.port,
        "source": str(root / "solutions" / ASSIGNMENT / case.notebook), "release": str(course.release_path),
        "other_submitted": str(root / "submitted" / "solution" / ASSIGNMENT / case.notebook),
        "other_autograded": str(course.autograded_path("solution")),
    }
    solved = harness.answers(case)
    first_answer = next(harness.nbgrader_meta(c)["grade_id"] for c in release.cells if harness.is_code_answer(c))
    for student, nb in honest_submissions(case, release).items():
        course.submit(student, nb)
    for name, attack in ATTACKS.items():
        code = attack.format(**paths).strip("\n")
        if name == "patch-numpy-testing":
            # A student whose answer is wrong patches the checks so that the failing tests pass.
            base = {**solved, **next(iter(case.wrong.values()))}
        else:
            base = solved
        course.submit(name, harness.fill(release, {**base, first_answer: code + "\n" + base[first_answer]}))
    other_before = (root / "submitted" / "solution" / ASSIGNMENT / case.notebook).read_bytes()
    start = time.monotonic()
    proc = safe_autograde(course)
    seconds = time.monotonic() - start
    listener.close()
    return {"course": course, "proc": proc, "listener": listener, "other_before": other_before,
            "seconds": seconds, "scores": course.scores(), "case": case}


def test_one_call_grades_everyone_and_checks_the_gradebook(attacked):
    proc, scores = attacked["proc"], attacked["scores"]
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    assert "gradebook backed up to" in proc.stdout and "gradebook checked" in proc.stdout
    assert set(scores) == set(HONEST) | set(ATTACKS), f"ungraded: {set(HONEST) | set(ATTACKS) - set(scores)}"
    backups = list((attacked["course"].root / "gradebook-backups").glob("gradebook-*.db"))
    assert len(backups) == 1


def test_honest_students_get_exactly_the_grades_of_a_course_without_attackers(attacked, baseline):
    db = attacked["course"].root / "gradebook.db"
    for student in HONEST:
        assert grades(db, student) == baseline[student], student
    assert attacked["scores"]["solution"].code == attacked["scores"]["solution"].max_code


@pytest.mark.parametrize("attacker", ["delete-gradebook", "truncate-gradebook", "rewrite-gradebook"])
def test_the_gradebook_is_out_of_reach(attacked, attacker):
    text = outputs_text(attacked["course"], attacker)
    assert "could not" in text and not re.search(r"DELETED|TRUNCATED|REWROTE", text), text[:2000]
    score = attacked["scores"][attacker]
    assert score.code == score.max_code, "the attack failed, so the correct answers behind it count in full"
    with sqlite3.connect(attacked["course"].root / "gradebook.db") as con:
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert con.execute("SELECT count(*) FROM grade WHERE manual_score = 1000").fetchone()[0] == 0


def test_hidden_tests_and_other_students_cannot_be_read(attacked):
    course, case = attacked["course"], attacked["case"]
    secret = hidden_test_line(case)
    for attacker in ("read-hidden-tests", "read-other-student"):
        text = outputs_text(course, attacker)
        assert "could not read" in text, text[:2000]
        assert secret not in text and "BEGIN HIDDEN TESTS" not in text and '"cells"' not in text, attacker
        assert attacked["scores"][attacker].code == attacked["scores"][attacker].max_code


def test_other_students_folders_cannot_be_written(attacked):
    course = attacked["course"]
    text = outputs_text(course, "write-other-student")
    assert "could not write" in text and "WROTE" not in text, text[:2000]
    submitted = course.root / "submitted" / "solution" / ASSIGNMENT / attacked["case"].notebook
    assert submitted.read_bytes() == attacked["other_before"]
    assert not (course.autograded_path("solution").parent / "pwned.txt").exists()


def test_there_is_no_network(attacked):
    text = outputs_text(attacked["course"], "network")
    assert "no connection to ('127.0.0.1'" in text and "CONNECTED" not in text, text[:2000]
    assert attacked["listener"].accepted == 0
    assert attacked["scores"]["network"].code == attacked["scores"]["network"].max_code


def test_memory_is_bounded(attacked):
    assert "MemoryError" in outputs_text(attacked["course"], "memory")
    score = attacked["scores"]["memory"]
    assert 0 < score.code < score.max_code, "the answer that hoards fails, the others still count"


def test_processes_are_bounded_and_gone_after_grading(attacked):
    text = outputs_text(attacked["course"], "fork-bomb")
    refused = re.search(r"fork refused after (\d+) children", text)
    assert refused and int(refused.group(1)) <= 64, text[:2000]
    if os.geteuid() == 0:
        assert sandbox_processes(ATTACKED_UID) == 0, "the sleeping children died with their sandbox"


def test_output_is_capped(attacked):
    course = attacked["course"]
    assert course.autograded_path("flood").stat().st_size < 5 * 2**20
    assert "output truncated" in outputs_text(course, "flood")
    assert attacked["scores"]["flood"].code == attacked["scores"]["flood"].max_code


@pytest.mark.parametrize("attacker, reason", [
    ("loop-ignoring-interrupts", "did not stop when cell"),
    ("exit", "exited with status 1"),
])
def test_a_kernel_that_stops_scores_zero_on_what_did_not_run_with_a_reason(attacked, attacker, reason):
    text = outputs_text(attacked["course"], attacker)
    assert reason in text and "It scores 0" in text, text[:3000]
    assert attacked["scores"][attacker].code == 0


def test_patched_checks_do_not_pass_failing_tests(attacked):
    text = outputs_text(attacked["course"], "patch-numpy-testing")
    assert "GradingIntegrityError" in text and "was replaced" in text, text[:3000]
    assert attacked["scores"]["patch-numpy-testing"].code == 0


def test_a_damaged_gradebook_is_restored(tmp_path, case):
    """A run that damages the gradebook (here a rogue hook truncates it) ends with the backup restored."""
    hook = ("def _rogue(**kwargs):\n    open(str(root / 'gradebook.db'), 'w').close()\n"
            "c.Autograde.post_convert_hook = _rogue")
    course = make_course(tmp_path / "course", case, CONFIG + "\n" + hook)
    release = nbformat.read(course.release_path, as_version=4)
    course.submit("solution", honest_submissions(case, release)["solution"])
    db = course.root / "gradebook.db"
    before = dump(db)
    proc = safe_autograde(course)
    assert proc.returncode == 3, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert "was restored from" in proc.stderr
    assert dump(db) == before
    damaged = list((course.root / "gradebook-backups").glob("*-damaged.db"))
    assert len(damaged) == 1 and damaged[0].stat().st_size == 0


def test_an_interrupted_run_loses_nothing(tmp_path, case):
    """Ctrl-C in the middle of grading: earlier grades stay, and the gradebook is checked."""
    course = make_course(tmp_path / "course", case)
    release = nbformat.read(course.release_path, as_version=4)
    subs = honest_submissions(case, release)
    course.submit("solution", subs["solution"])
    first = safe_autograde(course)
    assert first.returncode == 0, first.stderr[-2000:]
    graded = grades(course.root / "gradebook.db", "solution")
    course.submit("wrong", subs["wrong"])
    shutil.rmtree(course.root / "submitted" / "solution")  # grade only the new student
    proc = subprocess.Popen([sys.executable, str(SAFE_AUTOGRADE), ASSIGNMENT], cwd=course.root, env=course.env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    time.sleep(8)
    os.killpg(proc.pid, signal.SIGINT)
    out, err = proc.communicate(timeout=300)
    assert "gradebook checked" in out or "restored" in err, out[-2000:] + err[-2000:]
    assert grades(course.root / "gradebook.db", "solution") == graded
