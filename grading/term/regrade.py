"""Regrade an assignment after a change to its tests or points, keeping the hand grading (`make regrade A=a01`).

    python grading/term/regrade.py a01        (from the course root, with the venv's bin/ on PATH)

nbgrader alone needs six steps, and `autograde --force` flags every cell that has a manual score as "needs
manual grade" again, so every written answer would have to be looked at anew. This runs, in order:

1. nbgrader generate_assignment A --force   (the gradebook learns the new tests and points)
2. the sandboxed autograde of every submission with --force (grading/sandbox/safe_autograde.py: gradebook backed up)
3. for each cell graded by hand before, its "needs manual grade" flag is cleared again if neither the cell in
   solutions/ (its checksum and points) nor the student's submitted notebook changed; otherwise it stays flagged
   and is listed, so you know what to look at in the formgrader;
4. nbgrader generate_feedback A --force and nbgrader release_feedback A (students fetch the new feedback).

Manual scores and comments themselves are never touched (nbgrader keeps them); only the flags are restored.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

from nbgrader.api import Gradebook, MissingEntry
from traitlets.config.loader import PyFileConfigLoader

HERE = Path(__file__).resolve().parent


def course_settings(root: Path) -> tuple[str, str]:
    config = PyFileConfigLoader("nbgrader_config.py", path=str(root)).load_config()
    db_url = config.CourseDirectory.get("db_url") or f"sqlite:///{root / 'gradebook.db'}"
    return db_url, config.CourseDirectory.get("course_id") or "default_course"


def submission_hash(root: Path, student: str, assignment: str, notebook: str) -> str | None:
    path = root / "submitted" / student / assignment / f"{notebook}.ipynb"
    if not path.is_file():
        return None
    cells = json.loads(path.read_text())["cells"]
    return hashlib.sha256(json.dumps(["".join(c["source"]) for c in cells]).encode()).hexdigest()


def cell_state(gb: Gradebook, grade_id: str, notebook: str, assignment: str) -> tuple:
    """What defines how a cell is graded: its points and the checksum of its source in the gradebook."""
    try:
        source = gb.find_source_cell(grade_id, notebook, assignment).checksum
    except MissingEntry:
        source = None
    return gb.find_grade_cell(grade_id, notebook, assignment).max_score, source


def hand_graded(gb: Gradebook, root: Path, assignment: str) -> dict[tuple, tuple]:
    """(student, notebook, grade_id) -> (cell state, submission hash) for every grade reviewed by hand."""
    kept = {}
    for notebook in gb.find_assignment(assignment).notebooks:
        for sub in notebook.submissions:
            digest = submission_hash(root, sub.student.id, assignment, notebook.name)
            for grade in sub.grades:
                if grade.manual_score is not None and not grade.needs_manual_grade:
                    key = (sub.student.id, notebook.name, grade.name)
                    kept[key] = (cell_state(gb, grade.name, notebook.name, assignment), digest)
    return kept


def restore_flags(gb: Gradebook, root: Path, assignment: str, before: dict[tuple, tuple]) -> list[str]:
    """Clear the flags that autograde --force set on unchanged hand-graded cells; return the ones left set."""
    changed = []
    for (student, notebook, grade_id), (state, digest) in sorted(before.items()):
        grade = gb.find_grade(grade_id, notebook, assignment, student)
        same_cell = cell_state(gb, grade_id, notebook, assignment) == state
        same_answer = submission_hash(root, student, assignment, notebook) == digest
        if same_cell and same_answer:
            grade.needs_manual_grade = False
        else:
            why = "the cell in solutions/ changed" if not same_cell else "the student resubmitted"
            changed.append(f"{student} {notebook} {grade_id}: {why}")
    gb.db.commit()
    return changed


def nbgrader(*args: str) -> None:
    print("nbgrader " + " ".join(args), flush=True)
    subprocess.run(["nbgrader", *args], check=True)


def main() -> None:
    if len(sys.argv) != 2:
        sys.exit("usage: make regrade A=<assignment, e.g. a01>")
    assignment, root = sys.argv[1], Path.cwd()
    db_url, course_id = course_settings(root)
    with Gradebook(db_url, course_id) as gb:
        try:
            before = hand_graded(gb, root, assignment)
        except MissingEntry:
            sys.exit(f"{assignment} is not in the gradebook: generate, release, collect and autograde it first")
    nbgrader("generate_assignment", assignment, "--force")
    print(f"safe autograde {assignment} --force", flush=True)
    subprocess.run([sys.executable, str(HERE.parent / "sandbox" / "safe_autograde.py"), assignment, "--force"],
                   check=True)
    with Gradebook(db_url, course_id) as gb:
        changed = restore_flags(gb, root, assignment, before)
    print(f"Hand grades kept without review: {len(before) - len(changed)}; to review in the formgrader: "
          f"{len(changed)}" + "".join(f"\n  {line}" for line in changed))
    nbgrader("generate_feedback", assignment, "--force")
    nbgrader("release_feedback", assignment)


if __name__ == "__main__":
    main()
