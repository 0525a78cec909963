"""Autograde an assignment without risking the gradebook: back it up, grade, then check it and restore if needed.

Usage, from the course root (``make autograde A=a01`` runs this)::

    python mk/sandbox/safe_autograde.py a01 [more nbgrader autograde options, e.g. --student alice --force]

1. ``gradebook.db`` is copied with SQLite's online backup to ``gradebook-backups/gradebook-<time>.db``.
2. ``nbgrader autograde`` runs; nbgrader_config.py puts every submission in the sandbox kernel.
3. The gradebook is checked: SQLite's integrity check passes, and every row that this run had no business
   changing (other assignments, students without a submission of this one, the assignment's cells, the
   students themselves) is exactly as it was. If not, the damaged file is kept as
   ``gradebook-backups/gradebook-<time>-damaged.db`` and the backup is restored. A run that stops halfway
   (a crash, Ctrl-C) is checked the same way, so it loses nothing that was there before.

Exit status: 0 when nbgrader succeeded and the gradebook passed; nbgrader's status when it failed for some
students but the gradebook is intact (their names are in its log); 3 when the gradebook was restored.
Backups are never deleted by this script.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

RESTORED = 3
# Rows an autograde run of an assignment may rewrite: its submissions by the students it grades.
REGRADED_SUBMISSIONS = """
    SELECT sa.id FROM submitted_assignment sa JOIN assignment a ON sa.assignment_id = a.id
    WHERE a.name = ? AND sa.student_id IN ({students})
"""
CHILD_TABLES = {  # table -> which of its rows belong to the regraded submissions
    "submitted_assignment": "id IN ({subs})",
    "submitted_notebook": "assignment_id IN ({subs})",
    "grade": "notebook_id IN (SELECT id FROM submitted_notebook WHERE assignment_id IN ({subs}))",
    "comment": "notebook_id IN (SELECT id FROM submitted_notebook WHERE assignment_id IN ({subs}))",
}


def backup(db: Path, folder: Path) -> Path:
    """A consistent copy of ``db`` in ``folder`` (SQLite's backup API, safe while others read it)."""
    folder.mkdir(exist_ok=True)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S-%f")
    target = folder / f"{db.stem}-{stamp}.db"
    with sqlite3.connect(db) as source, sqlite3.connect(target) as copy:
        source.backup(copy)
    return target


def integrity_problem(db: Path) -> str | None:
    """Why ``db`` is not a sound gradebook, or None."""
    if not db.is_file():
        return f"{db} is missing"
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as con:
            result = con.execute("PRAGMA integrity_check").fetchone()[0]
            tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    except sqlite3.DatabaseError as err:
        return f"{db} cannot be read as SQLite: {err}"
    if result != "ok":
        return f"SQLite's integrity check of {db} failed: {result}"
    missing = {"student", "assignment", "grade", "submitted_assignment"} - tables
    return f"{db} lacks the tables {sorted(missing)}" if missing else None


def protected_rows(db: Path, assignment: str, students: list[str]) -> dict[str, set[tuple]]:
    """Every row of every table, except those an autograde of ``assignment`` for ``students`` may rewrite."""
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as con:
        marks = ",".join("?" * len(students)) or "NULL"
        subs = [r[0] for r in con.execute(REGRADED_SUBMISSIONS.format(students=marks), [assignment, *students])]
        sub_marks = ",".join("?" * len(subs)) or "NULL"
        rows = {}
        for (table,) in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall():
            if table == "alembic_version":
                continue
            if table in CHILD_TABLES:
                query = f'SELECT * FROM "{table}" WHERE NOT (' + CHILD_TABLES[table].format(subs=sub_marks) + ")"
                rows[table] = set(con.execute(query, subs))
            else:
                rows[table] = set(con.execute(f'SELECT * FROM "{table}"'))
    return rows


def damage(db: Path, before: dict[str, set[tuple]], assignment: str, students: list[str]) -> str | None:
    """What the run broke or changed outside its own submissions, or None."""
    problem = integrity_problem(db)
    if problem:
        return problem
    after = protected_rows(db, assignment, students)
    for table, rows in before.items():
        lost = rows - after.get(table, set())
        if lost:
            return f"{len(lost)} row(s) of table {table} were changed or removed, e.g. {sorted(lost)[0]}"
    return None


def graded_students(root: Path, assignment: str, args: list[str]) -> list[str]:
    """Students with a submission of ``assignment`` (narrowed by ``--student``): the ones this run may grade."""
    students = sorted(p.parent.name for p in (root / "submitted").glob(f"*/{assignment}") if p.is_dir())
    for i, arg in enumerate(args):
        if arg.startswith("--student"):
            value = arg.split("=", 1)[1] if "=" in arg else args[i + 1] if i + 1 < len(args) else ""
            students = [s for s in students if s == value] or [value]
    return students


def main(argv: list[str], root: Path | None = None) -> int:
    if not argv or argv[0].startswith("-"):
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    assignment, options = argv[0], argv[1:]
    root = (root or Path.cwd()).resolve()
    if not (root / "nbgrader_config.py").is_file():
        print(f"safe_autograde: no nbgrader_config.py in {root}: run it from the course root", file=sys.stderr)
        return 2
    db, backups = root / "gradebook.db", root / "gradebook-backups"
    students = graded_students(root, assignment, options)
    saved = before = None
    if db.exists():
        problem = integrity_problem(db)
        if problem:
            print(f"safe_autograde: not grading: {problem}", file=sys.stderr)
            return 2
        saved = backup(db, backups)
        before = protected_rows(db, assignment, students)
        print(f"safe_autograde: gradebook backed up to {saved}")

    bin_dir = Path(sys.executable).parent
    env = dict(os.environ, PATH=f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}")
    proc = subprocess.Popen([str(bin_dir / "nbgrader"), "autograde", assignment, *options], cwd=root, env=env)
    try:
        status = proc.wait()
    except KeyboardInterrupt:
        proc.terminate()
        status = proc.wait()
        print("safe_autograde: interrupted; checking the gradebook", file=sys.stderr)

    if saved is None:
        return status
    problem = damage(db, before, assignment, students)
    if problem is None:
        print(f"safe_autograde: gradebook checked: nothing outside this run's submissions changed")
        return status
    kept = saved.with_name(saved.stem + "-damaged.db")
    if db.exists():
        shutil.move(db, kept)
    shutil.copy2(saved, db)
    print(f"safe_autograde: {problem}.\nThe gradebook was restored from {saved}; the damaged one is kept as {kept}."
          f" Grade {assignment} again once the cause is fixed.", file=sys.stderr)
    return RESTORED


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
