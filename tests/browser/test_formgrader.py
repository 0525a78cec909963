"""An instructor's JupyterLab (`make formgrader`), used in Chromium the way the instructor guide says.

A temporary course root holds the repository's nbgrader_config.py (with the grading sandbox it uses), solutions/
and exercises/. The first assignment is generated into its gradebook, one student's submission (the solution
typed into the release) is put under submitted/<student>/<aNN>/ and autograded. In the browser, the formgrader tab
lists every assignment of solutions/, and the autograded submission opens for manual grading with a score box on
each written answer.
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
# nbgrader 0.9's manual-grading page loads MathJax 2 from cdnjs (formgrade/index.html.j2 calls nbconvert's
# mathjax() macro with its default URL), so offline its equations stay raw TeX. Reported; until it is fixed these
# are the only problems allowed, and test_manual_grading_offline_gap_is_still_there says when to remove them.
NBGRADER_MATHJAX_CDN = "cdnjs.cloudflare.com/ajax/libs/mathjax/2."
KNOWN_GAP = (NBGRADER_MATHJAX_CDN, "MathJax is not defined")


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


def test_formgrader_needs_no_network_but_for_the_known_gap(tab):
    _, _, guard = tab
    unexpected = [p for p in guard.problems() if not any(gap in p for gap in KNOWN_GAP)]
    assert not unexpected, "\n".join(unexpected)


def test_manual_grading_offline_gap_is_still_there(tab):
    """When nbgrader serves MathJax itself, this fails: then delete KNOWN_GAP and this test."""
    _, _, guard = tab
    assert any(NBGRADER_MATHJAX_CDN in url for url in guard.external), guard.problems()
