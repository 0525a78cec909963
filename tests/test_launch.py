"""The launch buttons lead somewhere: every chapter installs rnnlib itself on Colab, and Binder's configuration
(binder/) builds an environment that runs a chapter."""

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("colab_cell", ROOT / "mk" / "colab_cell.py")
colab_cell = importlib.util.module_from_spec(spec)
spec.loader.exec_module(colab_cell)
CHAPTERS = colab_cell.toc_notebooks()


@pytest.mark.parametrize("path", CHAPTERS, ids=[p.stem for p in CHAPTERS])
def test_every_chapter_starts_with_the_colab_install_cell(path):
    nb = json.loads(path.read_text())
    first = nb["cells"][0]
    assert first.get("id") == colab_cell.CELL_ID, f"run: python mk/colab_cell.py {path.relative_to(ROOT)}"
    assert "".join(first["source"]) == colab_cell.cell_source(), "out of date: run python mk/colab_cell.py --toc"
    assert first["outputs"] == [] and "remove-cell" in first["metadata"]["tags"]


def test_the_cell_does_nothing_off_colab_and_installs_on_colab(tmp_path):
    source = colab_cell.cell_source()
    ran = subprocess.run([sys.executable, "-c", source], capture_output=True, text=True)
    assert ran.returncode == 0 and ran.stdout == ran.stderr == ""
    # On Colab (google.colab imported) it runs pip with rnnlib from the repository and without its pins.
    fake = tmp_path / "google" / "colab"
    fake.mkdir(parents=True)
    (tmp_path / "google" / "__init__.py").write_text("")
    (fake / "__init__.py").write_text("")
    spy = ("import subprocess, sys\ncalls = []\nsubprocess.run = lambda *a, **k: calls.append(a[0])\n"
           "import google.colab\n" + source + "\nprint(calls)")
    ran = subprocess.run([sys.executable, "-c", spy], capture_output=True, text=True, cwd=tmp_path)
    assert ran.returncode == 0, ran.stderr
    assert "--no-deps" in ran.stdout and f"rnnlib @ git+{colab_cell.repository_url()}" in ran.stdout


def test_the_script_is_idempotent(tmp_path):
    path = tmp_path / "chapter.ipynb"
    path.write_text(json.dumps({"cells": [{"cell_type": "markdown", "id": "title", "metadata": {},
                                           "source": "# A chapter"}],
                                "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    assert colab_cell.add_cell(path) is True
    once = path.read_text()
    assert colab_cell.add_cell(path) is False and path.read_text() == once
    nb = json.loads(once)
    assert [c["id"] for c in nb["cells"]] == [colab_cell.CELL_ID, "title"]


def binder_requirements_offline(tmp_path):
    """binder/requirements.txt without PyTorch's index, which tests cannot reach (the CPU wheel is local here)."""
    lines = (ROOT / "binder" / "requirements.txt").read_text().splitlines()
    assert "--extra-index-url https://download.pytorch.org/whl/cpu" in lines
    offline = tmp_path / "binder-requirements.txt"
    offline.write_text("\n".join(line.replace("../constraints.txt", str(ROOT / "constraints.txt"))
                                 for line in lines if "download.pytorch.org" not in line) + "\n")
    return offline


@pytest.mark.slow
@pytest.mark.install
def test_binder_configuration_alone_builds_an_environment_that_runs_a_chapter(tmp_path):
    """As repo2docker does: a fresh environment, `pip install -r binder/requirements.txt` in the repository root,
    then a chapter executed from scratch in it."""
    assert (ROOT / "binder" / "runtime.txt").read_text().strip() == "python-3.11"
    venv = tmp_path / "binder-env"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    requirements = binder_requirements_offline(tmp_path)
    proc = subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", "-r", str(requirements)],
                          cwd=ROOT, capture_output=True, text=True, timeout=1800)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    chapter = ROOT / "book" / "ch01_recurrent_neuron.ipynb"
    run = subprocess.run([str(venv / "bin" / "jupyter"), "nbconvert", "--to", "notebook", "--execute",
                          "--output-dir", str(tmp_path), str(chapter)],
                         cwd=ROOT / "book", capture_output=True, text=True, timeout=600,
                         env={"PATH": f"{venv / 'bin'}:/usr/bin:/bin", "HOME": str(tmp_path),
                              "OMP_NUM_THREADS": "1", "MPLBACKEND": "Agg"})
    assert run.returncode == 0, run.stderr[-3000:]
    assert (tmp_path / chapter.name).is_file()
