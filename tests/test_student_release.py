"""`make student-release`: what students clone holds the book, the exercises and rnnlib, never the answer key."""

import importlib.util
import json
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("student_release", ROOT / "grading" / "term" / "student_release.py")
student_release = importlib.util.module_from_spec(spec)
spec.loader.exec_module(student_release)


@pytest.fixture(scope="module")
def release(tmp_path_factory):
    out = tmp_path_factory.mktemp("students") / "release"
    proc = subprocess.run(["make", "--no-print-directory", "-f", "grading/term.mk", "student-release", f"OUT={out}"],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return out


def test_release_holds_what_students_need(release):
    for name in ("exercises", "book", "rnnlib", ".jupyter-student", "pyproject.toml", "constraints.txt",
                 "Makefile", "mk/venv.py", "mk/lab.mk", "nbgrader_config.py", "README.md"):
        assert (release / name).exists(), name
    assert sorted(p.name for p in (release / "exercises").iterdir()) == \
        sorted(p.name for p in (ROOT / "solutions").iterdir() if p.is_dir())


def test_release_holds_no_answer_key(release):
    for name in ("solutions", "tests", "grading/sandbox", "grading/term", "gradebook.db", "submitted", "autograded"):
        assert not (release / name).exists(), f"{name} must not reach students"
    secrets = student_release.secret_lines()
    kinds = {where.rsplit(" ", 1)[1] for where in secrets.values()}
    assert {"solution", "hidden", "diagnoses"} <= kinds, \
        "the check must know the solutions, the hidden tests and the diagnoses"
    assert student_release.leaks(release, secrets) == []


def test_the_leak_check_finds_a_solution_a_hidden_test_and_a_diagnosis(tmp_path):
    """The check that guards the release really sees an answer key that slipped in."""
    secrets = student_release.secret_lines()
    solution = next(line for line, where in secrets.items() if where.endswith("solution"))
    hidden = next(line for line, where in secrets.items() if where.endswith("hidden"))
    diagnosis = next(line for line, where in secrets.items() if where.endswith("diagnoses"))
    nb = {"cells": [{"cell_type": "code", "source": ["x = 1\n", f"    {solution}\n"], "metadata": {}}]}
    (tmp_path / "copy.ipynb").write_text(json.dumps(nb))
    (tmp_path / "notes.py").write_text(f"{hidden}\n")
    (tmp_path / "a02_checks.py").write_text(f"def f():\n    {diagnosis}\n")
    found = student_release.leaks(tmp_path, secrets)
    assert len(found) == 3 and {f.split(":")[0] for f in found} == {"copy.ipynb", "notes.py", "a02_checks.py"}


def test_release_is_a_git_repository_and_never_overwrites_a_stranger(release, tmp_path):
    log = subprocess.run(["git", "-C", str(release), "log", "--oneline"], capture_output=True, text=True)
    assert log.returncode == 0 and "Student release" in log.stdout
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "thesis.tex").write_text("precious")
    proc = subprocess.run(["python3", "grading/term/student_release.py", str(tmp_path / "mine")], cwd=ROOT,
                          capture_output=True, text=True)
    assert proc.returncode != 0 and "was not written by make student-release" in proc.stderr
    assert (tmp_path / "mine" / "thesis.tex").read_text() == "precious"


def test_release_makefile_starts_the_student_lab(release):
    """The release's `make lab` is the student lab: dry-run it as a user and as root."""
    for uid, root_flag in (("1000", False), ("0", True)):
        proc = subprocess.run(["make", "-n", "--no-print-directory", "student-lab", f"USER_ID={uid}"],
                              cwd=release, capture_output=True, text=True)
        assert proc.returncode == 0, proc.stderr
        assert "JUPYTER_CONFIG_DIR=" in proc.stdout and ".jupyter-student" in proc.stdout
        assert ("--allow-root" in proc.stdout) == root_flag, proc.stdout


def test_instructor_and_student_labs_start_as_root():
    """Jupyter refuses root without --allow-root (Docker, hubs): the course's targets add it, for root only."""
    for target in ("formgrader", "student-lab"):
        for uid, root_flag in (("1000", False), ("0", True)):
            proc = subprocess.run(["make", "-n", "--no-print-directory", "-f", "grading/grading.mk", target,
                                   f"USER_ID={uid}", "LAB_ARGS=--port=9999"], cwd=ROOT, capture_output=True, text=True)
            assert proc.returncode == 0, proc.stderr
            assert ("--allow-root" in proc.stdout) == root_flag, (target, uid, proc.stdout)
            assert ("Running as root" in proc.stdout) == root_flag and "--port=9999" in proc.stdout
