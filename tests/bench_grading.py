"""How fast a class is autograded: students per minute with JOBS = 1, 2, nproc, on SQLite and on PostgreSQL.

    python tests/bench_grading.py [--students 100] [--assignments a01,a06] [--jobs 1,2,N] [--db sqlite,postgres]

(part of `make bench`; not a timed test). For each assignment, a temporary course holds a class of ``--students``
made-up students: the case file's submissions (correct, unanswered, each wrong mutant, the alternative, tests
deleted, tests neutered), repeated in turn. The endless loop of the grader proofs is left out: each one costs a
cell timeout of waiting, which would measure the timeout, not the grader. The class is graded with
``safe_autograde.py --force`` (what ``make autograde`` runs: backup, sandbox, check) in one ``nbgrader
autograde`` call ("serial", unless ``--no-serial``) and with ``--jobs J`` for each J, on each gradebook. Printed
per run: wall seconds, students per minute, the speed-up over the first run on the same gradebook, the load
average at its start and end, and, for ``--jobs`` runs, the CPU seconds per student (grader and sandbox kernel)
and per worker start-up that the workers report. Other work on the machine slows the wall times down but not the
CPU seconds, so "idle s" estimates the wall time on an idle machine: all the CPU seconds spread over
min(J, cores) cores.

    python tests/bench_grading.py --profile 5 [--assignments a01]

instead shows where one student's time goes (start-up, then each phase: wall, grader CPU, kernel CPU).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import re
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
# Where one student's grading time goes: the log line that starts each phase (nbgrader's, at debug level).
PHASES = [("gradebook: student, submission; copy files", "Creating/updating student"),
          ("sanitize the submission", "Sanitizing "),
          ("read it, set up the autograde steps", "Autograding "),
          ("start the sandbox kernel (bwrap, ipykernel, the guard's imports)", "Starting kernel"),
          ("run the cells (and the guard's probe after each)", "Executing cell"),
          ("stop the kernel", "<last reply>"),
          ("trusted judge", "Applying preprocessor: TrustedJudge"),
          ("output limit, gradebook: save the grades", "Applying preprocessor: LimitOutput"),
          ("late penalty, metadata, write the notebook", "Applying preprocessor: AssignLatePenalties")]


def class_of(case: harness.Case, release: nbformat.NotebookNode, size: int) -> dict[str, nbformat.NotebookNode]:
    kinds = list(harness.submissions(case, release, with_loop=False).items())
    return {f"s{i:03d}-{kinds[i % len(kinds)][0]}": kinds[i % len(kinds)][1] for i in range(size)}


def grade(course: harness.Course, jobs: int | None, students: int) -> dict:
    """One run: wall seconds and, with workers, CPU seconds per student and per worker start-up."""
    args = [sys.executable, str(SAFE_AUTOGRADE), course.case.assignment, "--force"]
    if jobs is not None:
        args.append(f"--jobs={jobs}")
    start = time.perf_counter()
    proc = subprocess.run(args, cwd=course.root, env=course.env, capture_output=True, text=True)
    result = {"seconds": time.perf_counter() - start}
    if proc.returncode not in (0, 1):
        raise RuntimeError(proc.stdout[-3000:] + proc.stderr[-3000:])
    if jobs is not None:
        graded = re.search(r"^autograded (\d+)/(\d+) ", proc.stdout, re.M)
        if not graded or int(graded.group(2)) != students:
            raise RuntimeError("not every student was graded:\n" + proc.stdout[-3000:])
        cpu = re.search(r"CPU seconds per student: ([\d.]+) .*worker start-up: ([\d.]+) CPU s each, (\d+) worker",
                        proc.stdout)
        if cpu:
            result.update(cpu=float(cpu.group(1)), startup=float(cpu.group(2)), workers=int(cpu.group(3)))
    return result


def profile_worker(assignment: str, students: list[str]) -> None:
    """In a course root: start one worker's nbgrader as parallel_autograde does and time each student's phases.

    Each nbgrader log record marks the wall clock, the grader's CPU seconds and its kernels' CPU seconds. Prints
    one JSON line: the start-up and, per student, the phases' [wall, grader CPU, kernel CPU].
    """
    sys.path.insert(0, str(Path.cwd() / "grading" / "sandbox"))
    import parallel_autograde as pa

    start = time.monotonic()
    from nbgrader.converters import Autograde

    grader = pa.start_grader(assignment, ["--force", "--log-level=DEBUG"])
    # CPU from the process's own start: the interpreter and every import a worker needs.
    startup = [time.monotonic() - start, pa.own_cpu(), 0.0]
    clock = pa.KernelClock()
    marks: list[tuple[str, float, float, float]] = []
    kernel = [0.0]

    class Mark(logging.Handler):
        def emit(self, record):
            kernel[0] += clock.take()
            message = record.getMessage()
            if message.startswith("msg_type: status") or "'execution_state': 'idle'" in message:
                marks.append(("<last reply>", time.monotonic(), pa.own_cpu(), kernel[0]))
            else:
                marks.append((message, time.monotonic(), pa.own_cpu(), kernel[0]))

    grader.log.addHandler(Mark())
    for handler in grader.log.handlers:
        if not isinstance(handler, Mark):
            handler.setLevel(logging.WARNING)
    profiles = []
    for student in students:
        marks.clear()
        kernel[0] = 0.0
        grader.coursedir.student_id = student
        Autograde(coursedir=grader.coursedir, parent=grader).start()
        kernel[0] += clock.take()
        marks.append(("<end>", time.monotonic(), pa.own_cpu(), kernel[0]))
        bounds = []  # the first mark of each phase (the last '<last reply>' for 'stop the kernel')
        for name, prefix in PHASES:
            found = [m for m in marks if m[0].startswith(prefix)]
            bounds.append((found[-1] if prefix == "<last reply>" else found[0]) if found else None)
        bounds.append(marks[-1])
        phases = {}
        for (name, _), begin, end in zip(PHASES, bounds, bounds[1:]):
            if begin and end:
                phases[name] = [end[1] - begin[1], end[2] - begin[2], end[3] - begin[3]]
        phases["total"] = [marks[-1][1] - marks[0][1], marks[-1][2] - marks[0][2], marks[-1][3] - marks[0][3]]
        profiles.append(phases)
    print(json.dumps({"startup": startup, "students": profiles}))


def profile(assignment: str, students: int) -> None:
    """Where one student's grading time goes: a worker's start-up, then each phase, median over ``students``."""
    case = harness.load_case(assignment)
    with tempfile.TemporaryDirectory() as tmp:
        course = harness.Course(Path(tmp) / "course", case)
        generate = course.nbgrader("generate_assignment", assignment, "--force")
        if generate.returncode != 0:
            raise RuntimeError(generate.stderr[-3000:])
        release = nbformat.read(course.release_path, as_version=4)
        solved = harness.submissions(case, release, with_loop=False)["solution"]
        names = [f"s{i:03d}" for i in range(students)]
        for name in names:
            course.submit(name, solved)
        load = os.getloadavg()[0]
        proc = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--profile-worker", assignment, *names],
                              cwd=course.root, env=course.env, capture_output=True, text=True)
        if proc.returncode != 0:
            raise RuntimeError(proc.stderr[-3000:])
        result = json.loads(proc.stdout.strip().splitlines()[-1])
    # The first student also pays for imports that happen on first use (the judge's references, rnnlib), so the
    # median is over the others.
    rest = result["students"][1:] or result["students"]
    print(f"{assignment}: one worker, {students} students (the solution), load average {load:.1f} -> "
          f"{os.getloadavg()[0]:.1f}; seconds: wall, grader CPU, sandbox kernel CPU (median over students 2..)")
    wall, cpu, _ = result["startup"]
    print(f"  {'worker start-up (python, nbgrader imports, configuration)':68} {wall:6.2f} {cpu:6.2f} {0:6.2f}")
    print(f"  {'first student (first use of the judge, rnnlib)':68} "
          + " ".join(f"{v:6.2f}" for v in result["students"][0]["total"]))
    for name in [n for n, _ in PHASES] + ["total"]:
        values = [p[name] for p in rest if name in p]
        if values:
            med = [sorted(v[i] for v in values)[len(values) // 2] for i in range(3)]
            print(f"  {name:68} " + " ".join(f"{v:6.2f}" for v in med))


def main() -> None:
    if sys.argv[1:2] == ["--profile-worker"]:
        profile_worker(sys.argv[2], sys.argv[3:])
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--students", type=int, default=100)
    parser.add_argument("--assignments", default="a01,a06")
    parser.add_argument("--jobs", default=f"1,2,{os.cpu_count()}")
    parser.add_argument("--db", default="sqlite,postgres")
    parser.add_argument("--no-serial", action="store_true", help="skip the one-call serial reference run")
    parser.add_argument("--profile", type=int, metavar="N", help="instead: where the time of each of N students "
                                                                  "goes, in one worker, for each assignment")
    args = parser.parse_args()
    if args.profile:
        for assignment in args.assignments.split(","):
            profile(assignment, args.profile)
        return
    jobs_values = sorted({int(j) for j in args.jobs.split(",")})
    print(f"{os.cpu_count()} cores; {args.students} students per class; load average {os.getloadavg()[0]:.1f}")
    print(f"{'assignment':10} {'gradebook':9} {'run':8} {'seconds':>8} {'students/min':>12} {'speed-up':>8} "
          f"{'load':>9} {'CPU s/student':>13} {'start-up':>8} {'idle s':>6}")
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
                    load = os.getloadavg()[0]
                    run = grade(course, jobs, args.students)
                    seconds = run["seconds"]
                    reference = reference or seconds
                    label = "serial" if jobs is None else f"JOBS={jobs}"
                    cpu = idle = ""
                    if "cpu" in run:
                        total = args.students * run["cpu"] + run["workers"] * run["startup"]
                        cpu = f"{run['cpu']:13.2f} {run['startup']:8.2f}"
                        idle = f"{total / min(jobs, os.cpu_count()):6.0f}"
                    print(f"{assignment:10} {db:9} {label:8} {seconds:8.0f} {60 * args.students / seconds:12.1f} "
                          f"{reference / seconds:8.2f} {load:4.1f}-{os.getloadavg()[0]:4.1f} {cpu:>22} {idle:>6}",
                          flush=True)


if __name__ == "__main__":
    main()
