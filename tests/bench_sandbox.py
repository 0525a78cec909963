"""What the grading sandbox costs: autograde time per submission with and without it.

    python tests/bench_sandbox.py [assignment ...]     (part of `make bench`; default a01 a06)

For each assignment, the same four correct submissions are autograded in one ``nbgrader autograde`` call in a
temporary course, once with the sandbox (the course's default) and once with ``RNN_GRADING_SANDBOX=off``, in
alternating order, three rounds. Printed: the median seconds per submission of each, and their difference.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

import nbformat

sys.path.insert(0, str(Path(__file__).resolve().parent / "grading"))
import harness  # noqa: E402

STUDENTS = 4
ROUNDS = 3


def seconds_per_submission(assignment: str, sandbox: bool) -> float:
    case = harness.load_case(assignment)
    with tempfile.TemporaryDirectory() as tmp:
        course = harness.Course(Path(tmp), case)
        course.env["RNN_GRADING_SANDBOX"] = "on" if sandbox else "off"
        generate = course.nbgrader("generate_assignment", assignment, "--force")
        if generate.returncode != 0:
            raise RuntimeError(generate.stderr[-3000:])
        release = nbformat.read(course.release_path, as_version=4)
        solved = harness.fill(release, harness.answers(case))
        for i in range(STUDENTS):
            course.submit(f"student{i}", solved)
        start = time.perf_counter()
        proc = course.nbgrader("autograde", assignment)
        elapsed = time.perf_counter() - start
        scores = course.scores()
        if proc.returncode != 0 or any(s.code != s.max_code for s in scores.values()):
            raise RuntimeError(f"{assignment}: grading failed\n{proc.stderr[-3000:]}")
        return elapsed / STUDENTS


def main(assignments: list[str]) -> None:
    for assignment in assignments:
        times = {True: [], False: []}
        for _ in range(ROUNDS):
            for sandbox in (True, False):
                times[sandbox].append(seconds_per_submission(assignment, sandbox))
        on, off = statistics.median(times[True]), statistics.median(times[False])
        print(f"{assignment}: autograde per submission {on:.2f} s in the sandbox, {off:.2f} s without "
              f"({on - off:+.2f} s, {on / off - 1:+.0%}); median of {ROUNDS} calls of {STUDENTS} submissions")


if __name__ == "__main__":
    main(sys.argv[1:] or ["a01", "a06"])
