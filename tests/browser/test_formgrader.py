"""An instructor's JupyterLab (`make formgrader`), used in Chromium the way the instructor guide says.

A temporary course root holds the repository's nbgrader_config.py (with the grading sandbox it uses), solutions/
and exercises/. The first assignment is generated into its gradebook, one student's submission (the solution
typed into the release) is put under submitted/<student>/<aNN>/ and autograded. In the browser, the formgrader tab
lists every assignment of solutions/, and the autograded submission opens for manual grading with a score box on
each written answer. Equations typeset offline, on the manual-grading page and in the feedback page that the
student receives (nbgrader's templates load MathJax 2 from a CDN; the course's own templates inline MathJax 3).
"""

import re
import shutil

import nbformat
import pytest

import browsing
import harness
import labs

ASSIGNMENT = harness.assignments()[0]
CASE = harness.load_case(ASSIGNMENT)
STUDENT = "ada"


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    course = harness.Course(tmp_path_factory.mktemp("instructor") / "course", CASE)
    no_cache = shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints")
    shutil.copytree(harness.ROOT / "solutions", course.root / "solutions", ignore=no_cache, dirs_exist_ok=True)
    shutil.copytree(harness.ROOT / "exercises", course.root / "exercises", ignore=no_cache)
    nbgrader(course, "generate_assignment", ASSIGNMENT, "--force")
    release = nbformat.read(course.release_path, as_version=4)
    course.submit(STUDENT, harness.fill(release, harness.answers(CASE)))  # the solution typed into the release
    nbgrader(course, "autograde", ASSIGNMENT)
    assert course.autograded_path(STUDENT).is_file()
    nbgrader(course, "generate_feedback", ASSIGNMENT)
    return course


def nbgrader(course, *args):
    proc = course.nbgrader(*args)
    if proc.returncode != 0:
        pytest.fail(f"`nbgrader {' '.join(args)}` failed:\n{(proc.stdout + proc.stderr)[-5000:]}")


@pytest.fixture(scope="module")
def lab(course):
    server = labs.Lab("formgrader", course.root, dict(course.env))
    yield server
    server.stop()


@pytest.fixture(scope="module")
def tab(browser, lab):
    """JupyterLab as `make formgrader` opens it (/lab?formgrader=true), and the formgrader's frame in it."""
    context, guard = browsing.new_context(browser, lab.url)
    page = context.new_page()
    page.goto(lab.link("lab?formgrader=true"))
    frame = page.frame_locator(".jp-MainAreaWidget iframe").first
    yield page, frame, guard
    context.close()


def written_answers(nb):
    """grade_id -> points of each manually graded written answer (markdown answer cell with points)."""
    return {harness.nbgrader_meta(c)["grade_id"]: float(harness.nbgrader_meta(c)["points"]) for c in nb.cells
            if c.cell_type == "markdown" and harness.nbgrader_meta(c).get("solution")
            and harness.nbgrader_meta(c).get("grade")}


def plain_phrase(markdown):
    """The longest stretch of an answer without math or markup, as the rendered page shows it word for word."""
    pieces = re.split(r"\$[^$]*\$|[`*_\\#>\[\]()]", markdown)
    return " ".join(max(pieces, key=lambda piece: len(piece.strip())).split())


def test_instructor_lab_has_the_instructor_tools(tab):
    page, _, _ = tab
    page.locator(".jp-MainAreaWidget iframe").first.wait_for(timeout=60_000)
    nbgrader = labs.menu_items(page, "Nbgrader")
    assert {"Formgrader", "Course List"} <= set(nbgrader), nbgrader
    assert [t for t in labs.side_tabs(page) if "Create Assignment" in t], labs.side_tabs(page)


def test_formgrader_lists_the_assignments(tab, course):
    _, frame, _ = tab
    names = frame.locator("#main-table td.name")
    names.first.wait_for(timeout=60_000)
    listed = [name.strip() for name in names.all_text_contents()]
    expected = sorted(p.name for p in (course.root / "solutions").iterdir() if re.fullmatch(r"a\d\d", p.name))
    assert sorted(listed) == expected, listed


def test_submission_opens_for_manual_grading(tab, course, artifacts):
    page, frame, _ = tab
    frame.get_by_role("link", name="Manual Grading").click()
    frame.get_by_role("link", name=ASSIGNMENT, exact=True).click()
    frame.get_by_role("link", name=CASE.notebook_id, exact=True).click()
    frame.locator("#main-table a[href*='/formgrader/submissions/']:visible").first.click()

    graded = nbformat.read(course.autograded_path(STUDENT), as_version=4)
    written = written_answers(graded)
    assert written, f"{ASSIGNMENT} has no written answer to grade by hand"
    answers = harness.answers(CASE)
    for grade_id, points in written.items():
        box = frame.locator(f"input.score#{grade_id}")
        box.wait_for(timeout=60_000)
        cell = frame.locator(".nbgrader_cell", has=box)
        text = " ".join(cell.inner_text().split())
        assert f"/ {round(points, 2)}" in text, f"{grade_id}: no '/ {round(points, 2)}' beside the score box"
        assert plain_phrase(answers[grade_id]) in text, f"{grade_id}: the student's answer is not shown"
        box.scroll_into_view_if_needed()
        assert box.is_editable()
    page.screenshot(path=str(artifacts / "formgrader-manual-grading.png"))


def typeset(frame_or_page):
    """(typeset formulas, raw TeX delimiters left in the visible text) once MathJax has finished."""
    frame_or_page.locator("mjx-container").first.wait_for(timeout=60_000)
    text = frame_or_page.locator("body").inner_text()
    return frame_or_page.locator("mjx-container").count(), [m.group() for m in re.finditer(r"\$\$|\\\(|\\\[", text)]


def test_manual_grading_typesets_equations_offline(tab):
    _, frame, guard = tab
    count, raw = typeset(frame)
    assert count > 0 and not raw, raw


def test_formgrader_needs_no_network(tab):
    _, _, guard = tab
    assert not guard.problems(), "\n".join(guard.problems())


def test_feedback_typesets_equations_offline(browser, course, artifacts):
    """The feedback page is one file that a student opens anywhere: MathJax must come with it."""
    page_path = course.root / "feedback" / STUDENT / ASSIGNMENT / f"{CASE.notebook_id}.html"
    server = browsing.StaticServer(page_path.parent)
    try:
        context, guard = browsing.new_context(browser, server.url)
        page = context.new_page()
        page.goto(server.url + page_path.name)
        count, raw = typeset(page)
        assert count > 0 and not raw, raw
        problems = [p for p in guard.problems() if "favicon.ico" not in p]  # the test's file server has none
        assert not problems, "\n".join(problems)
        page.screenshot(path=str(artifacts / "feedback-offline-maths.png"))
        context.close()
    finally:
        server.close()
