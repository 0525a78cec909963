"""Write what students get: the course without the answer key (`make student-release`).

    python grading/term/student_release.py [OUT]     (default: _build/student-release)

The folder holds exercises/, book/, rnnlib/, the student lab settings (.jupyter-student/), the files that install
the course (pyproject.toml, constraints*.txt, mk/venv.py) and a student Makefile (mk/student.mk: `make lab`,
`make book`). It never holds solutions/, tests/ (tests/grading/cases has the wrong answers and points), the
grading sandbox or the instructor's gradebook. Before it is written, every solution block, hidden-test line,
mark scheme and diagnosis of solutions/ is looked for in it; one found stops the release with the file that holds
it.

OUT becomes a git repository with one commit per release (git's author settings apply): push it to the
repository your students clone, e.g. `git -C _build/student-release push <student repo> HEAD:main`. A folder
that exists and was not written by this script is never overwritten.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MARKER = ".student-release"  # written into OUT, so a later release knows the folder is its own
# Copied as they are (folders and files of the repository root).
CONTENT = ["exercises", "book", "rnnlib", ".jupyter-student", "pyproject.toml", "_config.yml", "_toc.yml"]
IGNORE = shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints", "*.egg-info", "_build", ".pytest_cache")
# Lines this short or generic ("assert ok", "return h") are common code, not an answer key.
MIN_LINE = 24

BEGIN = {"solution": re.compile(r"^\s*#*\s*BEGIN SOLUTION\s*$"),
         "hidden": re.compile(r"^\s*#*\s*BEGIN HIDDEN TESTS\s*$"),
         "scheme": re.compile(r"^\s*=== BEGIN MARK SCHEME ===")}
END = {"solution": re.compile(r"^\s*#*\s*END SOLUTION\s*$"),
       "hidden": re.compile(r"^\s*#*\s*END HIDDEN TESTS\s*$"),
       "scheme": re.compile(r"^\s*=== END MARK SCHEME ===")}


def secret_lines(solutions: Path = ROOT / "solutions") -> dict[str, str]:
    """Every line of the answer key worth hiding -> where it comes from ("a01/a01_x.ipynb hidden").

    The answer key is what lies between nbgrader's BEGIN/END SOLUTION, BEGIN/END HIDDEN TESTS and mark-scheme
    markers in the source notebooks, and the instructors' diagnoses modules (solutions/<a>/<a>_diagnoses.py).
    Lines that the released notebooks also contain (a signature, a comment the release keeps) are not secret, nor
    are solution or diagnosis lines that the course publishes anyway: rnnlib and the book hold reference
    implementations, and a generic line such as ``for t in reversed(range(T)):`` is in both.
    Hidden tests and mark schemes have no such exception.
    """
    secrets: dict[str, str] = {}
    for path in sorted(solutions.glob("a[0-9][0-9]/*.ipynb")):
        for cell in json.loads(path.read_text())["cells"]:
            kind = None
            for line in "".join(cell["source"]).splitlines():
                if kind is None:
                    kind = next((k for k, pattern in BEGIN.items() if pattern.match(line)), None)
                elif END[kind].match(line):
                    kind = None
                elif len(line.strip()) >= MIN_LINE:
                    secrets.setdefault(line.strip(), f"{path.relative_to(solutions)} {kind}")
    # The instructors' diagnoses re-compute the students' functions with mistakes switched on: working answers.
    for path in sorted(solutions.glob("a[0-9][0-9]/*_diagnoses.py")):
        for line in path.read_text().splitlines():
            if len(line.strip()) >= MIN_LINE:
                secrets.setdefault(line.strip(), f"{path.relative_to(solutions)} diagnoses")
    released = lines_of(ROOT / "exercises")
    published = lines_of(ROOT / "rnnlib") | lines_of(ROOT / "book")
    return {line: where for line, where in secrets.items()
            if line not in released and not (where.endswith(("solution", "diagnoses")) and line in published)}


def text_of(path: Path) -> str:
    """A file's text, for a notebook the text of its cells (not JSON-escaped strings); "" for binary files."""
    try:
        text = path.read_text()
    except (UnicodeDecodeError, OSError):
        return ""
    if path.suffix == ".ipynb":
        try:
            return "\n".join("".join(c.get("source", "")) for c in json.loads(text).get("cells", []))
        except (json.JSONDecodeError, AttributeError):
            pass
    return text


def lines_of(folder: Path) -> set[str]:
    return {line.strip() for path in folder.rglob("*") if path.is_file() for line in text_of(path).splitlines()}


def leaks(folder: Path, secrets: dict[str, str]) -> list[str]:
    """'<file>: <line> (<origin>)' for every secret line found in a text file of ``folder``."""
    found = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and ".git" not in p.relative_to(folder).parts):
        for line in {line.strip() for line in text_of(path).splitlines()} & secrets.keys():
            found.append(f"{path.relative_to(folder)}: {line!r} ({secrets[line]})")
    return found


def student_config() -> str:
    """The nbgrader settings a student's Validate uses: the grading cell timeout and the course id."""
    from traitlets.config.loader import PyFileConfigLoader

    config = PyFileConfigLoader("nbgrader_config.py", path=str(ROOT)).load_config()
    return (f'"""nbgrader settings for Validate, the same cell timeout as grading (written by make student-release)."""\n\n'
            f"c = get_config()  # noqa: F821\n"
            f"c.CourseDirectory.course_id = {config.CourseDirectory.course_id!r}\n"
            f"c.Execute.timeout = {config.Execute.timeout!r}\n"
            f"c.Execute.interrupt_on_timeout = True\n")


def build(stage: Path) -> None:
    for name in CONTENT:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, stage / name, ignore=IGNORE)
        else:
            shutil.copy2(source, stage / name)
    for constraints in ROOT.glob("constraints*.txt"):
        shutil.copy2(constraints, stage / constraints.name)
    (stage / "mk").mkdir()
    shutil.copy2(ROOT / "mk" / "venv.py", stage / "mk" / "venv.py")
    shutil.copy2(ROOT / "mk" / "lab.mk", stage / "mk" / "lab.mk")
    shutil.copy2(ROOT / "mk" / "student.mk", stage / "Makefile")
    (stage / "nbgrader_config.py").write_text(student_config())
    (stage / ".gitignore").write_text(".venv/\n_build/\n__pycache__/\n*.egg-info/\n.ipynb_checkpoints/\n/my-assignments/\n")
    (stage / "README.md").write_text(
        "# Recurrent Neural Networks, Verified: the student edition\n\n"
        "The book, the graded exercises and `rnnlib`, without the instructors' answer key.\n\n"
        "```bash\nmake lab    # JupyterLab with the Assignment List and Validate (creates .venv first)\n"
        "make book   # the website, in _build/html\n```\n\n"
        "How to fetch, validate and submit an assignment, and read its feedback: `book/guide_students.md`.\n")
    (stage / MARKER).write_text("Written by `make student-release`; the next release replaces everything here "
                                "but .git.\n")


def release(out: Path) -> list[str]:
    """Write the student folder ``out``; returns the leaks found (then nothing is written)."""
    out = out.resolve()
    if out.exists() and any(out.iterdir()) and not (out / MARKER).is_file():
        sys.exit(f"{out} exists and was not written by make student-release: choose another folder (OUT=...)")
    if out == ROOT or ROOT in out.parents and out.parts[len(ROOT.parts)] != "_build":
        sys.exit(f"{out} is inside the course itself: write the release under _build/ or outside the repository")
    with tempfile.TemporaryDirectory() as tmp:
        stage = Path(tmp) / "release"
        stage.mkdir()
        build(stage)
        found = leaks(stage, secret_lines())
        if found:
            return found
        if out.exists():
            for child in out.iterdir():
                if child.name != ".git":
                    shutil.rmtree(child) if child.is_dir() and not child.is_symlink() else child.unlink()
        out.mkdir(parents=True, exist_ok=True)
        shutil.copytree(stage, out, dirs_exist_ok=True)
    commit(out)
    return []


def commit(out: Path) -> None:
    """One commit per release, so students update with `git pull`."""
    if shutil.which("git") is None:
        return
    git = ["git", "-C", str(out)]
    if not (out / ".git").exists():
        subprocess.run([*git, "init", "--quiet", "--initial-branch=main"], check=True)
    subprocess.run([*git, "add", "--all"], check=True)
    if subprocess.run([*git, "diff", "--cached", "--quiet"]).returncode != 0:
        subprocess.run([*git, "-c", "user.name=Course release", "-c", "user.email=course@localhost",
                        "commit", "--quiet", "-m", "Student release"], check=True)


def main() -> None:
    out = Path(sys.argv[1] if len(sys.argv) > 1 else ROOT / "_build" / "student-release")
    found = release(out)
    if found:
        sys.exit("Not released: the student folder would contain the answer key:\n  " + "\n  ".join(found[:20]))
    print(f"Student release written to {out.resolve()} (a git repository: push it where students clone from).")


if __name__ == "__main__":
    main()
