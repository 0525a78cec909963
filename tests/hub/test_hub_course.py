"""The course on JupyterHub, end to end, as it is really used: every step goes through the hub, and every step a
person does by clicking is clicked, in Chromium.

Real services, started by tests/hub/hubserver.py: JupyterHub with configurable-http-proxy on 127.0.0.1, PAM
logins of local Unix accounts, the LocalProcessSpawner, the formgrader as a hub service run by the grader
account, nbgrader's exchange, a PostgreSQL gradebook.

1. the instructor logs in and, on the formgrader's Manage Assignments page, generates and releases a01;
2. two students log in, open JupyterLab's Assignments list, click Fetch, open the notebook and type their answers
   into its cells (alice solves a01 fully, bob partly), save it with Ctrl+S and click Submit;
3. a third student (carol) sees neither their files nor their submissions;
4. the instructor clicks Collect; the grader account autogrades in parallel (``safe_autograde.py --jobs 2``) into
   PostgreSQL; the instructor types the score of a written answer in the formgrader, then clicks Generate
   Feedback and Release Feedback;
5. each student clicks Fetch Feedback and reads their own feedback, which shows their own score only.

The steps run in order and share the state in ``FLOW``; the hub's REST API only checks what the clicks did.
"""

from __future__ import annotations

import json
import re
import subprocess
import time

import nbformat
import pytest
import requests

import harness
from hubserver import ASSIGNMENT, COURSE

FLOW: dict = {}
NOTEBOOK = harness.load_case(ASSIGNMENT).notebook
NOTEBOOK_ID = NOTEBOOK.removesuffix(".ipynb")


def login(hub, name: str, password: str | None = None) -> requests.Session:
    """Log in on the hub's login page, as a browser does: the form, with the _xsrf cookie."""
    s = requests.Session()
    s.get(f"{hub.url}/hub/login", timeout=30)
    s.post(f"{hub.url}/hub/login", allow_redirects=False, timeout=60,
           data={"username": name, "password": password or hub.passwords[name], "_xsrf": s.cookies.get("_xsrf")})
    return s


def user_token(hub, name: str) -> str:
    """A token the user makes for themself after logging in (the hub's Token page does the same request)."""
    if name not in FLOW.setdefault("tokens", {}):
        s = login(hub, name)
        r = s.post(f"{hub.url}/hub/api/users/{name}/tokens", json={"note": "tests/hub", "expires_in": 3600},
                   headers={"X-XSRFToken": s.cookies.get("_xsrf", "")}, timeout=60)
        assert r.status_code == 201, r.text
        FLOW["tokens"][name] = r.json()["token"]
    return FLOW["tokens"][name]


def as_user(hub, name: str, method: str, path: str, **kw) -> requests.Response:
    """A request through the proxy, with ``name``'s token: /user/<name>/..., /services/<course>/..."""
    headers = {"Authorization": f"token {user_token(hub, name)}"}
    return requests.request(method, f"{hub.url}{path}", headers=headers, timeout=600, **kw)


def start_server(hub, name: str) -> None:
    r = hub.api("POST", f"/users/{name}/server", token=user_token(hub, name))
    assert r.status_code in (201, 202, 400), r.text  # 400: already running
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        model = hub.api("GET", f"/users/{name}", token=user_token(hub, name)).json()
        if model.get("servers", {}).get("", {}).get("ready"):
            return
        time.sleep(1)
    raise AssertionError(f"{name}'s server did not start:\n{hub.log_tail()}")


def formgrader(hub, method: str, path: str, **kw) -> requests.Response:
    return as_user(hub, hub.instructor, method, f"/services/{COURSE}/formgrader/api{path}", **kw)


def assignment_action(hub, name: str, action: str) -> dict:
    """What JupyterLab's Assignments tab does: POST /user/<name>/assignments/<action>."""
    r = as_user(hub, name, "POST", f"/user/{name}/assignments/{action}",
                data={"course_id": COURSE, "assignment_id": ASSIGNMENT})
    assert r.status_code == 200, r.text
    return r.json()


def as_unix_user(hub, name: str, *command: str) -> subprocess.CompletedProcess:
    return subprocess.run(["runuser", "-u", name, "--", *command], capture_output=True, text=True,
                          cwd="/", timeout=1200)


def browser_login(chromium, hub, name: str):
    """A Chromium page logged in to the hub as ``name`` through the login form."""
    page = chromium.new_context(viewport={"width": 1280, "height": 900}).new_page()
    page.goto(f"{hub.url}/hub/login")
    page.fill("input#username_input", name)
    page.fill("input#password_input", hub.passwords[name])
    page.click("#login_submit")
    page.wait_for_url(re.compile(r".*/(hub/(home|spawn.*)|user/.*)$"), timeout=120_000)
    return page



def manage_assignments(chromium, hub):
    """The instructor's formgrader page Manage Assignments, logged in through the hub's login form."""
    page = browser_login(chromium, hub, hub.instructor)
    page.goto(f"{hub.url}/services/{COURSE}/formgrader/manage_assignments")
    page.locator("table.dataTable tbody tr", has_text=ASSIGNMENT).first.wait_for(timeout=120_000)
    return page


def click_in_formgrader(page, icon: str, what: str) -> str:
    """Click the ``icon`` button of a01's row (generate, release, collect, feedback) and return the log that the
    formgrader's success dialog shows; its error dialog fails the test with the log it shows."""
    row = page.locator("table.dataTable tbody tr", has_text=ASSIGNMENT).first
    row.locator(f"span.glyphicon-{icon}").click()
    dialog = page.locator("#success-modal, #error-modal").first
    dialog.wait_for(timeout=600_000)
    text = dialog.inner_text()
    assert dialog.get_attribute("id") == "success-modal", f"{what} failed in the formgrader:\n{text[-3000:]}"
    dialog.locator("button[data-dismiss='modal']").first.click()
    dialog.wait_for(state="detached", timeout=60_000)
    return text


def assignments_list(chromium, hub, name: str):
    """``name``'s JupyterLab, logged in through the hub, with the Assignments list open (Nbgrader menu)."""
    page = browser_login(chromium, hub, name)
    page.goto(f"{hub.url}/user/{name}/lab")
    page.locator("#jp-MainMenu .lm-MenuBar-itemLabel", has_text="Nbgrader").click(timeout=300_000)
    page.get_by_role("menuitem", name="Assignment List").click()
    page.locator("#released_assignments_list, #fetched_assignments_list").first.wait_for(timeout=120_000)
    return page


def click_in_assignments_list(page, listing: str, button: str) -> None:
    """Click ``button`` (Fetch, Submit, Fetch Feedback) on a01's row of the list ``listing`` (released, fetched,
    submitted)."""
    row = page.locator(f"#{listing}_assignments_list .list_item", has_text=ASSIGNMENT).first
    row.wait_for(timeout=120_000)
    row.get_by_role("button", name=button, exact=True).click()


def test_users_log_in_with_their_unix_password(hub):
    for name in [*hub.students, hub.instructor]:
        s = login(hub, name)
        assert "jupyterhub-session-id" in s.cookies or any("jupyterhub" in c for c in s.cookies.keys()), name
        assert s.get(f"{hub.url}/hub/home", timeout=30, allow_redirects=False).status_code == 200, name
    intruder = login(hub, hub.students[0], password="wrong")
    assert intruder.get(f"{hub.url}/hub/home", timeout=30, allow_redirects=False).status_code == 302


def test_groups_give_students_the_course_and_instructors_the_formgrader(hub):
    groups = {g["name"]: set(g["users"]) for g in hub.api("GET", "/groups").json()}
    assert groups[f"nbgrader-{COURSE}"] == set(hub.students)
    assert groups[f"formgrade-{COURSE}"] == {hub.instructor, hub.grader}
    assert formgrader(hub, "GET", "/status").status_code == 200
    r = as_user(hub, hub.students[0], "GET", f"/services/{COURSE}/formgrader/api/status", allow_redirects=False)
    assert r.status_code in (403, 302), "a student may not open the formgrader"


def test_instructor_releases_a01_in_the_formgrader(hub, chromium):
    page = manage_assignments(chromium, hub)
    log = click_in_formgrader(page, "education", "generating the student version")
    assert "Successfully created the student version" in log, log
    click_in_formgrader(page, "cloud-upload", "releasing")
    page.locator("table.dataTable tbody tr", has_text=ASSIGNMENT).first.locator(".label-success",
                                                                             has_text="released").wait_for()
    page.context.close()
    assert (hub.exchange / COURSE / "outbound" / ASSIGNMENT / NOTEBOOK).exists()


def solve(release: nbformat.NotebookNode, fully: bool) -> nbformat.NotebookNode:
    case = harness.load_case(ASSIGNMENT)
    answers = harness.answers(case)
    if not fully:
        answers.update(next(iter(case.wrong.values())))
    return harness.fill(release, answers)


def type_answers(page, hub, name: str, release: nbformat.NotebookNode, solved: nbformat.NotebookNode) -> None:
    """Open the fetched notebook in ``name``'s JupyterLab, type each answer into its cell, and save (Ctrl+S)."""
    page.goto(f"{hub.url}/user/{name}/lab/tree/{COURSE}/{ASSIGNMENT}/{NOTEBOOK}")
    cells = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook .jp-Cell")
    cells.nth(len(release.cells) - 1).wait_for(state="attached", timeout=300_000)
    assert cells.count() == len(release.cells)
    for index, (before, after) in enumerate(zip(release.cells, solved.cells)):
        if before.source == after.source:
            continue
        cell = cells.nth(index)
        cell.scroll_into_view_if_needed()
        if before.cell_type == "markdown":
            cell.dblclick()  # a rendered written-answer cell opens its editor on a double click
        cell.locator(".cm-content").click()
        page.keyboard.press("Control+A")
        page.keyboard.insert_text(after.source)  # as pasted: no auto-indent or bracket closing to undo
        page.keyboard.press("Escape")
    page.keyboard.press("Control+S")


@pytest.mark.parametrize("who, fully", [(0, True), (1, False)])
def test_students_fetch_solve_and_submit(hub, chromium, who, fully):
    name = hub.students[who]
    page = assignments_list(chromium, hub, name)
    click_in_assignments_list(page, "released", "Fetch")
    page.locator("#fetched_assignments_list .list_item", has_text=ASSIGNMENT).first.wait_for(timeout=120_000)
    path = f"/user/{name}/api/contents/{COURSE}/{ASSIGNMENT}/{NOTEBOOK}"
    r = as_user(hub, name, "GET", path)
    assert r.status_code == 200, r.text
    release = nbformat.from_dict(r.json()["content"])
    assert "BEGIN SOLUTION" not in json.dumps(r.json()["content"]), "the release carries no solution"
    solved = solve(release, fully)
    type_answers(page, hub, name, release, solved)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        saved = nbformat.from_dict(as_user(hub, name, "GET", path).json()["content"])
        if [c.source.strip() for c in saved.cells] == [c.source.strip() for c in solved.cells]:
            break
        time.sleep(1)
    else:
        differ = [(i, c.source) for i, (c, w) in enumerate(zip(saved.cells, solved.cells))
                  if c.source.strip() != w.source.strip()]
        raise AssertionError(f"the notebook saved from JupyterLab differs from what was typed: {differ}"[:3000])
    page.goto(f"{hub.url}/user/{name}/lab")
    page.locator("#jp-MainMenu .lm-MenuBar-itemLabel", has_text="Nbgrader").click(timeout=300_000)
    page.get_by_role("menuitem", name="Assignment List").click()
    click_in_assignments_list(page, "fetched", "Submit")
    page.locator("#submitted_assignments_list .list_item", has_text=ASSIGNMENT).first.wait_for(timeout=120_000)
    page.context.close()


def test_a_third_student_sees_neither_their_files_nor_their_submissions(hub):
    alice, bob, carol = hub.students
    start_server(hub, carol)
    assert assignment_action(hub, carol, "fetch")["success"], "carol takes the course too"
    for other in (alice, bob):
        r = as_user(hub, carol, "GET", f"/user/{other}/api/contents/{COURSE}/{ASSIGNMENT}", allow_redirects=False)
        assert r.status_code in (403, 404, 302), (other, r.status_code)
        listing = as_unix_user(hub, carol, "ls", str(hub.home(other)))
        assert listing.returncode != 0 and "Permission denied" in listing.stderr
    inbound = hub.exchange / COURSE / "inbound"
    listing = as_unix_user(hub, carol, "ls", str(inbound))
    assert listing.returncode != 0 and "Permission denied" in listing.stderr
    assert len(list(inbound.iterdir())) == 2, "both submissions are there, carol just cannot see them"
    course = as_unix_user(hub, carol, "ls", str(hub.course_dir()))
    assert course.returncode != 0, "the course folder with solutions/ is out of reach"


def test_instructor_collects_and_the_grader_autogrades_in_parallel_into_postgres(hub, chromium):
    page = manage_assignments(chromium, hub)
    click_in_formgrader(page, "cloud-download", "collecting")
    page.context.close()
    proc = subprocess.run(
        ["runuser", "-u", hub.grader, "--", "env", f"HOME={hub.home(hub.grader)}",
         f"PATH={hub.env_dir / 'bin'}:/usr/bin:/bin", f"NBGRADER_EXCHANGE={hub.exchange}", "OMP_NUM_THREADS=1",
         str(hub.env_dir / "bin" / "python"), "grading/sandbox/safe_autograde.py", ASSIGNMENT, "--jobs=2"],
        cwd=hub.course_dir(), capture_output=True, text=True, timeout=1200)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    assert "in 2 worker(s)" in proc.stdout and "[2/2]" in proc.stdout
    assert ".pgdump" in proc.stdout and "gradebook checked" in proc.stdout
    subs = formgrader(hub, "GET", f"/submitted_notebooks/{ASSIGNMENT}/{NOTEBOOK_ID}").json()
    FLOW["submissions"] = {s["student"]: s for s in subs}
    alice, bob, _ = hub.students
    assert set(FLOW["submissions"]) == {alice, bob}
    assert FLOW["submissions"][alice]["code_score"] == FLOW["submissions"][alice]["max_code_score"]
    assert 0 < FLOW["submissions"][bob]["code_score"] < FLOW["submissions"][bob]["max_code_score"]


def test_instructor_grades_a_written_answer_in_the_formgrader_and_releases_feedback(hub, chromium):
    """In Chromium: the instructor logs in, opens alice's submission in the formgrader and types a score for a
    written answer. Bob's written answer is graded through the formgrader's API; then feedback is released."""
    alice, bob, _ = hub.students
    page = browser_login(chromium, hub, hub.instructor)
    submission_id = FLOW["submissions"][alice]["id"]
    grades = formgrader(hub, "GET", "/grades", params={"submission_id": submission_id}).json()
    written = next(g for g in grades if g["max_score"] and g.get("auto_score") is None)
    page.goto(f"{hub.url}/services/{COURSE}/formgrader/submissions/{submission_id}/?index=0")
    box = page.locator(f"input.score#{written['name']}")
    box.wait_for(timeout=120_000)
    box.fill("2")
    box.press("Tab")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        saved = {g["id"]: g for g in formgrader(hub, "GET", "/grades",
                                                  params={"submission_id": submission_id}).json()}
        if saved[written["id"]]["manual_score"] == 2:
            break
        time.sleep(1)
    else:
        raise AssertionError(f"the score typed in the formgrader was not saved: {saved[written['id']]}")
    page.context.close()
    FLOW.setdefault("written", {})[alice] = (written["name"], 2.0)

    grades = formgrader(hub, "GET", "/grades", params={"submission_id": FLOW["submissions"][bob]["id"]}).json()
    written = next(g for g in grades if g["max_score"] and g.get("auto_score") is None)
    r = formgrader(hub, "PUT", f"/grade/{written['id']}", data=json.dumps({"manual_score": 1.0}))
    assert r.status_code == 200, r.text
    FLOW["written"][bob] = (written["name"], 1.0)
    page = manage_assignments(chromium, hub)
    click_in_formgrader(page, "comment", "generating feedback")
    click_in_formgrader(page, "envelope", "releasing feedback")
    page.context.close()


def test_each_student_fetches_their_own_feedback_and_score_only(hub, chromium):
    alice, bob, carol = hub.students
    scores = {}
    for student in (alice, bob):
        page = assignments_list(chromium, hub, student)
        click_in_assignments_list(page, "submitted", "Fetch Feedback")
        folder = f"/user/{student}/api/contents/{COURSE}/{ASSIGNMENT}/feedback"
        deadline = time.monotonic() + 120
        while as_user(hub, student, "GET", folder).status_code != 200:
            assert time.monotonic() < deadline, f"{student}'s feedback did not arrive after Fetch Feedback"
            time.sleep(1)
        page.context.close()
        listing = as_user(hub, student, "GET", folder).json()["content"]
        assert len(listing) == 1, listing
        html = as_user(hub, student, "GET", f"{folder}/{listing[0]['name']}/{NOTEBOOK_ID}.html").json()["content"]
        sub = FLOW["submissions"][student]
        total = re.search(r"Score:\s*([\d.]+)\s*/\s*([\d.]+)", html) or re.search(r"([\d.]+) / ([\d.]+)", html)
        assert total, html[:2000]
        scores[student] = float(total.group(1))
        assert scores[student] == pytest.approx(sub["code_score"] + FLOW["written"][student][1])
        other = bob if student == alice else alice
        assert other not in html
    assert scores[alice] > scores[bob]
    nothing = assignment_action(hub, carol, "fetch_feedback")
    r = as_user(hub, carol, "GET", f"/user/{carol}/api/contents/{COURSE}/{ASSIGNMENT}/feedback")
    assert r.status_code == 404 or not r.json()["content"], nothing


def test_in_chromium_a_student_reads_her_feedback_and_not_another_students_work(hub, chromium):
    alice, bob, carol = hub.students
    page = browser_login(chromium, hub, alice)
    folder = f"/user/{alice}/api/contents/{COURSE}/{ASSIGNMENT}/feedback"
    stamp = as_user(hub, alice, "GET", folder).json()["content"][0]["name"]
    page.goto(f"{hub.url}/user/{alice}/files/{COURSE}/{ASSIGNMENT}/feedback/{stamp}/{NOTEBOOK_ID}.html")
    text = page.locator("body").inner_text(timeout=120_000)
    score = FLOW["submissions"][alice]["code_score"] + FLOW["written"][alice][1]
    assert re.search(rf"Score:\s*{score:g}(\.0+)?\s*/", text), text[:1500]
    page.context.close()

    page = browser_login(chromium, hub, carol)
    response = page.goto(f"{hub.url}/user/{alice}/files/{COURSE}/{ASSIGNMENT}/feedback/{stamp}/{NOTEBOOK_ID}.html")
    body = page.locator("body").inner_text(timeout=120_000)
    assert response.status in (403, 404) or "403" in body or "not allowed" in body.lower(), body[:1000]
    assert "Score:" not in body
    page.context.close()
