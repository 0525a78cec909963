"""Build the website once per test session, from the committed notebook outputs (``build_site``).

The site tests (tests/site) and the browser tests (tests/browser) read the same build. Under pytest-xdist they
may run on different workers: the first worker that asks builds into a folder shared by all workers of the
session (the parent of each worker's temporary folder, pytest-xdist's recipe for session-wide fixtures), holding a
file lock; the others wait on the lock and read the same result. tests/site/conftest.py and
tests/browser/conftest.py both import it by name (tests/support is on pytest's pythonpath).
"""

import fcntl
import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
# The launch buttons need a hub to show a JupyterHub button; _config.yml leaves it to each course. This address
# is only written into links on the test build, never contacted.
EXAMPLE_HUB = "https://hub.example.edu"


@dataclass
class SiteBuild:
    """The outcome of `jupyter-book build`; the site is in ``site`` (``<source>/_build/html``)."""

    returncode: int
    stdout: str
    stderr: str
    site: Path


def _build(src: Path) -> SiteBuild:
    """Build the book with execution off (nbval already proves the stored outputs reproduce)."""
    shutil.copytree(ROOT / "book", src / "book", ignore=shutil.ignore_patterns("_build", ".ipynb_checkpoints"))
    shutil.copy(ROOT / "_toc.yml", src / "_toc.yml")
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    config["execute"]["execute_notebooks"] = "off"
    config.setdefault("launch_buttons", {})
    config["launch_buttons"]["jupyterhub_url"] = config["launch_buttons"].get("jupyterhub_url") or EXAMPLE_HUB
    (src / "_config.yml").write_text(yaml.safe_dump(config, sort_keys=False))
    jb = Path(sys.executable).with_name("jupyter-book")
    proc = subprocess.run([str(jb), "build", str(src), "-W", "-n", "--keep-going"],
                          capture_output=True, text=True, timeout=900)
    return SiteBuild(proc.returncode, proc.stdout, proc.stderr, src / "_build" / "html")


def build_site(tmp_path_factory) -> SiteBuild:
    """The session's build of the website, made by whichever test worker asks first."""
    shared = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        shared = shared.parent  # pytest-of-<user>/pytest-<n>/, one per session, shared by its workers
    folder, result = shared / "site-build", shared / "site-build.json"
    with open(shared / "site-build.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes, also if the build raises
        if not result.is_file():
            shutil.rmtree(folder, ignore_errors=True)  # a build that raised (timeout) in another worker
            folder.mkdir()
            build = _build(folder)
            result.write_text(json.dumps({"returncode": build.returncode, "stdout": build.stdout,
                                          "stderr": build.stderr, "site": str(build.site)}))
        data = json.loads(result.read_text())
    return SiteBuild(data["returncode"], data["stdout"], data["stderr"], Path(data["site"]))
