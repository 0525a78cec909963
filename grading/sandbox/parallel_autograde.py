"""Autograde the students of one assignment in N workers at once (safe_autograde.py ``--jobs N`` runs this).

nbgrader grades one student after another in one process. Grading is per student anyway, so the students are
shared out to N long-lived worker processes. Each worker starts nbgrader once (its imports and the course's
configuration: every notebook in the sandbox kernel) and then grades one student after another, as the serial
``nbgrader autograde`` does for the whole class, with a fresh sandboxed kernel for every notebook: a student never
shares a kernel with another. All workers write into the same gradebook:

* each worker's kernels run as a sandbox uid of their own (``RNN_SANDBOX_UID`` + worker number), so the process
  limit of one student's kernel (counted per uid) is not used up by another student's fork bomb;
* a SQLite gradebook is opened with a long busy timeout, so writers wait for each other's short transactions
  instead of failing with "database is locked"; PostgreSQL handles concurrent writers itself;
* a submission that loops or kills its kernel is stopped by the sandbox (cell timeout, limits) and only costs its
  own student points; a worker still on one student after ``student_timeout`` is killed with its process group,
  that student reported as failed, and a new worker takes its place for the others;
* a worker that dies from outside (killed, out of memory), or a student who loses a lock race, is retried once,
  with ``--force``, in a new worker if the old one is gone, so a lost worker loses no student;
* progress is printed as each student finishes: ``[done/total] student: graded in s (CPU s)`` or
  ``FAILED: reason``, then the CPU seconds per student (the grader's and the sandbox kernel's, which the load of
  other work on the machine does not inflate) and each worker's start-up.

The backup, the integrity check and the restore around the whole run are safe_autograde.py's.
Internally, ``python parallel_autograde.py --worker ASSIGNMENT [nbgrader options]`` is one worker: it reads one
JSON request per line on stdin (``{"student": ..., "force": ...}``) and answers each on stdout.
"""

from __future__ import annotations

import io
import json
import logging
import os
import queue
import re
import resource
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path

SQLITE_BUSY_SECONDS = 300
DEFAULT_SANDBOX_UID = 61000
RETRYABLE = re.compile(r"database is locked|could not serialize access|deadlock detected")
SAMPLE_SECONDS = 0.05  # how often a worker reads its kernels' CPU time
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass
class Outcome:
    student: str
    returncode: int
    seconds: float
    attempts: int
    log: str = field(repr=False)
    reason: str = ""
    cpu: float = 0.0  # CPU seconds of the last attempt: the worker's and its sandbox kernels'

    @property
    def ok(self) -> bool:
        return self.returncode == 0


def worker_db_url(url: str) -> str:
    """The gradebook URL each worker opens: SQLite with a busy timeout (SQLAlchemy passes it to sqlite3)."""
    if url.startswith("sqlite:") and "timeout=" not in url:
        return url + ("&" if "?" in url else "?") + f"timeout={SQLITE_BUSY_SECONDS}"
    return url


def without_student(options: list[str]) -> list[str]:
    """nbgrader options minus any ``--student``: each worker names its own student."""
    kept, skip = [], False
    for arg in options:
        if skip:
            skip = False
        elif arg == "--student":
            skip = True
        elif not arg.startswith("--student="):
            kept.append(arg)
    return kept


def failure_reason(log: str, returncode: int) -> str:
    if returncode < 0:
        return f"the worker was killed by signal {signal.Signals(-returncode).name}"
    errors = [line.split("]", 1)[-1].strip() for line in log.splitlines() if "[ERROR]" in line or "Error:" in line]
    return (errors[-1] if errors else f"nbgrader exited with status {returncode}")[:300]


# ---------------------------------------------------------------------------------------------------- worker

class KernelClock:
    """CPU seconds of the sandbox kernels that this process starts, read from /proc while they run.

    bubblewrap's PID namespace keeps a kernel's CPU time out of its parent's ``getrusage(RUSAGE_CHILDREN)``, so
    a thread samples the processes below each ``bwrap`` child every ``SAMPLE_SECONDS``; a kernel's last
    ``SAMPLE_SECONDS`` before it is stopped may be missed.
    """

    def __init__(self):
        self.seen: dict[tuple[int, int], float] = {}  # (pid, start time) -> CPU seconds at the last sample
        self.reported: dict[tuple[int, int], float] = {}
        self.lock = threading.Lock()
        threading.Thread(target=self._run, daemon=True).start()

    @staticmethod
    def _children(pid: int) -> list[int]:
        found = []
        for task in Path(f"/proc/{pid}/task").glob("*/children"):
            try:
                found += [int(p) for p in task.read_text().split()]
            except OSError:
                pass
        return found

    @staticmethod
    def _comm(pid: int) -> str:
        try:
            return Path(f"/proc/{pid}/comm").read_text().strip()
        except OSError:
            return ""

    def _sample(self) -> None:
        pending = [c for c in self._children(os.getpid()) if self._comm(c) == "bwrap"]
        below = []
        while pending:
            children = self._children(pending.pop())
            below += children
            pending += children
        for pid in below:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue
            process = (pid, int(fields[19]))  # the start time tells a reused pid from the process before
            with self.lock:
                self.seen[process] = (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime + stime

    def _run(self) -> None:
        while True:
            self._sample()
            time.sleep(SAMPLE_SECONDS)

    def take(self) -> float:
        """The kernels' CPU seconds since the last call."""
        self._sample()
        with self.lock:
            total = sum(cpu - self.reported.get(process, 0.0) for process, cpu in self.seen.items())
            self.reported = dict(self.seen)
        return total


def own_cpu() -> float:
    """CPU seconds of this process and of the children it waited for (the judge's reference process)."""
    return sum(r.ru_utime + r.ru_stime for r in map(resource.getrusage,
                                                    (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)))


def start_grader(assignment: str, options: list[str]):
    """nbgrader's ``autograde`` app as ``nbgrader autograde ASSIGNMENT [options]`` sets it up, without grading.

    One change: a kernel is stopped at once when its notebook is done instead of being asked to exit (a
    graceful exit runs the student's atexit hooks and unloads torch: about 0.7 CPU seconds of a01's 2.8 per
    student, for nothing, since every output has arrived by then).
    """
    from nbgrader.apps.nbgraderapp import NbGraderApp
    from traitlets.config import Config

    app = NbGraderApp.instance()
    app.initialize(["autograde", assignment, *options])
    grader = app.subapp
    grader.coursedir.assignment_id = assignment
    if "shutdown_kernel" not in grader.config.get("NotebookClient", {}):
        grader.update_config(Config({"NotebookClient": {"shutdown_kernel": "immediate"}}))
    return grader


def serve(assignment: str, options: list[str]) -> int:
    """One worker: start nbgrader once, then grade each student asked for on stdin, answering on stdout."""
    start, cpu_start = time.monotonic(), own_cpu()
    answers = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)  # anything printed by the libraries goes to the worker's log, not into the answers
    from nbgrader.converters import Autograde
    from nbgrader.converters.base import NbGraderException

    grader = start_grader(assignment, options)
    captured = io.StringIO()
    handler = logging.StreamHandler(captured)
    handler.setFormatter(logging.Formatter("[%(name)s | %(levelname)s] %(message)s"))
    grader.log.addHandler(handler)
    clock = KernelClock()
    answers.write(json.dumps({"ready": True, "seconds": time.monotonic() - start,
                              "cpu": own_cpu() - cpu_start}) + "\n")
    for line in sys.stdin:
        request = json.loads(line)
        captured.seek(0)
        captured.truncate()
        clock.take()  # what ran between students (nothing, normally) is nobody's
        cpu, status = own_cpu(), 0
        grader.coursedir.student_id = request["student"]
        try:
            converter = Autograde(coursedir=grader.coursedir, parent=grader)
            converter.force = converter.force or request["force"]
            converter.start()
        except NbGraderException:
            status = 1
        except SystemExit as stop:
            status = stop.code if isinstance(stop.code, int) and stop.code else 1
        except Exception:
            grader.log.error("Error: %s", traceback.format_exc())
            status = 1
        answers.write(json.dumps({"student": request["student"], "status": status, "log": captured.getvalue(),
                                  "cpu": own_cpu() - cpu + clock.take()}) + "\n")
    return 0


# ---------------------------------------------------------------------------------------------------- pool

class Worker:
    """One worker process and the thread that reads its answers into a queue (None when it is gone)."""

    def __init__(self, pool: Pool, slot: int):
        self.slot = slot
        base_uid = int(pool.env.get("RNN_SANDBOX_UID", DEFAULT_SANDBOX_UID))
        env = dict(pool.env, RNN_SANDBOX_UID=str(base_uid + slot))
        self.log_path = pool.logs / f"worker-{slot + 1}-{time.monotonic_ns()}.log"
        with open(self.log_path, "w") as log:
            self.proc = subprocess.Popen(
                [sys.executable, str(Path(__file__).resolve()), "--worker", pool.assignment, *pool.options,
                 f"--CourseDirectory.db_url={pool.db_url}"],
                cwd=pool.root, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log, text=True,
                start_new_session=True)
        self.answers: queue.Queue[dict | None] = queue.Queue()
        self.ready: dict | None = None
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            try:
                self.answers.put(json.loads(line))
            except ValueError:
                continue
        self.answers.put(None)

    def ask(self, student: str, force: bool) -> None:
        self.proc.stdin.write(json.dumps({"student": student, "force": force}) + "\n")
        self.proc.stdin.flush()

    def answer(self, timeout: float) -> dict | None:
        """The answer to the last request; None if the worker died; raises queue.Empty after ``timeout``.

        A new worker's start-up does not count: the clock starts again when the worker says it is ready.
        """
        deadline = time.monotonic() + timeout
        while True:
            answer = self.answers.get(timeout=max(0.0, deadline - time.monotonic()))
            if answer is not None and answer.get("ready"):
                self.ready = answer
                deadline = time.monotonic() + timeout
                continue
            return answer

    def log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def kill(self, sig: int = signal.SIGKILL) -> None:
        try:
            os.killpg(self.proc.pid, sig)
        except ProcessLookupError:
            pass

    def close(self) -> None:
        """Let the worker finish: no more students."""
        try:
            self.proc.stdin.close()
        except OSError:
            pass
        try:
            self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.kill()
            self.proc.wait()


class Pool:
    """Grade ``students`` in ``jobs`` workers; ``run()`` returns one Outcome per student."""

    def __init__(self, root: Path, assignment: str, students: list[str], options: list[str], *, jobs: int,
                 db_url: str, env: dict[str, str], student_timeout: float = 3600, out=sys.stdout):
        self.root, self.assignment, self.students, self.jobs = root, assignment, students, max(1, jobs)
        self.options = without_student(options)
        self.db_url, self.env = worker_db_url(db_url), env
        self.student_timeout, self.out = student_timeout, out
        self.todo: queue.Queue[str] = queue.Queue()
        for student in students:
            self.todo.put(student)
        self.lock = threading.Lock()
        self.workers: dict[int, Worker] = {}
        self.outcomes: list[Outcome] = []
        self.startups: list[dict] = []
        self.stopping = False
        self.logs = Path(".")

    def say(self, text: str) -> None:
        with self.lock:
            print(text, file=self.out, flush=True)

    def worker(self, slot: int) -> Worker:
        """The slot's worker, started anew if there is none or it has died."""
        current = self.workers.get(slot)
        if current is None or current.proc.poll() is not None:
            current = Worker(self, slot)
            with self.lock:
                self.workers[slot] = current
        return current

    def retire(self, slot: int) -> Worker | None:
        with self.lock:
            gone = self.workers.pop(slot, None)
        if gone is not None and gone.ready:
            self.startups.append(gone.ready)
        return gone

    def attempt(self, student: str, slot: int, force: bool) -> tuple[int, str, bool, float]:
        """Grade ``student`` in the slot's worker: (status, log, timed out, CPU seconds)."""
        worker = self.worker(slot)
        worker.ask(student, force)
        self.say(f"  started {student} (worker {slot + 1}, pid {worker.proc.pid})")
        try:
            answer = worker.answer(self.student_timeout)
        except queue.Empty:
            worker.kill()
            worker.proc.wait()
            self.retire(slot)
            return -signal.SIGKILL, worker.log_tail(), True, 0.0
        if answer is None:  # the worker is gone: its exit status says how
            returncode = worker.proc.wait()
            self.retire(slot)
            return (returncode if returncode else 1), worker.log_tail(), False, 0.0
        return answer["status"], answer["log"], False, answer["cpu"]

    def grade(self, student: str, slot: int) -> Outcome:
        start = time.monotonic()
        attempts, log, status, timed_out, cpu = 0, "", 0, False, 0.0
        while attempts < 2 and not self.stopping:
            attempts += 1
            status, text, timed_out, cpu = self.attempt(student, slot, force=attempts > 1)
            log += text
            retry = not timed_out and (status < 0 or (status != 0 and RETRYABLE.search(text)))
            if status == 0 or not retry:
                break
            self.say(f"  retrying {student}: {failure_reason(text, status)}")
        reason = ""
        if timed_out:
            reason = f"still running after {self.student_timeout:.0f} s, stopped"
        elif status != 0:
            reason = failure_reason(log, status)
        outcome = Outcome(student, status, time.monotonic() - start, attempts, log, reason, cpu)
        with self.lock:
            self.outcomes.append(outcome)
            done = len(self.outcomes)
            verdict = (f"graded in {outcome.seconds:.0f} s ({outcome.cpu:.1f} CPU s)" if outcome.ok
                       else f"FAILED: {outcome.reason}")
            print(f"[{done}/{len(self.students)}] {student}: {verdict}", file=self.out, flush=True)
        return outcome

    def serve_slot(self, slot: int) -> None:
        while not self.stopping:
            try:
                student = self.todo.get_nowait()
            except queue.Empty:
                break
            self.grade(student, slot)
        worker = self.retire(slot)
        if worker is not None:
            worker.close()

    def stop(self) -> None:
        """Interrupt every running worker (Ctrl-C), then kill what is left after a grace period."""
        self.stopping = True
        with self.lock:
            workers = list(self.workers.values())
        for worker in workers:
            worker.kill(signal.SIGINT)
        deadline = time.monotonic() + 10
        for worker in workers:
            try:
                worker.proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                worker.kill()

    def run(self) -> list[Outcome]:
        self.say(f"autograding {len(self.students)} student(s) of {self.assignment} in {self.jobs} worker(s)")
        with tempfile.TemporaryDirectory(prefix="autograde-workers-") as logs:
            self.logs = Path(logs)
            threads = [threading.Thread(target=self.serve_slot, args=(slot,), daemon=True)
                       for slot in range(min(self.jobs, len(self.students)))]
            for thread in threads:
                thread.start()
            try:
                for thread in threads:
                    while thread.is_alive():
                        thread.join(timeout=0.5)
            except KeyboardInterrupt:
                self.stop()
                for thread in threads:
                    thread.join(timeout=30)
                raise
        order = {s: i for i, s in enumerate(self.students)}
        outcomes = sorted(self.outcomes, key=lambda o: order[o.student])
        failed = [o for o in outcomes if not o.ok]
        self.say(f"autograded {len(outcomes) - len(failed)}/{len(outcomes)} student(s) of {self.assignment}"
                 + (f"; failed: {', '.join(o.student for o in failed)}" if failed else ""))
        graded = [o.cpu for o in outcomes if o.ok]
        if graded:
            startup = [s["cpu"] for s in self.startups]
            self.say(f"CPU seconds per student: {sum(graded) / len(graded):.2f} (grader and sandbox kernel, mean of "
                     f"{len(graded)}); worker start-up: {sum(startup) / max(1, len(startup)):.2f} CPU s each, "
                     f"{len(startup)} worker(s)")
        for o in failed:
            tail = "\n    ".join(o.log.strip().splitlines()[-12:])
            self.say(f"--- {o.student}: {o.reason}\n    {tail}")
        return outcomes


if __name__ == "__main__":
    if len(sys.argv) < 3 or sys.argv[1] != "--worker":
        sys.exit("usage: parallel_autograde.py --worker ASSIGNMENT [nbgrader options] (safe_autograde.py --jobs N "
                 "starts the workers)")
    sys.exit(serve(sys.argv[2], sys.argv[3:]))
