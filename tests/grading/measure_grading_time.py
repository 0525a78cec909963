"""Autograde time per student for one assignment, in a throw-away course: how the trusted judge's cost is measured.

    .venv/bin/python tests/grading/measure_grading_time.py a01 [--root CHECKOUT] [--copies 3]

``--root`` grades with another checkout's solutions, grading/ and harness (e.g. ``git archive`` of the commit
before the judge), with this venv. Students: the solution ``--copies`` times, the alternative and every WRONG
mutant of the case file, in ONE ``nbgrader autograde`` call. Prints the seconds per student (from the autograded
notebooks' write times), their mean and median, the CPU seconds per student of the whole autograde (nbgrader, the
kernels, the judge: what other work on the machine does not inflate), and the load average before and after.
"""

from __future__ import annotations

import argparse
import copy
import importlib
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("assignment")
    parser.add_argument("--root", default=str(Path(__file__).resolve().parents[2]))
    parser.add_argument("--copies", type=int, default=3)
    args = parser.parse_args()
    sys.path.insert(0, str(Path(args.root) / "tests" / "grading"))
    harness = importlib.import_module("harness")
    case = harness.load_case(args.assignment)
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp:
        course = harness.Course(Path(tmp) / "course", case)
        generate = course.nbgrader("generate_assignment", case.assignment, "--force")
        assert generate.returncode == 0, generate.stderr[-3000:]
        release = harness.nbformat.read(course.release_path, as_version=4)
        subs = harness.submissions(case, release, with_loop=False)
        students = {f"solution-{i}": subs["solution"] for i in range(args.copies)}
        students |= {s: nb for s, nb in subs.items() if s.startswith("wrong-") or s == "alternative"}
        for student, nb in students.items():
            course.submit(student, copy.deepcopy(nb))
        start, cpu_before = time.time(), resource.getrusage(resource.RUSAGE_CHILDREN)
        proc = course.nbgrader("autograde", case.assignment, "--force")
        assert proc.returncode == 0, proc.stderr[-3000:]
        wall, cpu_after = time.time() - start, resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (cpu_after.ru_utime + cpu_after.ru_stime) - (cpu_before.ru_utime + cpu_before.ru_stime)
        done = sorted((course.autograded_path(s).stat().st_mtime, s) for s in students)
        seconds, last = {}, start
        for mtime, student in done:
            seconds[student], last = mtime - last, mtime
    values = list(seconds.values())
    print(f"root {args.root}: {len(values)} students, autograde {wall:.1f} s wall")
    print("  " + ", ".join(f"{s} {t:.1f}" for s, t in seconds.items()))
    print(f"  per student: mean {statistics.mean(values):.2f} s, median {statistics.median(values):.2f} s wall; "
          f"{cpu / len(values):.2f} s CPU")
    print(f"  load average before {load_before[0]:.2f}, after {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
