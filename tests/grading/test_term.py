"""A term in miniature, each task with the one command the instructor guide gives (grading/term.mk).

In a temporary course root with its own exchange: `make roster` imports an LMS class list of three students
(carol never submits; dave, not on it, does), `make due` sets a due date, alice submits a wrong answer and then a correct one (`make
collect` twice: the resubmission wins), bob submits late with one mistake; `make autograde`, alice's written
answers are graded by hand, `make feedback`; then a test's points change after release and `make regrade` runs;
`make grades` exports. The tests check each promise of the guide, including what the feedback does not show.
"""

import csv
import datetime as dt
import html
import importlib.util
import re
import subprocess
import time

import nbformat
import pytest

import harness

ASSIGNMENT = (harness.assignments() or [None])[0]
pytestmark = pytest.mark.skipif(ASSIGNMENT is None, reason="no assignment with a case file yet")
COURSE_ID = "rnn-course"
PENALTY_PER_DAY = 0.10  # nbgrader_config.py: c.PercentPerDay.percent_per_day = 10
spec = importlib.util.spec_from_file_location("student_release", harness.ROOT / "grading" / "term" / "student_release.py")
student_release = importlib.util.module_from_spec(spec)
spec.loader.exec_module(student_release)


class Term:
    def __init__(self, tmp):
        self.case = harness.load_case(ASSIGNMENT)
        self.exchange = tmp / "exchange"
        self.exchange.mkdir()
        self.course = harness.Course(tmp / "course", self.case, f"c.Exchange.root = {str(self.exchange)!r}")
        self.root = self.course.root
        self.home = tmp / "home"
        self.logs = {}

    def make(self, target, **variables):
        args = ["make", "--no-print-directory", "-f", str(harness.ROOT / "grading" / "term.mk"), target,
                f"BIN={harness.BIN}", *(f"{k}={v}" for k, v in variables.items())]
        proc = subprocess.run(args, cwd=self.root, env=self.course.env, capture_output=True, text=True, timeout=900)
        self.logs[target] = self.logs.get(target, "") + proc.stdout + proc.stderr
        if proc.returncode != 0:
            pytest.fail(f"`make {target}` failed:\n{(proc.stdout + proc.stderr)[-5000:]}")
        return proc.stdout + proc.stderr

    def autograde(self):
        args = ["make", "--no-print-directory", "-f", str(harness.ROOT / "grading" / "grading.mk"), "autograde",
                f"A={ASSIGNMENT}", f"BIN={harness.BIN}", f"COURSE_ROOT={self.root}"]
        proc = subprocess.run(args, cwd=harness.ROOT, env=self.course.env, capture_output=True, text=True,
                              timeout=900)
        self.logs["autograde"] = proc.stdout + proc.stderr
        if proc.returncode != 0:
            pytest.fail(f"`make autograde` failed:\n{(proc.stdout + proc.stderr)[-5000:]}")

    def nbgrader(self, *args):
        proc = self.course.nbgrader(*args)
        if proc.returncode != 0:
            pytest.fail(f"`nbgrader {args[0]}` failed:\n{(proc.stdout + proc.stderr)[-5000:]}")
        return proc.stdout + proc.stderr

    def submit(self, name, replacements):
        home = self.home / name
        env = harness.hermetic_env(home, HOME=str(home))
        common = [f"--course={COURSE_ID}", f"--Exchange.root={self.exchange}", f"--student={name}"]
        path = home / ASSIGNMENT / self.case.notebook
        if not path.exists():
            proc = harness.run(["nbgrader", "fetch_assignment", ASSIGNMENT, *common], cwd=home, env=env)
            assert proc.returncode == 0, proc.stderr
        nb = nbformat.read(path, as_version=4)
        nbformat.write(harness.fill(nb, {**harness.answers(self.case), **replacements}), path)
        proc = harness.run(["nbgrader", "submit", ASSIGNMENT, *common], cwd=home, env=env)
        assert proc.returncode == 0, proc.stdout + proc.stderr

    def run(self):
        roster = self.root.parent / "moodle-export.csv"
        roster.write_text("Username,First name,Surname,Email address\n"
                          "alice,Alice,Liddell,alice@example.org\nbob,Bob,Moses,bob@example.org\n"
                          "carol,Carol,Danvers,carol@example.org\n")
        self.make("roster", CSV=roster)
        self.due = dt.datetime.now(dt.timezone.utc).replace(microsecond=0) + dt.timedelta(days=1)
        self.make("due", A=ASSIGNMENT, DUE=self.due.strftime("%Y-%m-%d %H:%M:%S UTC"))
        self.nbgrader("generate_assignment", ASSIGNMENT)
        self.nbgrader("release_assignment", ASSIGNMENT)
        self.mistake = next(iter(self.case.wrong.values()))
        self.submit("alice", self.mistake)
        self.submit("bob", self.mistake)
        self.submit("dave", {})  # not on the class list: joined late
        self.make("collect", A=ASSIGNMENT)
        time.sleep(1.1)  # nbgrader tells submissions apart by their timestamps
        self.submit("alice", {})
        self.make("collect", A=ASSIGNMENT)
        # bob's submission arrived 2 days and 1 hour after the due date: 3 started days late.
        late = self.due + dt.timedelta(days=2, hours=1)
        (self.root / "submitted" / "bob" / ASSIGNMENT / "timestamp.txt").write_text(
            late.strftime("%Y-%m-%d %H:%M:%S.%f UTC"))
        self.autograde()
        self.grade_written_answers_by_hand("alice")
        self.make("feedback", A=ASSIGNMENT)
        self.first_feedback = self.feedback("alice").read_text()
        self.max_before = self.course.scores()["alice"].max_total
        self.change_points_after_release()
        self.regrade_log = self.make("regrade", A=ASSIGNMENT)
        self.make("grades")
        return self

    def grade_written_answers_by_hand(self, student):
        """What the formgrader does when the instructor types a score into each written answer's box."""
        from nbgrader.api import Gradebook

        self.hand = {}
        with Gradebook(self.course.db_url, COURSE_ID) as gb:
            sub = gb.find_submission_notebook(self.case.notebook_id, ASSIGNMENT, student)
            for grade in sub.grades:
                if grade.auto_score is None:
                    grade.manual_score = grade.max_score - 0.5
                    grade.needs_manual_grade = False
                    self.hand[grade.name] = grade.manual_score
            gb.db.commit()
        assert self.hand, f"{ASSIGNMENT} has no written answer"

    def change_points_after_release(self):
        """The instructor gives the first test cell one point more, in solutions/ (what issue 19 did by hand)."""
        path = self.root / "solutions" / ASSIGNMENT / self.case.notebook
        nb = nbformat.read(path, as_version=4)
        cell = next(c for c in nb.cells if harness.is_test_cell(c))
        cell.metadata.nbgrader["points"] += 1
        self.changed_cell = cell.metadata.nbgrader["grade_id"]
        nbformat.write(nb, path)

    def feedback(self, student):
        found = list((self.root / "feedback" / student / ASSIGNMENT).glob(f"{self.case.notebook_id}.html"))
        assert len(found) == 1, found
        return found[0]


@pytest.fixture(scope="module")
def term(tmp_path_factory):
    return Term(tmp_path_factory.mktemp("term")).run()


def grades(term):
    return {row["student_id"]: row for row in csv.DictReader((term.root / "grades.csv").open())
            if row["assignment"] == ASSIGNMENT}


def visible_text(page):
    """The text a student reads on an HTML page (tags, including syntax highlighting, removed)."""
    page = re.sub(r"<(script|style)\b.*?</\1>", "", page, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", "", page))


def test_roster_from_an_lms_export_and_absent_student_scores_zero(term):
    rows = grades(term)
    assert sorted(rows) == ["alice", "bob", "carol", "dave"]
    assert float(rows["carol"]["score"]) == 0 and float(rows["carol"]["max_score"]) > 0


def test_resubmission_replaces_the_first_submission(term):
    scores = term.course.scores()
    assert scores["alice"].code == term.case.autograded_points + 1, "alice's second, correct submission counts"


def test_late_submission_loses_ten_percent_per_started_day(term):
    rows = grades(term)
    raw, penalty = float(rows["bob"]["raw_score"]), float(rows["bob"]["late_submission_penalty"])
    assert raw > 0 and penalty == pytest.approx(3 * PENALTY_PER_DAY * raw)
    assert float(rows["bob"]["score"]) == pytest.approx(raw - penalty)
    assert float(rows["alice"]["late_submission_penalty"] or 0) == 0


def test_regrade_keeps_hand_grades_of_unchanged_cells(term):
    from nbgrader.api import Gradebook

    with Gradebook(term.course.db_url, COURSE_ID) as gb:
        for grade_id, score in term.hand.items():
            grade = gb.find_grade(grade_id, term.case.notebook_id, ASSIGNMENT, "alice")
            assert grade.manual_score == score and not grade.needs_manual_grade, grade_id
    assert f"Hand grades kept without review: {len(term.hand)}" in term.regrade_log, term.regrade_log


def test_regrade_applies_the_new_points_and_rereleases_feedback(term):
    assert term.course.scores()["alice"].max_total == term.max_before + 1
    assert float(grades(term)["alice"]["max_score"]) == term.max_before + 1
    page = term.feedback("alice").read_text()
    assert page != term.first_feedback
    released = list((term.exchange / COURSE_ID / "feedback").glob("*.html"))
    assert any(p.read_text() == page for p in released), "the regraded feedback must reach the exchange"


def test_feedback_shows_hidden_tests_verdicts_not_their_code(term):
    text = visible_text(term.feedback("bob").read_text())
    secrets = [line for line, where in student_release.secret_lines().items()
               if where.startswith(f"{ASSIGNMENT}/") and where.endswith("hidden")]
    assert secrets, "the assignment has hidden tests"
    shown = [line for line in secrets if line in text]
    assert not shown, f"hidden test code in the feedback: {shown[:3]}"
    assert "Hidden tests ran here" in text
    assert "Error" in text, "a failing test still shows its error and message"


def test_feedback_shows_no_grader_paths_and_wraps_long_messages(term):
    page = term.feedback("bob").read_text()
    assert str(term.root) not in page and str(harness.BIN.parent) not in page
    assert "white-space: pre-wrap" in page


def test_grading_logs_have_no_false_alarms(term):
    """Issue 19: a checksum warning per hidden-test cell, an SQLAlchemy warning per new student."""
    for step in ("autograde", "regrade", "roster"):
        log = term.logs[step]
        assert "checksum" not in log.lower(), f"{step}:\n{log[-3000:]}"
        assert "SAWarning" not in log, f"{step}:\n{log[-3000:]}"
