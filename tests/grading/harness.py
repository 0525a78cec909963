"""Grade made-up students with nbgrader in a throw-away course, the way an instructor grades real ones.

The grader proofs never touch the repository's own course state (gradebook.db, submitted/, autograded/,
exercises/). Each batch builds a temporary course root:

    <tmp>/nbgrader_config.py        the repository's config, copied, so every setting is the one graded with;
                                    it derives the course root and gradebook from its own location
    <tmp>/grading/sandbox/, judge/, term/   the grading sandbox and the trusted judge it plugs into autograde, and the
                                    term's plug-ins, copied
    <tmp>/solutions/<aNN>/          the source notebook, copied
    <tmp>/exercises/<aNN>/          written by `nbgrader generate_assignment`, with the gradebook
    <tmp>/submitted/<student>/<aNN>/  one notebook per made-up student, built below
    <tmp>/autograded/, gradebook.db written by ONE `nbgrader autograde <aNN>` call for all students

A submission is the released notebook with the student's answer cells filled in: the solution's answers with
the ``### BEGIN/END SOLUTION`` lines removed (and the mark scheme removed from written answers), then, for a
mutant, one cell replaced by the case file's wrong version. Scores are read back from the gradebook.

nbgrader runs as a subprocess with the venv's bin/ first on PATH (it shells out to `alembic`) and with Jupyter's
and IPython's per-user folders pointed into the temporary course, so a developer's ~/.jupyter (kernels, nbgrader
config) or IPython startup files cannot change a grade.
"""

from __future__ import annotations

import copy
import functools
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import numpy as np

ROOT = Path(__file__).resolve().parents[2]
CASES = Path(__file__).resolve().parent / "cases"
# The venv's bin/, where nbgrader, jupyter and alembic live (not resolved: the venv's python may be a symlink).
BIN = Path(sys.executable).parent

SOLUTION_MARKER = re.compile(r"^\s*#*\s*(BEGIN|END) SOLUTION\s*$")
MARK_SCHEME = re.compile(r"^\s*=== BEGIN MARK SCHEME ===.*?^\s*=== END MARK SCHEME ===\s*$\n?", re.M | re.S)
# What a student writes to silence a test cell; nbgrader must put the original test back.
NEUTERED_TEST = "assert True"
INFINITE_LOOP = "while True:  # a forgotten debugging loop\n    pass\n"


# ---------------------------------------------------------------------------------------------------- cases

@dataclass
class Case:
    """One assignment's case file, tests/grading/cases/<aNN>.py (format: the shared exercise spec)."""

    assignment: str
    notebook: str
    autograded_points: float
    manual_points: float
    wrong: dict[str, dict[str, str]]
    alternative: dict[str, str]
    #: For an assignment judged outside the student's process: mutant -> {failing test cell: what its message says}.
    failures: dict[str, dict[str, str]] = field(default_factory=dict)
    #: The mutants that tests/grading/test_tampering.py repeats with every tampering, and tamperings of its own.
    tampering_mutants: list[str] = field(default_factory=list)
    tampering: dict[str, str] = field(default_factory=dict)
    #: mutant -> {test cell: where Validate with the students' copy says the numbers are wrong (no cause)}.
    validate: dict[str, dict[str, str]] = field(default_factory=dict)

    @property
    def checker_path(self) -> Path:
        """The assignment's checker module (rnnlib.checking), which may not exist yet."""
        return self.source_path.parent / f"{self.assignment}_checks.py"

    @property
    def source_path(self) -> Path:
        return ROOT / "solutions" / self.assignment / self.notebook

    @property
    def notebook_id(self) -> str:
        return Path(self.notebook).stem


def assignments() -> list[str]:
    """Every assignment that has both a source folder solutions/<aNN>/ and a case file cases/<aNN>.py."""
    return sorted(p.stem for p in CASES.glob("a[0-9][0-9].py") if (ROOT / "solutions" / p.stem).is_dir())


def load_case(assignment: str) -> Case:
    path = CASES / f"{assignment}.py"
    spec = importlib.util.spec_from_file_location(f"grading_case_{assignment}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return Case(assignment, module.NOTEBOOK, module.AUTOGRADED_POINTS, module.MANUAL_POINTS,
                dict(module.WRONG), dict(module.ALTERNATIVE), dict(getattr(module, "FAILURES", {})),
                list(getattr(module, "TAMPERING_MUTANTS", [])), dict(getattr(module, "TAMPERING", {})),
                dict(getattr(module, "VALIDATE", {})))


def nbgrader_meta(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def is_test_cell(cell) -> bool:
    """An autograded test cell: grade: true, solution: false, code."""
    meta = nbgrader_meta(cell)
    return cell.cell_type == "code" and meta.get("grade", False) and not meta.get("solution", False)


def is_code_answer(cell) -> bool:
    return cell.cell_type == "code" and nbgrader_meta(cell).get("solution", False)


# a05's references come from training a model in float32 (torch's default dtype). mk/numerics.mk makes them the same
# bits on every CPU; without it (or where it fails) other kernels round differently: between the default kernels
# of an earlier machine and the portable ones, 1.2e-4 relative (9e-8 absolute) on state entries near 1e-3, 5e-6 on
# the losses. The other assignments compute in float64: 4e-10 relative at most (a03's finite differences).
FLOAT32_REFERENCES = {"a05"}


def reference_tolerance(assignment: str) -> dict:
    """Keyword arguments of :func:`assert_same_data` for ``assignment``'s references computed on another machine."""
    return {"rtol": 1e-4, "atol": 1e-6} if assignment in FLOAT32_REFERENCES else {}


def assert_same_data(a, b, where: str = "", rtol: float = 1e-9, atol: float = 1e-12) -> None:
    """``a`` and ``b`` (JSON data) are equal, floats to rounding: what one machine's BLAS sums in another order."""
    if isinstance(a, dict) and isinstance(b, dict):
        assert sorted(a) == sorted(b), f"{where}: keys {sorted(a)} != {sorted(b)}"
        for k in a:
            assert_same_data(a[k], b[k], f"{where}.{k}", rtol, atol)
    elif isinstance(a, list) and isinstance(b, list):
        assert len(a) == len(b), f"{where}: {len(a)} items != {len(b)}"
        for i, (x, y) in enumerate(zip(a, b)):
            assert_same_data(x, y, f"{where}[{i}]", rtol, atol)
    elif isinstance(a, float) or isinstance(b, float):
        assert type(a) in (int, float) and type(b) in (int, float) and (
            a == b or abs(a - b) <= atol + rtol * max(abs(a), abs(b))), f"{where}: {a!r} != {b!r}"
    else:
        assert type(a) is type(b) and a == b, f"{where}: {a!r} != {b!r}"


@functools.cache
def released_references(assignment: str) -> dict[str, list]:
    """The solution's records of the visible checks, as released beside the notebook (exercises/<a>/)."""
    return json.loads((ROOT / "exercises" / assignment / f"{assignment}_references.json").read_text())


def first_failure(checker, assignment: str, name: str, fn) -> str | None:
    """The message of the first visible case of check ``name`` that ``checker`` fails ``fn`` on, judged as Validate
    judges it (records through JSON, against the released references), or None."""
    references = released_references(assignment)[f"{name}/None"]
    for case, reference in zip(getattr(checker, f"cases_{name}")(np.random.default_rng(0)), references):
        try:
            record = json.loads(json.dumps(getattr(checker, f"produce_{name}")(fn, case)))
            getattr(checker, f"judge_{name}")(case, record, reference)
        except AssertionError as error:
            return str(error)
    return None


def slug(name: str) -> str:
    """A student id for a mutant's name: 'missing bias' -> 'wrong-missing-bias'."""
    return "wrong-" + (re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "mutant")


def student_answer(cell) -> str:
    """What a student who knows the answer types into a solution cell: the cell without nbgrader's markers."""
    source = MARK_SCHEME.sub("", cell.source)
    return "\n".join(line for line in source.split("\n") if not SOLUTION_MARKER.match(line)).strip("\n")


def answers(case: Case) -> dict[str, str]:
    """grade_id -> the solution's answer, for every solution cell (code and written) of the source notebook."""
    nb = nbformat.read(case.source_path, as_version=4)
    return {nbgrader_meta(c)["grade_id"]: student_answer(c) for c in nb.cells if nbgrader_meta(c).get("solution")}


@functools.cache
def _solved(assignment: str) -> dict[str, str]:
    """``answers`` of the one source notebook in solutions/<assignment>/, read once per assignment."""
    notebooks = sorted((ROOT / "solutions" / assignment).glob("*.ipynb"))
    assert len(notebooks) == 1, f"solutions/{assignment}/ holds {len(notebooks)} notebooks, expected one"
    return answers(Case(assignment, notebooks[0].name, 0, 0, {}, {}))


def edit(assignment: str, grade_id: str, *replacements: tuple[str, str]) -> dict[str, str]:
    """{grade_id: the solution's answer with each (old, new) applied}, for a case file's realistic mistake.

    Every ``old`` must occur exactly once in the answer (as edited so far), so a mistake written as an edit
    cannot drift from the solution it mutates: if the solution changes, the case file fails to load.
    """
    source = _solved(assignment)[grade_id]
    for old, new in replacements:
        assert source.count(old) == 1, f"{grade_id}: {old!r} occurs {source.count(old)} times in the solution"
        source = source.replace(old, new)
    return {grade_id: source}


def fill(release: nbformat.NotebookNode, replacements: dict[str, str]) -> nbformat.NotebookNode:
    """A copy of the released notebook with the answer cells named in ``replacements`` rewritten."""
    nb = copy.deepcopy(release)
    for cell in nb.cells:
        grade_id = nbgrader_meta(cell).get("grade_id")
        if nbgrader_meta(cell).get("solution") and grade_id in replacements:
            cell.source = replacements[grade_id].strip("\n")
    return nb


def submissions(case: Case, release: nbformat.NotebookNode, *, with_loop: bool) -> dict[str, nbformat.NotebookNode]:
    """Every made-up student of one batch: student id -> submitted notebook.

    - ``solution``: every answer from the solution; ``release``: the released notebook untouched;
    - ``wrong-<name>``: the solution with one WRONG replacement; ``alternative``: the ALTERNATIVE answers;
    - ``tests-deleted``: the solution with every test cell deleted (nbgrader must put them back and run them,
      or the student loses those points);
    - ``tests-neutered``: the first WRONG mutant with every test cell replaced by ``assert True`` (nbgrader must
      run the original tests, or the student gains the points the mutant loses);
    - ``infinite-loop`` (with_loop): the solution with an endless loop at the top of the first code answer.
    """
    solved = answers(case)
    subs = {"solution": fill(release, solved), "release": copy.deepcopy(release)}
    for name, replacement in case.wrong.items():
        subs[slug(name)] = fill(release, {**solved, **replacement})
    subs["alternative"] = fill(release, {**solved, **case.alternative})

    deleted = fill(release, solved)
    deleted.cells = [cell for cell in deleted.cells if not is_test_cell(cell)]
    subs["tests-deleted"] = deleted

    first_wrong = next(iter(case.wrong.values()))
    neutered = fill(release, {**solved, **first_wrong})
    for cell in neutered.cells:
        if is_test_cell(cell):
            cell.source = NEUTERED_TEST
    subs["tests-neutered"] = neutered

    if with_loop:
        first_answer = next(nbgrader_meta(c)["grade_id"] for c in release.cells if is_code_answer(c))
        subs["infinite-loop"] = fill(release, {**solved, first_answer: INFINITE_LOOP + solved[first_answer]})
    return subs


def restore_blockers(nb: nbformat.NotebookNode) -> list[str]:
    """Graded cells that nbgrader 0.9 could not put back if a student deleted them.

    With ``OverwriteCells.add_missing_cells``, nbgrader re-inserts a deleted graded cell after the cell that came
    before it in the source notebook, looked up among the submission's answer and graded cells only. If that
    previous cell is any other cell nbgrader tracks (a locked instruction or code cell), the lookup raises
    KeyError and the student's whole notebook fails to grade. So every graded cell must directly follow (among
    the cells with nbgrader metadata) an answer cell or another graded cell.
    """
    tracked = [c for c in nb.cells
               if any(nbgrader_meta(c).get(k) for k in ("grade", "solution", "locked", "task"))]
    blockers = []
    for before, cell in zip(tracked, tracked[1:]):
        if nbgrader_meta(cell).get("grade") and not (
                nbgrader_meta(before).get("grade") or nbgrader_meta(before).get("solution")):
            blockers.append(f"{nbgrader_meta(cell)['grade_id']} follows the locked cell "
                            f"{nbgrader_meta(before).get('grade_id')}")
    return blockers


# ---------------------------------------------------------------------------------------------------- nbgrader

def hermetic_env(home: Path, **extra: str) -> dict[str, str]:
    """The environment for nbgrader and its kernels: the venv first on PATH, per-user Jupyter folders in ``home``."""
    home.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    env["JUPYTER_CONFIG_DIR"] = str(home / ".jupyter")
    env["JUPYTER_DATA_DIR"] = str(home / ".local" / "share" / "jupyter")
    env["IPYTHONDIR"] = str(home / ".ipython")
    env.pop("JUPYTER_PATH", None)
    env.pop("JUPYTER_CONFIG_PATH", None)
    env.setdefault("OMP_NUM_THREADS", "1")
    env.setdefault("MKL_NUM_THREADS", "1")
    env.setdefault("MPLBACKEND", "Agg")
    env["PYDEVD_DISABLE_FILE_VALIDATION"] = "1"  # silence debugpy's frozen-modules note in every kernel
    env.update(extra)
    return env


def run(args: list[str], *, cwd: Path, env: dict[str, str], timeout: float = 900) -> subprocess.CompletedProcess:
    """Run a venv command (``args[0]`` is looked up in the venv's bin/) and return the completed process."""
    return subprocess.run([str(BIN / args[0]), *args[1:]], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=timeout)


class Course:
    """A temporary nbgrader course root holding one assignment, with the repository's nbgrader_config.py."""

    def __init__(self, root: Path, case: Case, extra_config: str = ""):
        self.root, self.case = root, case
        root.mkdir(parents=True, exist_ok=True)
        config = (ROOT / "nbgrader_config.py").read_text()
        if extra_config:
            config += "\n# Added by tests/grading for this temporary course only.\n" + extra_config + "\n"
        (root / "nbgrader_config.py").write_text(config)
        # The config grades in the sandbox of grading/sandbox/, found beside it.
        # ... the trusted judge of grading/judge/, and the term's plug-ins of grading/term/ (feedback, late penalties).
        for tool in ("sandbox", "judge", "term"):
            shutil.copytree(ROOT / "grading" / tool, root / "grading" / tool, ignore=shutil.ignore_patterns("__pycache__"))
        shutil.copytree(case.source_path.parent, root / "solutions" / case.assignment)
        self.env = hermetic_env(root / "home")
        self.db_url = f"sqlite:///{root / 'gradebook.db'}"

    def nbgrader(self, *args: str, timeout: float = 900) -> subprocess.CompletedProcess:
        return run(["nbgrader", *args], cwd=self.root, env=self.env, timeout=timeout)

    @property
    def release_path(self) -> Path:
        return self.root / "exercises" / self.case.assignment / self.case.notebook

    def submit(self, student: str, nb: nbformat.NotebookNode) -> None:
        folder = self.root / "submitted" / student / self.case.assignment
        folder.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, folder / self.case.notebook)

    def autograded_path(self, student: str) -> Path:
        return self.root / "autograded" / student / self.case.assignment / self.case.notebook

    def scores(self) -> dict[str, Score]:
        from nbgrader.api import Gradebook, MissingEntry

        scores = {}
        with Gradebook(self.db_url) as gb:
            for student in gb.students:
                try:
                    sub = gb.find_submission(self.case.assignment, student.id)
                except MissingEntry:
                    continue
                scores[student.id] = Score(sub.code_score, sub.max_code_score, sub.written_score,
                                           sub.max_written_score, sub.score, sub.max_score)
        return scores


@dataclass
class Score:
    code: float  # autograded points earned
    max_code: float
    written: float
    max_written: float
    total: float
    max_total: float


@dataclass
class Batch:
    """Everything one assignment's grader proof checks, collected by ``grade_batch``."""

    case: Case
    root: Path
    validate: subprocess.CompletedProcess
    generate: subprocess.CompletedProcess
    autograde: subprocess.CompletedProcess
    students: list[str]
    scores: dict[str, Score]
    seconds: dict[str, float]  # autograde time per student, from the autograded notebooks' write times
    wall: float  # seconds for the whole batch (validate, generate, autograde)
    timeout: float | None = None  # the cell timeout that stops the infinite loop, in batches that have one

    def log(self, proc: subprocess.CompletedProcess | None = None, tail: int = 4000) -> str:
        """The first traceback of a command's output, if any, and the end of the output."""
        text = (proc or self.autograde).stdout + (proc or self.autograde).stderr
        first = text.find("Traceback")
        head = text[max(0, first - 1000):first + 4000] + "\n[...]\n" if first >= 0 else ""
        return head + text[-tail:]


def grade_batch(root: Path, case: Case, *, with_loop: bool = False, loop_timeout: float | None = None) -> Batch:
    """Validate the solution, generate the release, and autograde every made-up student in ONE nbgrader call.

    With ``with_loop`` the batch also holds a student whose notebook never ends. It is stopped by the course's
    own cell timeout, or by ``loop_timeout`` seconds when given, which makes the proof quicker. Not less than
    20 s: on a loaded CI machine the setup cell alone (importing torch) can take several seconds, and a
    legitimate cell interrupted by the timeout would change the other students' scores.
    """
    start = time.monotonic()
    extra = f"c.Execute.timeout = {loop_timeout}" if with_loop and loop_timeout is not None else ""
    course = Course(root, case, extra)
    validate = course.nbgrader("validate", str(Path("solutions") / case.assignment / case.notebook))
    generate = course.nbgrader("generate_assignment", case.assignment, "--force")
    if generate.returncode != 0:
        return Batch(case, root, validate, generate, generate, [], {}, {}, time.monotonic() - start)
    release = nbformat.read(course.release_path, as_version=4)
    subs = submissions(case, release, with_loop=with_loop)
    for student, nb in subs.items():
        course.submit(student, nb)
    before = time.time()
    autograde = course.nbgrader("autograde", case.assignment, "--force")
    seconds, last = {}, before
    done = sorted((course.autograded_path(s).stat().st_mtime, s) for s in subs if course.autograded_path(s).exists())
    for mtime, student in done:
        seconds[student], last = mtime - last, mtime
    return Batch(case, root, validate, generate, autograde, list(subs), course.scores(), seconds,
                 time.monotonic() - start, (loop_timeout or course_timeout()) if with_loop else None)


def course_timeout() -> float:
    """The cell timeout that the course's nbgrader_config.py sets (c.Execute.timeout), in seconds."""
    from traitlets.config.loader import PyFileConfigLoader

    return float(PyFileConfigLoader("nbgrader_config.py", path=str(ROOT)).load_config().Execute.timeout)


def jobs() -> int:
    """How many assignments test_assignments.py grades at once (GRADING_JOBS, default 2: the CI machine's cores)."""
    return max(1, int(os.environ.get("GRADING_JOBS", "2")))
