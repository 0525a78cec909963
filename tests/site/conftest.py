"""Build the website once per test session, from the committed notebook outputs."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def built_site(tmp_path_factory):
    """Build the book with execution off (nbval already proves the stored outputs reproduce).

    Returns the completed build process; the site is in ``<cwd>/_build/html``.
    """
    src = tmp_path_factory.mktemp("book")
    shutil.copytree(ROOT / "book", src / "book", ignore=shutil.ignore_patterns("_build", ".ipynb_checkpoints"))
    shutil.copy(ROOT / "_toc.yml", src / "_toc.yml")
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    config["execute"]["execute_notebooks"] = "off"
    (src / "_config.yml").write_text(yaml.safe_dump(config, sort_keys=False))
    jb = Path(sys.executable).with_name("jupyter-book")
    proc = subprocess.run([str(jb), "build", str(src), "-W", "-n", "--keep-going"],
                          capture_output=True, text=True, timeout=900)
    proc.site = src / "_build" / "html"
    return proc
