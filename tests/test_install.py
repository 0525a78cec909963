"""`make venv` (mk/venv.py) on the Pythons the README names: a clear early error, pip's own error, no half-built
.venv, and a real build with Debian 12's own /usr/bin/python3 (3.11.2), whose pins differ from the lock's.

Each test works in a temporary copy of the files that install the course, never in the repository's .venv.
"""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DEBIAN_PYTHON = Path("/usr/bin/python3")


def course_copy(tmp_path):
    for name in ("pyproject.toml", "constraints.txt", "README.md"):
        shutil.copy(ROOT / name, tmp_path / name)
    shutil.copytree(ROOT / "rnnlib", tmp_path / "rnnlib", ignore=shutil.ignore_patterns("__pycache__"))
    (tmp_path / "mk").mkdir()
    shutil.copy(ROOT / "mk" / "venv.py", tmp_path / "mk" / "venv.py")
    return tmp_path


def test_an_unsupported_python_is_named_before_anything_is_installed(tmp_path):
    course = course_copy(tmp_path)
    pretend = "import runpy, sys; sys.version_info = (3, 9, 18, 'final', 0); sys.argv = ['mk/venv.py']; " \
              "runpy.run_path('mk/venv.py', run_name='__main__')"
    proc = subprocess.run([sys.executable, "-c", pretend], cwd=course, capture_output=True, text=True)
    assert proc.returncode == 1
    assert "Python 3.9" in proc.stderr and "3.10, 3.11 or 3.12" in proc.stderr, proc.stderr
    assert not (course / ".venv").exists()


def test_a_failed_install_shows_pips_error_and_leaves_no_venv(tmp_path):
    course = course_copy(tmp_path)
    with (course / "constraints.txt").open("a") as f:
        f.write("numpy==0.0.1\n")  # no such release: pip cannot resolve
    proc = subprocess.run([sys.executable, "mk/venv.py", "book"], cwd=course, capture_output=True, text=True,
                          timeout=600)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "pip said" in proc.stderr and "numpy" in proc.stderr, proc.stderr
    assert "ResolutionImpossible" in proc.stderr or "No matching distribution" in proc.stderr, proc.stderr
    assert "the half-built .venv was removed" in proc.stderr and not (course / ".venv").exists()


def test_the_makefile_builds_the_venv_with_mk_venv():
    proc = subprocess.run(["make", "-n", "-W", "pyproject.toml", ".venv/.installed", "PYTHON=/usr/bin/python3"],
                          cwd=ROOT, capture_output=True, text=True)
    assert "/usr/bin/python3 mk/venv.py" in proc.stdout, proc.stdout + proc.stderr


@pytest.mark.slow
@pytest.mark.install
@pytest.mark.skipif(not DEBIAN_PYTHON.exists(), reason="no /usr/bin/python3")
def test_debian_12_python_builds_the_venv(tmp_path):
    """Debian 12's python3 is 3.11.2: soupsieve's locked release needs 3.11.5, its marker picks another."""
    version = subprocess.run([str(DEBIAN_PYTHON), "-c", "import sys; print(sys.version_info[:2] >= (3, 10))"],
                             capture_output=True, text=True).stdout.strip()
    if version != "True":
        pytest.skip(f"{DEBIAN_PYTHON} is older than 3.10")
    course = course_copy(tmp_path)
    proc = subprocess.run([str(DEBIAN_PYTHON), "mk/venv.py", "grading,test"], cwd=course, capture_output=True,
                          text=True, timeout=1800)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    check = subprocess.run([str(course / ".venv" / "bin" / "python"), "-c",
                            "import sys, rnnlib, torch, nbgrader, bs4; print(sys.version.split()[0])"],
                           cwd=tmp_path, capture_output=True, text=True)
    assert check.returncode == 0, check.stderr
    assert (course / ".venv" / ".installed").read_text().strip() == check.stdout.strip()
