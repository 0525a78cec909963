"""A student's JupyterLab (`make student-lab`), used in Chromium the way the student guide says.

The student's clone is a temporary copy of what the student setup reads (.jupyter-student/, nbgrader_config.py,
mk/, exercises/), with Jupyter's per-user folders in a temporary home. The student opens the first assignment,
presses Validate on the untouched notebook (failures), types the solution into the answer cells (the solutions/
notebook's answers without nbgrader's markers), runs all cells and presses Validate again (success). The
instructor tools (formgrader, course list, create assignment) must not be there.

The tests run in file order on one notebook page: the untouched notebook is validated before it is filled in.
"""

import shutil
from dataclasses import dataclass

import nbformat
import pytest

import browsing
import harness
import labs

ASSIGNMENT = harness.assignments()[0]  # the first assignment with a case file (a01 is also the quickest)
CASE = harness.load_case(ASSIGNMENT)
NOTEBOOK = f"exercises/{ASSIGNMENT}/{CASE.notebook}"


@pytest.fixture(scope="module")
def clone(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("student")
    repo = tmp / "clone"
    no_cache = shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints")
    for folder in (".jupyter-student", "mk", "exercises"):
        shutil.copytree(harness.ROOT / folder, repo / folder, ignore=no_cache)
    shutil.copy(harness.ROOT / "nbgrader_config.py", repo / "nbgrader_config.py")
    (tmp / "exchange").mkdir()
    env = harness.hermetic_env(tmp / "home", HOME=str(tmp / "home"), NBGRADER_EXCHANGE=str(tmp / "exchange"))
    env.pop("JUPYTER_CONFIG_DIR")  # `make student-lab` sets it to the clone's .jupyter-student
    return repo, env


@pytest.fixture(scope="module")
def lab(clone):
    repo, env = clone
    server = labs.Lab("student-lab", repo, env)
    yield server
    server.stop()


@dataclass
class Notebook:
    page: object  # the browser tab, on JupyterLab with the notebook open
    release: nbformat.NotebookNode  # the notebook as released, cell i is the page's cell i
    guard: browsing.Guard  # what went wrong in the tab during the whole module

    def cell(self, index):
        return self.page.locator(".jp-NotebookPanel .jp-Notebook .jp-Cell").nth(index)


@pytest.fixture(scope="module")
def notebook(browser, lab):
    """The assignment open in JupyterLab, its kernel started."""
    context, guard = browsing.new_context(browser, lab.url)
    page = context.new_page()
    page.goto(lab.link(f"lab/tree/{NOTEBOOK}"))
    release = nbformat.read(lab.folder / NOTEBOOK, as_version=4)
    page.wait_for_function("n => document.querySelectorAll('.jp-NotebookPanel .jp-Notebook .jp-Cell').length == n",
                           arg=len(release.cells), timeout=60_000)
    idle(page)
    yield Notebook(page, release, guard)
    context.close()


def idle(page, timeout=120_000):
    page.locator(".jp-NotebookPanel-toolbar .jp-Notebook-ExecutionIndicator[data-status='idle']").wait_for(
        timeout=timeout)


def validate(page, screenshot=None):
    """Press Validate and read the dialog: (passed, the dialog's text)."""
    page.locator(".jp-NotebookPanel-toolbar .validate-button").click()
    dialog = page.locator(".jp-Dialog")
    dialog.locator(".validation-success, .validation-failed, .validation-changed, .validation-error").first.wait_for(
        timeout=300_000)  # nbgrader restarts the notebook and runs every cell
    passed = dialog.locator(".validation-success").count() == 1
    text = dialog.inner_text()
    if screenshot:
        page.screenshot(path=str(screenshot))
    dialog.get_by_role("button", name="Ok").click()
    dialog.wait_for(state="detached")
    return passed, text


def test_student_lab_has_no_instructor_tools(notebook, lab):
    page = notebook.page
    nbgrader = labs.menu_items(page, "Nbgrader")
    assert "Assignment List" in nbgrader, nbgrader
    assert not {"Formgrader", "Course List"} & set(nbgrader), f"instructor tools in the Nbgrader menu: {nbgrader}"
    tabs = labs.side_tabs(page)
    assert not [tab for tab in tabs if "Create Assignment" in tab], f"side bar tabs: {tabs}"
    assert page.locator(".jp-NotebookPanel-toolbar .validate-button").is_visible()
    response = page.request.get(lab.link("formgrader"))
    assert response.status == 404, f"/formgrader answered {response.status} in the student setup"


def test_validate_reports_failures_on_the_untouched_notebook(notebook, artifacts):
    passed, text = validate(notebook.page, artifacts / "student-validate-untouched.png")
    assert not passed, text
    assert "failed" in text and "NotImplementedError" in text, text


def test_filled_in_notebook_runs_and_validates(notebook, lab, artifacts):
    """Type each answer into its cell, run all cells, press Validate: success, and the file holds the answers."""
    page, answers = notebook.page, harness.answers(CASE)
    for index, cell in enumerate(notebook.release.cells):
        meta = harness.nbgrader_meta(cell)
        if not meta.get("solution"):
            continue
        widget = notebook.cell(index)
        widget.scroll_into_view_if_needed()
        if cell.cell_type == "markdown":  # a rendered written answer: select it, Enter to edit
            widget.click()
            page.keyboard.press("Enter")
            page.wait_for_function("cell => !cell.classList.contains('jp-mod-rendered')",
                                   arg=widget.element_handle())
        widget.locator(".cm-content").click()
        page.keyboard.press("Control+a")
        page.keyboard.insert_text(answers[meta["grade_id"]])  # as pasted: no auto-indent, no closing brackets
        page.keyboard.press("Escape")

    page.locator("#jp-MainMenu .lm-MenuBar-itemLabel", has_text="Run").click()
    page.get_by_role("menuitem", name="Run All Cells", exact=True).click()
    code = [i for i, cell in enumerate(notebook.release.cells) if cell.cell_type == "code"]
    page.wait_for_function(
        """indices => { const cells = document.querySelectorAll('.jp-NotebookPanel .jp-Notebook .jp-Cell');
                        return indices.every(i => /^\\[\\d+\\]:$/.test(
                            cells[i].querySelector('.jp-InputPrompt').textContent.trim())); }""",
        arg=code, timeout=180_000)
    idle(page)
    errors = page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")
    tracebacks = [text for text in errors.all_text_contents() if "Error" in text]
    assert not tracebacks, "\n\n".join(tracebacks)[-3000:]

    passed, text = validate(page, artifacts / "student-validate-passed.png")
    assert passed and "Success! Your notebook passes all the tests." in text, text
    saved = nbformat.read(lab.folder / NOTEBOOK, as_version=4)  # Validate saved it first
    for cell in saved.cells:
        meta = harness.nbgrader_meta(cell)
        if meta.get("solution"):
            assert cell.source == answers[meta["grade_id"]].strip("\n"), f"{meta['grade_id']} was not typed in as is"
    assert not notebook.guard.problems(), "\n".join(notebook.guard.problems())
