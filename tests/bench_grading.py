"""How fast a class is autograded: students per minute with JOBS = 1, 2, nproc, on SQLite and on PostgreSQL.

    python tests/bench_grading.py [--students 100] [--assignments a01,a06] [--jobs 1,2,N] [--db sqlite,postgres]

(part of `make bench`; not a timed test). For each assignment, a temporary course holds a class of ``--students``
made-up students: the case file's submissions (correct, unanswered, each wrong mutant, the alternative, tests
deleted, tests neutered), repeated in turn. The endless loop of the grader proofs is left out: each one costs a
cell timeout of waiting, which would measure the timeout, not the grader. The class is graded with
``safe_autograde.py --force`` (what ``make autograde`` runs: backup, sandbox, check) in one ``nbgrader
autograde`` call ("serial") and with ``--jobs J`` for each J, on each gradebook. Printed per run: wall seconds,
students per minute, the speed-up over the serial run on the same gradebook, and the load average at the end
(other work on the machine slows the wall times down: compare runs made under the same load).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "grading"))
import harness  # noqa: E402

SAFE_AUTOGRADE = harness.ROOT / "grading" / "sandbox" / "safe_autograde.py"


def class_of(case: harness.Case, release: nbformat.NotebookNode, size: int) -> dict[str, nbformat.NotebookNode]:
    kinds = list(harness.submissions(case, release, with_loop=False).items())
    return {f"s{i:03d}-{kinds[i % len(kinds)][0]}": kinds[i % len(kinds)][1] for i in range(size)}


def grade(course: harness.Course, jobs: int | None) -> float:
    """Wall seconds of one run."""
    args = [sys.executable, str(SAFE_AUTOGRADE), course.case.assignment, "--force"]
    if jobs is not None:
        args.append(f"--jobs={jobs}")
    start = time.perf_counter()
    proc = subprocess.run(args, cwd=course.root, env=course.env, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if proc.returncode not in (0, 1):
        raise RuntimeError(proc.stdout[-3000:] + proc.stderr[-3000:])
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--students", type=int, default=100)
    parser.add_argument("--assignments", default="a01,a06")
    parser.add_argument("--jobs", default=f"1,2,{os.cpu_count()}")
    parser.add_argument("--db", default="sqlite,postgres")
    parser.add_argument("--no-serial", action="store_true", help="skip the one-call serial reference run")
    args = parser.parse_args()
    jobs_values = sorted({int(j) for j in args.jobs.split(",")})
    print(f"{os.cpu_count()} cores; {args.students} students per class; load average {os.getloadavg()[0]:.1f}")
    print(f"{'assignment':10} {'gradebook':9} {'run':8} {'seconds':>8} {'students/min':>12} {'speed-up':>8} "
          f"{'load':>5}")
    for assignment in args.assignments.split(","):
        case = harness.load_case(assignment)
        for db in args.db.split(","):
            with tempfile.TemporaryDirectory() as tmp:
                extra = ""
                if db == "postgres":
                    import pgcluster

                    url = pgcluster.cluster().create_database(f"bench_{assignment}")
                    extra = f"c.CourseDirectory.db_url = {url!r}"
                course = harness.Course(Path(tmp) / "course", case, extra)
                generate = course.nbgrader("generate_assignment", assignment, "--force")
                if generate.returncode != 0:
                    raise RuntimeError(generate.stderr[-3000:])
                release = nbformat.read(course.release_path, as_version=4)
                for student, nb in class_of(case, release, args.students).items():
                    course.submit(student, nb)
                runs = ([None] if not args.no_serial else []) + jobs_values
                reference = None
                for jobs in runs:
                    seconds = grade(course, jobs)
                    reference = reference or seconds
                    label = "serial" if jobs is None else f"JOBS={jobs}"
                    print(f"{assignment:10} {db:9} {label:8} {seconds:8.0f} {60 * args.students / seconds:12.1f} "
                          f"{reference / seconds:8.2f} {os.getloadavg()[0]:5.1f}",
                          flush=True)


if __name__ == "__main__":
    main()
