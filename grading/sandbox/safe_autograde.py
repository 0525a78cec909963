"""Autograde an assignment without risking the gradebook: back it up, grade, then check it and restore if needed.

Usage, from the course root (``make autograde A=a01 [JOBS=4]`` runs this)::

    python grading/sandbox/safe_autograde.py a01 [--jobs N] [--student-timeout S] [--shard K/M] [nbgrader options]

1. The gradebook (nbgrader's ``db_url``: SQLite by default, or PostgreSQL) is backed up to
   ``gradebook-backups/``: SQLite's online backup (``gradebook-<time>.db``) or ``pg_dump`` (``.pgdump``).
2. ``nbgrader autograde`` runs; nbgrader_config.py puts every submission in the sandbox kernel. With
   ``--jobs N`` the students are graded by N workers at once (parallel_autograde.py), long-lived processes that
   each start nbgrader once and grade one student after another, each in a fresh sandbox kernel; progress, failed
   students and the CPU seconds per student are printed.
   ``--shard K/M`` grades only the K-th of every M students, so that M machines sharing the course folder and
   a PostgreSQL gradebook grade one class together (book/guide_hub.md).
3. The gradebook is checked: its integrity (SQLite's integrity check; PostgreSQL: reachable, nbgrader's tables),
   and every row that this run had no business changing (other assignments, students without a submission of
   this one, the assignment's cells, the students themselves) is exactly as it was. If not, the damaged
   gradebook is kept as ``gradebook-backups/gradebook-<time>-damaged.*`` and the backup is restored. A run that
   stops halfway (a crash, Ctrl-C) is checked the same way, so it loses nothing that was there before.

Exit status: 0 when nbgrader succeeded and the gradebook passed; nbgrader's status (1 with ``--jobs``) when it
failed for some students but the gradebook is intact (their names are printed); 2 when it could not start (the
message names what is missing); 3 when the gradebook was restored. Backups are never deleted by this script.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from gradebook_guard import GradebookError, course_db_url, open_gradebook  # noqa: E402
from parallel_autograde import Pool  # noqa: E402

RESTORED = 3


def graded_students(root: Path, assignment: str, args: list[str]) -> list[str]:
    """Students with a submission of ``assignment`` (narrowed by ``--student``): the ones this run may grade."""
    students = sorted(p.parent.name for p in (root / "submitted").glob(f"*/{assignment}") if p.is_dir())
    for i, arg in enumerate(args):
        if arg.startswith("--student"):
            value = arg.split("=", 1)[1] if "=" in arg else args[i + 1] if i + 1 < len(args) else ""
            students = [s for s in students if s == value] or [value]
    return students


def split_options(options: list[str]) -> tuple[int | None, float, tuple[int, int] | None, list[str]]:
    """``--jobs N``, ``--student-timeout S`` and ``--shard K/M`` (ours), and the rest (nbgrader's)."""
    jobs, timeout, shard, rest = None, 3600.0, None, []
    it = iter(options)
    for arg in it:
        name, _, value = arg.partition("=")
        if name in ("--jobs", "--student-timeout", "--shard"):
            value = value or next(it, "")
            try:
                if name == "--shard":
                    k, m = (int(x) for x in value.split("/"))
                    if not 1 <= k <= m:
                        raise ValueError
                    shard = (k, m)
                elif name == "--jobs":
                    jobs = max(1, int(value))
                else:
                    timeout = float(value)
            except ValueError:
                raise SystemExit(f"safe_autograde: {name} needs {'K/M with 1 <= K <= M' if name == '--shard' else 'a number'}"
                                 f", not {value!r}")
        else:
            rest.append(arg)
    if shard and jobs is None:
        jobs = 1
    return jobs, timeout, shard, rest


def grade_in_one_call(root: Path, assignment: str, options: list[str], env: dict[str, str], nbgrader: str) -> int:
    proc = subprocess.Popen([nbgrader, "autograde", assignment, *options], cwd=root, env=env)
    try:
        return proc.wait()
    except KeyboardInterrupt:
        proc.terminate()
        status = proc.wait()
        print("safe_autograde: interrupted; checking the gradebook", file=sys.stderr)
        return status


def main(argv: list[str], root: Path | None = None) -> int:
    if not argv or argv[0].startswith("-"):
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    assignment = argv[0]
    jobs, student_timeout, shard, options = split_options(argv[1:])
    root = (root or Path.cwd()).resolve()
    if not (root / "nbgrader_config.py").is_file():
        print(f"safe_autograde: no nbgrader_config.py in {root}: run it from the course root", file=sys.stderr)
        return 2
    bin_dir = Path(sys.executable).parent
    # nbgrader shells out to `alembic`, from the same environment.
    os.environ["PATH"] = f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"
    env = dict(os.environ)
    nbgrader = str(bin_dir / "nbgrader")
    backups = root / "gradebook-backups"
    # With --shard K/M this machine grades every M-th student, other machines the others, at the same time.
    # The unchanged-rows check then spares every student's submission of this assignment, which the other
    # machines are writing.
    students = graded_students(root, assignment, options)
    mine = students[shard[0] - 1::shard[1]] if shard else students
    saved = before = None
    try:
        db_url = course_db_url(root, options)
        book = open_gradebook(db_url)
        if jobs is not None and not book.exists():
            # Workers must not race to create the tables: nbgrader creates them once, here.
            from nbgrader.api import Gradebook

            Gradebook(db_url).close()
        if book.exists():
            problem = book.integrity_problem()
            if problem:
                print(f"safe_autograde: not grading: {problem}", file=sys.stderr)
                return 2
            saved = book.backup(backups)
            before = book.protected_rows(assignment, students)
            print(f"safe_autograde: gradebook backed up to {saved}", flush=True)
    except GradebookError as err:
        print(f"safe_autograde: not grading: {err}", file=sys.stderr)
        return 2

    if jobs is None:
        status = grade_in_one_call(root, assignment, options, env, nbgrader)
    else:
        pool = Pool(root, assignment, mine, options, jobs=jobs, db_url=db_url, env=env,
                    student_timeout=student_timeout)
        try:
            status = int(any(not o.ok for o in pool.run()))
        except KeyboardInterrupt:
            status = 130
            print("safe_autograde: interrupted; checking the gradebook", file=sys.stderr)

    if saved is None:
        return status
    problem = book.damage(before, assignment, students)
    if problem is None:
        print("safe_autograde: gradebook checked: nothing outside this run's submissions changed", flush=True)
        return status
    kept = book.restore(saved)
    print(f"safe_autograde: {problem}.\nThe gradebook was restored from {saved}; the damaged one is kept as {kept}."
          f" Grade {assignment} again once the cause is fixed.", file=sys.stderr)
    return RESTORED


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
