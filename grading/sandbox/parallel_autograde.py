"""Autograde the students of one assignment in N workers at once (safe_autograde.py ``--jobs N`` runs this).

nbgrader grades one student after another in one process. Grading is per student anyway, so each worker here is
one ``nbgrader autograde <assignment> --student <id>`` process, with the course's own configuration (every
notebook in the sandbox kernel) and all of them writing into the same gradebook:

* each worker's kernels run as a sandbox uid of their own (``RNN_SANDBOX_UID`` + worker number), so the process
  limit of one student's kernel (counted per uid) is not used up by another student's fork bomb;
* a SQLite gradebook is opened with a long busy timeout, so writers wait for each other's short transactions
  instead of failing with "database is locked"; PostgreSQL handles concurrent writers itself;
* a submission that loops or kills its kernel is stopped by the sandbox (cell timeout, limits) and only costs its
  own student points; a worker that hangs past ``student_timeout`` is killed with its process group and its
  student reported as failed, the others go on;
* a worker that dies from outside (killed, out of memory) or loses a lock race is retried once, with ``--force``,
  so a lost worker loses no student;
* progress is printed as each student finishes: ``[done/total] student: graded in s`` or ``FAILED: reason``.

The backup, the integrity check and the restore around the whole run are safe_autograde.py's.
"""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

SQLITE_BUSY_SECONDS = 300
DEFAULT_SANDBOX_UID = 61000
RETRYABLE = re.compile(r"database is locked|could not serialize access|deadlock detected")


@dataclass
class Outcome:
    student: str
    returncode: int
    seconds: float
    attempts: int
    log: str = field(repr=False)
    reason: str = ""

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


class Pool:
    """Grade ``students`` in ``jobs`` workers; ``run()`` returns one Outcome per student."""

    def __init__(self, root: Path, assignment: str, students: list[str], options: list[str], *, jobs: int,
                 db_url: str, nbgrader: str, env: dict[str, str], student_timeout: float = 3600,
                 out=sys.stdout):
        self.root, self.assignment, self.students, self.jobs = root, assignment, students, max(1, jobs)
        self.options = without_student(options)
        self.db_url, self.nbgrader, self.env = worker_db_url(db_url), nbgrader, env
        self.student_timeout, self.out = student_timeout, out
        self.slots: queue.Queue[int] = queue.Queue()
        for slot in range(self.jobs):
            self.slots.put(slot)
        self.lock = threading.Lock()
        self.running: dict[int, subprocess.Popen] = {}
        self.done = 0
        self.stopping = False

    def say(self, text: str) -> None:
        with self.lock:
            print(text, file=self.out, flush=True)

    def attempt(self, student: str, slot: int, force: bool) -> tuple[int, str, bool]:
        """One nbgrader process for ``student``: (returncode, log, timed out)."""
        base_uid = int(self.env.get("RNN_SANDBOX_UID", DEFAULT_SANDBOX_UID))
        env = dict(self.env, RNN_SANDBOX_UID=str(base_uid + slot))
        args = [self.nbgrader, "autograde", self.assignment, "--student", student, *self.options,
                f"--CourseDirectory.db_url={self.db_url}"]
        if force and "--force" not in args:
            args.append("--force")
        proc = subprocess.Popen(args, cwd=self.root, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                text=True, start_new_session=True)
        with self.lock:
            self.running[proc.pid] = proc
        self.say(f"  started {student} (worker {slot + 1}, pid {proc.pid})")
        try:
            log, _ = proc.communicate(timeout=self.student_timeout)
            timed_out = False
        except subprocess.TimeoutExpired:
            self.kill(proc)
            log, _ = proc.communicate()
            timed_out = True
        finally:
            with self.lock:
                self.running.pop(proc.pid, None)
        return proc.returncode, log, timed_out

    def grade(self, student: str) -> Outcome:
        start, slot = time.monotonic(), self.slots.get()
        try:
            attempts, log, returncode, timed_out = 0, "", 0, False
            while attempts < 2 and not self.stopping:
                attempts += 1
                returncode, text, timed_out = self.attempt(student, slot, force=attempts > 1)
                log += text
                retry = not timed_out and (returncode < 0 or (returncode != 0 and RETRYABLE.search(text)))
                if returncode == 0 or not retry:
                    break
                self.say(f"  retrying {student}: {failure_reason(text, returncode)}")
        finally:
            self.slots.put(slot)
        reason = ""
        if timed_out:
            reason = f"still running after {self.student_timeout:.0f} s, stopped"
        elif returncode != 0:
            reason = failure_reason(log, returncode)
        outcome = Outcome(student, returncode if not timed_out else -signal.SIGKILL, time.monotonic() - start,
                          attempts, log, reason)
        with self.lock:
            self.done += 1
            status = f"graded in {outcome.seconds:.0f} s" if outcome.ok else f"FAILED: {outcome.reason}"
            print(f"[{self.done}/{len(self.students)}] {student}: {status}", file=self.out, flush=True)
        return outcome

    @staticmethod
    def kill(proc: subprocess.Popen, sig: int = signal.SIGKILL) -> None:
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            pass

    def stop(self) -> None:
        """Interrupt every running worker (Ctrl-C), then kill what is left after a grace period."""
        self.stopping = True
        with self.lock:
            procs = list(self.running.values())
        for proc in procs:
            self.kill(proc, signal.SIGINT)
        deadline = time.monotonic() + 10
        for proc in procs:
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                self.kill(proc)

    def run(self) -> list[Outcome]:
        self.say(f"autograding {len(self.students)} student(s) of {self.assignment} in {self.jobs} worker(s)")
        executor = ThreadPoolExecutor(max_workers=self.jobs)
        futures = [executor.submit(self.grade, s) for s in self.students]
        try:
            outcomes = [f.result() for f in futures]
        except KeyboardInterrupt:
            self.stop()
            executor.shutdown(wait=True, cancel_futures=True)
            raise
        executor.shutdown()
        failed = [o for o in outcomes if not o.ok]
        self.say(f"autograded {len(outcomes) - len(failed)}/{len(outcomes)} student(s) of {self.assignment}"
                 + (f"; failed: {', '.join(o.student for o in failed)}" if failed else ""))
        for o in failed:
            tail = "\n    ".join(o.log.strip().splitlines()[-12:])
            self.say(f"--- {o.student}: {o.reason}\n    {tail}")
        return outcomes
