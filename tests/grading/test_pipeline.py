"""The whole nbgrader round trip for one assignment, as an instructor and two students run it, in temporary folders.

Instructor (in a temporary course root, exchange in a temporary folder): generate_assignment, release_assignment;
students alice and bob, each with their own HOME: fetch_assignment, answer (alice correctly, bob with one mistake),
submit; instructor: collect, autograde, generate_feedback, release_feedback, export; alice: fetch_feedback. The
tests then check each hand-over and the scores in the exported CSV.

The last tests start JupyterLab through grading/grading.mk as a student and as an instructor, and check that students
get the Assignments list and Validate but not the formgrader, course list or create-assignment toolbar.
"""

import csv
import json
import shutil
import urllib.error
import urllib.parse

import nbformat
import pytest
from traitlets.config.loader import PyFileConfigLoader

import harness
from labserver import Lab

ASSIGNMENT = (harness.assignments() or [None])[0]
pytestmark = pytest.mark.skipif(ASSIGNMENT is None, reason="no assignment with a case file yet")
STUDENTS = ("alice", "bob")  # alice submits the solution, bob the solution with the first WRONG mistake
COURSE_ID = PyFileConfigLoader("nbgrader_config.py", path=str(harness.ROOT)).load_config().CourseDirectory.course_id


class RoundTrip:
    """Runs each step once, in order; a failing command fails the tests with its output."""

    def __init__(self, tmp):
        self.case = harness.load_case(ASSIGNMENT)
        self.exchange = tmp / "exchange"
        self.exchange.mkdir()
        self.course = harness.Course(tmp / "course", self.case, f"c.Exchange.root = {str(self.exchange)!r}")
        self.homes = {name: tmp / "home" / name for name in STUDENTS}

    def instructor(self, *args):
        self.check(" ".join(args[:1]), self.course.nbgrader(*args))

    def student(self, name, *args):
        home = self.homes[name]
        home.mkdir(parents=True, exist_ok=True)
        env = harness.hermetic_env(home, HOME=str(home))
        proc = harness.run(["nbgrader", *args, f"--course={COURSE_ID}", f"--Exchange.root={self.exchange}",
                            f"--student={name}"], cwd=home, env=env)
        self.check(f"{args[0]} ({name})", proc)

    def check(self, step, proc):
        if proc.returncode != 0:
            pytest.fail(f"`nbgrader {step}` failed:\n{(proc.stdout + proc.stderr)[-5000:]}")

    def answer(self, name):
        """The student opens the fetched notebook, writes their answers and saves it."""
        path = self.homes[name] / ASSIGNMENT / self.case.notebook
        solved = harness.answers(self.case)
        mistake = next(iter(self.case.wrong.values())) if name == "bob" else {}
        nbformat.write(harness.fill(nbformat.read(path, as_version=4), {**solved, **mistake}), path)

    def run(self):
        a = ASSIGNMENT
        self.instructor("generate_assignment", a)
        self.instructor("release_assignment", a)
        for name in STUDENTS:
            self.student(name, "fetch_assignment", a)
            self.answer(name)
            self.student(name, "submit", a)
        self.instructor("collect", a)
        self.instructor("autograde", a)
        self.instructor("generate_feedback", a)
        self.instructor("release_feedback", a)
        self.student("alice", "fetch_feedback", a)
        self.instructor("export")
        return self


@pytest.fixture(scope="module")
def trip(tmp_path_factory):
    return RoundTrip(tmp_path_factory.mktemp("pipeline")).run()


def test_release_reaches_the_exchange(trip):
    assert (trip.exchange / COURSE_ID / "outbound" / ASSIGNMENT / trip.case.notebook).is_file()


def test_each_student_fetches_into_their_own_home(trip):
    for name in STUDENTS:
        assert (trip.homes[name] / ASSIGNMENT / trip.case.notebook).is_file(), name


def test_collect_brings_in_both_submissions(trip):
    for name in STUDENTS:
        folder = trip.course.root / "submitted" / name / ASSIGNMENT
        assert (folder / trip.case.notebook).is_file() and (folder / "timestamp.txt").is_file(), name


def test_feedback_reaches_the_student(trip):
    html = list((trip.homes["alice"] / ASSIGNMENT / "feedback").glob(f"*/{trip.case.notebook_id}.html"))
    assert len(html) == 1, html
    text = html[0].read_text()
    assert f"{trip.case.autograded_points:g}" in text and "Score" in text


def test_exported_csv_holds_each_students_score(trip):
    rows = {row["student_id"]: row for row in csv.DictReader((trip.course.root / "grades.csv").open())}
    assert sorted(rows) == sorted(STUDENTS)
    full = trip.case.autograded_points
    scores = trip.course.scores()
    for name, row in rows.items():
        assert row["assignment"] == ASSIGNMENT
        assert float(row["max_score"]) == full + trip.case.manual_points
        assert float(row["score"]) == scores[name].total, "the CSV disagrees with the gradebook"
    assert float(rows["alice"]["score"]) == full, rows["alice"]
    assert 0 < float(rows["bob"]["score"]) < full, rows["bob"]


# ------------------------------------------------------------------------------------- JupyterLab, two modes

@pytest.fixture(scope="module")
def student_lab(trip, tmp_path_factory):
    """`make student-lab` in a copy of the repository's student settings, with the round trip's exchange."""
    repo = tmp_path_factory.mktemp("student-repo")
    shutil.copytree(harness.ROOT / ".jupyter-student", repo / ".jupyter-student")
    shutil.copy(harness.ROOT / "nbgrader_config.py", repo / "nbgrader_config.py")
    shutil.copytree(harness.ROOT / "grading" / "sandbox", repo / "grading" / "sandbox",
                    ignore=shutil.ignore_patterns("__pycache__"))
    env = harness.hermetic_env(repo / "home", HOME=str(repo / "home"), NBGRADER_EXCHANGE=str(trip.exchange))
    env.pop("JUPYTER_CONFIG_DIR")  # the target sets it
    lab = Lab("student-lab", repo, env)
    lab.repo = repo
    yield lab
    lab.stop()


def page_config(lab):
    html = lab.get("lab")
    start = html.index('id="jupyter-config-data"')
    return json.loads(html[html.index(">", start) + 1:html.index("</script>", start)])


def test_student_lab_hides_the_instructor_tools(student_lab):
    disabled = page_config(student_lab)["disabledExtensions"]
    for plugin in ("formgrader", "course-list", "create-assignment"):
        assert f"@jupyter/nbgrader:{plugin}" in disabled, disabled
    for plugin in ("assignment-list", "validate-assignment", "menu"):
        assert f"@jupyter/nbgrader:{plugin}" not in disabled, disabled
    assert student_lab.status("formgrader") == 404


def test_student_lab_fetches_validates_and_submits(student_lab, trip):
    listed = json.loads(student_lab.get(f"assignments?course_id={COURSE_ID}"))
    assert listed["success"] and [a["assignment_id"] for a in listed["value"]] == [ASSIGNMENT], listed
    form = {"course_id": COURSE_ID, "assignment_id": ASSIGNMENT}
    student_lab.request("assignments/fetch", form)
    fetched = student_lab.repo / "my-assignments" / ASSIGNMENT / trip.case.notebook
    assert fetched.is_file(), "the Assignments tab must fetch into my-assignments/<assignment>/"
    nbformat.write(harness.fill(nbformat.read(fetched, as_version=4), harness.answers(trip.case)), fetched)
    result = json.loads(student_lab.request("assignments/validate",
                                            {"path": f"my-assignments/{ASSIGNMENT}/{trip.case.notebook}"}))
    assert result["success"] and not result["value"].get("failed"), result
    before = set((trip.exchange / COURSE_ID / "inbound").iterdir())
    student_lab.request("assignments/submit", form)
    assert len(set((trip.exchange / COURSE_ID / "inbound").iterdir()) - before) == 1


@pytest.fixture(scope="module")
def instructor_lab(trip):
    env = dict(trip.course.env)
    lab = Lab("formgrader", trip.course.root, env)
    yield lab
    lab.stop()


def test_formgrader_target_opens_the_formgrader(instructor_lab):
    with pytest.raises(urllib.error.HTTPError) as redirect:
        instructor_lab.open("", redirect=False)
    location = urllib.parse.urlsplit(redirect.value.headers["Location"])
    assert redirect.value.code == 302 and location.path == "/lab" and "formgrader=true" in location.query.split("&")
    assert instructor_lab.status("formgrader") == 200
    assert ASSIGNMENT in instructor_lab.get("formgrader/api/assignments")
