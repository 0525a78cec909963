"""`make book` renders the committed outputs; `make book EXECUTE=1` re-executes through a variant config."""

import shutil
import subprocess
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def recipe(*args):
    out = subprocess.run(["make", "-n", "--no-print-directory", "book", *args], cwd=ROOT, capture_output=True,
                         text=True, check=True).stdout
    return [line for line in out.splitlines() if "jupyter-book build" in line or line.startswith(("sed", "grep"))]


def test_default_build_uses_the_committed_outputs():
    (build,) = recipe()
    assert "--config" not in build
    assert yaml.safe_load((ROOT / "_config.yml").read_text())["execute"]["execute_notebooks"] == "off"


def test_execute_build_switches_the_config_to_the_cache(tmp_path):
    lines = recipe("EXECUTE=1")
    sed, grep, build = lines[0], lines[1], lines[2]
    assert "--config .config-execute.yml" in build
    shutil.copy(ROOT / "_config.yml", tmp_path / "_config.yml")
    subprocess.run(sed, shell=True, cwd=tmp_path, check=True)
    subprocess.run(grep, shell=True, cwd=tmp_path, check=True)
    variant = yaml.safe_load((tmp_path / ".config-execute.yml").read_text())
    original = yaml.safe_load((ROOT / "_config.yml").read_text())
    assert variant["execute"]["execute_notebooks"] == "cache"
    variant["execute"]["execute_notebooks"] = "off"
    assert variant == original, "the variant config must differ from _config.yml in the execution mode only"
